//! A VM's NFS `volumes`: nfs-common installed, then per volume its mount
//! point made, ONE /etc/fstab line (`server:path mount_point nfs
//! defaults,_netdev 0 0`) and the share mounted. The export itself is
//! phx-storage's (`nfs.exports`, e.g. the fixture's vm-persistent-data).
//!
//! A line is recognised by its mount point (fstab's second field): a
//! volume whose server or path changed replaces its own line, and two lines
//! never name one mount point (the loader refuses two volumes on one). The
//! guard passes only when the uncommented lines for the mount point are
//! exactly the wanted one, so a converged VM runs only guards.
//!
//! Defects of the original avoided (vm-manager.sh apply_volumes,
//! feature_install_base_setup.sh at 260ca13): it read only the first NFS
//! volume of a VM (`jq … | .server` of several gave multi-line values), put
//! a changed volume's line beside the old one (`grep -qxF` of the new line
//! only), and ran `mount -a`, which mounts every line of the guest's fstab.

use phx_common::config::VmVolume;
use phx_plan::guest_steps::{self as guest};
use phx_plan::{argv, Action, CommandStep, Guest, GuestCommandStep, StepSink};

pub const FSTAB: &str = "/etc/fstab";
/// What mount(8) needs for `nfs` (mount.nfs).
pub const PACKAGES: [&str; 1] = ["nfs-common"];

/// Exit 0 only when the uncommented fstab lines whose mount point (second
/// field) is $2 are exactly one, equal to $1. Plain sh (`read`, field
/// splitting without globbing): no awk, which a minimal image may lack.
const HAS_LINE: &str = r#"want=$1 mp=$2 found=
[ -e /etc/fstab ] || exit 1
while IFS= read -r l || [ -n "$l" ]; do
  set -f; set -- $l; set +f
  case ${1-} in '#'*|'') continue ;; esac
  [ "${2-}" = "$mp" ] || continue
  [ "$l" = "$want" ] && [ -z "$found" ] || exit 1
  found=1
done < /etc/fstab
[ -n "$found" ]"#;

/// The mount point's lines dropped, every other line kept as it is, the
/// wanted one appended; written beside fstab, then renamed over it (never
/// a half-written fstab).
const REPLACE: &str = r#"want=$1 mp=$2 f=/etc/fstab t=/etc/fstab.phx-new
{ if [ -e "$f" ]; then
    while IFS= read -r l || [ -n "$l" ]; do
      set -f; set -- $l; set +f
      case ${1-} in '#'*|'') ;; *) [ "${2-}" = "$mp" ] && continue ;; esac
      printf '%s\n' "$l"
    done < "$f"
  fi
  printf '%s\n' "$want"; } > "$t" && chmod 0644 "$t" && mv -f "$t" "$f""#;

/// Each volume's steps, ids `<prefix>-<i>-…`.
pub fn plan(plan: &mut impl StepSink, prefix: &str, g: Guest, volumes: &[VmVolume]) {
    for (i, v) in volumes.iter().enumerate() {
        let id = |s: &str| format!("{prefix}-{i}-{s}");
        let mp = v.mount_point.as_str();
        let line = v.fstab_line();
        guest::command(
            plan,
            &id("dir"),
            g,
            argv(&["mkdir", "-p", mp]),
            Some(argv(&["test", "-d", mp])),
            &format!("make the mount point {mp}"),
        );
        let remount = id("remount");
        let done = argv(&["sh", "-c", HAS_LINE, "phx-fstab-has", &line, mp]);
        plan.push(
            id("fstab"),
            Action::GuestCommand(GuestCommandStep {
                guest: g,
                command: CommandStep {
                    argv: argv(&["sh", "-c", REPLACE, "phx-fstab-line", &line, mp]),
                    unless: Some(done),
                    only_if: None,
                    desc: format!("{FSTAB}: the one line for {mp}: {line}"),
                    // A share mounted from the old line is mounted again.
                    notify: vec![remount.clone()],
                    show_output: false,
                    timeout_s: None,
                },
            }),
        );
        guest::command(
            plan,
            &id("mount"),
            g,
            argv(&["mount", mp]),
            Some(argv(&["mountpoint", "-q", mp])),
            &format!("mount {mp} (its fstab line)"),
        );
        guest::handler(
            plan,
            &remount,
            g,
            &[
                "sh",
                "-c",
                r#"umount "$1" && mount "$1""#,
                "phx-remount",
                mp,
            ],
            Some(&["mountpoint", "-q", mp]),
        );
    }
}
