//! The contract every planner keeps (docs/tools.md, "The tool contract"):
//! a library type implementing [`Tool`], and a main.rs that is one call,
//! `phx_common::tool::main::<phx_x::tool::X>()`. Loading, timing, printing
//! what the planner has to say, writing the plan and the exit status are
//! done here, once, so no two tools drift apart.

use crate::cli::{finish, leave_to_exit, render, stdout_plan, Failure, InputArgs, RenderArgs};
use crate::config::{Inventory, Rules};
use phx_plan::exit::EXIT_OK;
use phx_plan::{Plan, PlanWriter, StepSink};
use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod in_process;
pub use in_process::{library, own_program, set_programs, Library, Outcome};

/// A planner: reads the configuration and the machine, prints a plan.
pub trait Tool {
    /// The binary's name, which prefixes everything it says.
    const NAME: &'static str;
    /// Its whole command line.
    type Cli: clap::Parser;
    /// What its command line sets for planning.
    type Options;
    /// What it reads of the machine before planning.
    type Observed;
    /// Its subcommands beyond `plan` and `render` ([`std::convert::Infallible`]
    /// when it has none).
    type Extra;

    /// What the command line asks for.
    fn route(cli: Self::Cli) -> Route<Self::Options, Self::Extra>;

    /// Whether it keeps the firewall rules it loads. Default: checked,
    /// then dropped (`Rules::CheckOnly`): only phx-fw reads them.
    const RULES: Rules = Rules::CheckOnly;

    /// The inventory, as this tool needs it ([`Self::RULES`]).
    fn load(input: &InputArgs) -> Result<Inventory, Failure> {
        input.load_with(Self::NAME, Self::RULES)
    }

    /// Reads the machine (under `--root`).
    fn observe(inv: &Inventory, input: &InputArgs) -> Result<Self::Observed, Failure>;

    /// Plans into `sink`, which it hands back with what it has to say. A
    /// refusal (bad input, or the machine's files as they are) writes no step.
    fn plan(
        inv: &Inventory,
        seen: &Self::Observed,
        options: Self::Options,
        sink: PlanWriter,
    ) -> Result<Planned, Failure>;

    /// The files the plan would write, whole, by path. Default, for a tool
    /// whose command line has no `render` (phx-vm: `qm` writes its files):
    /// never reached.
    fn render(_inv: &Inventory, _input: &InputArgs) -> Result<Rendered, Failure> {
        Err(Failure::Usage(format!("{} renders no file", Self::NAME)))
    }

    /// What the tool says once its plan ran (phx-ca: the exported root's
    /// fingerprint); `None`, nothing (yet). Default: nothing.
    fn after_run(_inv: &Inventory, _input: &InputArgs) -> Result<Option<String>, Failure> {
        Ok(None)
    }

    /// One of its own subcommands on an inventory another program loaded
    /// (phoenix-cli's check lists phx-fw's flows so): its output into `out`,
    /// what it says into `err`. `None`: that subcommand is its binary's only
    /// (the default, for every one).
    fn extra_loaded(
        _inv: &Inventory,
        _cmd: Self::Extra,
        _out: &mut dyn Write,
        _err: &mut dyn Write,
    ) -> Option<Result<u8, Failure>> {
        None
    }

    /// One of its own subcommands; it loads what it needs itself.
    fn extra(cmd: Self::Extra) -> Result<u8, Failure>;
}

/// What a command line asks a tool for.
pub enum Route<O, E> {
    Plan { input: InputArgs, options: O },
    Render(RenderArgs),
    Extra(E),
}

/// A plan made, and what the planner says about it.
pub struct Planned {
    pub sink: PlanWriter,
    pub summary: Summary,
}

impl Planned {
    /// A plan made whole (the tools whose plans are small) goes to the sink
    /// step by step: the same lines `Plan::write_jsonl` writes.
    pub fn whole(plan: Plan, mut sink: PlanWriter, summary: Summary) -> Planned {
        for step in plan.steps {
            sink.add(step);
        }
        Planned { sink, summary }
    }
}

/// `render`'s files and what the tool says about them.
pub struct Rendered {
    pub files: Vec<(String, String)>,
    pub summary: Summary,
}

/// What a tool says on stderr besides its plan, in this order.
#[derive(Debug, Default)]
pub struct Summary {
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    /// One line per guest that gets steps (the guest tools).
    pub progress: Vec<String>,
    /// The guest tools' closing line.
    pub guests: Option<GuestCounts>,
}

