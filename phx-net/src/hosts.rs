//! Lines of /etc/hosts outside Phoenix's block that map the node's own name
//! to a loopback address (the Debian installer's `127.0.1.1 <name>`): the
//! resolver takes the first match, so while one is there the node resolves
//! to loopback, which Proxmox refuses (pve-cluster needs the node's name to
//! resolve to an address of the node). They are commented out with a marker,
//! so removing the marker restores them; other names on such a line stay
//! mapped on a line of their own.

use std::net::IpAddr;

/// Put before a line phx-net commented out.
pub const MARKER: &str = "#phoenix-loopback# ";

/// What to do about the loopback lines found outside the block.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LoopbackLines {
    /// The lines as they are (each removed: a `lines` step owns them).
    pub found: Vec<String>,
    /// What replaces them: each commented out with [`MARKER`], and the line
    /// without the node's names when other names were on it.
    pub wanted: Vec<String>,
}

/// The lines of `outside` (the file without Phoenix's block) that map one
/// of `names` to a loopback address.
pub fn loopback_lines<'a>(outside: impl Iterator<Item = &'a str>, names: &[&str]) -> LoopbackLines {
    let mut out = LoopbackLines::default();
    for line in outside {
        let bare = line.trim_end_matches(['\n', '\r']);
        let (data, comment) = match bare.split_once('#') {
            Some((d, c)) => (d, Some(c)),
            None => (bare, None),
        };
        let mut words = data.split_whitespace();
        let Some(ip) = words.next() else { continue };
        if !ip.parse::<IpAddr>().is_ok_and(|a| a.is_loopback()) {
            continue;
        }
        let (ours, others): (Vec<&str>, Vec<&str>) = words.partition(|w| names.contains(w));
        if ours.is_empty() {
            continue;
        }
        out.found.push(bare.to_string());
        out.wanted.push(format!("{MARKER}{bare}"));
        if !others.is_empty() {
            let mut kept = format!("{ip} {}", others.join(" "));
            if let Some(c) = comment {
                kept.push_str(&format!(" #{c}"));
            }
            out.wanted.push(kept);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nodes_names_on_loopback_are_commented_and_other_names_kept() {
        let text = "127.0.0.1 localhost\n127.0.1.1 pve.lan pve\n127.0.0.1 localhost pve # both\n10.0.0.5 pve\n# 127.0.1.1 pve\n::1 ip6-localhost\n";
        let found = loopback_lines(text.lines(), &["pve", "pve.lan"]);
        assert_eq!(
            found.found,
            ["127.0.1.1 pve.lan pve", "127.0.0.1 localhost pve # both"]
        );
        assert_eq!(
            found.wanted,
            [
                "#phoenix-loopback# 127.0.1.1 pve.lan pve",
                "#phoenix-loopback# 127.0.0.1 localhost pve # both",
                "127.0.0.1 localhost # both",
            ]
        );
        assert_eq!(
            loopback_lines("127.0.1.1 other\n".lines(), &["pve"]),
            LoopbackLines::default()
        );
    }
}
