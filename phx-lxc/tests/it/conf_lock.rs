//! A container's conf is written as pct itself writes it: holding the CT's
//! config lock (/run/lock/lxc/pve-config-<ctid>.lock, pve-container
//! src/PVE/LXC/Config.pm:53 config_file_lock; pve-guest-common
//! PVE/AbstractConfig.pm:329 lock_config), and never over a conf that carries
//! `lock:` (a backup, migration or snapshot in progress: check_lock).
//! Against the pct TEST DOUBLE and the real executor.

use crate::common;

use common::*;
use phx_apply::Status;
use phx_lxc::Options;
use phx_plan::Action;
use std::path::Path;
use std::time::{Duration, Instant};

const CT: u32 = 111;
const RAW: &str = "lxc.apparmor.profile: unconfined\n";

/// The example converged, then CT 111's raw line removed by hand, so the
/// next plan writes its conf; `extra` goes into its main section too.
fn drifted(extra: &str) -> (tempfile::TempDir, phx_common::config::Inventory) {
    let root = tempfile::tempdir().unwrap();
    let inv = converge(&example_dir(), root.path());
    let path = root.path().join(format!("etc/pve/lxc/{CT}.conf"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(RAW), "{text}");
    std::fs::write(&path, format!("{extra}{}", text.replace(RAW, ""))).unwrap();
    (root, inv)
}

fn conf_step(root: &Path, inv: &phx_common::config::Inventory) -> Vec<phx_plan::Step> {
    let p = plan(inv, root, Options::default());
    let steps: Vec<_> = p
        .plan
        .steps
        .into_iter()
        .filter(|s| s.id == format!("lxc:{CT}:conf"))
        .collect();
    assert_eq!(steps.len(), 1);
    match &steps[0].action {
        Action::File(f) => {
            let lock = f.conf_lock.as_ref().expect("the step names the lock");
            assert_eq!(
                lock.lock_file,
                format!("/run/lock/lxc/pve-config-{CT}.lock")
            );
        }
        other => panic!("{other:?}"),
    }
    steps
}

#[test]
fn a_conf_carrying_lock_is_not_written_and_the_step_names_the_lock() {
    let (root, inv) = drifted("lock: backup\n");
    let p = plan(&inv, root.path(), Options::default());
    assert!(
        p.notes
            .iter()
            .any(|n| n.contains(&format!("CT {CT} is locked (backup)"))),
        "{:?}",
        p.notes
    );
    let before = conf_text(root.path(), CT);
    let report = phx_apply::apply(
        &conf_step(root.path(), &inv),
        &apply_opts(root.path(), pct_path().clone()),
    )
    .unwrap();
    let failed = report.failed().expect("the write is refused");
    assert_eq!(failed.status, Status::Failed);
    assert!(
        failed
            .detail
            .contains(&format!("CT {CT} is locked (backup)")),
        "{}",
        failed.detail
    );
    assert_eq!(conf_text(root.path(), CT), before, "nothing written");
}

/// While another holder has the CT's lock the write waits for it, as pct
/// does, and goes on once it is released.
#[test]
fn the_write_waits_for_the_cts_config_lock() {
    let (root, inv) = drifted("");
    let steps = conf_step(root.path(), &inv);
    let lock_path = root
        .path()
        .join(format!("run/lock/lxc/pve-config-{CT}.lock"));
    std::fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&lock_path)
        .unwrap();
    let held = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive).unwrap();
    let hold = Duration::from_millis(1500);
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(hold);
        drop(held);
    });
    let started = Instant::now();
    let report = phx_apply::apply(&steps, &apply_opts(root.path(), pct_path().clone())).unwrap();
    let waited = started.elapsed();
    releaser.join().unwrap();
    assert!(report.failed().is_none(), "{:?}", report.outcomes);
    assert!(waited >= hold - Duration::from_millis(100), "{waited:?}");
    assert!(conf_text(root.path(), CT).contains(RAW));
}
