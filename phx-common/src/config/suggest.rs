//! "Did you mean …?": the known key nearest to a misspelled one.

/// The known key closest to `key` by edit distance, when close enough to be
/// a typo (`memroy_mb` → `memory_mb`).
pub fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let limit = (key.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (edit_distance(&key.to_ascii_lowercase(), k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, a transposition counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn nearest_known_key() {
        let keys = ["memory_mb", "swap_mb", "cores", "dependencies"];
        assert_eq!(nearest("memroy_mb", &keys), Some("memory_mb"));
        assert_eq!(nearest("Memory_MB", &keys), Some("memory_mb"));
        assert_eq!(nearest("core", &keys), Some("cores"));
        assert_eq!(nearest("depndencies", &keys), Some("dependencies"));
        assert_eq!(nearest("hostname", &keys), None);
    }
}
