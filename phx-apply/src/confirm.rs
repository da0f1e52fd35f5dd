//! Commit confirmed, as network operating systems do it: before a
//! lockout-prone handler (a bridge reload, a firewall restart) runs on a host
//! reached over SSH, a transient systemd timer is armed that rolls the run
//! back after N seconds (`systemd-run --on-active=Ns --unit
//! phoenix-rollback-<run> phx-apply --rollback <run> --if-armed`). If the
//! change cut the operator off, the timer undoes it and re-runs the
//! handlers; if not, `phx-apply --confirm` (`phoenix-cli confirm`) disarms it.
//!
//! Every armed run has its own file in `<state>/armed/`, so a confirm
//! disarms all of them, not only the latest. The file is what arms: the
//! timer's rollback (`--if-armed`) does nothing once it is gone, so a
//! confirm holds even when stopping a timer fails.

use crate::atomic::{commit, write_temp, Mode};
use crate::manifest::{self, Entry};
use crate::{run, Options, Run};
use anyhow::Context;
use std::path::{Path, PathBuf};

pub use phx_plan::armed::{ARMED_DIR, LEGACY_ARMED};

pub fn unit_of(run_id: &str) -> String {
    format!("phoenix-rollback-{run_id}")
}

fn armed_file(opts: &Options, run_id: &str) -> anyhow::Result<PathBuf> {
    Ok(opts.state_dir()?.join(ARMED_DIR).join(run_id))
}

impl Run<'_> {
    /// A handler about to run is written to the manifest of every run it
    /// rolls back with (this run's, and an earlier one's that owes it), so
    /// a rollback re-runs it once the old files are back.
    pub(crate) fn record_handler(
        &mut self,
        on: Option<phx_plan::Guest>,
        argv: &[String],
        runs: &[String],
    ) -> anyhow::Result<()> {
        for run_id in runs {
            let dir = self.opts.state_dir()?.join("backups").join(run_id);
            let argv = argv.to_vec();
            let entry = match on {
                Some(phx_plan::Guest::Vm(vmid)) => Entry::GuestHandler { vmid, argv },
                // A container's handler is host argv (`pct exec …`) already.
                _ => Entry::Handler { argv },
            };
            manifest::append(&dir, &entry)?;
        }
        Ok(())
    }

    /// Arms the automatic rollback of each run in `runs` (this one, or an
    /// earlier one whose change the handler is owed for) that has a backup
    /// and is not armed yet. `Ok(None)`: no run to roll back.
    pub(crate) fn arm(&mut self, seconds: u64, runs: &[String]) -> anyhow::Result<Option<String>> {
        let mut units = Vec::new();
        for run_id in runs {
            if self.armed_runs.contains(run_id) {
                units.push(unit_of(run_id));
                continue;
            }
            let dir = self.opts.state_dir()?.join("backups").join(run_id);
            if !dir.is_dir() {
                continue;
            }
            if !is_armed(self.opts, run_id)? {
                self.arm_one(seconds, run_id, &dir)?;
            }
            self.armed_runs.insert(run_id.clone());
            units.push(unit_of(run_id));
        }
        if units.is_empty() {
            return Ok(None);
        }
        let note = format!(
            "automatic rollback armed ({}, in {seconds} s): confirm with `phoenix-cli confirm` (phx-apply --confirm)",
            units.join(", ")
        );
        self.armed = Some(note.clone());
        Ok(Some(note))
    }

    fn arm_one(&self, seconds: u64, run_id: &str, dir: &Path) -> anyhow::Result<()> {
        let exe = self
            .opts
            .self_exe
            .clone()
            .unwrap_or_else(|| PathBuf::from("phx-apply"));
        let mut argv = vec![
            "systemd-run".to_string(),
            format!("--on-active={seconds}s"),
            "--unit".into(),
            unit_of(run_id),
            exe.to_string_lossy().into_owned(),
            "--rollback".into(),
            dir.to_string_lossy().into_owned(),
            "--if-armed".into(),
        ];
        if !self.opts.live() {
            argv.push("--root".into());
            argv.push(self.opts.root.to_string_lossy().into_owned());
            if self.opts.run_commands {
                argv.push("--run-commands".into());
            }
        }
        // Armed on disk first: the timer's rollback checks this file.
        let state = armed_file(self.opts, run_id)?;
        let tmp = write_temp(
            &state,
            format!("{}\n", unit_of(run_id)).as_bytes(),
            Mode::Exact(0o600),
        )?;
        commit(&tmp, &state)?;
        let ran = run::run(&argv, self.opts);
        if !ran.as_ref().is_ok_and(|r| r.ok()) {
            // Nothing armed: nothing for --confirm to disarm.
            let _ = std::fs::remove_file(&state);
        }
        match ran {
            Ok(r) if r.ok() => Ok(()),
            Ok(r) => anyhow::bail!(
                "could not arm the automatic rollback ({} exited {:?}: {}); the handler was not run",
                run::show(&argv),
                r.code,
                r.output().trim_start()
            ),
            Err(e) => anyhow::bail!(
                "could not arm the automatic rollback ({}: {e}); the handler was not run",
                run::show(&argv)
            ),
        }
    }
}

