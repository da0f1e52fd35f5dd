//! The executor: carries a plan out idempotently. A converged host gets zero
//! writes and zero handlers; `check` computes the same outcomes and changes
//! nothing. docs/safety.md and docs/plan.md are its contract.

pub mod atomic;
pub mod backup;
mod check;
pub mod cli;
pub mod color;
mod commands;
mod conf_lock;
pub mod confine;
pub mod confirm;
pub mod diff;
mod download;
mod durable;
mod files;
pub mod guest;
pub mod json_merge;
pub mod mac;
pub mod manifest;
pub mod meta;
mod nofollow;
mod options;
mod outcome;
pub mod pending;
pub mod plans;
pub mod progress;
pub mod report;
pub mod rollback;
mod rollback_check;
pub mod run;
mod shared_write;

pub use check::{check_plan, check_targets, MAX_HOST_CONTENT_BYTES};
pub use meta::parse_mode;
pub use options::{
    Options, CONFIRM_HANDLER_TIMEOUT, DEFAULT_AGENT_WAIT, DEFAULT_COMMAND_TIMEOUT,
    DEFAULT_KEEP_BACKUPS, DEFAULT_LOCK_WAIT, STATE_DIR,
};
pub use outcome::{Observer, Outcome, Report, Status};

use anyhow::Context;
use outcome::outcome;
use phx_plan::fsutil::read_optional;
use phx_plan::{Action, Step};
use std::collections::HashSet;
use std::path::PathBuf;

pub(crate) struct Run<'a> {
    opts: &'a Options,
    run_id: String,
    notified: HashSet<String>,
    backup_dir: Option<PathBuf>,
    /// Files already backed up in this run: the first backup holds the original.
    saved: HashSet<String>,
    /// Directories already cleared of dead runs' temp files.
    scanned: HashSet<PathBuf>,
    /// Handlers owed and the runs that owe them, as kept in the state
    /// directory (see `pending`).
    pending: pending::Owed,
    /// Set once this run armed an automatic rollback: what the report says.
    armed: Option<String>,
    /// The runs whose rollback this run armed (its own, or owing ones').
    armed_runs: std::collections::BTreeSet<String>,
    /// The files `secret_from` steps read, each parsed once.
    secrets: phx_plan::secret_ref::SecretFiles,
    /// Each VM's guest agent, pinged before the run's first command in it
    /// (`guest::via::ping`): answering, or qm's message why not.
    agents: std::cell::RefCell<std::collections::BTreeMap<u32, Result<(), String>>>,
    /// Paths under the root, each directory resolved once (`confine::Resolver`).
    resolver: confine::Resolver,
    /// Directories renamed into whose fsync is still owed (`durable`).
    unsynced: std::collections::BTreeSet<PathBuf>,
}

/// What a target holds now, as far as a step needs to know.
pub(crate) enum Current {
    /// Nothing: it does not exist.
    Missing,
    /// This text.
    Text(String),
    /// A size other than the new content's, so other content: not read
    /// as text; with a diff asked for, its bytes as they show in one (text
    /// or not: the run replaces it either way).
    OtherSize(Option<String>),
}

impl From<Option<String>> for Current {
    fn from(text: Option<String>) -> Current {
        text.map_or(Current::Missing, Current::Text)
    }
}

impl Current {
    pub(crate) fn exists(&self) -> bool {
        !matches!(self, Current::Missing)
    }

    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Current::Text(t) => Some(t),
            _ => None,
        }
    }

    /// What a diff shows of it: its text, or another size's bytes.
    pub(crate) fn shown(&self) -> Option<&str> {
        match self {
            Current::Text(t) | Current::OtherSize(Some(t)) => Some(t),
            _ => None,
        }
    }
}

/// Carries out `steps` in order. Stops at the first failed step; only the
/// handlers already notified run after it, and follow it in the report.
pub fn apply(steps: &[Step], opts: &Options) -> anyhow::Result<Report> {
    apply_observed(steps, opts, &mut ())
}

