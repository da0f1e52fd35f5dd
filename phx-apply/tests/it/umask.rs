//! Each test runs alone in a child process (`alone`): the umask is
//! process-wide, and other tests create files concurrently.

use phx_apply::apply;
use phx_plan::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use crate::common;
use common::{opts, step};

#[test]
fn edits_keep_the_files_mode_and_owner_whatever_the_umask() {
    if !crate::alone::alone("umask::edits_keep_the_files_mode_and_owner_whatever_the_umask") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    let hosts = root.path().join("etc/hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
    std::fs::set_permissions(&hosts, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Only root can give a file away; elsewhere the mode half is still tested.
    let as_root = nix::unistd::geteuid().is_root();
    if as_root {
        nix::unistd::chown(
            &hosts,
            Some(nix::unistd::Uid::from_raw(4321)),
            Some(nix::unistd::Gid::from_raw(4321)),
        )
        .unwrap();
    }
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let r = apply(
        &[step(
            "b",
            Action::Block(BlockStep {
                path: "/etc/hosts".into(),
                marker: "m".into(),
                content: "10.0.0.1 a\n".into(),
                notify: vec![],
            }),
        )],
        &opts(root.path()),
    );
    nix::sys::stat::umask(old);
    assert_eq!(r.unwrap().changed(), 1);
    let meta = std::fs::metadata(&hosts).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    if as_root {
        assert_eq!((meta.uid(), meta.gid()), (4321, 4321));
    }
}

#[test]
fn rollback_restores_the_mode_whatever_the_umask() {
    if !crate::alone::alone("umask::rollback_restores_the_mode_whatever_the_umask") {
        return;
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("etc")).unwrap();
    let resolv = root.path().join("etc/resolv.conf");
    std::fs::write(&resolv, "nameserver 10.0.0.1\n").unwrap();
    std::fs::set_permissions(&resolv, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = apply(
        &[step(
            "f",
            Action::File(FileStep {
                path: "/etc/resolv.conf".into(),
                content: "nameserver 127.0.0.1\n".into(),
                ..Default::default()
            }),
        )],
        &opts(root.path()),
    )
    .unwrap();
    let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o077));
    let done = phx_apply::rollback::rollback(root.path(), &r.backup_dir.unwrap());
    nix::sys::stat::umask(old);
    done.unwrap();
    assert_eq!(
        std::fs::read_to_string(&resolv).unwrap(),
        "nameserver 10.0.0.1\n"
    );
    assert_eq!(
        std::fs::metadata(&resolv).unwrap().permissions().mode() & 0o777,
        0o644
    );
}
