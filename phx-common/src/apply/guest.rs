//! Steps that act inside an LXC guest, all through `pct exec <ctid> -- …`:
//! read-back (`stat` + `sha256sum`), guards, and writes whose content travels
//! on stdin into a temp file that is renamed over the target, so neither a
//! file's content nor a secret ever appears in a process's arguments.
//! Guest files are not backed up: `--rollback` restores host files only.

use super::guest_shell::{
    exec, in_guest, parse_probe, script, Out, META, PROBE, REWRITE, SECRET, WRITE,
};
use super::{json_merge, outcome, parse_mode, Outcome, Run, Status};
use crate::fsutil::read_optional;
use crate::plan::{
    Action, CommandStep, FileStep, FromGuestStep, GuestCommandStep, GuestFileStep, GuestJsonStep,
    GuestSecretStep, Step,
};
use anyhow::bail;

fn guest_path_ok(p: &str) -> bool {
    p.starts_with('/') && !p.split('/').any(|c| c == "..") && !p.contains(['\n', '\0'])
}

/// Plan-level checks of guest steps, before anything runs.
pub fn check(step: &Step) -> anyhow::Result<()> {
    let (path, extra) = match &step.action {
        Action::GuestFile(f) => {
            if f.content.is_some() == f.content_from.is_some() {
                bail!(
                    "step {:?}: exactly one of content and content_from is needed",
                    step.id
                );
            }
            if let Some(m) = &f.mode {
                parse_mode(m)?;
            }
            (&f.path, f.content_from.as_deref())
        }
        Action::GuestCommand(c) => {
            if c.argv.is_empty() {
                bail!("step {:?} has an empty argv", step.id);
            }
            return Ok(());
        }
        Action::GuestSecret(s) => {
            parse_mode(&s.mode)?;
            (&s.path, None)
        }
        Action::GuestJson(j) => (&j.path, None),
        Action::FromGuest(f) => (&f.from, None),
        _ => return Ok(()),
    };
    for p in std::iter::once(path.as_str()).chain(extra) {
        if !guest_path_ok(p) {
            bail!(
                "step {:?}: path {p:?} must be absolute and free of '..'",
                step.id
            );
        }
    }
    Ok(())
}

fn diff_text(ctid: u32, path: &str, old: &str, new: &str) -> String {
    let name = format!("ct{ctid}:{path}");
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&name, &name)
        .to_string()
}

fn secret_diff(ctid: u32, path: &str) -> String {
    format!("--- ct{ctid}:{path}\n+++ ct{ctid}:{path}\n<secret>\n")
}

