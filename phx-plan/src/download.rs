//! The `download` step: a file fetched from a URL and verified against a
//! checksum before it is moved into place (cloud images, which no Proxmox
//! tool downloads with a checksum the way `pveam` does for templates). What
//! the planner and the executor must agree on lives here: the step, which
//! URLs are acceptable, and how a checksum file (`SHA256SUMS`) is read.

use serde::{Deserialize, Serialize};

/// `path` must hold what `url` serves, verified by `checksum`: a missing
/// file is downloaded beside its target, checked, then renamed into place; an
/// existing one is checked and never replaced (a mismatch fails the step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DownloadStep {
    pub path: String,
    pub url: String,
    pub checksum: Checksum,
    pub desc: String,
}

/// What the file's digest must be: given, or read from a checksum file
/// (`<hex>  <name>` or `<hex> *<name>` lines, the name being the last
/// segment of the step's `url`); or `unverified`, for a source that
/// publishes no digest the configuration gave (NVIDIA's runfile without
/// `runfile_sha256`): fetched and kept as it is, which the planner warns about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Checksum {
    Sha256(String),
    Sha512(String),
    ChecksumUrl(String),
    Unverified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algo {
    Sha256,
    Sha512,
}

impl Algo {
    pub fn name(self) -> &'static str {
        match self {
            Algo::Sha256 => "sha256",
            Algo::Sha512 => "sha512",
        }
    }
    /// Hex digits of a digest.
    pub fn hex_len(self) -> usize {
        match self {
            Algo::Sha256 => 64,
            Algo::Sha512 => 128,
        }
    }
    /// The algorithm whose digests are `n` hex digits long.
    pub fn of_hex_len(n: usize) -> Option<Algo> {
        [Algo::Sha256, Algo::Sha512]
            .into_iter()
            .find(|a| a.hex_len() == n)
    }
}

/// Why `hex` is not a digest of `algo` (lowercase or uppercase hex digits,
/// exactly as many as the algorithm makes).
pub fn digest_problem(algo: Algo, hex: &str) -> Option<String> {
    if hex.len() != algo.hex_len() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(format!(
            "a {} digest: {} hexadecimal digits",
            algo.name(),
            algo.hex_len()
        ));
    }
    None
}

/// The longest URL a step may carry.
pub const MAX_URL_LEN: usize = 2048;

/// Why `url` is not a URL a download may fetch: only `http://` and
/// `https://` with a host, printable ASCII without spaces (no NUL, no line
/// break, nothing curl would read as an option or a second URL).
pub fn url_problem(url: &str) -> Option<&'static str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Some("an http:// or https:// URL");
    };
    if url.len() > MAX_URL_LEN {
        return Some("a URL of at most 2048 characters");
    }
    if !url.bytes().all(|b| b.is_ascii_graphic()) {
        return Some("a URL of printable ASCII without spaces or control characters");
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Some("a URL with a host");
    }
    // user:password@ would sit in the plan, its diff and curl's argv (ps
    // shows it); credentials belong in root's ~/.netrc, which curl reads.
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Some(
            "a URL without credentials (user@ or user:password@; put them in root's ~/.netrc)",
        );
    }
    None
}

