//! Commit confirmed, as network operating systems do it: before a
//! lockout-prone handler (a bridge reload, a firewall restart) runs on a host
//! reached over SSH, a transient systemd timer is armed that rolls this run
//! back after N seconds (`systemd-run --on-active=Ns --unit
//! phoenix-rollback-<run> phx-apply --rollback <run>`). If the change cut
//! the operator off, the timer undoes it and re-runs the handlers; if not,
//! `phx-apply --confirm` (`phoenix-cli confirm`) disarms it.

use crate::atomic::{commit, write_temp, Mode};
use crate::manifest::{self, Entry};
use crate::{run, Options, Run};
use anyhow::Context;
use std::path::PathBuf;

/// The run whose rollback is armed, in the state directory.
pub const ARMED: &str = "armed-rollback";

pub fn unit_of(run_id: &str) -> String {
    format!("phoenix-rollback-{run_id}")
}

impl Run<'_> {
    /// A handler about to run is written to the manifest, so a rollback of
    /// this run re-runs it once the old files are back.
    pub(crate) fn record_handler(&mut self, argv: &[String]) -> anyhow::Result<()> {
        match &self.backup_dir {
            Some(dir) => manifest::append(
                dir,
                &Entry::Handler {
                    argv: argv.to_vec(),
                },
            ),
            None => Ok(()),
        }
    }

    /// Arms the automatic rollback once per run. `Ok(None)`: nothing of this
    /// run to roll back (the handler was owed by an earlier run).
    pub(crate) fn arm(&mut self, seconds: u64) -> anyhow::Result<Option<String>> {
        if let Some(note) = &self.armed {
            return Ok(Some(note.clone()));
        }
        let Some(dir) = self.backup_dir.clone() else {
            return Ok(None);
        };
        let unit = unit_of(&self.run_id);
        let exe = self
            .opts
            .self_exe
            .clone()
            .unwrap_or_else(|| PathBuf::from("phx-apply"));
        let mut argv = vec![
            "systemd-run".to_string(),
            format!("--on-active={seconds}s"),
            "--unit".into(),
            unit.clone(),
            exe.to_string_lossy().into_owned(),
            "--rollback".into(),
            dir.to_string_lossy().into_owned(),
        ];
        if !self.opts.live() {
            argv.push("--root".into());
            argv.push(self.opts.root.to_string_lossy().into_owned());
            if self.opts.run_commands {
                argv.push("--run-commands".into());
            }
        }
        let state = self.opts.state_dir()?.join(ARMED);
        let tmp = write_temp(
            &state,
            format!("{}\n", self.run_id).as_bytes(),
            Mode::Exact(0o600),
        )?;
        commit(&tmp, &state)?;
        let ran = run::run(&argv, self.opts);
        if !ran.as_ref().is_ok_and(|r| r.ok()) {
            // Nothing armed: nothing for --confirm to disarm.
            let _ = std::fs::remove_file(&state);
        }
        match ran {
            Ok(r) if r.ok() => {}
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
        let note = format!(
            "automatic rollback armed ({unit}, in {seconds} s): confirm with `phoenix-cli confirm` (phx-apply --confirm)"
        );
        self.armed = Some(note.clone());
        Ok(Some(note))
    }
}

/// `phx-apply --confirm`: disarms the armed rollback, if any. What it did.
pub fn confirm(opts: &Options) -> anyhow::Result<String> {
    let state = opts.state_dir()?.join(ARMED);
    let run_id = match std::fs::read_to_string(&state) {
        Ok(t) => t.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok("no automatic rollback is armed; nothing to confirm".into())
        }
        Err(e) => return Err(e).with_context(|| format!("reading {}", state.display())),
    };
    let unit = unit_of(&run_id);
    let argv = vec![
        "systemctl".to_string(),
        "stop".into(),
        format!("{unit}.timer"),
    ];
    let r = run::run(&argv, opts).with_context(|| run::show(&argv))?;
    if !r.ok() {
        anyhow::bail!(
            "{} exited {:?}: {}; the rollback may still fire",
            run::show(&argv),
            r.code,
            r.output().trim_start()
        );
    }
    disarmed(opts, &run_id)?;
    Ok(format!("confirmed: {unit} disarmed; run {run_id} stays"))
}

/// Forgets the armed rollback of `run_id` (confirmed, or carried out).
pub fn disarmed(opts: &Options, run_id: &str) -> anyhow::Result<()> {
    let state = opts.state_dir()?.join(ARMED);
    match std::fs::read_to_string(&state) {
        Ok(t) if t.trim() == run_id => {
            std::fs::remove_file(&state).with_context(|| format!("removing {}", state.display()))
        }
        _ => Ok(()),
    }
}
