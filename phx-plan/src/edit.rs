//! What a file-shaped step wants the file to become, computed from what is
//! there now. Pure functions: no I/O, so the rules are easy to test.

/// Normalises content to end in exactly one newline (empty stays empty).
pub fn with_newline(s: &str) -> String {
    if s.is_empty() || s.ends_with('\n') {
        s.to_string()
    } else {
        format!("{s}\n")
    }
}

pub fn begin_marker(marker: &str) -> String {
    format!("# BEGIN phoenix {marker}")
}

pub fn end_marker(marker: &str) -> String {
    format!("# END phoenix {marker}")
}

/// The file with the managed block set to `content`: replaced in place when
/// the markers exist, appended otherwise. Everything else is kept.
pub fn with_block(current: Option<&str>, marker: &str, content: &str) -> Result<String, String> {
    let (begin, end) = (begin_marker(marker), end_marker(marker));
    let block = format!("{begin}\n{}{end}\n", with_newline(content));
    let current = current.unwrap_or("");
    let lines: Vec<&str> = current.split_inclusive('\n').collect();
    let b = lines.iter().position(|l| l.trim_end() == begin);
    let e = lines.iter().position(|l| l.trim_end() == end);
    match (b, e) {
        (Some(b), Some(e)) if b < e => {
            let mut out: String = lines[..b].concat();
            out.push_str(&block);
            out.push_str(&lines[e + 1..].concat());
            Ok(out)
        }
        (None, None) => {
            let mut out = with_newline(current);
            out.push_str(&block);
            Ok(out)
        }
        _ => Err(format!(
            "the markers {begin:?} / {end:?} are unbalanced; fix the file by hand"
        )),
    }
}

/// The lines of `text` outside the managed block: what the operator owns.
pub fn outside_block<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    let (begin, end) = (begin_marker(marker), end_marker(marker));
    let mut inside = false;
    let mut out = Vec::new();
    for l in text.lines() {
        if l.trim_end() == begin {
            inside = true;
        } else if l.trim_end() == end {
            inside = false;
        } else if !inside {
            out.push(l);
        }
    }
    out
}

/// The file with every one of `wanted` present in its head (the part before
/// the first line starting with `stop_at`); missing lines go after the last
/// non-blank line of the head. Head lines starting with one of the `owned`
/// prefixes are the step's own: those not in `wanted`, and repeats, are
/// removed. Bytes elsewhere are untouched.
pub fn with_lines(
    current: &str,
    wanted: &[String],
    owned: &[String],
    stop_at: Option<&str>,
) -> String {
    let all: Vec<&str> = current.split_inclusive('\n').collect();
    let head_end = stop_at
        .and_then(|p| all.iter().position(|l| l.starts_with(p)))
        .unwrap_or(all.len());
    let mut seen_owned: Vec<&str> = Vec::new();
    let mut lines: Vec<&str> = Vec::with_capacity(all.len());
    for (i, l) in all.iter().enumerate() {
        let bare = l.trim_end_matches(['\n', '\r']);
        if i < head_end && owned.iter().any(|p| bare.starts_with(p.as_str())) {
            if !wanted.iter().any(|w| w == bare) || seen_owned.contains(&bare) {
                continue;
            }
            seen_owned.push(bare);
        }
        lines.push(l);
    }
    let head_end = head_end - (all.len() - lines.len());
    let head = &lines[..head_end];
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| {
            !head
                .iter()
                .any(|l| l.trim_end_matches(['\n', '\r']) == w.as_str())
        })
        .collect();
    if missing.is_empty() {
        return lines.concat();
    }
    let insert_at = head
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(0, |i| i + 1);
    let mut out: String = lines[..insert_at].concat();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for m in missing {
        out.push_str(m);
        out.push('\n');
    }
    out.push_str(&lines[insert_at..].concat());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_is_appended_then_replaced_in_place() {
        let orig = "127.0.0.1 localhost\n";
        let once = with_block(Some(orig), "host", "10.0.0.13 pve.example pve").unwrap();
        assert_eq!(once, "127.0.0.1 localhost\n# BEGIN phoenix host\n10.0.0.13 pve.example pve\n# END phoenix host\n");
        let edited = format!("{once}::1 localhost\n");
        let twice = with_block(Some(&edited), "host", "10.0.0.14 pve.example pve\n").unwrap();
        assert_eq!(twice, "127.0.0.1 localhost\n# BEGIN phoenix host\n10.0.0.14 pve.example pve\n# END phoenix host\n::1 localhost\n");
        assert_eq!(
            with_block(Some(&twice), "host", "10.0.0.14 pve.example pve").unwrap(),
            twice
        );
    }

    #[test]
    fn unbalanced_markers_are_refused() {
        assert!(with_block(Some("# BEGIN phoenix x\nfoo\n"), "x", "y").is_err());
    }

    #[test]
    fn lines_go_into_the_head_only_once() {
        let conf =
            "arch: amd64\nmemory: 512\n\n[snap1]\narch: amd64\nlxc.apparmor.profile: unconfined\n";
        let want = vec!["lxc.apparmor.profile: unconfined".to_string()];
        let out = with_lines(conf, &want, &[], Some("["));
        assert_eq!(out, "arch: amd64\nmemory: 512\nlxc.apparmor.profile: unconfined\n\n[snap1]\narch: amd64\nlxc.apparmor.profile: unconfined\n");
        assert_eq!(with_lines(&out, &want, &[], Some("[")), out);
    }

    #[test]
    fn owned_lines_of_the_head_are_exactly_the_wanted_ones() {
        // A clone inherited GPU 1 and a second copy of GPU 0 from its source.
        let conf = "arch: amd64\nlxc.mount.entry: /dev/nvidia0 a\nlxc.mount.entry: /dev/nvidia1 b\nlxc.mount.entry: /srv s\nlxc.mount.entry: /dev/nvidia0 a\n\n[snap]\nlxc.mount.entry: /dev/nvidia1 b\n";
        let want = vec!["lxc.mount.entry: /dev/nvidia0 a".to_string()];
        let owned = vec!["lxc.mount.entry: /dev/nvidia".to_string()];
        let out = with_lines(conf, &want, &owned, Some("["));
        assert_eq!(
            out,
            "arch: amd64\nlxc.mount.entry: /dev/nvidia0 a\nlxc.mount.entry: /srv s\n\n[snap]\nlxc.mount.entry: /dev/nvidia1 b\n",
            "unwanted and repeated owned lines go; other lines and the snapshot stay"
        );
        assert_eq!(with_lines(&out, &want, &owned, Some("[")), out);
        assert_eq!(
            with_lines(
                "a: 1\nlxc.x: old\n",
                &["lxc.x: new".to_string()],
                &["lxc.x:".to_string()],
                None
            ),
            "a: 1\nlxc.x: new\n"
        );
    }
}
