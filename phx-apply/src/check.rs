//! Whole-plan checks, made before the first step runs: a plan that could not
//! run correctly is refused with nothing done.

use crate::meta::parse_mode;
use crate::{Options, STATE_DIR};
use anyhow::bail;
use phx_plan::{Action, ConfLock, FileStep, SecretRef, Step};

/// The largest secret a step may ask for (it is written as hex, twice this).
pub const MAX_SECRET_BYTES: usize = 1 << 20;
/// The largest content one guest file step may carry (read back through a
/// command's stdout, `run::STDOUT_LIMIT`).
pub const MAX_CONTENT_BYTES: usize = 16 << 20;
/// The largest content one host file, block or lines step may carry: the
/// 100,000-guest bench's cluster.fw is 38 MB (it was 16 MiB until
/// `scripts/bench --whole-run` ran that estate); below what phx-apply reads
/// back of a file (`fsutil::MAX_READ`).
pub const MAX_HOST_CONTENT_BYTES: usize = 64 << 20;
/// The first this many problems are listed; the rest are counted.
const MAX_LISTED: usize = 100;

/// Refuses plans that could not run correctly, listing every problem: a
/// `notify` naming no later handler (it would silently never fire), empty
/// argvs, paths that are not plain absolute file paths or that reach the
/// executor's own state, modes that are not octal (or setuid/setgid without
/// the step saying so), owners that do not exist, line breaks where a line
/// is expected, a block that carries its own end marker, oversized content;
/// and for guest steps what `guest::check` refuses.
/// Run before the first step: a bad plan is exit 2 with nothing done.
pub fn check_plan(steps: &[Step]) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    // Each handler's last place: a notify is good when that comes later
    // (one look each, not a scan of the rest of the plan per notify).
    let last_handler: std::collections::HashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, t)| t.action.handler().is_some())
        .map(|(j, t)| (t.id.as_str(), j))
        .collect();
    let state_below = format!("{STATE_DIR}/");
    for (i, s) in steps.iter().enumerate() {
        let mut bad = |what: String| problems.push(format!("step {:?}: {what}", s.id));
        crate::guest::check::check(s, &mut bad);
        for target in s.action.notify() {
            let later_handler = last_handler.get(target.as_str()).is_some_and(|&j| j > i);
            if !later_handler {
                bad(format!(
                    "notifies {target:?}, which is not a handler step later in the plan"
                ));
            }
        }
        if let Some(p) = s.action.path() {
            if let Some(why) = host_path_problem(p) {
                bad(format!("path {p:?} {why}"));
            } else if p == STATE_DIR || p.starts_with(&state_below) {
                bad(format!(
                    "path {p:?} is the executor's own state (lock, backups); no step may touch it"
                ));
            }
        }
        match &s.action {
            Action::File(f) => {
                check_mode(f.mode.as_deref(), f.setid, &mut bad);
                check_ids(f, &mut bad);
                check_size(f.content.len(), MAX_HOST_CONTENT_BYTES, &mut bad);
                check_argv("validate", f.validate.as_deref(), &mut bad);
                if let Some(d) = &f.validate_desc {
                    check_line("validate_desc", d, &mut bad);
                }
                if let Some(r) = &f.secret_from {
                    check_secret_ref(f, r, &mut bad);
                }
                check_conf_lock(f.conf_lock.as_ref(), &mut bad);
            }
            Action::Block(b) => {
                check_line("marker", &b.marker, &mut bad);
                check_size(b.content.len(), MAX_HOST_CONTENT_BYTES, &mut bad);
                let end = format!("# END phoenix {}", b.marker);
                let begin = format!("# BEGIN phoenix {}", b.marker);
                if b.content
                    .lines()
                    .any(|l| l.trim_end() == end || l.trim_end() == begin)
                {
                    bad(format!(
                        "the block's content holds its own marker line ({end:?})"
                    ));
                }
            }
            Action::Lines(l) => {
                for line in &l.lines {
                    check_line("a `lines` entry", line, &mut bad);
                }
                if let Some(stop) = &l.stop_at {
                    check_line("stop_at", stop, &mut bad);
                }
                check_size(
                    l.lines.iter().map(|l| l.len() + 1).sum(),
                    MAX_HOST_CONTENT_BYTES,
                    &mut bad,
                );
                check_conf_lock(l.conf_lock.as_ref(), &mut bad);
            }
            Action::Secret(x) => {
                check_mode(x.mode.as_deref(), false, &mut bad);
                if x.bytes == 0 || x.bytes > MAX_SECRET_BYTES {
                    bad(format!(
                        "bytes {} must be between 1 and {MAX_SECRET_BYTES}",
                        x.bytes
                    ));
                }
            }
            Action::Command(c) => {
                check_argv("argv", Some(&c.argv), &mut bad);
                check_argv("unless", c.unless.as_deref(), &mut bad);
                check_argv("only_if", c.only_if.as_deref(), &mut bad);
            }
            Action::Handler(h)
            | Action::GuestHandler(phx_plan::GuestHandlerStep { handler: h, .. }) => {
                check_argv("argv", Some(&h.argv), &mut bad);
                check_argv("only_if", h.only_if.as_deref(), &mut bad);
            }
            Action::Absent(_) => {}
            Action::Download(d) => check_download(d, &mut bad),
            // Checked by guest::check::check above.
            Action::GuestFile(_)
            | Action::GuestCommand(_)
            | Action::GuestSecret(_)
            | Action::GuestJson(_)
            | Action::FromGuest(_) => {}
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let n = problems.len();
    let mut text = problems
        .into_iter()
        .take(MAX_LISTED)
        .collect::<Vec<_>>()
        .join("\n");
    if n > MAX_LISTED {
        text.push_str(&format!("\n… and {} more", n - MAX_LISTED));
    }
    bail!("{text}\nthe plan is refused ({n} problem(s)); nothing was done")
}

/// What needs the tree under the root: no step may target an existing
/// directory (a rename over it would fail half-way through the plan).
pub fn check_targets(steps: &[Step], opts: &Options) -> anyhow::Result<()> {
    check_targets_in(steps, &crate::confine::Resolver::new(&opts.root))
}

/// `check_targets` through the run's resolver, which it fills: each
/// directory is resolved once and each target looked at with one `lstat`.
pub(crate) fn check_targets_in(
    steps: &[Step],
    resolver: &crate::confine::Resolver,
) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for s in steps {
        let Some(p) = s.action.path() else { continue };
        let Ok((real, seen)) = resolver.resolve_lstat(std::path::Path::new(p)) else {
            continue;
        };
        let is_dir = match seen {
            Some(m) => m.is_dir(),
            None => real.is_dir(),
        };
        if is_dir {
            problems.push(format!("step {:?}: path {p:?} is a directory", s.id));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "{}\nthe plan is refused; nothing was done",
        problems.join("\n")
    )
}

/// A download fetches only http(s) URLs (no `file://`, nothing curl could
/// read as an option), and carries a digest of the right length.
fn check_download(d: &phx_plan::DownloadStep, bad: &mut impl FnMut(String)) {
    use phx_plan::download::{digest_problem, url_file_name, url_problem, Algo};
    use phx_plan::Checksum;
    if let Some(why) = url_problem(&d.url) {
        bad(format!("url {:?} is not {why}", d.url));
    }
    match &d.checksum {
        Checksum::Sha256(h) | Checksum::Sha512(h) => {
            let algo = match d.checksum {
                Checksum::Sha256(_) => Algo::Sha256,
                _ => Algo::Sha512,
            };
            if let Some(why) = digest_problem(algo, h) {
                bad(format!("checksum {h:?} is not {why}"));
            }
        }
        Checksum::Unverified => {}
        Checksum::ChecksumUrl(u) => {
            if let Some(why) = url_problem(u) {
                bad(format!("checksum_url {u:?} is not {why}"));
            }
            if url_file_name(&d.url).is_none() {
                bad(format!(
                    "url {:?} names no file to look up in the checksum file",
                    d.url
                ));
            }
        }
    }
    check_line("desc", &d.desc, bad);
}

pub(crate) fn check_mode(mode: Option<&str>, setid: bool, bad: &mut impl FnMut(String)) {
    let Some(m) = mode else { return };
    match parse_mode(m) {
        Err(e) => bad(format!("{e}")),
        Ok(v) if v & 0o6000 != 0 && !setid => bad(format!(
            "mode {m:?} sets setuid/setgid bits; a step must say `\"setid\": true` to mean it"
        )),
        Ok(_) => {}
    }
}

fn check_ids(f: &FileStep, bad: &mut impl FnMut(String)) {
    use nix::unistd::{Group, User};
    if let Some(o) = &f.owner {
        if !matches!(User::from_name(o), Ok(Some(_))) {
            bad(format!("owner {o:?} does not exist"));
        }
    }
    if let Some(g) = &f.group {
        if !matches!(Group::from_name(g), Ok(Some(_))) {
            bad(format!("group {g:?} does not exist"));
        }
    }
}

/// A secret read at apply time goes only into a secret file, from an
/// absolute path, into exactly one place of the content.
fn check_secret_ref(f: &FileStep, r: &SecretRef, bad: &mut impl FnMut(String)) {
    if !f.secret {
        bad("secret_from needs \"secret\": true (its content must never be printed)".into());
    }
    // Content filled in here is never shown, so nobody else may read it either.
    match f.mode.as_deref().map(parse_mode) {
        None => bad("secret_from needs a mode others cannot read (none given: 0644)".into()),
        Some(Ok(m)) if m & 0o007 != 0 => bad(format!(
            "secret_from: mode {:?} lets others read it",
            f.mode.as_deref().unwrap_or_default()
        )),
        _ => {}
    }
    if !r.file.starts_with('/') {
        bad(format!(
            "secret_from.file {:?} is not an absolute path",
            r.file
        ));
    } else if r.file == STATE_DIR || r.file.starts_with(&format!("{STATE_DIR}/")) {
        // The manifest key lives there: filled into a file, it could be read back.
        bad(format!(
            "secret_from.file {:?} is the executor's own state; no secret is read from it",
            r.file
        ));
    }
    for (what, p) in
        std::iter::once(("pointer", &r.pointer)).chain(r.guard.iter().map(|g| ("guard", &g.0)))
    {
        if !p.starts_with('/') {
            bad(format!(
                "secret_from.{what} {p:?} is not a JSON pointer (it starts with /)"
            ));
        }
    }
    if r.placeholder.is_empty() || f.content.matches(r.placeholder.as_str()).count() != 1 {
        bad(format!(
            "secret_from.placeholder {:?} must occur exactly once in the content",
            r.placeholder
        ));
    }
}

/// The plan's lock file is created and flocked as given: only the lock
/// phx-lxc names (pve-container src/PVE/LXC/Config.pm config_file_lock,
/// `/run/lock/lxc/pve-config-<vmid>.lock`) is accepted, so a plan cannot make
/// the executor create any file nor hold its own lock.
fn check_conf_lock(lock: Option<&ConfLock>, bad: &mut impl FnMut(String)) {
    let Some(l) = lock else { return };
    let vmid = l
        .lock_file
        .strip_prefix("/run/lock/lxc/pve-config-")
        .and_then(|r| r.strip_suffix(".lock"));
    let ok = vmid.is_some_and(|v| {
        !v.is_empty()
            && !v.starts_with('0')
            && v.len() <= 9
            && v.bytes().all(|b| b.is_ascii_digit())
    });
    if !ok {
        bad(format!(
            "conf_lock.lock_file {:?} is not /run/lock/lxc/pve-config-<CT id>.lock",
            l.lock_file
        ));
    }
}

pub(crate) fn check_size(len: usize, bound: usize, bad: &mut impl FnMut(String)) {
    if len > bound {
        bad(format!(
            "content of {len} bytes is over the {bound}-byte bound"
        ));
    }
}

/// A value that must stay one line: no line break or other control character.
fn check_line(what: &str, v: &str, bad: &mut impl FnMut(String)) {
    if v.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        bad(format!(
            "{what} {v:?} holds a line break or control character"
        ));
    }
}

pub(crate) fn check_argv(what: &str, argv: Option<&[String]>, bad: &mut impl FnMut(String)) {
    match argv {
        Some([]) => bad(format!("{what} is an empty argv")),
        Some(a) if a.iter().any(|x| x.contains('\0')) => bad(format!("{what} holds a NUL byte")),
        _ => {}
    }
}

/// Why `path` is not a plain absolute path on the host, if it is not one:
/// it must start with `/`, name a file (not `/` nor end in `/`), and hold no
/// empty, `.` or `..` component nor a NUL byte.
pub fn host_path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("must be absolute");
    }
    if path.contains('\0') {
        return Some("must not contain a NUL byte");
    }
    if path == "/" || path.ends_with('/') {
        return Some("must name a file, not a directory");
    }
    if path[1..]
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Some("must not hold empty, '.' or '..' components");
    }
    None
}
