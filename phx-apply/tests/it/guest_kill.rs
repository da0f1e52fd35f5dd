//! Kill tests of guest writes (issue 21, item 1): phx-apply, writing a
//! ~70 KiB guest_file and a ~6 MB guest_json (step-ca's ca.json with a JWK
//! `encryptedKey`) through the pct double, is killed at random points of its
//! run: SIGKILL of phx-apply alone (the in-guest `cat` sees an early EOF) or
//! SIGHUP of its whole process group (a lost SSH session). After every kill
//! both guest files are exactly one of the versions the plans write, never
//! a prefix; runs that outlive their kill delay exit 0 with the plan's
//! state; and at the end a run converges and the next one changes nothing.
//!
//! `PHX_KILLS` sets the number of kills (default 100); the seed is printed
//! and `PHX_KILL_SEED` replays one.

use crate::guest_support;

use guest_support::*;
use nix::sys::signal::{kill, killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use phx_plan::{Action, GuestFileStep, GuestJsonStep, JsonSet};
use serde_json::json;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CT: u32 = 101;
const CONF: &str = "/etc/app/app.conf";
const CA_JSON: &str = "/etc/step-ca/ca.json";

/// One guest file, the two versions it alternates between, the plans that
/// write each, and the mode it keeps.
struct Case {
    path: &'static str,
    versions: [Vec<u8>; 2],
    plans: [Vec<u8>; 2],
    mode: u32,
}

fn conf(v: usize) -> String {
    (0..1200)
        .map(|i| format!("version {v} line {i:05} ----------------------------------------\n"))
        .collect()
}

fn duration(v: usize) -> &'static str {
    ["24h", "48h"][v]
}

/// ca.json as step-ca writes it, ~6 MB of it the JWK's encrypted key; as
/// phx-apply writes it back (pretty, one trailing newline).
fn ca(v: usize) -> Vec<u8> {
    let key: String = (0..6_000_000u32)
        .map(|i| {
            char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                    [(i * 7 % 64) as usize],
            )
        })
        .collect();
    let doc = json!({"root": "/etc/step-ca/certs/root_ca.crt", "dnsNames": ["ca.lan"],
        "authority": {"claims": {"defaultTLSCertDuration": duration(v)},
        "provisioners": [{"type": "JWK", "name": "admin@lan",
            "key": {"use": "sig", "kty": "EC", "kid": "KID", "crv": "P-256", "alg": "ES256",
                    "x": "X", "y": "Y"},
            "encryptedKey": key}]}});
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap()).into_bytes()
}

fn file_case() -> Case {
    let plan_for = |v: usize| {
        jsonl(&plan(vec![Action::GuestFile(GuestFileStep {
            guest: CT.into(),
            path: CONF.into(),
            content: Some(conf(v)),
            mode: Some("0644".into()),
            ..Default::default()
        })]))
    };
    Case {
        path: CONF,
        versions: [conf(0).into_bytes(), conf(1).into_bytes()],
        plans: [plan_for(0), plan_for(1)],
        mode: 0o644,
    }
}

fn json_case() -> Case {
    let plan_for = |v: usize| {
        jsonl(&plan(vec![Action::GuestJson(GuestJsonStep {
            guest: CT.into(),
            path: CA_JSON.into(),
            set: vec![JsonSet {
                pointer: "/authority/claims/defaultTLSCertDuration".into(),
                value: json!(duration(v)),
            }],
            ..Default::default()
        })]))
    };
    Case {
        path: CA_JSON,
        versions: [ca(0), ca(1)],
        plans: [plan_for(0), plan_for(1)],
        mode: 0o600,
    }
}

