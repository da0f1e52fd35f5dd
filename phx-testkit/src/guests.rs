//! What the guest tools' tests (phx-lxc, phx-vm) share: the host a guest
//! inventory expects, a plan applied against the doubles, and what the
//! doubles logged.

use phx_apply::{apply, Report};
use phx_common::config::Inventory;
use phx_common::guests::Planned;
use phx_plan::{Action, Step};
use std::ffi::OsString;
use std::path::Path;

/// Creates the host directories the inventory's containers bind-mount, as
/// the host has them.
pub fn make_bind_sources(inv: &Inventory, root: &Path) {
    for c in inv.lxcs.values() {
        for b in phx_common::bind_sources::of(&inv.host, c) {
            std::fs::create_dir_all(root.join(b.host_path.trim_start_matches('/'))).unwrap();
        }
    }
}

/// What a fresh Proxmox VE install's storage.cfg holds (as the pvesm
/// double starts from).
pub const FRESH_STORAGE_CFG: &str = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\n";

/// A fresh install's storage.cfg and the JSON's storage datasets in
/// `root`'s `etc/pve/storage.cfg`, as
/// `phoenix-cli setup storage` registers them before the guests (a
/// zfspool, or a directory at the dataset's mount), when the file does not
/// exist yet: the pct double names volumes by their storage's type; and
/// the container templates that storage fetches, in place (the pct double's
/// `create` needs the file on a storage storage.cfg lists).
pub fn register_datasets(inv: &Inventory, root: &Path) {
    put_templates(inv, root);
    let cfg = root.join("etc/pve/storage.cfg");
    if cfg.exists() {
        return;
    }
    let mut text = FRESH_STORAGE_CFG.to_string();
    for d in &inv.host.zfs_datasets {
        let Some(kind) = d.storage_type.as_deref() else {
            continue;
        };
        let place = match kind {
            "zfspool" => format!("\tpool {}/{}\n", d.pool, d.name),
            _ => format!("\tpath {}\n", d.mount_dir()),
        };
        text.push_str(&format!(
            "{kind}: {}\n{place}\tcontent {}\n\n",
            d.storage_id(),
            d.content.join(",")
        ));
    }
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(cfg, text).unwrap();
}

/// A stand-in file for every template phx-storage would fetch
/// (`phx_common::fetch::templates`), where it would put it.
pub fn put_templates(inv: &Inventory, root: &Path) {
    for (t, _) in phx_common::fetch::templates(inv).values() {
        let path = root.join(
            t.path()
                .expect("fetched templates have a directory")
                .trim_start_matches('/'),
        );
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "template stand-in\n").unwrap();
    }
}

/// Applies `steps` into `root` with the doubles on `path`; a failed step fails the test.
pub fn apply_ok(steps: &[Step], root: &Path, path: &OsString) -> Report {
    let report = apply(steps, &crate::apply_opts(root, path.clone())).unwrap();
    if let Some(f) = report.failed() {
        panic!("step {} failed: {}", f.id, f.detail);
    }
    report
}

/// The argv of a command step.
pub fn argv_of(s: &Step) -> Option<&[String]> {
    match &s.action {
        Action::Command(c) => Some(&c.argv),
        _ => None,
    }
}

/// The argv of every command step, in plan order.
pub fn argvs(planned: &Planned) -> Vec<Vec<String>> {
    planned
        .plan
        .steps
        .iter()
        .filter_map(|s| argv_of(s).map(<[String]>::to_vec))
        .collect()
}

/// The calls double `prog` (`pct`, `qm`) logged under `root`.
pub fn double_log(root: &Path, prog: &str) -> Vec<String> {
    std::fs::read_to_string(root.join(format!("{prog}.log")))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The logged calls that change something (all but list/status/config/listsnapshot).
pub fn mutating(log: &[String]) -> Vec<String> {
    log.iter()
        .filter(|l| {
            let verb = l.split_whitespace().nth(1).unwrap_or("");
            !["list", "status", "config", "listsnapshot"].contains(&verb)
        })
        .cloned()
        .collect()
}
