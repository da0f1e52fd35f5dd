//! File steps: whole files, managed blocks, lines, removals and secrets.
//! Each compares first, so an equal file is never rewritten.

use crate::atomic::{write_temp, Mode};
use crate::conf_lock::ConfAccess;
use crate::meta::{keep_metadata, metadata_drift, parse_mode, set_metadata};
use crate::outcome::{outcome, Outcome, Status};
use crate::{diff, run, Current, Run};
use anyhow::Context;
use phx_plan::edit as files;
use phx_plan::{BlockStep, FileStep, LinesStep, Step};
use std::path::Path;

impl Run<'_> {
    pub(crate) fn block(&mut self, step: &Step, b: &BlockStep) -> anyhow::Result<Outcome> {
        let cur = self.read(&b.path)?;
        match files::with_block(cur.as_deref(), &b.marker, &b.content) {
            Ok(new) => self.converge_text(step, &b.path, Current::from(cur), new, None),
            Err(e) => Ok(outcome(step, Status::Failed, format!("{}: {e}", b.path))),
        }
    }

    pub(crate) fn lines(&mut self, step: &Step, l: &LinesStep) -> anyhow::Result<Outcome> {
        let _held = match self.conf_access(step, &l.path, l.conf_lock.as_ref())? {
            ConfAccess::Free(held) => held,
            ConfAccess::Locked(o) => return Ok(o),
        };
        match self.read(&l.path)? {
            Some(cur) => {
                let new = files::with_lines(&cur, &l.lines, &l.owned, l.stop_at.as_deref());
                self.converge_text(step, &l.path, Current::Text(cur), new, None)
            }
            // The file is made by an earlier command (e.g. `pct create`) that
            // this preview or check did not run.
            None if self.opts.check || !self.opts.may_run() => Ok(outcome(
                step,
                Status::Skipped,
                format!("{} does not exist (yet); nothing to edit", l.path),
            )),
            None => Ok(outcome(
                step,
                Status::Failed,
                format!("{} does not exist; cannot add lines to it", l.path),
            )),
        }
    }

    pub(crate) fn file(&mut self, step: &Step, f: &FileStep) -> anyhow::Result<Outcome> {
        let mode = f.mode.as_deref().map(parse_mode).transpose()?;
        let _held = match self.conf_access(step, &f.path, f.conf_lock.as_ref())? {
            ConfAccess::Free(held) => held,
            ConfAccess::Locked(o) => return Ok(o),
        };
        // The size first: a file of another size is not read as text,
        // unless its text is needed (a secret kept over it); a diff shows its
        // bytes, so --check --diff and the run agree on a file that is not
        // text.
        let by_size = f.secret_from.is_none().then_some(f.content.len());
        let (real, cur, meta) = self.current(&f.path, by_size)?;
        // Over the current text: a crypt it holds of the same secret is kept.
        let content = match &f.secret_from {
            None => f.content.clone(),
            Some(r) => match self.secrets.fill_over(&f.content, r, cur.text()) {
                Ok(c) => c,
                Err(why) => return Ok(outcome(step, Status::Failed, format!("{}: {why}", f.path))),
            },
        };
        let mut out = self.converge_text(step, &f.path, cur, content, Some((f, mode)))?;
        if out.status == Status::Ok {
            // Content is right; metadata may still drift. What `fstat` said
            // of the file just read is what is compared.
            let meta = match meta {
                Some(m) => m,
                None => std::fs::metadata(&real)?,
            };
            if let Some(fix) = metadata_drift(&meta, mode, f)? {
                if !self.opts.check {
                    self.owe(step.action.notify())?;
                    set_metadata(&real, mode, f)?;
                }
                out.status = Status::Changed;
                out.detail = format!("{}: {fix}", f.path);
            }
        }
        Ok(out)
    }

    /// Compares, diffs, validates, backs up and writes one file. `file` is the
    /// whole-file step with its parsed mode; block and lines edits pass `None`
    /// and keep the existing file's mode and ownership.
    pub(crate) fn converge_text(
        &mut self,
        step: &Step,
        path: &str,
        cur: Current,
        new: String,
        file: Option<(&FileStep, Option<u32>)>,
    ) -> anyhow::Result<Outcome> {
        if cur.text() == Some(new.as_str()) {
            return Ok(outcome(step, Status::Ok, path));
        }
        let secret = file.is_some_and(|(f, _)| f.secret);
        let mut o = outcome(
            step,
            Status::Changed,
            format!("{path}{}", if cur.exists() { "" } else { " (new)" }),
        );
        if self.opts.diff {
            o.diff = Some(if secret {
                diff::host_secret(path, cur.exists())
            } else {
                diff::host(path, cur.shown(), Some(&new))
            });
        }
        if self.opts.check {
            return Ok(o);
        }
        let dest = self.dest(path)?;
        let real = self.real(path)?;
        // The temp file is born with its final mode: the step's, else the
        // old file's (an edit must not change who may read it).
        let old_mode = std::fs::metadata(&real)
            .ok()
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777);
        let mode = match file.and_then(|(_, m)| m).or(old_mode) {
            Some(m) => Mode::Exact(m),
            None => Mode::Default,
        };
        self.prepare_parent(path)?;
        let tmp = write_temp(&dest, new.as_bytes(), mode)
            .with_context(|| format!("writing temp file beside {}", dest.display()))?;
        // Then the old file's owner, unless the step names its own.
        let prepared = match file {
            Some((f, mode)) => {
                keep_metadata(&tmp, &real, false).and_then(|_| set_metadata(&tmp, mode, f))
            }
            None => keep_metadata(&tmp, &real, false),
        };
        if let Err(e) = prepared {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        if let Some((f, _)) = file.filter(|(f, _)| f.validate.is_some()) {
            let checked = self.validate(f, path, &tmp);
            if let Ok(Some(note)) = &checked {
                o.detail.push_str(&format!(" ({note})"));
            }
            if let Err(msg) = checked {
                let _ = std::fs::remove_file(&tmp);
                let msg = if secret {
                    "the validator's output is hidden: the file is secret".to_string()
                } else {
                    msg
                };
                o.status = Status::Failed;
                o.detail = format!("{path}: validation failed, the old file is kept: {msg}");
                return Ok(o);
            }
        }
        if cur.exists() {
            self.backup(path)?;
            self.record_wrote(path, Some(new.as_bytes()))?;
        } else {
            self.record_created_wrote(path, new.as_bytes())?;
        }
        if let Err(e) = self.owe(step.action.notify()) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        self.rename_into(&tmp, &dest)
            .with_context(|| format!("replacing {}", dest.display()))?;
        Ok(o)
    }

    /// `Ok(Some(note))`: the file could not be validated here, and why.
    pub(crate) fn validate(
        &self,
        step: &FileStep,
        path: &str,
        tmp: &Path,
    ) -> Result<Option<String>, String> {
        let argv = step.validate.as_deref().unwrap_or_default();
        if !self.opts.may_run() {
            // A validator is a command: under --root it runs only when
            // commands do. Said as it would run (or in the step's words):
            // the new file by the path it gets, the root filled in.
            let what = match &step.validate_desc {
                Some(desc) => desc.clone(),
                None => run::show(&self.fill(argv, &format!("<new {path}>"))),
            };
            return Ok(Some(format!(
                "not validated under --root without --run-commands: {what}"
            )));
        }
        let argv = self.fill(argv, &tmp.to_string_lossy());
        match run::run(&argv, self.opts) {
            Ok(r) if r.ok() => Ok(None),
            Ok(r) => Err(format!(
                "{} exited {:?}: {}",
                run::show(&argv),
                r.code,
                r.output().trim_start()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.opts.live() => {
                Ok(Some(format!(
                    "validator {} not found; not validated (preview root)",
                    argv[0]
                )))
            }
            Err(e) => Err(format!("{}: {e}", run::show(&argv))),
        }
    }

    /// `argv` with `%s` the new file (`file`) and `%r` the root prefix (""
    /// on the live host), so a validator reads the file's neighbours where
    /// they really are.
    fn fill(&self, argv: &[String], file: &str) -> Vec<String> {
        let prefix = if self.opts.live() {
            String::new()
        } else {
            self.opts
                .root
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string()
        };
        argv.iter()
            .map(|a| a.replace("%s", file).replace("%r", &prefix))
            .collect()
    }

    pub(crate) fn absent(
        &mut self,
        step: &Step,
        path: &str,
        secret: bool,
    ) -> anyhow::Result<Outcome> {
        let dest = self.dest(path)?;
        if std::fs::symlink_metadata(&dest).is_err() {
            return Ok(outcome(step, Status::Ok, format!("{path} (absent)")));
        }
        let mut o = outcome(step, Status::Changed, format!("{path} (removed)"));
        if self.opts.diff {
            o.diff = Some(if secret {
                diff::host_secret_removed(path)
            } else {
                let cur = self.read(path)?.unwrap_or_default();
                diff::host(path, Some(&cur), None)
            });
        }
        if !self.opts.check {
            self.backup(path)?;
            self.record_wrote(path, None)?;
            self.owe(step.action.notify())?;
            std::fs::remove_file(&dest).with_context(|| format!("removing {}", dest.display()))?;
        }
        Ok(o)
    }

    pub(crate) fn secret(
        &mut self,
        step: &Step,
        path: &str,
        bytes: usize,
        mode: Option<&str>,
    ) -> anyhow::Result<Outcome> {
        let dest = self.dest(path)?;
        if std::fs::symlink_metadata(&dest).is_ok() {
            return Ok(outcome(step, Status::Ok, format!("{path} (exists, kept)")));
        }
        let mut o = outcome(step, Status::Changed, format!("{path} (new secret)"));
        if self.opts.diff {
            o.diff = Some(diff::host_secret(path, false));
        }
        if self.opts.check {
            return Ok(o);
        }
        let mode = mode.map(parse_mode).transpose()?.unwrap_or(0o600);
        let mut raw = vec![0u8; bytes];
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut raw))
            .context("reading /dev/urandom")?;
        let text: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        self.prepare_parent(path)?;
        self.record_created_wrote(path, text.as_bytes())?;
        let tmp = write_temp(&dest, text.as_bytes(), Mode::Exact(mode))?;
        self.rename_into(&tmp, &dest)?;
        Ok(o)
    }
}