/// The counts of a guest tool's closing line.
#[derive(Debug)]
pub struct GuestCounts {
    /// "container", "VM".
    pub noun: &'static str,
    pub total: usize,
    pub existing: usize,
    pub running: usize,
    pub to_change: usize,
    /// The Proxmox program read while planning ("pct", "qm"), and how often.
    pub program: &'static str,
    pub calls: usize,
}

/// Where the time went, for the guest tools' closing line.
struct Times {
    start: Instant,
    load: Duration,
    observe: Duration,
    plan: Duration,
}

/// The whole of a planner's main.rs: parses, runs, exits.
pub fn main<T: Tool>() -> ExitCode {
    use clap::Parser;
    finish(T::NAME, run::<T>(T::Cli::parse()))
}

fn run<T: Tool>(cli: T::Cli) -> Result<u8, Failure> {
    match T::route(cli) {
        Route::Plan { input, options } => plan::<T>(&input, options),
        Route::Render(RenderArgs { input, out }) => {
            let inv = T::load(&input)?;
            let r = T::render(&inv, &input)?;
            say(&mut std::io::stderr().lock(), T::NAME, &r.summary, None, 0)?;
            render(&r.files, out.as_deref())
        }
        Route::Extra(cmd) => T::extra(cmd),
    }
}

fn plan<T: Tool>(input: &InputArgs, options: T::Options) -> Result<u8, Failure> {
    let start = Instant::now();
    let inv = T::load(input)?;
    let load = start.elapsed();
    let mut err = std::io::stderr().lock();
    let seen = plan_on::<T>(
        &inv,
        input,
        options,
        stdout_plan(T::NAME),
        &mut err,
        (start, load),
    )?;
    leave_to_exit((inv, seen));
    Ok(EXIT_OK)
}

/// Observes, plans into `sink` and says the summary into `err`, once the
/// inventory is loaded (`started` and the load's time, for the closing
/// line); what was observed is handed back, for the caller to drop.
fn plan_on<T: Tool>(
    inv: &Inventory,
    input: &InputArgs,
    options: T::Options,
    sink: PlanWriter,
    err: &mut dyn Write,
    (start, load): (Instant, Duration),
) -> Result<T::Observed, Failure> {
    let before = start.elapsed();
    let seen = T::observe(inv, input)?;
    let observe = start.elapsed();
    // Steps go to the sink as they are planned, once every check passed.
    let planned = T::plan(inv, &seen, options, sink)?;
    let times = Times {
        start,
        load,
        observe: observe - before,
        plan: start.elapsed() - observe,
    };
    say(
        err,
        T::NAME,
        &planned.summary,
        Some(&times),
        planned.sink.len(),
    )?;
    planned.sink.finish()?;
    Ok(seen)
}

/// Prints a summary, `TOOL: warning: …`, `TOOL: note: …`, the progress
/// lines and the closing line, in one write: 10,000 guests are as many
/// progress lines.
fn say(
    to: &mut dyn Write,
    tool: &str,
    s: &Summary,
    times: Option<&Times>,
    steps: usize,
) -> std::io::Result<()> {
    let mut err = BufWriter::with_capacity(1 << 16, to);
    for w in &s.warnings {
        writeln!(err, "{tool}: warning: {w}")?;
    }
    for n in &s.notes {
        writeln!(err, "{tool}: note: {n}")?;
    }
    let secs = |t: Option<&Times>| t.map_or(0.0, |t| t.start.elapsed().as_secs_f64());
    // Each progress line carries the time its guest took to plan
    // (guests::Planned::progress); the closing line the whole.
    for line in &s.progress {
        for part in [tool, ": ", line, "\n"] {
            err.write_all(part.as_bytes())?;
        }
    }
    if let (Some(g), Some(t)) = (&s.guests, times) {
        writeln!(
            err,
            "{tool}: {} {}(s), {} existing, {} running, {} to change, {steps} step(s); {} {} call(s) while planning; \
             {:.3}s (load {:.3}s, observe {:.3}s, plan {:.3}s)",
            g.total,
            g.noun,
            g.existing,
            g.running,
            g.to_change,
            g.calls,
            g.program,
            secs(Some(t)),
            t.load.as_secs_f64(),
            t.observe.as_secs_f64(),
            t.plan.as_secs_f64(),
        )?;
    }
    err.flush()
}