/// `apply`, telling `observer` about each step as it starts and finishes.
pub fn apply_observed(
    steps: &[Step],
    opts: &Options,
    observer: &mut dyn Observer,
) -> anyhow::Result<Report> {
    apply_checked(check(steps, opts)?, opts, observer)
}

/// A plan `check_plan` and `check_targets` found nothing wrong with, and
/// the directories the latter resolved: the run goes on from there instead
/// of checking (and resolving) it all again.
pub struct Checked<'s> {
    steps: &'s [Step],
    resolver: confine::Resolver,
}

/// `check_plan`, then `check_targets`: what makes a plan a usage error
/// (exit 2), with nothing done.
pub fn check<'s>(steps: &'s [Step], opts: &Options) -> anyhow::Result<Checked<'s>> {
    check_plan(steps)?;
    let resolver = confine::Resolver::new(&opts.root);
    check::check_targets_in(steps, &resolver)?;
    Ok(Checked { steps, resolver })
}

/// `apply_observed` of a plan `check` passed.
pub fn apply_checked(
    checked: Checked<'_>,
    opts: &Options,
    observer: &mut dyn Observer,
) -> anyhow::Result<Report> {
    let Checked { steps, resolver } = checked;
    let _lock = if opts.check { None } else { Some(lock(opts)?) };
    // What the checks resolved before the lock was held another run could
    // have changed since (a directory swapped for a link out of the root):
    // a real run resolves again under the lock.
    if !opts.check {
        resolver.forget();
    }
    let mut run = Run::new(opts, resolver)?;
    // Handlers an earlier run owes (it failed or was killed before them).
    run.notified.extend(run.pending.keys().cloned());
    let mut report = Report::default();
    let mut failed_at = None;
    let total = steps.len();
    for (i, step) in steps.iter().enumerate() {
        let outcome = run.observed(i + 1, total, step, observer);
        let stop = outcome.status == Status::Failed;
        report.outcomes.push(outcome);
        if stop {
            failed_at = Some(i);
            break;
        }
    }
    // A failed step stops the run, but what changed before it still gets
    // its handlers: a written config without its restart is the worst mix.
    if let Some(i) = failed_at {
        for (j, step) in steps.iter().enumerate().skip(i + 1) {
            if step.action.handler().is_some() && run.notified.contains(&step.id) {
                let outcome = run.observed(j + 1, total, step, observer);
                report.outcomes.push(outcome);
            }
        }
    }
    // Every rename durable before the run says it is done.
    run.sync_dirs();
    report.backup_dir = run.backup_dir;
    report.armed = run.armed;
    if report.backup_dir.is_some() {
        let mut spare = pending::owing_runs(&run.pending);
        spare.extend(confirm::armed_runs(opts)?);
        spare.insert(run.run_id.clone());
        report.pruning = backup::prune(
            opts,
            &opts.state_dir()?.join("backups"),
            opts.keep_backups,
            &spare,
        )?
        .held;
    }
    Ok(report)
}

/// One run at a time: an exclusive, non-blocking flock on the state dir's lock file.
pub fn lock(opts: &Options) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    lock_waiting(opts, std::time::Duration::ZERO)
}

