//! For the tests that hold a fast reading of addresses to the full one:
//! every text of `prefix` and up to `max_len` characters of `alphabet`.

pub(crate) fn every_text<'a>(
    prefix: &'a str,
    alphabet: &'a [u8],
    max_len: u32,
) -> impl Iterator<Item = String> + 'a {
    (0..=max_len).flat_map(move |len| {
        (0..alphabet.len().pow(len)).map(move |mut code| {
            let mut s = String::from(prefix);
            for _ in 0..len {
                s.push(char::from(alphabet[code % alphabet.len()]));
                code /= alphabet.len();
            }
            s
        })
    })
}
