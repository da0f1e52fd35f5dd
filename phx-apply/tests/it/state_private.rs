//! The state directory, backups and manifests hold digests of secrets and
//! copies of files others may not read: 0700 / 0600 exactly, whatever the
//! umask. It runs alone in a child process (`alone`): the umask is
//! process-wide.

use phx_apply::apply;
use phx_plan::*;
use std::os::unix::fs::PermissionsExt;

use crate::common;
use common::{opts, step};

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn state_backups_and_manifest_are_private_whatever_the_umask() {
    if !crate::alone::alone(
        "state_private::state_backups_and_manifest_are_private_whatever_the_umask",
    ) {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    std::fs::write(root.path().join("etc/a"), "old\n").unwrap();
    // An older version left the state directory world-readable.
    let state = root.path().join("var/lib/phoenix");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o000));
    let r = apply(
        &[step(
            "a",
            Action::File(FileStep {
                path: "/etc/a".into(),
                content: "new\n".into(),
                ..Default::default()
            }),
        )],
        &opts(root.path()),
    );
    nix::sys::stat::umask(old);
    let run = r.unwrap().backup_dir.expect("a backup was made");
    assert_eq!(mode(&state), 0o700, "state directory");
    assert_eq!(mode(&state.join("backups")), 0o700, "backups/");
    assert_eq!(mode(&run), 0o700, "backups/<run>");
    assert_eq!(
        mode(&run.join(phx_apply::manifest::MANIFEST)),
        0o600,
        "manifest"
    );
    // The directories above are the host's, not the executor's.
    assert_eq!(mode(&root.path().join("var/lib")), 0o755);
}
