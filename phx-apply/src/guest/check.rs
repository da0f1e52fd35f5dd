//! Whole-plan checks of the in-guest step kinds, made with the host steps'
//! (`check::check_plan`) before anything runs: each problem found here would
//! otherwise fail the run half-way through, or not at all.

use super::backup::GUEST_BACKUPS;
use crate::check::{
    check_argv, check_mode, check_size, host_path_problem, MAX_CONTENT_BYTES, MAX_SECRET_BYTES,
};
use crate::STATE_DIR;
use phx_plan::{Action, GuestJsonStep, Step};

/// A guest id (CT or VM) as Proxmox accepts one: pve-common's `pve_verify_vmid`
/// (src/PVE/JSONSchema.pm, f665029, line 312) is `^[1-9][0-9]{2,8}$`.
pub fn ctid_ok(ctid: u32) -> bool {
    (100..=999_999_999).contains(&ctid)
}

/// An absolute path inside a guest, free of `..`, NUL and line breaks.
pub fn guest_path_ok(p: &str) -> bool {
    p.starts_with('/') && !p.split('/').any(|c| c == "..") && !p.contains(['\n', '\0'])
}

fn under(path: &str, dir: &str) -> bool {
    path == dir || path.starts_with(&format!("{dir}/"))
}

/// Every problem of one guest step, each through `bad`.
pub fn check(step: &Step, bad: &mut impl FnMut(String)) {
    let Some(guest) = step.action.guest() else {
        return;
    };
    if !ctid_ok(guest.id()) {
        let (key, what) = if guest.is_vm() {
            ("vmid", "VM")
        } else {
            ("ctid", "CT")
        };
        bad(format!(
            "{key} {} is not a {what} id (100 to 999999999, as Proxmox accepts)",
            guest.id()
        ));
    }
    let mut written = None;
    match &step.action {
        Action::GuestFile(f) => {
            if f.content.is_some() == f.content_from.is_some() {
                bad("exactly one of content and content_from is needed".into());
            }
            check_mode(f.mode.as_deref(), false, bad);
            check_size(
                f.content.as_ref().map_or(0, String::len),
                MAX_CONTENT_BYTES,
                bad,
            );
            if let Some(why) = f
                .content
                .as_ref()
                .and_then(|c| super::too_big(guest, c.len()))
            {
                bad(why);
            }
            if let Some(src) = &f.content_from {
                check_content_from(src, bad);
            }
            written = Some(&f.path);
        }
        Action::GuestCommand(c) => {
            check_argv("argv", Some(&c.command.argv), bad);
            check_argv("unless", c.command.unless.as_deref(), bad);
            check_argv("only_if", c.command.only_if.as_deref(), bad);
        }
        Action::GuestSecret(s) => {
            check_mode(Some(&s.mode), false, bad);
            if s.bytes == 0 || s.bytes > MAX_SECRET_BYTES {
                bad(format!(
                    "bytes {} must be between 1 and {MAX_SECRET_BYTES}",
                    s.bytes
                ));
            }
            written = Some(&s.path);
        }
        Action::GuestJson(j) => {
            check_json(j, bad);
            written = Some(&j.path);
        }
        Action::FromGuest(f) => check_guest_path(&f.from, bad),
        Action::GuestHandler(h) if !guest.is_vm() => bad(format!(
            "a guest_handler runs in a VM (vmid); a container's handler is a handler step \
             with pct exec argv, not ctid {}",
            h.guest.id()
        )),
        _ => {}
    }
    if let Some(p) = written {
        check_guest_path(p, bad);
        if under(p, GUEST_BACKUPS) {
            bad(format!(
                "path {p:?} is where Phoenix keeps the guest's backups; no step may write there"
            ));
        }
    }
}

fn check_guest_path(p: &str, bad: &mut impl FnMut(String)) {
    if !guest_path_ok(p) {
        bad(format!(
            "path {p:?} must be absolute and free of '..', NUL and line breaks"
        ));
    }
}

/// A host file read when the step runs: a plain path, not the executor's
/// own state (the lock, backups and their manifests must never reach a guest).
fn check_content_from(src: &str, bad: &mut impl FnMut(String)) {
    if let Some(why) = host_path_problem(src) {
        bad(format!("content_from {src:?} {why}"));
    } else if under(src, STATE_DIR) {
        bad(format!(
            "content_from {src:?} is the executor's own state; it never goes into a guest"
        ));
    }
}

/// Pointers must address a member (`""`, the whole document, would replace
/// and show the file's key material), and the values are bounded like content.
fn check_json(j: &GuestJsonStep, bad: &mut impl FnMut(String)) {
    let pointers = j
        .set
        .iter()
        .map(|s| ("set pointer", &s.pointer))
        .chain(j.upsert.iter().map(|u| ("upsert array", &u.array)));
    for (what, p) in pointers {
        if p.is_empty() {
            bad(format!(
                "{what} \"\" is the whole document; a guest_json step manages members only"
            ));
        } else if !p.starts_with('/') {
            bad(format!(
                "{what} {p:?} is not a JSON pointer (it starts with /)"
            ));
        }
    }
    let values: usize = j
        .set
        .iter()
        .map(|s| s.value.to_string().len())
        .chain(j.upsert.iter().map(|u| {
            serde_json::Value::Object(u.matching.clone())
                .to_string()
                .len()
                + serde_json::Value::Object(u.value.clone()).to_string().len()
        }))
        .sum();
    if values > MAX_CONTENT_BYTES {
        bad(format!(
            "values of {values} bytes are over the {MAX_CONTENT_BYTES}-byte bound"
        ));
    }
}
