//! The executor: carries a plan out idempotently. A converged host gets zero
//! writes and zero handlers; `check` computes the same outcomes and changes
//! nothing. The README's "phx-apply" section is its contract.

pub mod atomic;
pub mod guest;
pub mod json_merge;
pub mod report;
pub mod rollback;
pub mod run;

use anyhow::{bail, Context};
use atomic::write_temp;
use phx_common::edit as files;
use phx_common::fsutil::{read_optional, under_root};
use phx_common::plan::{Action, BlockStep, CommandStep, FileStep, HandlerStep, LinesStep, Step};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Options {
    /// `/` for the live host; anything else maps every path under it.
    pub root: PathBuf,
    /// Under a root other than `/`, commands and handlers run only with this.
    pub run_commands: bool,
    pub check: bool,
    pub diff: bool,
    /// PATH for commands, guards, handlers and validators; `None` inherits the
    /// process's. Tests put their doubles first here instead of mutating the
    /// process environment, which other test threads read concurrently.
    pub path: Option<std::ffi::OsString>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            root: PathBuf::from("/"),
            run_commands: false,
            check: false,
            diff: false,
            path: None,
        }
    }
}

impl Options {
    pub fn live(&self) -> bool {
        self.root == Path::new("/")
    }
    /// Whether command and handler steps may be executed at all in this run.
    fn may_run(&self) -> bool {
        self.live() || self.run_commands
    }
    pub fn state_dir(&self) -> PathBuf {
        under_root(&self.root, "/var/lib/phoenix")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Changed,
    Skipped,
    Failed,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    pub id: String,
    pub kind: &'static str,
    pub status: Status,
    pub detail: String,
    /// A command or handler was executed (not just reported).
    pub ran: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
    /// Where replaced files were saved, when any were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backup_dir: Option<PathBuf>,
}

impl Report {
    pub fn count(&self, s: Status) -> usize {
        self.outcomes.iter().filter(|o| o.status == s).count()
    }
    pub fn changed(&self) -> usize {
        self.count(Status::Changed)
    }
    pub fn failed(&self) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.status == Status::Failed)
    }
    /// Handlers that fired (ran, or would have).
    pub fn handlers_fired(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .filter(|o| o.kind == "handler" && o.status == Status::Changed)
            .map(|o| o.id.as_str())
            .collect()
    }
}

/// Refuses plans that could not run correctly: a `notify` naming a step that
/// is not a later handler would silently never fire.
pub fn check_plan(steps: &[Step]) -> anyhow::Result<()> {
    for (i, s) in steps.iter().enumerate() {
        for target in s.action.notify() {
            let later_handler = steps[i + 1..]
                .iter()
                .any(|t| &t.id == target && matches!(t.action, Action::Handler(_)));
            if !later_handler {
                bail!(
                    "step {:?} notifies {target:?}, which is not a handler step later in the plan",
                    s.id
                );
            }
        }
        if let Action::Command(c) = &s.action {
            if c.argv.is_empty() {
                bail!("step {:?} has an empty argv", s.id);
            }
        }
        guest::check(s)?;
        if let Some(p) = s.action.path() {
            if !p.starts_with('/') || p.split('/').any(|c| c == "..") {
                bail!(
                    "step {:?}: path {p:?} must be absolute and free of '..'",
                    s.id
                );
            }
        }
    }
    Ok(())
}

struct Run<'a> {
    opts: &'a Options,
    run_id: String,
    notified: HashSet<String>,
    backup_dir: Option<PathBuf>,
}

/// Carries out `steps` in order. Stops at the first failed step; its outcome
/// (status `Failed`) is the last one in the report.
pub fn apply(steps: &[Step], opts: &Options) -> anyhow::Result<Report> {
    check_plan(steps)?;
    let _lock = if opts.check { None } else { Some(lock(opts)?) };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut run = Run {
        opts,
        run_id: format!("{}-{}", now.as_secs(), std::process::id()),
        notified: HashSet::new(),
        backup_dir: None,
    };
    let mut report = Report::default();
    for step in steps {
        let outcome = run.step(step);
        let stop = outcome.status == Status::Failed;
        if outcome.status == Status::Changed {
            run.notified.extend(step.action.notify().iter().cloned());
        }
        report.outcomes.push(outcome);
        if stop {
            break;
        }
    }
    report.backup_dir = run.backup_dir;
    Ok(report)
}

/// One run at a time: an exclusive, non-blocking flock on the state dir's lock file.
pub fn lock(opts: &Options) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    let dir = opts.state_dir();
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("creating state directory {}", dir.display()))?;
    let path = dir.join("apply.lock");
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening lock file {}", path.display()))?;
    nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(|(_, e)| {
        anyhow::anyhow!(
            "another phx-apply holds {} ({e}); one run at a time",
            path.display()
        )
    })
}