impl Run<'_> {
    /// Guest steps need the guest: under `--root` without `--run-commands` they are reported only.
    fn unreachable(&self, step: &Step, ctid: u32) -> Option<Outcome> {
        (!self.opts.may_run()).then(|| {
            outcome(
                step,
                Status::Skipped,
                format!("not run under --root: acts inside CT {ctid} through pct"),
            )
        })
    }

    fn exec(&self, argv: &[String], input: Option<&[u8]>) -> anyhow::Result<Out> {
        exec(argv, &self.opts.root, input)
    }

    /// A failure that a check (or a preview) expects: what it inspects is
    /// made by an earlier step that did not really run.
    fn not_yet(&self, step: &Step, what: String) -> Outcome {
        if self.opts.check {
            outcome(
                step,
                Status::Skipped,
                format!("{what} (not there yet; an earlier step makes it)"),
            )
        } else {
            outcome(step, Status::Failed, what)
        }
    }

    pub(super) fn guest_file(&mut self, step: &Step, f: &GuestFileStep) -> anyhow::Result<Outcome> {
        if let Some(o) = self.unreachable(step, f.ctid) {
            return Ok(o);
        }
        let content = match (&f.content, &f.content_from) {
            (Some(c), _) => c.clone(),
            (None, Some(src)) => match read_optional(&self.dest(src))? {
                Some(c) => c,
                None => return Ok(self.not_yet(step, format!("content_from {src} does not exist"))),
            },
            (None, None) => bail!("neither content nor content_from"),
        };
        let ct = f.ctid;
        let probe = self.exec(&script(ct, "phx-probe", PROBE, &[&f.path]), None)?;
        let current = match (probe.ok(), parse_probe(&probe.stdout)) {
            (true, Some(m)) => m,
            _ => {
                return Ok(self.not_yet(
                    step,
                    format!("CT {ct}: cannot inspect {}: {}", f.path, probe.said()),
                ))
            }
        };
        let want_mode = f.mode.as_deref().map(parse_mode).transpose()?;
        let mode = want_mode
            .or(current.as_ref().map(|m| m.mode))
            .unwrap_or(0o644);
        let owner = f
            .owner
            .clone()
            .or(current.as_ref().map(|m| m.owner.clone()));
        let group = f
            .group
            .clone()
            .or(current.as_ref().map(|m| m.group.clone()));
        let (owner, group) = (
            owner.unwrap_or_else(|| "root".into()),
            group.unwrap_or_else(|| "root".into()),
        );
        let mode_s = format!("{mode:04o}");
        let args = [
            f.path.as_str(),
            mode_s.as_str(),
            owner.as_str(),
            group.as_str(),
        ];
        let label = format!("CT {ct}: {}", f.path);
        match &current {
            Some(m) if m.sha256 == crate::sha256::hex(content.as_bytes()) => {
                let mut drift = Vec::new();
                if m.mode != mode {
                    drift.push(format!("mode {:04o} -> {mode:04o}", m.mode));
                }
                if m.owner != owner || m.group != group {
                    drift.push(format!("owner {}:{} -> {owner}:{group}", m.owner, m.group));
                }
                if drift.is_empty() {
                    return Ok(outcome(step, Status::Ok, label));
                }
                if !self.opts.check {
                    let r = self.exec(&script(ct, "phx-meta", META, &args), None)?;
                    if !r.ok() {
                        return Ok(outcome(
                            step,
                            Status::Failed,
                            format!("{label}: {}", r.said()),
                        ));
                    }
                }
                Ok(outcome(
                    step,
                    Status::Changed,
                    format!("{label}: {}", drift.join(", ")),
                ))
            }
            _ => {
                let new = current.is_none();
                let mut o = outcome(
                    step,
                    Status::Changed,
                    format!("{label}{}", if new { " (new)" } else { "" }),
                );
                if self.opts.diff {
                    o.diff = Some(if f.secret {
                        secret_diff(ct, &f.path)
                    } else {
                        let old = if new {
                            String::new()
                        } else {
                            let argv = in_guest(ct, &["cat".into(), "--".into(), f.path.clone()]);
                            self.exec(&argv, None)?.stdout
                        };
                        diff_text(ct, &f.path, &old, &content)
                    });
                }
                if self.opts.check {
                    return Ok(o);
                }
                let r = self.exec(
                    &script(ct, "phx-write", WRITE, &args),
                    Some(content.as_bytes()),
                )?;
                if !r.ok() {
                    o.status = Status::Failed;
                    o.detail = format!("{label}: writing failed: {}", r.said());
                }
                Ok(o)
            }
        }
    }

    pub(super) fn guest_command(&mut self, step: &Step, g: &GuestCommandStep) -> Outcome {
        let wrap = |a: &Vec<String>| in_guest(g.ctid, a);
        let c = CommandStep {
            argv: wrap(&g.argv),
            unless: g.unless.as_ref().map(wrap),
            only_if: g.only_if.as_ref().map(wrap),
            desc: format!("CT {}: {}", g.ctid, g.desc),
            notify: g.notify.clone(),
        };
        self.command(step, &c)
    }

    /// 0: the guest file exists; 1: it does not; anything else: the guest cannot be asked.
    fn guest_exists(&self, ctid: u32, path: &str) -> anyhow::Result<Result<bool, String>> {
        let r = self.exec(
            &in_guest(ctid, &["test".into(), "-e".into(), path.into()]),
            None,
        )?;
        Ok(match r.code {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(r.said()),
        })
    }

    pub(super) fn guest_secret(
        &mut self,
        step: &Step,
        s: &GuestSecretStep,
    ) -> anyhow::Result<Outcome> {
        if let Some(o) = self.unreachable(step, s.ctid) {
            return Ok(o);
        }
        let label = format!("CT {}: {}", s.ctid, s.path);
        match self.guest_exists(s.ctid, &s.path)? {
            Ok(true) => return Ok(outcome(step, Status::Ok, format!("{label} (exists, kept)"))),
            Ok(false) => {}
            Err(e) => {
                return Ok(self.not_yet(
                    step,
                    format!("CT {}: cannot inspect {}: {e}", s.ctid, s.path),
                ))
            }
        }
        let mut o = outcome(step, Status::Changed, format!("{label} (new secret)"));
        if self.opts.diff {
            o.diff = Some(secret_diff(s.ctid, &s.path));
        }
        if self.opts.check {
            return Ok(o);
        }
        let mode = format!("{:04o}", parse_mode(&s.mode)?);
        let bytes = s.bytes.to_string();
        let r = self.exec(
            &script(s.ctid, "phx-secret", SECRET, &[&s.path, &bytes, &mode]),
            None,
        )?;
        if !r.ok() {
            o.status = Status::Failed;
            o.detail = format!("{label}: {}", r.said());
        }
        Ok(o)
    }

    /// Reads a guest file; `Err` is the outcome to report when it cannot be read.
    fn read_guest(
        &self,
        step: &Step,
        ctid: u32,
        path: &str,
    ) -> anyhow::Result<Result<String, Outcome>> {
        let r = self.exec(
            &in_guest(ctid, &["cat".into(), "--".into(), path.into()]),
            None,
        )?;
        if r.ok() {
            return Ok(Ok(r.stdout));
        }
        Ok(Err(match self.guest_exists(ctid, path)? {
            Ok(false) => self.not_yet(step, format!("CT {ctid}: {path} does not exist")),
            Ok(true) => outcome(
                step,
                Status::Failed,
                format!("CT {ctid}: reading {path}: {}", r.said()),
            ),
            Err(e) => self.not_yet(step, format!("CT {ctid}: cannot inspect {path}: {e}")),
        }))
    }

    pub(super) fn guest_json(&mut self, step: &Step, j: &GuestJsonStep) -> anyhow::Result<Outcome> {
        if let Some(o) = self.unreachable(step, j.ctid) {
            return Ok(o);
        }
        let text = match self.read_guest(step, j.ctid, &j.path)? {
            Ok(t) => t,
            Err(o) => return Ok(o),
        };
        let label = format!("CT {}: {}", j.ctid, j.path);
        // The file's text is never shown: it may hold key material.
        let cur: serde_json::Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                return Ok(outcome(
                    step,
                    Status::Failed,
                    format!("{label}: not JSON ({e})"),
                ))
            }
        };
        let new = match json_merge::merged(cur.clone(), j) {
            Ok(v) => v,
            Err(e) => return Ok(outcome(step, Status::Failed, format!("{label}: {e}"))),
        };
        if new == cur {
            return Ok(outcome(step, Status::Ok, label));
        }
        let mut o = outcome(step, Status::Changed, label.clone());
        if self.opts.diff {
            let (a, b) = (
                json_merge::managed_view(&cur, j),
                json_merge::managed_view(&new, j),
            );
            o.diff = Some(diff_text(j.ctid, &j.path, &a, &b));
        }
        if self.opts.check {
            return Ok(o);
        }
        let body = format!("{}\n", serde_json::to_string_pretty(&new)?);
        let r = self.exec(
            &script(j.ctid, "phx-rewrite", REWRITE, &[&j.path]),
            Some(body.as_bytes()),
        )?;
        if !r.ok() {
            o.status = Status::Failed;
            o.detail = format!("{label}: writing failed: {}", r.said());
        }
        Ok(o)
    }

    pub(super) fn copy_from_guest(
        &mut self,
        step: &Step,
        f: &FromGuestStep,
    ) -> anyhow::Result<Outcome> {
        if let Some(o) = self.unreachable(step, f.ctid) {
            return Ok(o);
        }
        let content = match self.read_guest(step, f.ctid, &f.from)? {
            Ok(t) => t,
            Err(o) => return Ok(o),
        };
        let file = FileStep {
            path: f.path.clone(),
            content,
            mode: f.mode.clone(),
            notify: f.notify.clone(),
            ..Default::default()
        };
        self.file(step, &file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{apply, check_plan, Options};
    use crate::plan::{read_jsonl, Plan};
    use std::path::Path;

    fn file_step(content: Option<&str>, from: Option<&str>, path: &str) -> Action {
        Action::GuestFile(GuestFileStep {
            ctid: 101,
            path: path.into(),
            content: content.map(String::from),
            content_from: from.map(String::from),
            ..Default::default()
        })
    }

    fn plan_of(actions: Vec<Action>) -> Vec<Step> {
        let mut p = Plan::new("t");
        for (i, a) in actions.into_iter().enumerate() {
            p.push(format!("s{i}"), a);
        }
        p.steps
    }

    #[test]
    fn kinds_round_trip_with_their_names() {
        let steps = plan_of(vec![
            file_step(Some("x"), None, "/etc/x"),
            Action::GuestSecret(GuestSecretStep {
                ctid: 1,
                path: "/s".into(),
                bytes: 8,
                mode: "0600".into(),
            }),
            Action::FromGuest(FromGuestStep {
                ctid: 1,
                from: "/a".into(),
                path: "/b".into(),
                ..Default::default()
            }),
        ]);
        let mut buf = Vec::new();
        let mut p = Plan::new("t");
        p.steps = steps.clone();
        p.write_jsonl(&mut buf).unwrap();
        let text = String::from_utf8(buf.clone()).unwrap();
        for k in [
            "\"kind\":\"guest_file\"",
            "\"kind\":\"guest_secret\"",
            "\"kind\":\"from_guest\"",
        ] {
            assert!(text.contains(k), "{text}");
        }
        assert_eq!(read_jsonl(&buf[..]).unwrap(), steps);
    }

    #[test]
    fn bad_guest_steps_are_refused_before_anything_runs() {
        for (a, why) in [
            (file_step(Some("x"), Some("/h"), "/etc/x"), "exactly one"),
            (file_step(None, None, "/etc/x"), "exactly one"),
            (file_step(Some("x"), None, "etc/x"), "absolute"),
            (file_step(Some("x"), None, "/etc/../x"), "absolute"),
            (file_step(None, Some("rel"), "/etc/x"), "absolute"),
        ] {
            let e = check_plan(&plan_of(vec![a])).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
    }

    fn opts(root: &Path, run_commands: bool, check: bool) -> Options {
        Options {
            root: root.to_path_buf(),
            run_commands,
            check,
            diff: false,
        }
    }

    #[test]
    fn content_from_a_file_not_there_yet() {
        let root = tempfile::tempdir().unwrap();
        let steps = plan_of(vec![file_step(None, Some("/ssl/root.crt"), "/etc/x")]);
        // A check cannot see what an earlier step of a real run would make.
        let r = apply(&steps, &opts(root.path(), true, true)).unwrap();
        assert_eq!(r.outcomes[0].status, Status::Skipped, "{:?}", r.outcomes[0]);
        let r = apply(&steps, &opts(root.path(), true, false)).unwrap();
        assert_eq!(r.outcomes[0].status, Status::Failed);
        assert!(r.outcomes[0]
            .detail
            .contains("/ssl/root.crt does not exist"));
    }

    #[test]
    fn a_preview_does_not_reach_into_guests() {
        let root = tempfile::tempdir().unwrap();
        let steps = plan_of(vec![file_step(Some("x"), None, "/etc/x")]);
        let r = apply(&steps, &opts(root.path(), false, false)).unwrap();
        assert_eq!(r.outcomes[0].status, Status::Skipped);
        assert!(r.outcomes[0].detail.contains("not run under --root"));
    }
}
