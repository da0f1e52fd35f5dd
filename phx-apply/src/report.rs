//! How a run reads as text: a line per step as it finishes (`[n/N]`, status,
//! kind, id, what happened, and the time of a long step) and a recap line per
//! subsystem — the tool that planned the steps. Quiet by default: only what
//! changed, would change, failed or could not be evaluated gets a line, so a
//! converged run is its recap lines alone — a preview under `--root` adds
//! the commands it did not run, capped (`not_run`); `--verbose` shows every
//! step and every step's time. Diffs live in `diff`.

use super::{Outcome, Report, Status};
use crate::color::{Paint, BOLD, DIM, GREEN, RED, YELLOW};

/// A step taking at least this long has its time on its line even when quiet.
pub const LONG_MS: u64 = 1000;

/// How the text is shaped.
#[derive(Debug, Clone, Copy, Default)]
pub struct Show {
    /// `--check`: "would change", not "changed".
    pub check: bool,
    pub verbose: bool,
    pub paint: Paint,
}

fn label(s: Status, check: bool) -> &'static str {
    match s {
        Status::Ok => "ok",
        Status::Changed if check => "would change",
        Status::Changed => "changed",
        Status::Skipped => "skipped",
        Status::Failed => "FAILED",
        Status::NotEvaluated => "not evaluated",
    }
}

fn colour_of(s: Status) -> &'static str {
    match s {
        Status::Ok => GREEN,
        Status::Changed | Status::NotEvaluated => YELLOW,
        Status::Skipped => DIM,
        Status::Failed => RED,
    }
}

/// `1.3 s` from a second on, `420 ms` below.
pub fn duration(ms: u64) -> String {
    if ms >= 1000 {
        format!("{}.{} s", ms / 1000, ms % 1000 / 100)
    } else {
        format!("{ms} ms")
    }
}

/// Whether a step gets a line: quiet runs show only what needs a look.
pub fn shown(o: &Outcome, verbose: bool) -> bool {
    verbose || !matches!(o.status, Status::Ok | Status::Skipped)
}

/// One step's line (`n` of `total`), newline-terminated; a multi-line detail
/// (a failed command's output) is indented under it.
pub fn line(o: &Outcome, n: usize, total: usize, show: Show) -> String {
    let width = total.to_string().len();
    // Padded outside the colour, so a coloured line lines up with a plain one.
    let word = label(o.status, show.check);
    let status = format!(
        "{}{}",
        show.paint.paint(colour_of(o.status), word),
        " ".repeat(13usize.saturating_sub(word.len()))
    );
    let detail = o.detail.replace('\n', "\n    ");
    let time = if show.verbose || o.elapsed_ms >= LONG_MS {
        format!(" ({})", duration(o.elapsed_ms))
    } else {
        String::new()
    };
    format!(
        "[{n:>width$}/{total}] {status} {:<8} {:<28} {detail}{time}\n",
        o.kind, o.id
    )
}

/// One recap line per tool, in the order the tools' steps ran, then where
/// backups went and whether a rollback is armed.
pub fn recap(report: &Report, show: Show) -> String {
    let paint = show.paint;
    let mut out = if show.verbose {
        String::new()
    } else {
        not_run(report)
    };
    if report.outcomes.is_empty() {
        out.push_str("recap: the plan holds no steps; nothing to do\n");
    }
    for tool in report.tools() {
        let of: Vec<&Outcome> = report.outcomes.iter().filter(|o| o.tool == tool).collect();
        let count = |s: Status| of.iter().filter(|o| o.status == s).count();
        let counted = |n: usize, what: &str, sgr: &str| {
            let text = format!("{n} {what}");
            if n > 0 {
                paint.paint(sgr, &text)
            } else {
                text
            }
        };
        let mut parts = vec![
            counted(count(Status::Ok), "ok", GREEN),
            counted(
                count(Status::Changed),
                label(Status::Changed, show.check),
                YELLOW,
            ),
            format!("{} skipped", count(Status::Skipped)),
        ];
        let unknown = count(Status::NotEvaluated);
        if unknown > 0 {
            parts.push(paint.paint(
                YELLOW,
                &format!(
                    "{unknown} commands not evaluated (pending: run with --run-commands to know)"
                ),
            ));
        }
        parts.push(counted(count(Status::Failed), "failed", RED));
        let time = if show.verbose {
            format!(" in {}", duration(of.iter().map(|o| o.elapsed_ms).sum()))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "{}: {}{time}\n",
            paint.paint(BOLD, tool),
            parts.join(", ")
        ));
    }
    if let Some(d) = &report.backup_dir {
        out.push_str(&format!(
            "this run's backup (for --rollback): {}\n",
            d.display()
        ));
    }
    for held in &report.pruning {
        out.push_str(&format!("{held}\n"));
    }
    if let Some(a) = &report.armed {
        out.push_str(&format!("{} {a}\n", paint.paint(BOLD, "ATTENTION:")));
    }
    out
}