fn outcome(step: &Step, status: Status, detail: impl Into<String>) -> Outcome {
    Outcome {
        id: step.id.clone(),
        kind: step.action.kind(),
        status,
        detail: detail.into(),
        ran: false,
        diff: None,
    }
}

impl Run<'_> {
    fn step(&mut self, step: &Step) -> Outcome {
        let result = match &step.action {
            Action::File(f) => self.file(step, f),
            Action::Block(b) => self.block(step, b),
            Action::Lines(l) => self.lines(step, l),
            Action::Absent(a) => self.absent(step, &a.path),
            Action::Secret(s) => self.secret(step, &s.path, s.bytes, &s.mode),
            Action::Command(c) => Ok(self.command(step, c)),
            Action::Handler(h) => Ok(self.handler(step, h)),
            Action::GuestFile(g) => self.guest_file(step, g),
            Action::GuestCommand(g) => Ok(self.guest_command(step, g)),
            Action::GuestSecret(g) => self.guest_secret(step, g),
            Action::GuestJson(g) => self.guest_json(step, g),
            Action::FromGuest(g) => self.copy_from_guest(step, g),
        };
        result.unwrap_or_else(|e| outcome(step, Status::Failed, format!("{e:#}")))
    }

    fn dest(&self, path: &str) -> PathBuf {
        under_root(&self.opts.root, path)
    }

    fn read(&self, path: &str) -> anyhow::Result<Option<String>> {
        let dest = self.dest(path);
        read_optional(&dest).with_context(|| format!("reading {}", dest.display()))
    }

    fn block(&mut self, step: &Step, b: &BlockStep) -> anyhow::Result<Outcome> {
        let cur = self.read(&b.path)?;
        match files::with_block(cur.as_deref(), &b.marker, &b.content) {
            Ok(new) => self.converge_text(step, &b.path, cur, new, None),
            Err(e) => Ok(outcome(step, Status::Failed, format!("{}: {e}", b.path))),
        }
    }

    fn lines(&mut self, step: &Step, l: &LinesStep) -> anyhow::Result<Outcome> {
        match self.read(&l.path)? {
            Some(cur) => {
                let new = files::with_lines(&cur, &l.lines, &l.owned, l.stop_at.as_deref());
                self.converge_text(step, &l.path, Some(cur), new, None)
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

    fn file(&mut self, step: &Step, f: &FileStep) -> anyhow::Result<Outcome> {
        let mode = f.mode.as_deref().map(parse_mode).transpose()?;
        let cur = self.read(&f.path)?;
        let mut out = self.converge_text(step, &f.path, cur, f.content.clone(), Some((f, mode)))?;
        if out.status == Status::Ok {
            // Content is right; metadata may still drift.
            let dest = self.dest(&f.path);
            if let Some(fix) = metadata_drift(&dest, mode, f)? {
                if !self.opts.check {
                    set_metadata(&dest, mode, f)?;
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
    fn converge_text(
        &mut self,
        step: &Step,
        path: &str,
        cur: Option<String>,
        new: String,
        file: Option<(&FileStep, Option<u32>)>,
    ) -> anyhow::Result<Outcome> {
        if cur.as_deref() == Some(new.as_str()) {
            return Ok(outcome(step, Status::Ok, path));
        }
        let secret = file.is_some_and(|(f, _)| f.secret);
        let mut o = outcome(
            step,
            Status::Changed,
            format!("{path}{}", if cur.is_none() { " (new)" } else { "" }),
        );
        if self.opts.diff {
            o.diff = Some(if secret {
                report::secret_diff(path)
            } else {
                report::unified(path, cur.as_deref().unwrap_or(""), &new)
            });
        }
        if self.opts.check {
            return Ok(o);
        }
        let dest = self.dest(path);
        let wanted_mode = file.and_then(|(_, m)| m);
        let tmp = write_temp(&dest, new.as_bytes(), wanted_mode)
            .with_context(|| format!("writing temp file beside {}", dest.display()))?;
        let prepared = match file {
            // The old file's mode and owner, unless the step names its own. A
            // named mode is never preceded by the old one: a secret replacing a
            // 0644 file must not be readable for a moment.
            Some((f, mode)) => {
                keep_metadata(&tmp, &dest, mode.is_none()).and_then(|_| set_metadata(&tmp, mode, f))
            }
            None => keep_metadata(&tmp, &dest, true),
        };
        if let Err(e) = prepared {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        if let Some(validate) = file.and_then(|(f, _)| f.validate.as_ref()) {
            let checked = self.validate(validate, &tmp);
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
        if cur.is_some() {
            self.backup(path, &dest)?;
        } else {
            self.record_created(path)?;
        }
        atomic::commit(&tmp, &dest).with_context(|| format!("replacing {}", dest.display()))?;
        Ok(o)
    }

    /// `Ok(Some(note))`: the file could not be validated here, and why.
    fn validate(&self, argv: &[String], tmp: &Path) -> Result<Option<String>, String> {
        // `%s` is the temp file; `%r` the root prefix ("" on the live host), so a
        // validator can read the file's neighbours where they really are.
        let prefix = if self.opts.live() {
            String::new()
        } else {
            self.opts
                .root
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string()
        };
        let argv: Vec<String> = argv
            .iter()
            .map(|a| {
                a.replace("%s", &tmp.to_string_lossy())
                    .replace("%r", &prefix)
            })
            .collect();
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

    fn run_backup_dir(&self) -> PathBuf {
        self.opts.state_dir().join("backups").join(&self.run_id)
    }

    /// Files a run creates are listed so a rollback can remove them again.
    fn record_created(&mut self, path: &str) -> anyhow::Result<()> {
        use std::io::Write;
        let dir = self.run_backup_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(rollback::CREATED))?;
        writeln!(f, "{path}")?;
        self.backup_dir = Some(dir);
        Ok(())
    }

    fn backup(&mut self, path: &str, dest: &Path) -> anyhow::Result<()> {
        let dir = self.run_backup_dir();
        let to = under_root(&dir, path);
        if to.exists() {
            // Two steps edit one file: the first backup holds the original.
            return Ok(());
        }
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(dest, &to)
            .with_context(|| format!("backing up {} to {}", dest.display(), to.display()))?;
        self.backup_dir = Some(dir);
        Ok(())
    }

    fn absent(&mut self, step: &Step, path: &str) -> anyhow::Result<Outcome> {
        let dest = self.dest(path);
        if !dest.exists() {
            return Ok(outcome(step, Status::Ok, format!("{path} (absent)")));
        }
        let mut o = outcome(step, Status::Changed, format!("{path} (removed)"));
        if self.opts.diff {
            let cur = read_optional(&dest)?.unwrap_or_default();
            o.diff = Some(report::unified(path, &cur, ""));
        }
        if !self.opts.check {
            self.backup(path, &dest)?;
            std::fs::remove_file(&dest).with_context(|| format!("removing {}", dest.display()))?;
        }
        Ok(o)
    }

    fn secret(
        &mut self,
        step: &Step,
        path: &str,
        bytes: usize,
        mode: &str,
    ) -> anyhow::Result<Outcome> {
        let dest = self.dest(path);
        if dest.exists() {
            return Ok(outcome(step, Status::Ok, format!("{path} (exists, kept)")));
        }
        let mut o = outcome(step, Status::Changed, format!("{path} (new secret)"));
        if self.opts.diff {
            o.diff = Some(report::secret_diff(path));
        }
        if self.opts.check {
            return Ok(o);
        }
        let mode = parse_mode(mode)?;
        let mut raw = vec![0u8; bytes];
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut raw))
            .context("reading /dev/urandom")?;
        let text: String = raw.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = write_temp(&dest, text.as_bytes(), Some(mode))?;
        std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        atomic::commit(&tmp, &dest)?;
        Ok(o)
    }

    /// Runs a guard; `None` when guards cannot run in this mode.
    fn guard(&self, argv: &[String]) -> Result<bool, String> {
        match run::run(argv, self.opts) {
            Ok(r) => Ok(r.ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(format!("guard {}: {e}", run::show(argv))),
        }
    }

    fn command(&mut self, step: &Step, c: &CommandStep) -> Outcome {
        let shown = run::show(&c.argv);
        if !self.opts.may_run() {
            return outcome(
                step,
                Status::Skipped,
                format!("not run under --root: {shown}"),
            );
        }
        if let Some(unless) = &c.unless {
            match self.guard(unless) {
                Ok(true) => {
                    return outcome(
                        step,
                        Status::Ok,
                        format!("{} (unless: {} succeeded)", c.desc, run::show(unless)),
                    )
                }
                Ok(false) => {}
                Err(e) => return outcome(step, Status::Failed, e),
            }
        }
        if let Some(only_if) = &c.only_if {
            match self.guard(only_if) {
                Ok(false) => {
                    return outcome(
                        step,
                        Status::Ok,
                        format!("{} (only_if: {} failed)", c.desc, run::show(only_if)),
                    )
                }
                Ok(true) => {}
                Err(e) => return outcome(step, Status::Failed, e),
            }
        }
        if self.opts.check {
            return outcome(step, Status::Changed, format!("would run: {shown}"));
        }
        self.execute(step, &c.argv, &c.desc)
    }

    fn handler(&mut self, step: &Step, h: &HandlerStep) -> Outcome {
        let (argv, only_if, superseded_by) = (&h.argv, h.only_if.as_deref(), &h.superseded_by);
        let shown = run::show(argv);
        if !self.notified.contains(&step.id) {
            return outcome(step, Status::Skipped, "not notified");
        }
        if let Some(by) = superseded_by.iter().find(|h| self.notified.contains(*h)) {
            return outcome(
                step,
                Status::Skipped,
                format!("superseded by {by}, which was notified too"),
            );
        }
        if !self.opts.may_run() {
            return outcome(step, Status::Changed, format!("would run: {shown}"));
        }
        if let Some(only_if) = only_if {
            match self.guard(only_if) {
                Ok(false) => {
                    return outcome(
                        step,
                        Status::Ok,
                        format!("notified, but only_if: {} failed", run::show(only_if)),
                    )
                }
                Ok(true) => {}
                Err(e) => return outcome(step, Status::Failed, e),
            }
        }
        if self.opts.check {
            return outcome(step, Status::Changed, format!("would run: {shown}"));
        }
        self.execute(step, argv, &shown)
    }

    fn execute(&mut self, step: &Step, argv: &[String], desc: &str) -> Outcome {
        let shown = run::show(argv);
        match run::run(argv, self.opts) {
            Ok(r) if r.ok() => {
                let mut o = outcome(step, Status::Changed, desc.to_string());
                o.ran = true;
                o
            }
            Ok(r) => {
                let code = r
                    .code
                    .map_or("a signal".to_string(), |c| format!("status {c}"));
                let mut o = outcome(
                    step,
                    Status::Failed,
                    format!(
                        "ran {shown}; it exited with {code}; output:\n{}",
                        r.output()
                    ),
                );
                o.ran = true;
                o
            }
            Err(e) => outcome(step, Status::Failed, format!("could not run {shown}: {e}")),
        }
    }
}

/// `"0644"`, `"644"` or `"0o644"`.
pub fn parse_mode(m: &str) -> anyhow::Result<u32> {
    u32::from_str_radix(m.trim_start_matches("0o"), 8)
        .ok()
        .filter(|v| *v <= 0o7777)
        .with_context(|| format!("mode {m:?} is not an octal file mode"))
}

/// A block or lines edit must not change who may read the file: the temp
/// file gets the old file's mode and owner whatever the umask says.
/// Nothing is changed where they already match (pmxcfs refuses chmod/chown).
pub(crate) fn keep_metadata(tmp: &Path, dest: &Path, keep_mode: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(old) = std::fs::metadata(dest) else {
        return Ok(());
    };
    let new = std::fs::metadata(tmp)?;
    let old_mode = old.permissions().mode() & 0o7777;
    if keep_mode && new.permissions().mode() & 0o7777 != old_mode {
        std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(old_mode))
            .with_context(|| format!("keeping the mode of {}", dest.display()))?;
    }
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        nix::unistd::chown(tmp, Some(old.uid().into()), Some(old.gid().into()))
            .with_context(|| format!("keeping the owner of {}", dest.display()))?;
    }
    Ok(())
}

fn lookup_ids(
    f: &FileStep,
) -> anyhow::Result<(Option<nix::unistd::Uid>, Option<nix::unistd::Gid>)> {
    use nix::unistd::{Group, User};
    let uid = match &f.owner {
        Some(o) => Some(
            User::from_name(o)?
                .with_context(|| format!("owner {o:?} does not exist"))?
                .uid,
        ),
        None => None,
    };
    let gid = match &f.group {
        Some(g) => Some(
            Group::from_name(g)?
                .with_context(|| format!("group {g:?} does not exist"))?
                .gid,
        ),
        None => None,
    };
    Ok((uid, gid))
}

fn set_metadata(path: &Path, mode: Option<u32>, f: &FileStep) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(m) = mode {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m))
            .with_context(|| format!("chmod {m:o} {}", path.display()))?;
    }
    let (uid, gid) = lookup_ids(f)?;
    if uid.is_some() || gid.is_some() {
        nix::unistd::chown(path, uid, gid).with_context(|| format!("chown {}", path.display()))?;
    }
    Ok(())
}

/// Describes what differs in mode/owner/group, if anything.
fn metadata_drift(path: &Path, mode: Option<u32>, f: &FileStep) -> anyhow::Result<Option<String>> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let meta = std::fs::metadata(path)?;
    let mut drift = Vec::new();
    if let Some(m) = mode {
        let have = meta.permissions().mode() & 0o7777;
        if have != m {
            drift.push(format!("mode {have:04o} -> {m:04o}"));
        }
    }
    let (uid, gid) = lookup_ids(f)?;
    if uid.is_some_and(|u| u.as_raw() != meta.uid()) {
        drift.push("owner".to_string());
    }
    if gid.is_some_and(|g| g.as_raw() != meta.gid()) {
        drift.push("group".to_string());
    }
    Ok((!drift.is_empty()).then(|| drift.join(", ")))
}
