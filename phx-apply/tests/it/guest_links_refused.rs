//! A guest file that is a symlink is not written over: its in-guest backup
//! would have followed the link, and the write would have replaced the link
//! by a regular file that a rollback could not turn back into the link.

use crate::guest_support;

use guest_support::*;
use phx_apply::{apply, Options, Status};
use phx_plan::{Action, GuestFileStep};

const CT: u32 = 101;

#[test]
fn a_guest_file_that_is_a_symlink_fails_its_step_naming_the_link() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running_ct(r, CT);
    put(r, CT, "/etc/app/real.conf", b"real\n", 0o644, 0, 0);
    let link = in_ct(r, CT, "/etc/app/app.conf");
    std::os::unix::fs::symlink("real.conf", &link).unwrap();
    let steps = plan(vec![Action::GuestFile(GuestFileStep {
        guest: CT.into(),
        path: "/etc/app/app.conf".into(),
        content: Some("new\n".into()),
        ..Default::default()
    })]);
    let opts = Options {
        root: r.to_path_buf(),
        run_commands: true,
        path: Some(pct_path()),
        ..Default::default()
    };
    let report = apply(&steps, &opts).unwrap();
    let o = &report.outcomes[0];
    assert_eq!(o.status, Status::Failed, "{o:?}");
    assert!(
        o.detail.contains("/etc/app/app.conf is a symbolic link"),
        "{}",
        o.detail
    );
    let still = std::fs::symlink_metadata(&link).unwrap();
    assert!(still.file_type().is_symlink(), "the link is left as it was");
    assert_eq!(stat(r, CT, "/etc/app/real.conf").0, b"real\n");
}
