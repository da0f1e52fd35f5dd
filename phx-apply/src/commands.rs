//! Command and handler steps: guards, running, and what the report says.
//! Each runs on the host (`on` is `None`) or in a guest (`guest::via`: the
//! guest command's own status, a VM's through its guest agent); reports
//! show the host command line either way.

use crate::guest::via;
use crate::outcome::{outcome, Outcome, Status};
use crate::run::Ran;
use crate::{run, Run};
use phx_plan::{Action, CommandStep, Guest, HandlerStep, Step};
use std::time::Duration;

impl Run<'_> {
    /// Runs `argv` on the host or in guest `on`.
    fn run_on(
        &self,
        on: Option<Guest>,
        argv: &[String],
        timeout: Duration,
    ) -> std::io::Result<Ran> {
        match on {
            None => run::run_within(argv, self.opts, None, timeout),
            Some(g) => self.run_in(g, argv, None, timeout),
        }
    }

    /// How the report shows `argv` run on the host or in guest `on`.
    fn show_on(&self, on: Option<Guest>, argv: &[String]) -> String {
        match on {
            None => run::show(argv),
            Some(g) => via::shown(g, argv, self.opts.command_timeout),
        }
    }

    /// Runs a guard; `None` when guards cannot run in this mode.
    pub(crate) fn guard(&self, on: Option<Guest>, argv: &[String]) -> Result<bool, String> {
        match self.run_on(on, argv, self.opts.command_timeout) {
            Ok(r) => Ok(r.ok()),
            // A missing program is a failed guard (a container's guard is
            // `pct exec …` argv, as before VMs); a missing qm is an error.
            Err(e) if !on.is_some_and(Guest::is_vm) && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(false)
            }
            Err(e) => Err(format!("guard {}: {e}", self.show_on(on, argv))),
        }
    }

    /// `desc` is what reports call it (a guest's command is prefixed with
    /// its guest); borrowed, so a step that only reports is not copied.
    pub(crate) fn command(
        &mut self,
        step: &Step,
        c: &CommandStep,
        desc: &str,
        on: Option<Guest>,
    ) -> Outcome {
        let shown = self.show_on(on, &c.argv);
        if !self.opts.may_run() {
            // In a check, an unevaluated command is pending, not done.
            let (status, what) = if self.opts.check {
                (Status::NotEvaluated, "guards not evaluated under --root")
            } else {
                (Status::Skipped, "not run under --root")
            };
            return outcome(step, status, format!("{what}: {shown}"));
        }
        if let Some(unless) = &c.unless {
            match self.guard(on, unless) {
                Ok(true) => {
                    return outcome(
                        step,
                        Status::Ok,
                        format!("{} (unless: {} succeeded)", desc, self.show_on(on, unless)),
                    )
                }
                Ok(false) => {}
                Err(e) => return outcome(step, Status::Failed, e),
            }
        }
        if let Some(only_if) = &c.only_if {
            match self.guard(on, only_if) {
                Ok(false) => {
                    return outcome(
                        step,
                        Status::Ok,
                        format!("{} (only_if: {} failed)", desc, self.show_on(on, only_if)),
                    )
                }
                Ok(true) => {}
                Err(e) => return outcome(step, Status::Failed, e),
            }
        }
        if self.opts.check {
            return outcome(step, Status::Changed, format!("would run: {shown}"));
        }
        let timeout = c
            .timeout_s
            .map(std::time::Duration::from_secs)
            .map_or(self.opts.command_timeout, |t| {
                t.max(self.opts.command_timeout)
            });
        self.execute(step, on, &c.argv, desc, timeout)
    }

    /// A handler on the host, or in guest `on` (a `guest_handler` step).
    pub(crate) fn handler(&mut self, step: &Step, h: &HandlerStep, on: Option<Guest>) -> Outcome {
        let (argv, only_if, superseded_by) = (&h.argv, h.only_if.as_deref(), &h.superseded_by);
        let shown = self.show_on(on, argv);
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
            match self.guard(on, only_if) {
                Ok(false) => {
                    return outcome(
                        step,
                        Status::Ok,
                        format!(
                            "notified, but only_if: {} failed",
                            self.show_on(on, only_if)
                        ),
                    )
                }
                Ok(true) => {}
                Err(e) => return outcome(step, Status::Failed, e),
            }
        }
        if self.opts.check {
            return outcome(step, Status::Changed, format!("would run: {shown}"));
        }
        // The runs this handler rolls back with: those whose changes owe
        // it (an earlier, killed run's too), and this one if it changed files.
        let mut runs = self.owed_for(&step.id);
        if self.backup_dir.is_some() && !runs.contains(&self.run_id) {
            runs.push(self.run_id.clone());
        }
        let backups = match self.opts.state_dir() {
            Ok(d) => d.join("backups"),
            Err(e) => return outcome(step, Status::Failed, format!("{e:#}")),
        };
        runs.retain(|r| backups.join(r).is_dir());
        // An earlier run's backup that does not verify cannot be rolled
        // back; arming it would promise what the timer cannot keep.
        let mut unusable = Vec::new();
        runs.retain(|r| {
            let usable = *r == self.run_id || crate::manifest::read(&backups.join(r)).is_ok();
            if !usable {
                unusable.push(r.clone());
            }
            usable
        });
        let mut note = None;
        if let (true, Some(seconds)) = (h.confirm, self.opts.confirm_timeout) {
            match self.arm(seconds, &runs) {
                Ok(n) => note = n,
                Err(e) => return outcome(step, Status::Failed, format!("{e:#}")),
            }
        }
        if let Err(e) = self.record_handler(on, argv, &runs) {
            return outcome(step, Status::Failed, format!("{e:#}"));
        }
        let timeout = if h.confirm {
            self.opts.confirm_handler_timeout()
        } else {
            self.opts.command_timeout
        };
        let mut o = self.execute(step, on, argv, &shown, timeout);
        if let Some(n) = note {
            o.detail = format!("{} ({n})", o.detail);
        }
        if !unusable.is_empty() {
            o.detail = format!(
                "{} (owed for run {}, whose backup does not verify: no rollback of it)",
                o.detail,
                unusable.join(", ")
            );
        }
        o
    }

    pub(crate) fn execute(
        &mut self,
        step: &Step,
        on: Option<Guest>,
        argv: &[String],
        desc: &str,
        timeout: Duration,
    ) -> Outcome {
        let shown = self.show_on(on, argv);
        if let Err(e) = self.owe(step.action.notify()) {
            return outcome(step, Status::Failed, format!("{e:#}"));
        }
        match self.run_on(on, argv, timeout) {
            Ok(r) if r.ok() => {
                let detail = match shows_output(step) {
                    true if !r.output().is_empty() => {
                        format!("{desc}; output:\n{}", tail(&r.output(), SHOWN_OUTPUT))
                    }
                    _ => desc.to_string(),
                };
                let mut o = outcome(step, Status::Changed, detail);
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

/// The most of a succeeding command's output its outcome shows: its end,
/// where a script says how it finished.
const SHOWN_OUTPUT: usize = 16 * 1024;

/// Whether the step asks for its output when it succeeds (`show_output`).
fn shows_output(step: &Step) -> bool {
    match &step.action {
        Action::Command(c) => c.show_output,
        Action::GuestCommand(g) => g.command.show_output,
        _ => false,
    }
}

/// The last `max` bytes of `text` (at a character boundary), marked when cut.
fn tail(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut from = text.len() - max;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    format!("[… {from} bytes before]\n{}", &text[from..])
}

#[cfg(test)]
mod tests {
    use super::tail;

    #[test]
    fn a_long_output_keeps_its_end_and_says_what_was_cut() {
        assert_eq!(tail("short", 16), "short");
        let long = format!("{}é-the end", "x".repeat(40));
        let t = tail(&long, 9);
        assert_eq!(t, "[… 42 bytes before]\n-the end");
        assert!(
            tail(&long, 10).ends_with("-the end"),
            "cut at a character boundary"
        );
    }
}
