//! `from_guest`: a guest file copied to the host, into a directory guests
//! can write (the export of `/ssl`, bind-mounted into CTs). The target is
//! opened once without following links (`nofollow::open_regular`); its
//! content, mode and owner are read through that descriptor, which is also
//! what the backup is made from and what a mode fix changes (fchmod), and
//! the new content replaces it only while its name still holds that file
//! (`shared_write`). A guest that swaps in a link meanwhile can make the
//! step fail, never make phx-apply read, back up, chmod or replace a host
//! file outside the directory.

use super::{outcome, parse_mode, Outcome, Run, Status};
use crate::atomic::Mode;
use crate::check::MAX_CONTENT_BYTES;
use crate::manifest::{self, Entry};
use crate::nofollow::{open_parent_making, open_regular, Opened};
use crate::shared_write::{identity, replace_if_same, set_mode, sweep_dead_temps, write_temp_in};
use phx_plan::{FromGuestStep, Step};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

impl Run<'_> {
    pub(crate) fn copy_from_guest(
        &mut self,
        step: &Step,
        f: &FromGuestStep,
    ) -> anyhow::Result<Outcome> {
        if let Some(o) = self.unreachable(step, f.guest) {
            return Ok(o);
        }
        let content = match self.read_guest(step, f.guest, &f.from)? {
            Ok(t) => t,
            Err(o) => return Ok(o),
        };
        let target = match open_regular(&self.opts.root, &f.path) {
            Ok(t) => t,
            Err(why) => return Ok(outcome(step, Status::Failed, why.to_string())),
        };
        self.converge_opened(step, f, content, target)
    }

    /// Makes the opened target hold `content` with the step's mode.
    pub(crate) fn converge_opened(
        &mut self,
        step: &Step,
        f: &FromGuestStep,
        content: String,
        target: Opened,
    ) -> anyhow::Result<Outcome> {
        let path = f.path.as_str();
        let cur = match target.read(path, MAX_CONTENT_BYTES) {
            Ok(c) => c,
            Err(why) => return Ok(outcome(step, Status::Failed, why.to_string())),
        };
        let mode = f.mode.as_deref().map(parse_mode).transpose()?;
        let old = target.file.as_ref().map(|f| f.metadata()).transpose()?;
        if cur.as_deref() == Some(content.as_str()) {
            let (Some(file), Some(old)) = (&target.file, &old) else {
                return Ok(outcome(step, Status::Ok, path));
            };
            let have = old.permissions().mode() & 0o7777;
            let Some(want) = mode.filter(|m| *m != have) else {
                return Ok(outcome(step, Status::Ok, path));
            };
            if !self.opts.check {
                self.owe(&f.notify)?;
                set_mode(file, want)?;
            }
            return Ok(outcome(
                step,
                Status::Changed,
                format!("{path}: mode {have:04o} -> {want:04o}"),
            ));
        }
        let mut o = outcome(
            step,
            Status::Changed,
            format!("{path}{}", if cur.is_none() { " (new)" } else { "" }),
        );
        if self.opts.diff {
            o.diff = Some(crate::diff::host(path, cur.as_deref(), Some(&content)));
        }
        if self.opts.check {
            return Ok(o);
        }
        let dir = match target.dir {
            Some(d) => d,
            None => open_parent_making(&self.opts.root, path, |made| {
                let b = self.open_backup_dir()?;
                manifest::append(&b, &Entry::CreatedDir { path: made.into() })
            })?,
        };
        sweep_dead_temps(&dir);
        // The temp file is born with its final mode (the step's, else the
        // old file's) and the old file's owner.
        let mode = match mode.or(old.as_ref().map(|m| m.permissions().mode() & 0o7777)) {
            Some(m) => Mode::Exact(m),
            None => Mode::Default,
        };
        let owner = old.as_ref().map(|m| (m.uid(), m.gid()));
        let tmp = write_temp_in(&dir, &target.name, content.as_bytes(), mode, owner)?;
        let was = target.file.as_ref().map(identity).transpose()?;
        let recorded = (|| {
            match (&cur, &old) {
                (Some(c), Some(m)) => self.backup_read(path, c.as_bytes(), m)?,
                _ => self.record_created(path)?,
            }
            self.record_wrote(path, Some(content.as_bytes()))?;
            self.owe(&f.notify)
        })();
        if let Err(e) = recorded {
            let _ = nix::unistd::unlinkat(
                std::os::fd::AsFd::as_fd(&dir),
                tmp.as_os_str(),
                nix::unistd::UnlinkatFlags::NoRemoveDir,
            );
            return Err(e);
        }
        if let Err(why) = replace_if_same(&dir, &tmp, &target.name, was) {
            o.status = Status::Failed;
            o.detail = format!("{path}: {why}; not written");
        }
        Ok(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Options;
    use phx_plan::Action;
    use std::path::Path;

    const TARGET: &str = "/ssl/root.crt";

    /// A root with the shared `/ssl/root.crt` (0600) and a host file
    /// outside it, `/etc/shadow` (0600), that a guest would like to reach.
    fn host() -> (tempfile::TempDir, Options) {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        for (p, text) in [("ssl/root.crt", "CERT\n"), ("etc/shadow", "root:$6$hash\n")] {
            std::fs::create_dir_all(r.join(p).parent().unwrap()).unwrap();
            std::fs::write(r.join(p), text).unwrap();
            std::fs::set_permissions(r.join(p), std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let opts = Options {
            root: r.to_path_buf(),
            ..Default::default()
        };
        (root, opts)
    }

    /// What a guest does between phx-apply's steps: a link renamed over the target.
    fn swap_in_link(r: &Path) {
        std::os::unix::fs::symlink("/etc/shadow", r.join("ssl/.swap")).unwrap();
        std::fs::rename(r.join("ssl/.swap"), r.join("ssl/root.crt")).unwrap();
    }

    fn export(mode: &str) -> (Step, FromGuestStep) {
        let g = FromGuestStep {
            guest: 101.into(),
            from: "/etc/step-ca/certs/root_ca.crt".into(),
            path: TARGET.into(),
            mode: Some(mode.into()),
            notify: vec![],
        };
        let step = Step {
            v: 1,
            tool: "test".into(),
            id: "export".into(),
            action: Action::FromGuest(g.clone()),
            start: None,
            stop: None,
        };
        (step, g)
    }

    fn outside(r: &Path) -> (String, u32) {
        let p = r.join("etc/shadow");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777;
        (std::fs::read_to_string(p).unwrap(), mode)
    }

    #[test]
    fn a_mode_fix_goes_to_the_file_that_was_read_not_to_a_link_swapped_in() {
        let (root, opts) = host();
        let r = root.path();
        let mut run = Run::new(&opts, crate::confine::Resolver::new(&opts.root)).unwrap();
        let target = open_regular(r, TARGET).unwrap();
        swap_in_link(r);
        let (step, g) = export("0644");
        let o = run
            .converge_opened(&step, &g, "CERT\n".into(), target)
            .unwrap();
        assert_eq!(o.detail, "/ssl/root.crt: mode 0600 -> 0644");
        assert_eq!(
            outside(r),
            ("root:$6$hash\n".into(), 0o600),
            "the host file behind the link is not chmodded"
        );
    }

    #[test]
    fn a_write_refuses_a_link_swapped_in_and_touches_nothing_outside() {
        let (root, opts) = host();
        let r = root.path();
        let mut run = Run::new(&opts, crate::confine::Resolver::new(&opts.root)).unwrap();
        let target = open_regular(r, TARGET).unwrap();
        swap_in_link(r);
        let (step, g) = export("0644");
        let o = run
            .converge_opened(&step, &g, "NEW CERT\n".into(), target)
            .unwrap();
        assert_eq!(o.status, Status::Failed, "{o:?}");
        assert_eq!(
            o.detail,
            "/ssl/root.crt: it was replaced while phx-apply wrote it \
             (it is now a symbolic link to /etc/shadow); not written"
        );
        assert_eq!(outside(r), ("root:$6$hash\n".into(), 0o600));
        assert_eq!(
            std::fs::read_link(r.join("ssl/root.crt")).unwrap(),
            Path::new("/etc/shadow"),
            "the swap is left for the operator to see"
        );
        let names: Vec<_> = std::fs::read_dir(r.join("ssl"))
            .unwrap()
            .flatten()
            .collect();
        assert_eq!(names.len(), 1, "no temp file left: {names:?}");
        // The backup holds what was read (the file the guest swapped away),
        // never the host file behind the link.
        let saved = run.backup_dir.clone().unwrap().join("ssl/root.crt");
        assert_eq!(std::fs::read_to_string(saved).unwrap(), "CERT\n");
    }

    #[test]
    fn an_unswapped_target_is_written_with_the_old_owner_and_the_steps_mode() {
        let (root, opts) = host();
        let r = root.path();
        let mut run = Run::new(&opts, crate::confine::Resolver::new(&opts.root)).unwrap();
        let (step, g) = export("0644");
        let target = open_regular(r, TARGET).unwrap();
        let o = run
            .converge_opened(&step, &g, "NEW CERT\n".into(), target)
            .unwrap();
        assert_eq!(o.status, Status::Changed, "{o:?}");
        let p = r.join("ssl/root.crt");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "NEW CERT\n");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            0o644
        );
        // A new target in a missing directory: the directory is recorded.
        let (new_step, mut g) = export("0644");
        g.path = "/ssl/sub/new.crt".into();
        let target = open_regular(r, &g.path).unwrap();
        let o = run
            .converge_opened(&new_step, &g, "X\n".into(), target)
            .unwrap();
        assert_eq!(o.detail, "/ssl/sub/new.crt (new)");
        assert_eq!(
            std::fs::read_to_string(r.join("ssl/sub/new.crt")).unwrap(),
            "X\n"
        );
        let entries = manifest::read(run.backup_dir.as_ref().unwrap()).unwrap();
        assert!(entries.contains(&Entry::CreatedDir {
            path: "/ssl/sub".into()
        }));
        assert!(entries.contains(&Entry::Created {
            path: "/ssl/sub/new.crt".into()
        }));
    }
}
