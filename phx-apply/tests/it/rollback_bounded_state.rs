//! A rollback looks at each target before restoring it; a from_guest target
//! is guest-writable, so that look is bounded, never blocks and never follows
//! a link. What it cannot read is kept, as a changed file is.

use phx_apply::apply;
use phx_plan::*;

use crate::common;
use common::{opts, step};

fn run_writing(root: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/a"), "before\n").unwrap();
    let r = apply(
        &[step(
            "a",
            Action::File(FileStep {
                path: "/etc/a".into(),
                content: "run\n".into(),
                ..Default::default()
            }),
        )],
        &opts(root),
    )
    .unwrap();
    r.backup_dir.unwrap()
}

#[test]
fn an_oversized_target_is_kept_unread() {
    let root = tempfile::tempdir().unwrap();
    let backup = run_writing(root.path());
    // Sparse: 1 TiB said, nothing stored. An unbounded read would try to
    // hold it all (and abort or run for hours).
    let p = root.path().join("etc/a");
    std::fs::remove_file(&p).unwrap();
    std::fs::File::create(&p).unwrap().set_len(1 << 40).unwrap();
    let done = phx_apply::rollback::rollback(root.path(), &backup).unwrap();
    assert_eq!(done.kept, ["/etc/a"]);
    assert_eq!(
        std::fs::metadata(&p).unwrap().len(),
        1 << 40,
        "not restored over"
    );
}

#[test]
fn a_fifo_target_is_kept_without_blocking() {
    let root = tempfile::tempdir().unwrap();
    let backup = run_writing(root.path());
    let p = root.path().join("etc/a");
    std::fs::remove_file(&p).unwrap();
    nix::unistd::mkfifo(&p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let done = phx_apply::rollback::rollback(root.path(), &backup).unwrap();
    assert_eq!(done.kept, ["/etc/a"]);
}
