//! `PHX_THREADS=1` (everything on one thread, no writer thread) plans the
//! same bytes as two threads: on a generated estate large enough that every
//! side-by-side site of phx-lxc works on both (the loader's files, the
//! cross checks, the desired states made ahead, the writer's batches).

use crate::common::*;
use assert_cmd::Command;
use std::path::Path;

fn planned(cfg: &Path, root: &Path, threads: &str) -> std::process::Output {
    Command::cargo_bin("phx-lxc")
        .unwrap()
        .env("PATH", pct_path())
        .env("PHX_THREADS", threads)
        .arg("--config-dir")
        .arg(cfg)
        .arg("--state-root")
        .arg(root)
        .output()
        .unwrap()
}

#[test]
fn one_thread_plans_the_same_bytes_as_two() {
    let cfg = tempfile::tempdir().unwrap();
    phx_bench::write(cfg.path(), phx_bench::Spec::new(1000)).unwrap();
    let root = tempfile::tempdir().unwrap();
    make_bind_sources(&load_dir(cfg.path()), root.path());
    let two = planned(cfg.path(), root.path(), "2");
    assert!(
        two.status.success(),
        "{}",
        String::from_utf8_lossy(&two.stderr)
    );
    // Hundreds of guests: many batches of the writer and of the desired states.
    assert!(two.stdout.split(|b| *b == b'\n').count() > 2000);
    let one = planned(cfg.path(), root.path(), "1");
    assert_eq!(one.status.code(), two.status.code());
    assert!(
        one.stdout == two.stdout,
        "PHX_THREADS=1 planned other bytes"
    );
}

#[test]
fn a_thread_count_that_is_not_one_is_warned_about_and_plans_as_always() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    make_bind_sources(&load_dir(cfg.path()), root.path());
    let good = planned(cfg.path(), root.path(), "");
    let bad = planned(cfg.path(), root.path(), "none");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("PHX_THREADS=\"none\": expected a whole number of threads"),
        "{stderr}"
    );
    assert_eq!(bad.status.code(), good.status.code());
    assert!(bad.stdout == good.stdout);
}
