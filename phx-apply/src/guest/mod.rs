//! Steps that act inside a guest, all through `pct exec <ctid> -- …` for a
//! container and `qm guest exec <vmid> -- …` for a VM (`via`, which gives
//! both the command's own status and streams; a VM's guest agent is pinged
//! once per run before its first command): read-back (`stat` +
//! `sha256sum`), guards, and writes whose content travels on stdin, behind
//! a header with its size and SHA-256, into a temp file that is renamed
//! over the target only once it verifies (`scripts`), so neither a file's
//! content nor a secret ever appears in a process's arguments, and a write
//! cut short never installs a prefix. A guest file Phoenix replaces is
//! first backed up inside the guest (`backup`), and `--rollback` puts it
//! back (`restore`). Host files guests can write (a `from_guest` target, a
//! `content_from` source) are read without following links (`nofollow`),
//! and a `from_guest` target is changed only through what was opened
//! (`from_guest`).

mod backup;
pub mod check;
mod from_guest;
pub mod prune;
pub mod restore;
mod scripts;
pub mod via;

use super::{json_merge, outcome, parse_mode, Outcome, Run, Status};
use crate::check::MAX_CONTENT_BYTES;
use crate::nofollow::read_regular;
use crate::run::Ran;
use anyhow::{bail, Context};
use phx_plan::{Guest, GuestCommandStep, GuestFileStep, GuestJsonStep, GuestSecretStep, Step};
use scripts::{framed, META, PROBE, REWRITE, SECRET, WRITE};

/// `sh -c BODY NAME ARGS…`: one of the fixed scripts, run in a guest.
fn script(name: &str, body: &str, args: &[&str]) -> Vec<String> {
    let mut v = vec![
        "sh".to_string(),
        "-c".to_string(),
        body.to_string(),
        name.to_string(),
    ];
    v.extend(args.iter().map(|s| s.to_string()));
    v
}

/// Why `len` bytes of content cannot reach `guest`, if they cannot: a VM's
/// come through `qm guest exec --pass-stdin`, at most 1 MiB with the header.
/// Found before anything is backed up or recorded.
fn too_big(guest: Guest, len: usize) -> Option<String> {
    let framed = len + format!("{len} ").len() + 65;
    (guest.is_vm() && framed > via::QM_STDIN_LIMIT).then(|| {
        format!(
            "{len} bytes are more than a VM's file may hold here: its content travels on \
             qm guest exec's stdin, which takes at most 1 MiB (qemu-server src/PVE/CLI/qm.pm:1020)"
        )
    })
}

/// What a guest file is now.
struct Meta {
    mode: u32,
    owner: String,
    group: String,
    sha256: String,
}

fn parse_probe(stdout: &str) -> Option<Option<Meta>> {
    let mut lines = stdout.lines();
    let first = lines.next()?;
    if first == "absent" {
        return Some(None);
    }
    let mut f = first.split_whitespace();
    let mode = u32::from_str_radix(f.next()?, 8).ok()?;
    let (owner, group) = (f.next()?.to_string(), f.next()?.to_string());
    let sha256 = lines.next()?.split_whitespace().next()?.to_string();
    Some(Some(Meta {
        mode,
        owner,
        group,
        sha256,
    }))
}

fn diff_text(guest: Guest, path: &str, old: Option<&str>, new: &str) -> String {
    let name = format!("{}:{path}", guest.tag());
    crate::diff::named(&name, &name, old, Some(new))
}

fn secret_diff(guest: Guest, path: &str, old_exists: bool) -> String {
    let name = format!("{}:{path}", guest.tag());
    crate::diff::secret(&name, &name, old_exists)
}

