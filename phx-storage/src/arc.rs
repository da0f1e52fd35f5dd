//! The ARC's upper limit: `options zfs zfs_arc_max=<bytes>` in
//! /etc/modprobe.d/zfs.conf for every later module load, and the running
//! module's value when it differs.

use crate::observe::{ARC_LIVE, MODPROBE_CONF};
use crate::Observed;
use phx_common::config::Inventory;
use phx_plan::{argv, Action, CommandStep, FileStep, LinesStep};

const OPTION: &str = "options zfs zfs_arc_max=";

pub fn plan(inv: &Inventory, seen: &Observed, notes: &mut Vec<String>) -> Vec<(String, Action)> {
    let Some(gb) = inv.host.zfs_arc_max_gb else {
        return Vec::new();
    };
    let bytes = (gb << 30).to_string();
    let line = format!("{OPTION}{bytes}");
    let mut steps = Vec::new();
    let conf = match &seen.modprobe_conf {
        // The file may hold other zfs options (zfs_arc_min…): only the
        // zfs_arc_max line is Phoenix's.
        Some(_) => Action::Lines(LinesStep {
            path: MODPROBE_CONF.into(),
            lines: vec![line.clone()],
            owned: vec![OPTION.into()],
            ..Default::default()
        }),
        None => Action::File(FileStep {
            path: MODPROBE_CONF.into(),
            content: format!("{line}\n"),
            mode: Some("0644".into()),
            ..Default::default()
        }),
    };
    if !seen
        .modprobe_conf
        .as_deref()
        .is_some_and(|t| t.lines().any(|l| l == line))
    {
        notes.push(format!(
            "{MODPROBE_CONF} changes: if the root file system is on ZFS, run `update-initramfs -u -k all` for the limit to hold from boot"
        ));
    }
    steps.push(("storage:arc:modprobe".to_string(), conf));
    match seen.arc_live {
        Some(live) if live.to_string() == bytes => {}
        Some(live) => {
            // PHX_ROOT: phx-apply sets it to --root when that is not `/`,
            // so a test tree's stand-in for /sys is written, never the host's.
            let target = format!("\"${{PHX_ROOT:-}}{ARC_LIVE}\"");
            steps.push((
                "storage:arc:live".to_string(),
                Action::Command(CommandStep {
                    show_output: false,
                    argv: argv(&["sh", "-c", &format!("echo {bytes} > {target}")]),
                    unless: Some(argv(&[
                        "sh",
                        "-c",
                        &format!("[ \"$(cat {target})\" = {bytes} ]"),
                    ])),
                    only_if: None,
                    desc: format!(
                        "ARC limit of the running module: {live} -> {bytes} bytes ({gb} GiB)"
                    ),
                    notify: vec![],
                    timeout_s: None,
                }),
            ));
        }
        None => notes.push(format!(
            "the zfs module is not loaded ({ARC_LIVE} is absent): the limit applies when it loads"
        )),
    }
    steps
}
