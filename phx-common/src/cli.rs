//! Command-line plumbing shared by every tool: how configuration is found,
//! how plans and rendered files are printed, and the exit-status contract
//! (0 ok, 1 runtime failure, 2 bad input or usage, 3 `--check` with changes).

use crate::config::{self, Input, Inventory, Problems};
use crate::guests;
use phx_plan::exit::{EXIT_FAILED, EXIT_INVALID, EXIT_OK};
use phx_plan::{Plan, PlanWriter};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Where the original system kept its JSON; used when nothing else is given.
pub const DEFAULT_CONFIG_DIR: &str = "/usr/local/phoenix_hypervisor/etc";

#[derive(clap::Args, Debug, Clone)]
pub struct InputArgs {
    /// Configuration files, in any order: each is recognised by its shape.
    /// `-` reads a stream of JSON documents from stdin (`cat etc/*.json | phx-dns -`).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Directory holding phoenix_hypervisor_config.json, phoenix_lxc_configs.json
    /// and phoenix_vm_configs.json. Default: /usr/local/phoenix_hypervisor/etc,
    /// or stdin when it is a pipe.
    #[arg(long, value_name = "DIR", conflicts_with = "files")]
    pub config_dir: Option<PathBuf>,

    /// Read the machine's current state (existing files, guest configs) under DIR
    /// instead of `/`, to plan offline or against a staging tree: the same
    /// DIR as phx-apply's and phoenix-cli's --root (--state-root is the
    /// older name, kept).
    #[arg(
        long = "root",
        visible_alias = "state-root",
        value_name = "DIR",
        default_value = "/"
    )]
    pub state_root: PathBuf,

    /// Refuse keys Phoenix does not read (exit 2) instead of warning about
    /// them. Keys the original system's files carry are always accepted.
    #[arg(long)]
    pub strict: bool,

    /// Take the default CT<id>/VM<id> (DHCP) for a live guest whose entry
    /// has no `name` (no `ip`). Default: every tool keeps the guest's live
    /// name (address), as it is under --root, and warns.
    #[arg(long)]
    pub allow_rename: bool,
}

impl InputArgs {
    pub fn input(&self) -> Input {
        if let Some(d) = &self.config_dir {
            Input::Dir(d.clone())
        } else if self.files.iter().any(|f| f.as_os_str() == "-") {
            Input::Stdin
        } else if !self.files.is_empty() {
            Input::Files(self.files.clone())
        } else if !std::io::stdin().is_terminal() && !Path::new(DEFAULT_CONFIG_DIR).exists() {
            Input::StdinInsteadOf(PathBuf::from(DEFAULT_CONFIG_DIR))
        } else {
            Input::Dir(PathBuf::from(DEFAULT_CONFIG_DIR))
        }
    }

    /// Loads the inventory; what loading warns about is printed here, under
    /// the tool's name, so every tool reports it the same way.
    pub fn load(&self, tool: &str) -> Result<Inventory, Failure> {
        self.load_with(tool, config::Rules::Keep)
    }

    /// Loads the inventory for a tool that never reads firewall rules: they
    /// are checked as by `load`, then dropped (`Rules::CheckOnly`).
    pub fn load_without_rules(&self, tool: &str) -> Result<Inventory, Failure> {
        self.load_with(tool, config::Rules::CheckOnly)
    }

    /// Loads the inventory, its firewall rules kept or dropped as `rules` says.
    pub fn load_with(&self, tool: &str, rules: config::Rules) -> Result<Inventory, Failure> {
        crate::alloc::return_freed_memory_at_once();
        let opts = config::load::Options {
            strict: self.strict,
            rules,
        };
        let mut inv = config::load::load_with(&self.input(), opts).map_err(Failure::Invalid)?;
        let held = guests::unwritten::resolve(&mut inv, &self.state_root, self.allow_rename)?;
        inv.warnings.extend(held);
        warn(tool, &inv.warnings);
        Ok(inv)
    }

    /// A path on the managed machine, as seen under `--root`.
    pub fn observed(&self, path: &str) -> PathBuf {
        phx_plan::fsutil::under_root(&self.state_root, path)
    }
}

/// `render`'s arguments, the same for every tool.
#[derive(clap::Args, Debug, Clone)]
pub struct RenderArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the files under DIR at their real paths instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Why a tool stopped.
#[derive(Debug)]
pub enum Failure {
    /// The configuration is wrong: every problem, exit 2, nothing done.
    Invalid(Problems),
    /// The command line is wrong, or the input is refused: exit 2.
    Usage(String),
    /// Something failed at run time: exit 1.
    Runtime(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Runtime(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Runtime(e.into())
    }
}

/// The start and restart flags of the guest tools (phx-lxc, phx-vm).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct GuestFlags {
    /// Start nothing.
    #[arg(long, conflicts_with = "start_all")]
    pub no_start: bool,
    /// Start every guest in the file that is not running, not only those
    /// with start_at_boot (a VM template is never started).
    #[arg(long)]
    pub start_all: bool,
    /// Reboot running guests whose changes reach them only at their next
    /// start. Default: report them.
    #[arg(long)]
    pub restart: bool,
}

impl GuestFlags {
    pub fn options(self) -> guests::Options {
        guests::Options {
            start: guests::StartMode::from_flags(self.no_start, self.start_all),
            restart: self.restart,
        }
    }
}