impl Run<'_> {
    /// Guest steps need the guest: under `--root` without `--run-commands` they are reported only.
    fn unreachable(&self, step: &Step, guest: Guest) -> Option<Outcome> {
        let tool = if guest.is_vm() { "qm" } else { "pct" };
        (!self.opts.may_run()).then(|| {
            outcome(
                step,
                Status::Skipped,
                format!("not run under --root: acts inside {guest} through {tool}"),
            )
        })
    }

    /// Runs `argv` in `guest` (`via`), a VM's agent pinged first.
    fn exec(&self, guest: Guest, argv: &[String], input: Option<&[u8]>) -> anyhow::Result<Ran> {
        self.run_in(guest, argv, input, self.opts.command_timeout)
            .with_context(|| format!("could not run {} in {guest}", argv[0]))
    }

    /// `via::run_in`, once VM `guest`'s agent answered this run.
    pub(crate) fn run_in(
        &self,
        guest: Guest,
        argv: &[String],
        input: Option<&[u8]>,
        timeout: std::time::Duration,
    ) -> std::io::Result<Ran> {
        if let Guest::Vm(vmid) = guest {
            if let Err(why) = self.agent(vmid) {
                return Ok(via::not_run(guest, None, &why));
            }
        }
        via::run_in(self.opts, guest, argv, input, timeout)
    }

    /// VM `vmid`'s agent, pinged before the run's first command in it; the
    /// answer is kept, so a VM whose agent is silent fails each of its
    /// steps with qm's message without asking again.
    fn agent(&self, vmid: u32) -> Result<(), String> {
        self.agents
            .borrow_mut()
            .entry(vmid)
            .or_insert_with(|| via::ping(self.opts, vmid))
            .clone()
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
        if let Some(o) = self.unreachable(step, f.guest) {
            return Ok(o);
        }
        let content = match (&f.content, &f.content_from) {
            (Some(c), _) => c.clone(),
            // A source guests can write: never read through a link (see `nofollow`).
            (None, Some(src)) => match read_regular(&self.opts.root, src, MAX_CONTENT_BYTES) {
                Ok(Some(c)) => c,
                Ok(None) => {
                    return Ok(self.not_yet(step, format!("content_from {src} does not exist")))
                }
                Err(why) => {
                    return Ok(outcome(step, Status::Failed, format!("content_from {why}")))
                }
            },
            (None, None) => bail!("neither content nor content_from"),
        };
        let ct = f.guest;
        let probe = self.exec(ct, &script("phx-probe", PROBE, &[&f.path]), None)?;
        let current = match (probe.ok(), parse_probe(&probe.stdout)) {
            (true, Some(m)) => m,
            _ => {
                return Ok(self.not_yet(
                    step,
                    format!("{ct}: cannot inspect {}: {}", f.path, probe.output()),
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
        let label = format!("{ct}: {}", f.path);
        match &current {
            Some(m) if m.sha256 == phx_plan::sha256::hex(content.as_bytes()) => {
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
                    self.guest_backup(ct, &f.path)?;
                    self.guest_wrote(ct, &f.path, Some(m.sha256.clone()))?;
                    self.owe(&f.notify)?;
                    let r = self.exec(ct, &script("phx-meta", META, &args), None)?;
                    if !r.ok() {
                        return Ok(outcome(
                            step,
                            Status::Failed,
                            format!("{label}: {}", r.output()),
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
                        secret_diff(ct, &f.path, !new)
                    } else {
                        let old = if new {
                            None
                        } else {
                            let argv = ["cat".into(), "--".into(), f.path.clone()];
                            Some(self.exec(ct, &argv, None)?.stdout)
                        };
                        diff_text(ct, &f.path, old.as_deref(), &content)
                    });
                }
                if self.opts.check {
                    return Ok(o);
                }
                if let Some(why) = too_big(ct, content.len()) {
                    return Ok(outcome(step, Status::Failed, format!("{label}: {why}")));
                }
                if new {
                    self.guest_created_dirs(ct, &f.path)?;
                    self.guest_created(ct, &f.path)?;
                } else {
                    self.guest_backup(ct, &f.path)?;
                }
                let sum = phx_plan::sha256::hex(content.as_bytes());
                self.guest_wrote(ct, &f.path, Some(sum))?;
                self.owe(&f.notify)?;
                let r = self.exec(
                    ct,
                    &script("phx-write", WRITE, &args),
                    Some(&framed(content.as_bytes())),
                )?;
                if !r.ok() {
                    o.status = Status::Failed;
                    o.detail = format!("{label}: writing failed: {}", r.output());
                }
                Ok(o)
            }
        }
    }

    pub(super) fn guest_command(&mut self, step: &Step, g: &GuestCommandStep) -> Outcome {
        let desc = format!("{}: {}", g.guest, g.command.desc);
        self.command(step, &g.command, &desc, Some(g.guest))
    }

    /// 0: the guest file exists; 1: it does not; anything else: the guest cannot be asked.
    fn guest_exists(&self, guest: Guest, path: &str) -> anyhow::Result<Result<bool, String>> {
        let r = self.exec(guest, &["test".into(), "-e".into(), path.into()], None)?;
        Ok(match r.code {
            Some(0) => Ok(true),
            Some(1) => Ok(false),
            _ => Err(r.output()),
        })
    }

    pub(super) fn guest_secret(
        &mut self,
        step: &Step,
        s: &GuestSecretStep,
    ) -> anyhow::Result<Outcome> {
        if let Some(o) = self.unreachable(step, s.guest) {
            return Ok(o);
        }
        let label = format!("{}: {}", s.guest, s.path);
        match self.guest_exists(s.guest, &s.path)? {
            Ok(true) => return Ok(outcome(step, Status::Ok, format!("{label} (exists, kept)"))),
            Ok(false) => {}
            Err(e) => {
                return Ok(
                    self.not_yet(step, format!("{}: cannot inspect {}: {e}", s.guest, s.path))
                )
            }
        }
        let mut o = outcome(step, Status::Changed, format!("{label} (new secret)"));
        if self.opts.diff {
            o.diff = Some(secret_diff(s.guest, &s.path, false));
        }
        if self.opts.check {
            return Ok(o);
        }
        let mode = format!("{:04o}", parse_mode(&s.mode)?);
        let bytes = s.bytes.to_string();
        self.guest_created_dirs(s.guest, &s.path)?;
        self.guest_created(s.guest, &s.path)?;
        self.guest_wrote(s.guest, &s.path, None)?;
        let r = self.exec(
            s.guest,
            &script("phx-secret", SECRET, &[&s.path, &bytes, &mode]),
            None,
        )?;
        if !r.ok() {
            o.status = Status::Failed;
            o.detail = format!("{label}: {}", r.output());
        }
        Ok(o)
    }

    /// Reads a guest file; `Err` is the outcome to report when it cannot be read.
    pub(super) fn read_guest(
        &self,
        step: &Step,
        guest: Guest,
        path: &str,
    ) -> anyhow::Result<Result<String, Outcome>> {
        let r = self.exec(guest, &["cat".into(), "--".into(), path.into()], None)?;
        if r.ok() {
            return Ok(Ok(r.stdout));
        }
        Ok(Err(match self.guest_exists(guest, path)? {
            Ok(false) => self.not_yet(step, format!("{guest}: {path} does not exist")),
            Ok(true) => outcome(
                step,
                Status::Failed,
                format!("{guest}: reading {path}: {}", r.output()),
            ),
            Err(e) => self.not_yet(step, format!("{guest}: cannot inspect {path}: {e}")),
        }))
    }

    pub(super) fn guest_json(&mut self, step: &Step, j: &GuestJsonStep) -> anyhow::Result<Outcome> {
        if let Some(o) = self.unreachable(step, j.guest) {
            return Ok(o);
        }
        let text = match self.read_guest(step, j.guest, &j.path)? {
            Ok(t) => t,
            Err(o) => return Ok(o),
        };
        let label = format!("{}: {}", j.guest, j.path);
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
            o.diff = Some(diff_text(j.guest, &j.path, Some(&a), &b));
        }
        if self.opts.check {
            return Ok(o);
        }
        let body = format!("{}\n", serde_json::to_string_pretty(&new)?);
        if let Some(why) = too_big(j.guest, body.len()) {
            return Ok(outcome(step, Status::Failed, format!("{label}: {why}")));
        }
        self.guest_backup(j.guest, &j.path)?;
        let sum = phx_plan::sha256::hex(body.as_bytes());
        self.guest_wrote(j.guest, &j.path, Some(sum))?;
        self.owe(&j.notify)?;
        let r = self.exec(
            j.guest,
            &script("phx-rewrite", REWRITE, &[&j.path]),
            Some(&framed(body.as_bytes())),
        )?;
        if !r.ok() {
            o.status = Status::Failed;
            o.detail = format!("{label}: writing failed: {}", r.output());
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output() {
        let m = parse_probe("600 root ssl-cert\nabc123  -\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                m.mode,
                m.owner.as_str(),
                m.group.as_str(),
                m.sha256.as_str()
            ),
            (0o600, "root", "ssl-cert", "abc123")
        );
        assert!(parse_probe("absent\n").unwrap().is_none());
        assert!(parse_probe("garbage").is_none());
    }
}
