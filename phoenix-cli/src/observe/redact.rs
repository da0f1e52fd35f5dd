//! What `phoenix-cli observe` leaves out of the guest confs it copies,
//! because it may hold a secret; each line left out is named in the record.
//! Only lines Phoenix neither writes nor compares are left out, so the copy
//! previews the same plan as the node:
//!   - a VM's `cipassword` (qemu-server keeps it hashed in the conf, still a
//!     password's hash; Phoenix's passwords go in a snippet) and `args`
//!     (raw QEMU arguments, which may carry `-fw_cfg` strings): phx-vm sets
//!     neither;
//!   - a container's `lxc.environment*` raw lines (values passed into the
//!     guest's processes): kept only when the configuration's `lxc` options
//!     name that key, which is then previewed as added;
//!   - the description (Notes) of both kinds, the `#` lines of each section
//!     (pve-container/qemu-server write a description as `#` +
//!     encode_text(line)), except Phoenix's own records (`#phoenix…`: the
//!     snapshot description phx-lxc writes and compares, golden.rs RECORD).

/// The line prefix Phoenix's own description lines start with.
const OWN_COMMENT: &str = "#phoenix";

/// `text` of the conf at `path` without the lines that may hold a secret,
/// each named in `redacted` (`<path> [section]: key`). `vm`: a qemu-server
/// conf, else a container's.
pub fn conf(text: &str, path: &str, vm: bool, redacted: &mut Vec<String>) -> String {
    let mut kept = String::with_capacity(text.len());
    let mut section = String::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!(" [{name}]");
        }
        let left_out = if line.starts_with('#') {
            (!line.starts_with(OWN_COMMENT)).then(|| "a description (Notes) line".to_string())
        } else {
            secret_key(line, vm).map(str::to_string)
        };
        if let Some(what) = left_out {
            redacted.push(format!("{path}{section}: {what}"));
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// The key of `line` when it is one that may hold a secret. Raw `lxc.*`
/// lines are written `key: value` or `key = value` (pct accepts both).
fn secret_key(line: &str, vm: bool) -> Option<&str> {
    let end = line.find([':', '=']).unwrap_or(line.len());
    let key = line[..end].trim();
    let secret = if vm {
        ["cipassword", "args"].contains(&key)
    } else {
        key.starts_with("lxc.environment")
    };
    secret.then_some(key)
}

#[cfg(test)]
mod tests {
    use super::conf;

    #[test]
    fn a_vm_confs_password_hash_args_and_notes_are_left_out_and_named() {
        let text = "#admin password%3A hunter2\ncores: 2\ncipassword: $5$abc$def\nargs: -fw_cfg name=opt/k,string=s3cret\nname: web\n\n[special:cloudinit]\ncipassword: $5$x$y\n";
        let mut said = Vec::new();
        let kept = conf(text, "/etc/pve/qemu-server/100.conf", true, &mut said);
        assert_eq!(kept, "cores: 2\nname: web\n\n[special:cloudinit]\n");
        assert_eq!(
            said,
            [
                "/etc/pve/qemu-server/100.conf: a description (Notes) line",
                "/etc/pve/qemu-server/100.conf: cipassword",
                "/etc/pve/qemu-server/100.conf: args",
                "/etc/pve/qemu-server/100.conf [special:cloudinit]: cipassword",
            ]
        );
    }

    #[test]
    fn a_containers_environment_and_notes_go_and_phoenixs_records_stay() {
        let text = "#db password%3A hunter2\nhostname: web\nlxc.environment: PASS=s3cret\nlxc.environment.runtime = TOKEN=t\nlxc.apparmor.profile: unconfined\n\n[golden]\n#phoenix-template features=base_setup\n#my note\nhostname: web\n";
        let mut said = Vec::new();
        let kept = conf(text, "/etc/pve/lxc/110.conf", false, &mut said);
        assert_eq!(
            kept,
            "hostname: web\nlxc.apparmor.profile: unconfined\n\n[golden]\n#phoenix-template features=base_setup\nhostname: web\n"
        );
        assert_eq!(said.len(), 4, "{said:?}");
        assert!(said[1].ends_with("110.conf: lxc.environment"), "{said:?}");
        assert!(
            said[2].ends_with("110.conf: lxc.environment.runtime"),
            "{said:?}"
        );
        assert!(
            said[3].ends_with("110.conf [golden]: a description (Notes) line"),
            "{said:?}"
        );
    }
}
