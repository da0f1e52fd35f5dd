//! Live output of a run: each step's line (and its diff) as soon as the step
//! finishes, and on a terminal a one-line spinner for the step in flight,
//! redrawn in place on stderr. In a pipe, under `--json` or on a dumb
//! terminal there is no spinner, only plain lines.
//!
//! Hand-written rather than `indicatif`: one line, one background thread
//! and two escape sequences (`\r`, erase line) are all this needs, and the
//! thread must share a lock with the step lines anyway so a redraw never
//! lands in the middle of one.

use crate::color::{ColorChoice, Paint};
use crate::report::{self, Show};
use crate::{Observer, Outcome, Report};
use phx_plan::Step;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the spinner redraws, and how long a step runs before it shows.
const TICK: Duration = Duration::from_millis(100);
const SHOW_AFTER: Duration = Duration::from_millis(300);
/// The spinner line is cut to this many characters so it never wraps on a
/// common terminal (a wrapped line cannot be erased with `\r`).
const MAX_WIDTH: usize = 72;
const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
const ERASE: &str = "\r\x1b[2K";

/// What the spinner thread and the step lines share.
#[derive(Default)]
struct Line {
    /// The step in flight and when it started.
    current: Option<(String, Instant)>,
    /// The spinner is on screen and must be erased before anything is printed.
    drawn: bool,
    stop: bool,
}

type Shared = Arc<(Mutex<Line>, Condvar)>;

fn lock(shared: &Shared) -> MutexGuard<'_, Line> {
    shared.0.lock().unwrap_or_else(|e| e.into_inner())
}

/// The observer `phx-apply` prints through.
pub struct Live {
    show: Show,
    /// Diffs go to stdout, coloured by their own stream's terminal-ness.
    diff_paint: Paint,
    print_diffs: bool,
    shared: Shared,
    spinner: Option<JoinHandle<()>>,
}

impl Live {
    /// `json`: the report goes to stdout as JSON, so diffs stay in it and no
    /// spinner is drawn; the step lines and recap still go to stderr.
    pub fn new(check: bool, verbose: bool, json: bool, color: ColorChoice) -> Live {
        let stderr = std::io::stderr();
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        let shared: Shared = Arc::default();
        let spinner = (!json && stderr.is_terminal() && !dumb).then(|| {
            let shared = shared.clone();
            std::thread::spawn(move || spin(&shared))
        });
        Live {
            show: Show {
                check,
                verbose,
                paint: color.for_stream(&stderr),
            },
            diff_paint: color.for_stream(&std::io::stdout()),
            print_diffs: !json,
            shared,
            spinner,
        }
    }

    /// Stops the spinner and prints the recap.
    pub fn finish(mut self, report: &Report) {
        self.stop();
        eprint!("{}", report::recap(report, self.show));
    }

    fn stop(&mut self) {
        if let Some(t) = self.spinner.take() {
            lock(&self.shared).stop = true;
            self.shared.1.notify_all();
            let _ = t.join();
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Observer for Live {
    fn started(&mut self, n: usize, total: usize, step: &Step) {
        if self.spinner.is_some() {
            let what = format!("[{n}/{total}] {} {}", step.action.kind(), step.id);
            lock(&self.shared).current = Some((what, Instant::now()));
        }
    }

    fn finished(&mut self, n: usize, total: usize, outcome: &Outcome) {
        // Held while printing: the spinner cannot draw between these writes.
        let mut line = lock(&self.shared);
        line.current = None;
        let mut err = std::io::stderr().lock();
        if line.drawn {
            let _ = write!(err, "{ERASE}");
            line.drawn = false;
        }
        // A closed stream (`| head`) must not stop the run half-way.
        if let (true, Some(d)) = (self.print_diffs, &outcome.diff) {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(crate::diff::colour(d, self.diff_paint).as_bytes());
            let _ = out.flush();
        }
        if report::shown(outcome, self.show.verbose) {
            let _ = err.write_all(report::line(outcome, n, total, self.show).as_bytes());
        }
        let _ = err.flush();
    }
}

/// The spinner thread: redraws the step in flight until told to stop.
fn spin(shared: &Shared) {
    let mut frame = 0usize;
    let mut line = lock(shared);
    loop {
        line = shared
            .1
            .wait_timeout(line, TICK)
            .map(|(g, _)| g)
            .unwrap_or_else(|e| e.into_inner().0);
        let mut err = std::io::stderr().lock();
        if line.stop {
            if line.drawn {
                let _ = write!(err, "{ERASE}");
                let _ = err.flush();
            }
            return;
        }
        let Some((what, since)) = &line.current else {
            continue;
        };
        let elapsed = since.elapsed();
        if elapsed < SHOW_AFTER {
            continue;
        }
        frame = (frame + 1) % FRAMES.len();
        let time = format!(" {:.1} s", elapsed.as_secs_f64());
        let room = MAX_WIDTH.saturating_sub(2 + time.len());
        let what: String = what.chars().take(room).collect();
        let _ = write!(err, "{ERASE}{} {what}{time}", FRAMES[frame]);
        let _ = err.flush();
        line.drawn = true;
    }
}