/// Whether `run_id`'s automatic rollback is armed (not confirmed, not done).
pub fn is_armed(opts: &Options, run_id: &str) -> anyhow::Result<bool> {
    if armed_file(opts, run_id)?.exists() {
        return Ok(true);
    }
    Ok(legacy_armed(opts)?.as_deref() == Some(run_id))
}

fn legacy_armed(opts: &Options) -> anyhow::Result<Option<String>> {
    let state = opts.state_dir()?;
    phx_plan::armed::legacy_armed(&state)
        .with_context(|| format!("reading {}", state.join(LEGACY_ARMED).display()))
}

/// Every armed run, oldest first.
pub fn armed_runs(opts: &Options) -> anyhow::Result<Vec<String>> {
    let state = opts.state_dir()?;
    phx_plan::armed::armed_runs(&state)
        .with_context(|| format!("reading {}", state.join(ARMED_DIR).display()))
}

/// `phx-apply --confirm`: disarms every armed rollback. What it did.
pub fn confirm(opts: &Options) -> anyhow::Result<String> {
    let runs = armed_runs(opts)?;
    if runs.is_empty() {
        return Ok("no automatic rollback is armed; nothing to confirm".into());
    }
    let mut lines = Vec::new();
    for run_id in &runs {
        // Disarmed by this alone: the timer's rollback finds it gone.
        disarmed(opts, run_id)?;
        let unit = unit_of(run_id);
        let argv = vec![
            "systemctl".to_string(),
            "stop".into(),
            format!("{unit}.timer"),
        ];
        match run::run(&argv, opts) {
            Ok(r) if r.ok() => lines.push(format!("confirmed: {unit} disarmed; run {run_id} stays")),
            Ok(r) => lines.push(format!(
                "confirmed: run {run_id} stays; {} exited {:?} ({}), so its timer may still fire, and will find the run confirmed and do nothing",
                run::show(&argv),
                r.code,
                r.output().trim_start()
            )),
            Err(e) => lines.push(format!(
                "confirmed: run {run_id} stays; {}: {e}, so its timer may still fire, and will find the run confirmed and do nothing",
                run::show(&argv)
            )),
        }
    }
    Ok(lines.join("\n"))
}

/// Forgets the armed rollback of `run_id` (confirmed, or carried out).
pub fn disarmed(opts: &Options, run_id: &str) -> anyhow::Result<()> {
    let file = armed_file(opts, run_id)?;
    match std::fs::remove_file(&file) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("removing {}", file.display()))
        }
        _ => {}
    }
    if legacy_armed(opts)?.as_deref() == Some(run_id) {
        let legacy = opts.state_dir()?.join(LEGACY_ARMED);
        std::fs::remove_file(&legacy).with_context(|| format!("removing {}", legacy.display()))?;
    }
    Ok(())
}