/// How many commands a quiet preview lists (`not_run`): enough to see what a
/// change does, not 10,000 lines for 10,000 guests.
pub const NOT_RUN_SHOWN: usize = 20;

/// What a preview under `--root` did not run, one line each — the commands
/// as they would run (`would run: pct set 110 --memory 4096`), the steps
/// inside guests by guest — the first `NOT_RUN_SHOWN`, then a count. Quiet
/// runs hide skipped steps, so without this a preview would not show what
/// it would do to the guests; `--verbose` shows every step instead. The text
/// is the steps' own detail, which `--verbose` shows too: a command's argv
/// never holds a secret (`secret_from` is for files), and nothing else is
/// added.
fn not_run(report: &Report) -> String {
    const PREFIX: &str = "not run under --root: ";
    let lines: Vec<String> = report
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Skipped)
        .filter_map(|o| {
            let what = o.detail.strip_prefix(PREFIX)?;
            Some(match what.strip_prefix("acts ") {
                Some(inside) => format!("would act {inside}: {}\n", o.id),
                None => format!("would run: {what}\n"),
            })
        })
        .collect();
    let mut out: String = lines
        .iter()
        .take(NOT_RUN_SHOWN)
        .map(String::as_str)
        .collect();
    if lines.len() > NOT_RUN_SHOWN {
        out.push_str(&format!(
            "… and {} more not run under --root; -v shows every step\n",
            lines.len() - NOT_RUN_SHOWN
        ));
    }
    out
}

/// The whole report after the fact, every step shown, uncoloured: for logs
/// and tests that look at everything a run could print.
pub fn text(report: &Report, check: bool) -> String {
    let show = Show {
        check,
        verbose: true,
        paint: Paint(false),
    };
    let total = report.outcomes.len();
    let mut out: String = report
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| line(o, i + 1, total, show))
        .collect();
    out.push_str(&recap(report, show));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(tool: &str, status: Status, ms: u64) -> Outcome {
        Outcome {
            id: "x".into(),
            tool: tool.into(),
            kind: "command",
            status,
            detail: "d".into(),
            ran: false,
            diff: None,
            elapsed_ms: ms,
        }
    }

    #[test]
    fn a_long_step_shows_its_time_and_a_short_one_only_when_verbose() {
        let quiet = Show::default();
        assert!(line(&o("t", Status::Changed, 3000), 1, 2, quiet).ends_with(" d (3.0 s)\n"));
        assert!(line(&o("t", Status::Changed, 20), 1, 2, quiet).ends_with(" d\n"));
        let verbose = Show {
            verbose: true,
            ..quiet
        };
        assert!(line(&o("t", Status::Changed, 20), 1, 2, verbose).ends_with(" d (20 ms)\n"));
        assert!(line(&o("t", Status::Ok, 0), 3, 12, quiet).starts_with("[ 3/12] ok "));
    }

    #[test]
    fn a_quiet_preview_lists_what_it_did_not_run_up_to_a_cap() {
        let skipped = |detail: String| Outcome {
            status: Status::Skipped,
            detail,
            ..o("phx-lxc", Status::Skipped, 0)
        };
        let mut outcomes = vec![
            skipped("not run under --root: pct set 110 --memory 4096".into()),
            skipped("not run under --root: acts inside CT 110 through pct".into()),
            // Not a command left out: a file with nothing to edit.
            skipped("/etc/pve/lxc/111.conf does not exist (yet); nothing to edit".into()),
        ];
        let r = Report {
            outcomes: outcomes.clone(),
            ..Default::default()
        };
        let text = recap(&r, Show::default());
        assert!(
            text.starts_with("would run: pct set 110 --memory 4096\nwould act inside CT 110 through pct: x\nphx-lxc: "),
            "{text}"
        );
        // --verbose shows every step instead.
        let verbose = Show {
            verbose: true,
            ..Show::default()
        };
        assert!(recap(&r, verbose).starts_with("phx-lxc: "));
        outcomes.extend((0..30).map(|i| skipped(format!("not run under --root: pct start {i}"))));
        let r = Report {
            outcomes,
            ..Default::default()
        };
        let text = recap(&r, Show::default());
        let listed = text.lines().filter(|l| l.starts_with("would ")).count();
        assert_eq!(listed, NOT_RUN_SHOWN, "{text}");
        assert!(
            text.contains("\n… and 12 more not run under --root; -v shows every step\n"),
            "{text}"
        );
    }

    #[test]
    fn the_recap_has_a_line_per_tool_in_the_order_they_ran() {
        let r = Report {
            outcomes: vec![
                o("phx-net", Status::Ok, 0),
                o("phx-dns", Status::Changed, 0),
                o("phx-net", Status::Skipped, 0),
            ],
            ..Default::default()
        };
        assert_eq!(
            recap(&r, Show::default()),
            "phx-net: 1 ok, 0 changed, 1 skipped, 0 failed\n\
             phx-dns: 0 ok, 1 changed, 0 skipped, 0 failed\n"
        );
    }
}