/// `--guest ID` and `--action`: which guests a guest tool acts on, and how
/// (guests::Selection). Without `--guest`: every guest, converged.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct GuestFilter {
    /// Act on this guest (CTID or VMID; repeatable) and leave every other
    /// alone, except what it needs first (its clone source and
    /// dependencies, transitively, containers and VMs alike): those are only
    /// made when missing and started when not running, never converged.
    #[arg(long = "guest", value_name = "ID")]
    pub guests: Vec<u32>,
    /// What to do to the --guest guests: converge (make them exist and match
    /// their entries, the default), start, stop (shut down, forced after
    /// 60 s — a VM's own `startup: down=` when it has one), restart (reboot
    /// when running, after what it needs has started; else start), delete
    /// (stop, then destroy with its disks; refused while another configured
    /// guest depends on it or clones from it, or while it is protected or
    /// locked). Stops and deletes run before every other step, dependents
    /// first.
    #[arg(long, value_enum, value_name = "ACTION", default_value = "converge")]
    pub action: guests::Action,
}

impl GuestFilter {
    /// The selection it makes over `inv`; exit 2 for an ID in neither file
    /// or a delete of a guest others need.
    pub fn selection(&self, inv: &Inventory) -> Result<guests::Selection, Failure> {
        guests::Selection::of(inv, &self.guests, self.action).map_err(Failure::Usage)
    }
}

/// Prints warnings the way every tool does: `TOOL: warning: …` on stderr.
pub fn warn(tool: &str, warnings: &[String]) {
    for w in warnings {
        eprintln!("{tool}: warning: {w}");
    }
}

/// Leaves `model` (the inventory, what was observed, a kept plan or one
/// whose stream has ended) to the process's exit, which comes next: freeing 10,000 guests' entries one
/// allocation at a time is about 25 M instructions, and the freed pages go
/// back to the system one call at a time (`alloc.rs`).
pub fn leave_to_exit<T>(model: T) {
    std::mem::forget(model);
}

/// Prints the failure the way every tool does and maps it to an exit status.
pub fn finish(tool: &str, result: Result<u8, Failure>) -> ExitCode {
    ExitCode::from(finish_to(&mut std::io::stderr().lock(), tool, result))
}

/// [`finish`], said into `err`: the exit status.
pub fn finish_to(err: &mut dyn Write, tool: &str, result: Result<u8, Failure>) -> u8 {
    // What cannot be said on stderr has nowhere else to go.
    let mut say = |line: std::fmt::Arguments| {
        let _ = writeln!(err, "{tool}: {line}");
    };
    match result {
        Ok(code) => code,
        Err(Failure::Invalid(mut problems)) => {
            // Warnings often explain what was checked; they come first.
            for w in problems.take_warnings() {
                say(format_args!("warning: {w}"));
            }
            for p in &problems.list {
                say(format_args!("{p}"));
            }
            if let Some(more) = problems.more() {
                say(format_args!("{more}"));
            }
            say(format_args!(
                "{} problem(s) in the configuration; nothing was planned or written",
                problems.count()
            ));
            EXIT_INVALID
        }
        Err(Failure::Usage(msg)) => {
            say(format_args!("{msg}"));
            EXIT_INVALID
        }
        Err(Failure::Runtime(e)) => {
            say(format_args!("error: {e:#}"));
            EXIT_FAILED
        }
    }
}

/// A plan that writes each step to stdout, buffered, as it is pushed
/// ([`PlanWriter::finish`] ends it): the guest tools' plans, 21,000 steps
/// at 10,000 guests.
pub fn stdout_plan(tool: &str) -> PlanWriter {
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    PlanWriter::new(tool, Box::new(out))
}

/// Writes a plan to stdout as JSON Lines. A closed pipe (`| head`) is not an error.
pub fn emit(plan: &Plan) -> Result<u8, Failure> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match plan.write_jsonl(&mut out).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(EXIT_OK),
    }
}

/// `render`: generated files to stdout (headed by `==> PATH <==` when there are
/// several) or, with `--out DIR`, written under DIR at their real paths.
pub fn render(files: &[(String, String)], out: Option<&Path>) -> Result<u8, Failure> {
    match out {
        Some(dir) => {
            // phx-fw writes 5,001 files at 10,000 guests: each directory is
            // made once and the "wrote" lines go out in one write, not three
            // system calls a line.
            let mut made = std::collections::HashSet::new();
            let mut wrote = String::new();
            let written = files.iter().try_for_each(|(path, content)| {
                let dest = phx_plan::fsutil::under_root(dir, path);
                if let Some(parent) = dest.parent() {
                    if !made.contains(parent) {
                        std::fs::create_dir_all(parent)?;
                        made.insert(parent.to_path_buf());
                    }
                }
                std::fs::write(&dest, content)?;
                wrote.push_str(&format!("wrote {}\n", dest.display()));
                Ok::<_, std::io::Error>(())
            });
            // What was written is said even when a later file failed.
            std::io::stderr().lock().write_all(wrote.as_bytes())?;
            written?;
        }
        None => {
            let mut text = String::new();
            for (path, content) in files {
                if files.len() > 1 {
                    text.push_str(&format!("==> {path} <==\n"));
                }
                text.push_str(content);
            }
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout.write_all(text.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(e.into());
                }
            }
        }
    }
    Ok(EXIT_OK)
}
