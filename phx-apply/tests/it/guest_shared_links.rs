//! Issue 21, item 6: a guest that can write the shared `/ssl` export plants
//! `root.crt -> /etc/shadow`. Under --root (with a stand-in shadow) neither
//! a from_guest step's compare and --diff nor a content_from trust push may
//! read the host file through the link: the step fails naming the link.

use crate::guest_support;

use guest_support::*;
use phx_apply::{apply, Options, Status};
use phx_plan::{Action, FromGuestStep, GuestFileStep};
use std::path::Path;

const SHADOW: &str = "root:$6$STAND-IN-HASH:19000:0:99999:7:::\n";
const TRUST: &str = "/usr/local/share/ca-certificates/root.crt";

fn opts(root: &Path) -> Options {
    Options {
        root: root.to_path_buf(),
        run_commands: true,
        diff: true,
        path: Some(pct_path()),
        ..Default::default()
    }
}

/// A host with a stand-in /etc/shadow, an export dir with a planted link
/// (and one whose directory is a link), CT 101 exporting its root cert and
/// CT 102 trusting it.
fn host() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc")).unwrap();
    std::fs::write(r.join("etc/shadow"), SHADOW).unwrap();
    std::fs::create_dir_all(r.join("mnt/pve/ssl")).unwrap();
    std::os::unix::fs::symlink("/etc/shadow", r.join("mnt/pve/ssl/root.crt")).unwrap();
    std::os::unix::fs::symlink("/etc", r.join("mnt/pve/ssl-dir")).unwrap();
    running_ct(r, 101);
    running_ct(r, 102);
    put(r, 101, "/ssl/root.crt", b"CERT\n", 0o644, 0, 0);
    put(r, 101, "/ssl/shadow", b"CERT\n", 0o644, 0, 0);
    std::fs::create_dir_all(in_ct(r, 102, "/usr/local/share/ca-certificates")).unwrap();
    root
}

fn from_guest(from: &str, to: &str) -> Action {
    Action::FromGuest(FromGuestStep {
        guest: 101.into(),
        from: from.into(),
        path: to.into(),
        mode: Some("0644".into()),
        ..Default::default()
    })
}

#[test]
fn from_guest_never_reads_the_host_through_a_planted_link() {
    let root = host();
    let r = root.path();
    for (from, to, link) in [
        (
            "/ssl/root.crt",
            "/mnt/pve/ssl/root.crt",
            "/mnt/pve/ssl/root.crt",
        ),
        ("/ssl/shadow", "/mnt/pve/ssl-dir/shadow", "/mnt/pve/ssl-dir"),
    ] {
        let report = apply(&plan(vec![from_guest(from, to)]), &opts(r)).unwrap();
        let o = &report.outcomes[0];
        assert_eq!(o.status, Status::Failed, "{o:?}");
        assert!(
            o.detail
                .contains(&format!("{link} is a symbolic link (to /etc")),
            "{}",
            o.detail
        );
        let shown = format!("{o:?}");
        assert!(!shown.contains("STAND-IN-HASH"), "{shown}");
    }
    assert_eq!(
        std::fs::read_to_string(r.join("etc/shadow")).unwrap(),
        SHADOW
    );
}

#[test]
fn a_trust_push_never_reads_the_host_through_a_planted_link() {
    let root = host();
    let r = root.path();
    for src in ["/mnt/pve/ssl/root.crt", "/mnt/pve/ssl-dir/shadow"] {
        let step = Action::GuestFile(GuestFileStep {
            guest: 102.into(),
            path: TRUST.into(),
            content_from: Some(src.into()),
            mode: Some("0644".into()),
            ..Default::default()
        });
        let report = apply(&plan(vec![step]), &opts(r)).unwrap();
        let o = &report.outcomes[0];
        assert_eq!(o.status, Status::Failed, "{o:?}");
        assert!(o.detail.contains("is a symbolic link"), "{}", o.detail);
        assert!(!format!("{o:?}").contains("STAND-IN-HASH"));
        assert!(!in_ct(r, 102, TRUST).exists(), "nothing pushed into CT 102");
    }
}