/// phx-apply on plan `plan`, in its own process group; killed (SIGKILL, or
/// SIGHUP to the group) `delay` after it starts, or after its in-guest
/// write starts when `from_write`, unless it finished first (then its exit
/// status, and how long it took from the start the delay counts from).
/// Also how long what it left running in the guest took to end.
fn run_killed(
    root: &Path,
    path: &std::ffi::OsStr,
    plan: &[u8],
    delay: Duration,
    group: bool,
    from_write: bool,
) -> (Option<(i32, Duration)>, Duration) {
    let log_at = std::fs::metadata(root.join("pct.log")).map_or(0, |m| m.len());
    #[allow(clippy::zombie_processes)] // waited for below, on both paths
    let mut child = Command::new(env!("CARGO_BIN_EXE_phx-apply"))
        .args(["--root", root.to_str().unwrap(), "--run-commands", "-"])
        .env("PATH", path)
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(plan).unwrap();
    let pid = Pid::from_raw(child.id() as i32);
    let mut start = Instant::now();
    let mut finished = None;
    let mut waiting_for_write = from_write;
    while waiting_for_write || start.elapsed() < delay {
        if waiting_for_write && write_started(root, log_at) {
            waiting_for_write = false;
            start = Instant::now();
        }
        if let Some(s) = child.try_wait().unwrap() {
            finished = Some((s.code().unwrap_or(-1), start.elapsed()));
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if finished.is_none() {
        if group {
            let _ = killpg(pid, Signal::SIGHUP);
        } else {
            let _ = kill(pid, Signal::SIGKILL);
        }
        let _ = child.wait();
    }
    // What it left running in the guest (after a SIGKILL) finishes first;
    // this process is their subreaper (see `kill_loop`), so they are reaped
    // here rather than whenever PID 1 gets to it.
    let drain = Instant::now();
    let group = Pid::from_raw(-pid.as_raw());
    loop {
        match waitpid(group, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => std::thread::sleep(Duration::from_millis(2)),
            Ok(_) => {}
            Err(_) if killpg(pid, None).is_ok() => std::thread::sleep(Duration::from_millis(2)),
            Err(_) => break,
        }
    }
    (finished, drain.elapsed())
}

fn seeded() -> impl FnMut() -> u64 {
    let mut seed: u64 = std::env::var("PHX_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
        | 1;
    eprintln!("kill test seed {seed} (PHX_KILL_SEED replays it)");
    move || {
        // xorshift64*: enough randomness for kill points, no dependency.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The kills (of `PHX_KILLS`, default 100) one of the two tests makes.
fn share(half: usize) -> usize {
    let all: usize = std::env::var("PHX_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100);
    [all / 2, all - all / 2][half]
}

/// Kills `kills` runs of the case's plans (alternating, so each run
/// rewrites the file) at random points and checks the file after each.
fn kill_loop(case: Case, kills: usize) {
    let started = Instant::now();
    nix::sys::prctl::set_child_subreaper(true).unwrap();
    let mut next = seeded();
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    running_ct(r, CT);
    put(r, CT, case.path, &case.versions[0], case.mode, 0, 0);
    let path = pct_path();
    let version = |r: &Path| {
        let (content, mode, _, _) = stat(r, CT, case.path);
        assert_eq!(mode, case.mode, "{} keeps its mode", case.path);
        case.versions
            .iter()
            .position(|v| *v == content)
            .ok_or(content.len())
    };
    let forever = Duration::from_secs(600);
    let mut targeted = 0;
    // How long a whole run takes (the shortest seen): kill points are drawn
    // up to 1.1 times it, so some runs finish, and those must have converged.
    let t = Instant::now();
    assert_eq!(
        run_killed(r, &path, &case.plans[1], forever, false, false)
            .0
            .map(|f| f.0),
        Some(0)
    );
    let mut whole = t.elapsed();
    // And how long a write takes (the shortest seen), from a first guess.
    let mut write_window = Duration::from_millis(600);
    assert_eq!(version(r), Ok(1));
    let (mut killed, mut finished, mut in_write) = (0, 0, 0);
    let mut drained = Duration::ZERO;
    while killed < kills {
        // Half the kills anywhere in the run, half while its in-guest
        // write runs (pct starting, the `cat`, the checks, the rename).
        let from_write = next().is_multiple_of(2);
        let span = if from_write { write_window } else { whole };
        let delay = span.mul_f64((next() % 1100) as f64 / 1000.0);
        let group = next().is_multiple_of(2);
        // Always the other version, so every run has a write to be killed in.
        let want = 1 - version(r).unwrap();
        let log_before = double_log_len(r);
        let (status, drain) = run_killed(r, &path, &case.plans[want], delay, group, from_write);
        drained += drain;
        let now = version(r);
        let sig = if group {
            "SIGHUP to the group"
        } else {
            "SIGKILL"
        };
        assert!(
            now.is_ok(),
            "kill {killed} ({sig} after {delay:?}): {} is torn: {now:?} bytes",
            case.path
        );
        match status {
            Some((code, took)) => {
                if from_write {
                    write_window = write_window.min(took);
                } else {
                    whole = whole.min(took);
                }
                assert_eq!(code, 0, "a run after kills exits 0");
                assert_eq!(now, Ok(want), "a finished run converged");
                finished += 1;
            }
            None => {
                killed += 1;
                targeted += usize::from(from_write);
                in_write += usize::from(last_call_was_a_write(r, log_before));
            }
        }
    }
    // A rerun converges, and the one after it changes nothing.
    for _ in 0..2 {
        assert_eq!(
            run_killed(r, &path, &case.plans[0], forever, false, false)
                .0
                .map(|f| f.0),
            Some(0)
        );
    }
    assert_eq!(version(r), Ok(0));
    assert_eq!(temps_beside(r, CT, case.path), Vec::<String>::new());
    eprintln!(
        "{}: {killed} kills ({targeted} timed from the write's start; {in_write} while a write ran \
         in the guest), {finished} runs finished, \
         0 torn; a whole run {whole:?}, waiting for what kills left running {drained:?}, \
         this test {:?}",
        case.path,
        started.elapsed()
    );
    assert!(in_write > 0, "some kills must hit an in-guest write");
}

#[test]
fn killed_guest_file_writes_never_leave_a_torn_file() {
    if !crate::alone::alone("guest_kill::killed_guest_file_writes_never_leave_a_torn_file") {
        return;
    }
    kill_loop(file_case(), share(0));
}

#[test]
fn killed_guest_json_writes_never_leave_a_torn_file() {
    if !crate::alone::alone("guest_kill::killed_guest_json_writes_never_leave_a_torn_file") {
        return;
    }
    kill_loop(json_case(), share(1));
}

/// Whether the pct log has, after byte `from`, the call of a write script.
fn write_started(root: &Path, from: u64) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(root.join("pct.log")) else {
        return false;
    };
    let mut tail = String::new();
    f.seek(SeekFrom::Start(from)).unwrap();
    f.read_to_string(&mut tail).unwrap();
    tail.contains(" phx-write ") || tail.contains(" phx-rewrite ")
}

fn double_log_len(root: &Path) -> usize {
    std::fs::read_to_string(root.join("pct.log")).map_or(0, |l| l.lines().count())
}

/// Whether the last pct call a killed run made was a write into the guest.
fn last_call_was_a_write(root: &Path, before: usize) -> bool {
    let log = std::fs::read_to_string(root.join("pct.log")).unwrap_or_default();
    log.lines()
        .skip(before)
        .last()
        .is_some_and(|l| l.contains(" phx-write ") || l.contains(" phx-rewrite "))
}
