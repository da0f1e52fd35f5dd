//! The raw `lxc.*` lines of an existing conf brought to what the entry asks
//! for. pct cannot set them (pve-container's LXC/Config.pm, vmconfig_hotplug_pending: only by editing the file), so the
//! whole conf is rewritten with only the main section's raw lines edited:
//!   - a single-valued key Phoenix asks for once (`lxc.apparmor.profile`, …)
//!     replaces the line with that key (a later duplicate is dropped: LXC
//!     would let it win);
//!   - lines Phoenix owns (`Desired::owned`: every line of a key the entry
//!     names, and the NVIDIA passthrough lines) are exactly the wanted ones:
//!     missing ones are added, others and repeats removed;
//!   - every other byte (description, other keys, raw lines of keys the entry
//!     does not name, `[pve:pending]`, snapshot sections) is kept as it is.
//!
//! Lines are compared normalised (`key: value`), so `lxc.key = value`, the
//! form pct also accepts, is the same line as `lxc.key: value`.

use crate::conf::raw_line;
use std::collections::{HashMap, HashSet};

/// Keys LXC accepts more than once, each occurrence adding to the others.
const MULTI_VALUED: [&str; 12] = [
    "lxc.mount.entry",
    "lxc.mount.auto",
    "lxc.cgroup2.devices.allow",
    "lxc.cgroup2.devices.deny",
    "lxc.cgroup.devices.allow",
    "lxc.cgroup.devices.deny",
    "lxc.environment",
    "lxc.cap.drop",
    "lxc.cap.keep",
    "lxc.idmap",
    "lxc.apparmor.raw",
    "lxc.include",
];

pub fn multi_valued(key: &str) -> bool {
    MULTI_VALUED.contains(&key) || key.starts_with("lxc.hook.")
}

/// The key of a normalised `key: value` line.
fn key_of(line: &str) -> &str {
    line.split_once(':').map_or(line, |(k, _)| k.trim())
}

