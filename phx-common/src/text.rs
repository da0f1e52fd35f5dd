//! Strings put together on the per-guest paths (step ids, descriptions,
//! progress tags), which run 10,000 times at scale: `format!`'s machinery
//! cost several times the copying, a fifth of phx-lxc's planning.

/// `parts` joined, in one allocation of exactly their length.
pub fn cat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// A guest's tag in messages and step descriptions: `[3/10] CT 101 web`.
pub fn guest_tag(i: usize, total: usize, noun: &str, id: u32, name: &str) -> String {
    cat(&[
        "[",
        &i.to_string(),
        "/",
        &total.to_string(),
        "] ",
        noun,
        " ",
        &id.to_string(),
        " ",
        name,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_joins_and_tag_reads_as_before() {
        assert_eq!(cat(&[]), "");
        assert_eq!(cat(&["lxc:", "101", ":set"]), "lxc:101:set");
        assert_eq!(guest_tag(3, 10, "CT", 101, "web"), "[3/10] CT 101 web");
        assert_eq!(
            guest_tag(1, 1, "VM", 9000, "ubuntu-template"),
            format!("[{}/{}] VM {} {}", 1, 1, 9000, "ubuntu-template")
        );
    }
}