/// The file name a URL serves: its last path segment, without query or
/// fragment; `None` when the URL ends in `/` or names no path.
pub fn url_file_name(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let path = rest.split(['?', '#']).next()?;
    let (_, name) = path.split_once('/')?;
    let name = name.rsplit('/').next()?;
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

/// The digest a checksum file gives `name`: the line `<hex>  <name>` (text
/// mode) or `<hex> *<name>` (binary mode), as `sha256sum` writes and
/// `sha256sum -c` reads; the algorithm follows from the digest's length.
/// `Err` says what is wrong (no line for the name, two that disagree, a
/// digest of no known length).
pub fn sums_lookup(text: &str, name: &str) -> Result<(Algo, String), String> {
    let mut found: Option<String> = None;
    for line in text.lines() {
        let Some((hex, file)) = line.split_once(' ') else {
            continue;
        };
        let file = file.strip_prefix(['*', ' ']).unwrap_or(file);
        if file != name {
            continue;
        }
        let hex = hex.to_ascii_lowercase();
        match &found {
            Some(h) if *h != hex => {
                return Err(format!(
                    "the checksum file lists {name} twice, with different digests"
                ))
            }
            _ => found = Some(hex),
        }
    }
    let hex = found.ok_or_else(|| format!("the checksum file has no line for {name}"))?;
    let algo = Algo::of_hex_len(hex.len())
        .filter(|a| digest_problem(*a, &hex).is_none())
        .ok_or_else(|| {
            format!(
                "the checksum file's digest for {name} is neither sha256 nor sha512 hex ({hex:?})"
            )
        })?;
    Ok((algo, hex))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            url_problem("https://cloud-images.ubuntu.com/noble/current/x.img"),
            None
        );
        assert_eq!(url_problem("http://127.0.0.1:8000/x.img"), None);
        assert!(url_problem("ftp://h/x").is_some());
        assert!(url_problem("file:///etc/shadow").is_some());
        assert!(url_problem("https://h/a b").is_some());
        assert!(url_problem("https://h/a\0b").is_some());
        assert!(url_problem("https://h/a\nb").is_some());
        assert!(url_problem("https:///x").is_some());
        assert!(url_problem("-K/etc/x").is_some());
        // No credentials in a plan or an argv.
        assert!(url_problem("https://u:secret@h/x.img")
            .unwrap()
            .contains("without credentials"));
        assert!(url_problem("https://u@h/x.img").is_some());
        assert_eq!(url_problem("https://h/x.img?at=a@b"), None);
    }

    #[test]
    fn file_names() {
        assert_eq!(
            url_file_name("https://h/noble/current/noble-server-cloudimg-amd64.img"),
            Some("noble-server-cloudimg-amd64.img")
        );
        assert_eq!(url_file_name("https://h/a/b.img?x=1#y"), Some("b.img"));
        assert_eq!(url_file_name("https://h/a/"), None);
        assert_eq!(url_file_name("https://h"), None);
    }

    #[test]
    fn checksum_files_in_both_modes() {
        let a = "a".repeat(64);
        let b = "B".repeat(128);
        let text = format!("{a} *noble.img\n{b}  other.img\n");
        assert_eq!(sums_lookup(&text, "noble.img"), Ok((Algo::Sha256, a)));
        assert_eq!(
            sums_lookup(&text, "other.img"),
            Ok((Algo::Sha512, "b".repeat(128)))
        );
        assert!(sums_lookup(&text, "none.img")
            .unwrap_err()
            .contains("no line"));
        assert!(sums_lookup("abc  x\n", "x")
            .unwrap_err()
            .contains("neither"));
        let twice = format!("{}  x\n{}  x\n", "1".repeat(64), "2".repeat(64));
        assert!(sums_lookup(&twice, "x").unwrap_err().contains("twice"));
    }

    #[test]
    fn digests() {
        assert_eq!(digest_problem(Algo::Sha256, &"0".repeat(64)), None);
        assert!(digest_problem(Algo::Sha256, &"0".repeat(128)).is_some());
        assert!(digest_problem(Algo::Sha512, &"g".repeat(128)).is_some());
    }

    #[test]
    fn the_step_s_json() {
        let s = DownloadStep {
            path: "/var/lib/vz/template/iso/x.img".into(),
            url: "https://h/x.img".into(),
            checksum: Checksum::ChecksumUrl("https://h/SHA256SUMS".into()),
            desc: "d".into(),
        };
        let j = serde_json::to_string(&s).unwrap();
        assert!(
            j.contains(r#""checksum":{"checksum_url":"https://h/SHA256SUMS"}"#),
            "{j}"
        );
        assert_eq!(serde_json::from_str::<DownloadStep>(&j).unwrap(), s);
    }
}