/// Whether a normalised line is one of those the `owned` prefixes claim.
pub fn is_owned(line: &str, owned: &[String]) -> bool {
    owned.iter().any(|p| line.starts_with(p.as_str()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// The conf as it should be (equal to the input when nothing differs).
    pub text: String,
    /// Lines added, replaced or dropped.
    pub changes: usize,
    /// Owned lines (normalised) that were removed.
    pub removed: Vec<String>,
    /// Main-section raw lines (normalised) of keys Phoenix does not own
    /// here; they are kept, and reported.
    pub stray: Vec<String>,
}

/// `current` with the main section's raw lines made to match `wanted`
/// (normalised `lxc.key: value` lines, as `desired` makes them), the lines
/// `owned` claims being exactly those of `wanted`.
pub fn edit(current: &str, wanted: &[String], owned: &[String]) -> Edit {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for w in wanted {
        *count.entry(key_of(w)).or_default() += 1;
    }
    // Single-valued keys Phoenix asks for once → the line it wants.
    let single: HashMap<&str, &String> = wanted
        .iter()
        .map(|w| (key_of(w), w))
        .filter(|(k, _)| count[k] == 1 && !multi_valued(k))
        .collect();
    let wanted_set: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let lines: Vec<&str> = current.split_inclusive('\n').collect();
    let head_end = lines
        .iter()
        .position(|l| l.starts_with('['))
        .unwrap_or(lines.len());
    let mut out: Vec<String> = Vec::with_capacity(lines.len() + wanted.len());
    let mut changes = 0;
    let mut removed = Vec::new();
    let mut placed: HashSet<&str> = HashSet::new();
    let mut present: HashSet<String> = HashSet::new();
    let mut last_raw: Option<usize> = None;
    for line in &lines[..head_end] {
        let Some(norm) = raw_line(line.trim_end_matches(['\n', '\r'])) else {
            out.push(line.to_string());
            continue;
        };
        if let Some(&want) = single.get(key_of(&norm)) {
            if !placed.insert(key_of(want)) {
                changes += 1; // a duplicate of a key already placed
                removed.push(norm);
                continue;
            }
            if norm == *want {
                out.push(line.to_string());
            } else {
                out.push(format!("{want}\n"));
                changes += 1;
            }
            present.insert(want.clone());
        } else if is_owned(&norm, owned)
            && (!wanted_set.contains(norm.as_str()) || present.contains(&norm))
        {
            changes += 1;
            removed.push(norm);
            continue;
        } else {
            out.push(line.to_string());
            present.insert(norm);
        }
        last_raw = Some(out.len() - 1);
    }
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !present.contains(w.as_str()))
        .collect();
    if !missing.is_empty() {
        // After the last raw line, else after the last non-blank line of the
        // main section: where pct writes raw lines (pve-container's LXC/Config.pm, write_pct_config write order).
        let at = last_raw.map(|i| i + 1).unwrap_or_else(|| {
            out.iter()
                .rposition(|l| !l.trim().is_empty())
                .map_or(0, |i| i + 1)
        });
        if at > 0 && !out[at - 1].ends_with('\n') {
            out[at - 1].push('\n');
        }
        changes += missing.len();
        let added = missing.iter().map(|m| format!("{m}\n"));
        out.splice(at..at, added);
    }
    let mut stray = Vec::new();
    for l in &out {
        if let Some(norm) = raw_line(l.trim_end_matches(['\n', '\r'])) {
            if !wanted_set.contains(norm.as_str()) {
                stray.push(norm);
            }
        }
    }
    let mut text: String = out.concat();
    text.push_str(&lines[head_end..].concat());
    Edit {
        text,
        changes,
        removed,
        stray,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    const SNAP: &str = "\n[pve:pending]\nmemory: 2048\n\n[golden]\n#kept\nlxc.apparmor.profile: generated\nsnaptime: 1\n";

    #[test]
    fn a_changed_single_valued_key_replaces_its_line_in_place() {
        let conf = format!("#Web%3A nginx\nhostname: web\nlxc.apparmor.profile: generated\nlxc.mount.entry: /a a none bind\n{SNAP}");
        let e = edit(
            &conf,
            &w(&[
                "lxc.apparmor.profile: unconfined",
                "lxc.mount.entry: /a a none bind",
            ]),
            &[],
        );
        assert_eq!(
            e.text,
            format!("#Web%3A nginx\nhostname: web\nlxc.apparmor.profile: unconfined\nlxc.mount.entry: /a a none bind\n{SNAP}"),
            "one profile line, same place; pending and snapshot untouched"
        );
        assert_eq!(e.changes, 1);
        assert!(e.stray.is_empty());
    }

    #[test]
    fn the_equals_form_is_the_same_line() {
        let conf = format!("hostname: web\nlxc.apparmor.profile = unconfined\n{SNAP}");
        let want = w(&[
            "lxc.apparmor.profile: unconfined",
            "lxc.cgroup2.devices.allow: c 195:* rwm",
        ]);
        let e = edit(&conf, &want, &[]);
        assert_eq!(
            e.text,
            format!("hostname: web\nlxc.apparmor.profile = unconfined\nlxc.cgroup2.devices.allow: c 195:* rwm\n{SNAP}"),
            "no second `:` copy of the profile next to the `=` one"
        );
        assert_eq!(edit(&e.text, &want, &[]).text, e.text, "stable");
        assert_eq!(edit(&e.text, &want, &[]).changes, 0);
    }

    #[test]
    fn duplicates_of_an_owned_key_are_dropped() {
        let conf = "a: 1\nlxc.apparmor.profile: generated\nlxc.apparmor.profile = unconfined\n";
        let e = edit(conf, &w(&["lxc.apparmor.profile: unconfined"]), &[]);
        assert_eq!(e.text, "a: 1\nlxc.apparmor.profile: unconfined\n");
        assert_eq!(e.changes, 2);
    }

    #[test]
    fn unowned_multi_valued_lines_are_added_and_old_ones_reported_not_removed() {
        let conf = "a: 1\nlxc.cgroup2.devices.allow: c 226:* rwm\n\n[s]\nb: 2\n";
        let e = edit(conf, &w(&["lxc.cgroup2.devices.allow: c 226:0 rwm"]), &[]);
        assert_eq!(
            e.text,
            "a: 1\nlxc.cgroup2.devices.allow: c 226:* rwm\nlxc.cgroup2.devices.allow: c 226:0 rwm\n\n[s]\nb: 2\n"
        );
        assert_eq!(e.stray, w(&["lxc.cgroup2.devices.allow: c 226:* rwm"]));
    }

    #[test]
    fn a_key_asked_for_twice_is_treated_as_multi_valued() {
        let conf = "lxc.cap.keep_x: a\n";
        let want = w(&["lxc.cap.keep_x: b", "lxc.cap.keep_x: c"]);
        let e = edit(conf, &want, &[]);
        assert_eq!(
            e.text,
            "lxc.cap.keep_x: a\nlxc.cap.keep_x: b\nlxc.cap.keep_x: c\n"
        );
        assert_eq!(e.stray, w(&["lxc.cap.keep_x: a"]));
    }

    #[test]
    fn lines_go_after_the_last_key_without_raw_lines_and_fix_a_missing_newline() {
        let e = edit(
            "#d\narch: amd64\n\n\n[snap]\nlxc.x: 1\n",
            &w(&["lxc.x: 1"]),
            &[],
        );
        assert_eq!(e.text, "#d\narch: amd64\nlxc.x: 1\n\n\n[snap]\nlxc.x: 1\n");
        assert_eq!(
            edit("arch: amd64", &w(&["lxc.x: 1"]), &[]).text,
            "arch: amd64\nlxc.x: 1\n"
        );
        assert_eq!(edit("", &w(&["lxc.x: 1"]), &[]).text, "lxc.x: 1\n");
    }

    #[test]
    fn stray_lines_of_any_key_are_reported_and_kept() {
        let conf = "lxc.mount.auto: sys:rw\nlxc.prlimit.nofile = 1024\n";
        let e = edit(conf, &[], &[]);
        assert_eq!(e.text, conf);
        assert_eq!(
            e.stray,
            w(&["lxc.mount.auto: sys:rw", "lxc.prlimit.nofile: 1024"])
        );
    }

    fn gpu_owned() -> Vec<String> {
        crate::gpu::LEGACY_OWNED_PREFIXES
            .iter()
            .map(|p| p.to_string())
            .collect()
    }

    /// The raw passthrough lines phx-lxc wrote before `devN` entries, for
    /// GPUs 0 and 1.
    const LEGACY: &str = "lxc.cgroup2.devices.allow: c 195:* rwm
lxc.cgroup2.devices.allow: c 234:* rwm
lxc.cgroup2.devices.allow: c 509:* rwm
lxc.mount.entry: /dev/nvidia0 dev/nvidia0 none bind,optional,create=file
lxc.mount.entry: /dev/nvidia1 dev/nvidia1 none bind,optional,create=file
lxc.mount.entry: /dev/nvidiactl dev/nvidiactl none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-modeset dev/nvidia-modeset none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-uvm dev/nvidia-uvm none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-uvm-tools dev/nvidia-uvm-tools none bind,optional,create=file
lxc.mount.entry: /dev/nvidia-caps dev/nvidia-caps none bind,optional,create=dir
";

    #[test]
    fn the_legacy_passthrough_lines_go_and_the_operators_stay() {
        let mut conf = String::from("hostname: x\n");
        conf.push_str(LEGACY);
        conf.push_str("lxc.mount.entry: /srv/media srv/media none bind\nlxc.cgroup2.devices.allow: c 10:200 rwm\n");
        let snap = "\n[golden]\nlxc.mount.entry: /dev/nvidia1 dev/nvidia1 none bind,optional,create=file\n";
        conf.push_str(snap);
        let e = edit(&conf, &[], &gpu_owned());
        assert_eq!(e.removed.len(), LEGACY.lines().count(), "{:?}", e.removed);
        assert_eq!(
            e.text,
            format!("hostname: x\nlxc.mount.entry: /srv/media srv/media none bind\nlxc.cgroup2.devices.allow: c 10:200 rwm\n{snap}"),
            "the operator's lines and the snapshot's own stay"
        );
        assert_eq!(
            e.stray,
            w(&[
                "lxc.mount.entry: /srv/media srv/media none bind",
                "lxc.cgroup2.devices.allow: c 10:200 rwm"
            ]),
        );
        assert_eq!(edit(&e.text, &[], &gpu_owned()).changes, 0, "stable");
    }

    #[test]
    fn lines_of_a_key_the_entry_names_are_reconciled_in_either_form() {
        let conf = "a: 1\nlxc.cgroup2.devices.allow = c 226:* rwm\nlxc.cgroup2.devices.allow: c 226:0 rwm\nlxc.cgroup2.devices.allow: c 226:0 rwm\nlxc.cap.drop: sys_time\n";
        let want = w(&[
            "lxc.cgroup2.devices.allow: c 226:0 rwm",
            "lxc.cgroup2.devices.allow: c 226:1 rwm",
        ]);
        let owned = w(&["lxc.cgroup2.devices.allow:"]);
        let e = edit(conf, &want, &owned);
        assert_eq!(
            e.text,
            "a: 1\nlxc.cgroup2.devices.allow: c 226:0 rwm\nlxc.cap.drop: sys_time\nlxc.cgroup2.devices.allow: c 226:1 rwm\n",
            "the old rule and the repeat go, the new one is added, lxc.cap.drop (not named) stays"
        );
        assert_eq!(e.removed.len(), 2);
        assert_eq!(e.stray, w(&["lxc.cap.drop: sys_time"]));
    }
}