/// `lock`, retried for up to `wait`: an automatic rollback fires once, so
/// it waits out a run that holds the lock instead of being lost to it.
pub fn lock_waiting(
    opts: &Options,
    wait: std::time::Duration,
) -> anyhow::Result<nix::fcntl::Flock<std::fs::File>> {
    let dir = opts.state_dir()?;
    backup::private_dir(&dir)?;
    let path = dir.join("apply.lock");
    let deadline = std::time::Instant::now() + wait;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening lock file {}", path.display()))?;
    loop {
        match nix::fcntl::Flock::lock(f, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(held) => return Ok(held),
            Err((back, e)) if e == nix::errno::Errno::EWOULDBLOCK => {
                if std::time::Instant::now() >= deadline {
                    let waited = if wait.is_zero() {
                        String::new()
                    } else {
                        format!(", still after waiting {} s", wait.as_secs())
                    };
                    anyhow::bail!(
                        "another phx-apply holds {} ({e}{waited}); one run at a time",
                        path.display()
                    );
                }
                f = back;
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err((_, e)) => anyhow::bail!("locking {}: {e}", path.display()),
        }
    }
}

impl<'a> Run<'a> {
    /// A run of its own id, owing what the state directory says is owed.
    fn new(opts: &'a Options, resolver: confine::Resolver) -> anyhow::Result<Run<'a>> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Ok(Run {
            opts,
            // The UTC time, read as it is (docs/safety.md); sorts by time
            // (the nanoseconds order runs of one second), unique per run
            // (the pid tells apart runs of one nanosecond). `is_run_id`.
            run_id: format!(
                "{}-{:09}-{}",
                phx_plan::utc::file_stamp(now.as_secs() as i64),
                now.subsec_nanos(),
                std::process::id()
            ),
            notified: HashSet::new(),
            backup_dir: None,
            saved: HashSet::new(),
            scanned: HashSet::new(),
            pending: pending::load(&opts.state_dir()?)?,
            armed: None,
            armed_runs: Default::default(),
            // Read inside the root, as every path a step names (docs/safety.md, "Confinement under --root").
            secrets: phx_plan::secret_ref::SecretFiles::inside(Box::new({
                let root = opts.root.clone();
                move |p| confine::resolve(&root, std::path::Path::new(p))
            })),
            agents: Default::default(),
            resolver,
            unsynced: Default::default(),
        })
    }
}

impl Run<'_> {
    /// Runs one step, timed, between the observer's two calls.
    fn observed(
        &mut self,
        n: usize,
        total: usize,
        step: &Step,
        observer: &mut dyn Observer,
    ) -> Outcome {
        observer.started(n, total, step);
        let t = std::time::Instant::now();
        let mut outcome = self.record(step);
        outcome.elapsed_ms = u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX);
        observer.finished(n, total, &outcome);
        outcome
    }

    /// Runs one step and keeps the books: what it notifies, what it settles.
    fn record(&mut self, step: &Step) -> Outcome {
        if !is_file_write(step) {
            // What it runs may read what was written: durable first.
            self.sync_dirs();
        }
        let mut outcome = self.step(step);
        // A check changes nothing (its guards only read).
        if !self.opts.check && may_move_directories(step, outcome.status) {
            self.resolver.forget();
        }
        if outcome.status == Status::Changed {
            self.notified.extend(step.action.notify().iter().cloned());
        }
        if step.action.handler().is_some()
            && self.notified.contains(&step.id)
            && outcome.status != Status::Failed
        {
            if let Err(e) = self.settle(&step.id) {
                outcome.status = Status::Failed;
                outcome.detail = format!("{}; and {e:#}", outcome.detail);
            }
        }
        outcome
    }

    pub(crate) fn step(&mut self, step: &Step) -> Outcome {
        let result = match &step.action {
            Action::File(f) => self.file(step, f),
            Action::Block(b) => self.block(step, b),
            Action::Lines(l) => self.lines(step, l),
            Action::Absent(a) => self.absent(step, &a.path, a.secret),
            Action::Secret(s) => self.secret(step, &s.path, s.bytes, s.mode.as_deref()),
            Action::Command(c) => Ok(self.command(step, c, &c.desc, None)),
            Action::Handler(h) => Ok(self.handler(step, h, None)),
            Action::GuestHandler(g) => Ok(self.handler(step, &g.handler, Some(g.guest))),
            Action::GuestFile(g) => self.guest_file(step, g),
            Action::GuestCommand(g) => Ok(self.guest_command(step, g)),
            Action::GuestSecret(g) => self.guest_secret(step, g),
            Action::GuestJson(g) => self.guest_json(step, g),
            Action::FromGuest(g) => self.copy_from_guest(step, g),
            Action::Download(d) => self.download(step, d),
        };
        result.unwrap_or_else(|e| outcome(step, Status::Failed, format!("{e:#}")))
    }

    /// Where `path` is written, renamed over or removed: its directories
    /// resolved inside the root, its last component a name (see `confine`).
    pub(crate) fn dest(&self, path: &str) -> anyhow::Result<PathBuf> {
        self.resolver
            .resolve_parent(std::path::Path::new(path))
            .with_context(|| format!("resolving {path} under {}", self.opts.root.display()))
    }

    /// Where `path` is read (and its mode and owner looked at): every
    /// component, the last one too, resolved inside the root.
    pub(crate) fn real(&self, path: &str) -> anyhow::Result<PathBuf> {
        self.resolver
            .resolve(std::path::Path::new(path))
            .with_context(|| format!("resolving {path} under {}", self.opts.root.display()))
    }

    pub(crate) fn read(&self, path: &str) -> anyhow::Result<Option<String>> {
        let real = self.real(path)?;
        read_optional(&real).with_context(|| format!("reading {}", real.display()))
    }

    /// Where `path` is read, what it holds and what `fstat` says of it
    /// (`None`: missing). With `size` (the new content's length) a file of
    /// another size is `Current::OtherSize`, not read: differing sizes
    /// settle that the content differs.
    pub(crate) fn current(
        &self,
        path: &str,
        size: Option<usize>,
    ) -> anyhow::Result<(PathBuf, Current, Option<std::fs::Metadata>)> {
        use phx_plan::fsutil::{is_link_refused, open_regular, open_regular_nofollow, MAX_READ};
        // Under a root, the directories resolved (`dest`) and the last name
        // opened without following it: a link there is resolved inside the
        // root (`real`) and opened again. Not looked at twice otherwise.
        let (real, opened) = if self.opts.live() {
            let real = self.real(path)?;
            let opened = open_regular(&real, MAX_READ);
            (real, opened)
        } else {
            let at = self.dest(path)?;
            match open_regular_nofollow(&at, MAX_READ) {
                Err(e) if is_link_refused(&e) => {
                    let real = self.real(path)?;
                    let opened = open_regular(&real, MAX_READ);
                    (real, opened)
                }
                opened => (at, opened),
            }
        };
        let reading = || format!("reading {}", real.display());
        let Some(opened) = opened.with_context(reading)? else {
            return Ok((real, Current::Missing, None));
        };
        let meta = opened.meta.clone();
        if size.is_some_and(|n| n as u64 != meta.len()) {
            let shown = match self.opts.diff {
                true => Some(
                    String::from_utf8_lossy(&opened.read(&real, MAX_READ).with_context(reading)?)
                        .into_owned(),
                ),
                false => None,
            };
            return Ok((real, Current::OtherSize(shown), Some(meta)));
        }
        let text = opened.read_text(&real, MAX_READ).with_context(reading)?;
        Ok((real, Current::Text(text), Some(meta)))
    }
}

/// A host file step that writes one file: it renames, runs nothing.
fn is_file_write(step: &Step) -> bool {
    matches!(
        step.action,
        Action::File(_) | Action::Block(_) | Action::Lines(_) | Action::Secret(_)
    )
}

/// Whether `step`, having ended as `status`, may have moved directories
/// the resolver knows: anything that ran a program or touched a guest, or
/// removed a path. Host file writes only replace a last component (never a
/// directory: `check_targets`) or make missing directories where the
/// resolver already put them.
fn may_move_directories(step: &Step, status: Status) -> bool {
    !is_file_write(step) && !matches!(status, Status::Ok | Status::Skipped | Status::NotEvaluated)
}
