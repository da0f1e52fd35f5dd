//! The plan: JSON Lines, one step per line, in execution order. Tools only
//! ever produce steps; `phx-apply` is the one thing that acts on them.

use crate::plan_stream::Stream;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

pub use crate::plan_guest::{
    FromGuestStep, GuestCommandStep, GuestFileStep, GuestJsonStep, GuestSecretStep, JsonSet,
    JsonUpsert,
};

pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub v: u32,
    pub tool: String,
    /// Stable and unique within a plan; `notify` names it.
    pub id: String,
    #[serde(flatten)]
    pub action: Action,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Action {
    File(FileStep),
    Block(BlockStep),
    Lines(LinesStep),
    Absent(AbsentStep),
    Command(CommandStep),
    Handler(HandlerStep),
    Secret(SecretStep),
    #[serde(rename = "guest_file")]
    GuestFile(GuestFileStep),
    #[serde(rename = "guest_command")]
    GuestCommand(GuestCommandStep),
    #[serde(rename = "guest_secret")]
    GuestSecret(GuestSecretStep),
    #[serde(rename = "guest_json")]
    GuestJson(GuestJsonStep),
    #[serde(rename = "from_guest")]
    FromGuest(FromGuestStep),
}

/// The whole file must have this content.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileStep {
    pub path: String,
    pub content: String,
    /// Octal, e.g. `"0644"`. Absent under `/etc/pve` (pmxcfs refuses chmod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Run on the temp file before it replaces the real one; `%s` is its path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// Content is never printed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub secret: bool,
    /// The mode's setuid/setgid bits are meant; without this they are refused.
    #[serde(default, skip_serializing_if = "is_false")]
    pub setid: bool,
    /// A value `content` needs that must not be in the plan: the executor
    /// reads it when it applies the step. Only with `secret`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_from: Option<SecretRef>,
    /// A Proxmox guest's conf: see [`ConfLock`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf_lock: Option<ConfLock>,
}

/// A guest conf is written as Proxmox's tools write it: holding a flock on
/// `lock_file` (pve-guest-common PVE/AbstractConfig.pm:329 lock_config, 10 s),
/// never while its main section has `lock:` (a backup, migration or
/// snapshot in progress; `check_lock`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfLock {
    /// `/run/lock/lxc/pve-config-<ctid>.lock` (pve-container
    /// src/PVE/LXC/Config.pm:53 config_file_lock).
    pub lock_file: String,
    /// How messages name the guest (`CT 101`).
    pub guest: String,
}

/// Where a secret file's secret value lives: a JSON string in a file the
/// operator keeps (the configuration), found by an RFC 6901 pointer. The plan
/// names the place, never the value, so plans, diffs, logs and argv stay
/// clean. `guard` proves the file still describes the same thing as when the
/// plan was made (an entry moved in a list must not hand over another
/// entry's secret).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretRef {
    /// Absolute path of the JSON file.
    pub file: String,
    /// Pointer to the JSON string (`/vms/1/user_config/password`).
    pub pointer: String,
    /// Text in `content` replaced, exactly once, by the value as a JSON string.
    pub placeholder: String,
    /// Pointer and the value it must hold (`/vms/1/vmid` = 9001).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guard: Option<(String, serde_json::Value)>,
    /// The value goes in as its SHA-512 crypt (`$6$…`), as Proxmox hands
    /// cipassword to cloud-init (a crypt as it is; a matching one kept).
    #[serde(default, skip_serializing_if = "is_false")]
    pub sha512_crypt: bool,
}

/// The lines between `# BEGIN phoenix <marker>` and `# END phoenix <marker>`
/// must be `content`; the rest of the file is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockStep {
    pub path: String,
    pub marker: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

/// Each of `lines` must be present in the head of the file (before the first
/// line starting with `stop_at`, when given); missing ones are appended to
/// that head and everything else is kept byte for byte, except head lines
/// that start with one of the `owned` prefixes: those are the step's, so the
/// ones not in `lines` (and repeats) are removed. Made for files whose
/// comments carry meaning (LXC confs: `#` is the description), where markers
/// would be wrong, and that another program wrote (a cloned container's conf,
/// which inherited its source's lines).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinesStep {
    pub path: String,
    pub lines: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owned: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// As [`FileStep::conf_lock`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conf_lock: Option<ConfLock>,
}

/// The file must not exist (it is backed up before removal).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AbsentStep {
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// The file holds a secret: `--diff` says it goes, never what it held.
    #[serde(default, skip_serializing_if = "is_false")]
    pub secret: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommandStep {
    pub argv: Vec<String>,
    /// Skip when this exits 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unless: Option<Vec<String>>,
    /// Run only when this exits 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_if: Option<Vec<String>>,
    pub desc: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HandlerStep {
    pub argv: Vec<String>,
    pub desc: String,
    /// Even when notified, run only when this exits 0 (e.g. the program exists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_if: Option<Vec<String>>,
    /// Skip when any of these handlers was notified too: a restart makes a
    /// reload of the same service pointless.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded_by: Vec<String>,
    /// Lockout-prone (a bridge reload, a firewall restart): on a host reached
    /// over SSH, phx-apply arms an automatic rollback before running it,
    /// which `phx-apply --confirm` disarms.
    #[serde(default, skip_serializing_if = "is_false")]
    pub confirm: bool,
}

/// A random secret file, created once, never overwritten, never printed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretStep {
    pub path: String,
    pub bytes: usize,
    /// Octal; 0600 when absent: a secret is for its owner only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::File(_) => "file",
            Action::Block(_) => "block",
            Action::Lines(_) => "lines",
            Action::Absent(_) => "absent",
            Action::Command(_) => "command",
            Action::Handler(_) => "handler",
            Action::Secret(_) => "secret",
            Action::GuestFile(_) => "guest_file",
            Action::GuestCommand(_) => "guest_command",
            Action::GuestSecret(_) => "guest_secret",
            Action::GuestJson(_) => "guest_json",
            Action::FromGuest(_) => "from_guest",
        }
    }

    pub fn notify(&self) -> &[String] {
        match self {
            Action::File(s) => &s.notify,
            Action::Block(s) => &s.notify,
            Action::Lines(s) => &s.notify,
            Action::Absent(s) => &s.notify,
            Action::Command(s) => &s.notify,
            Action::GuestFile(s) => &s.notify,
            Action::GuestCommand(s) => &s.command.notify,
            Action::GuestJson(s) => &s.notify,
            Action::FromGuest(s) => &s.notify,
            Action::Handler(_) | Action::Secret(_) | Action::GuestSecret(_) => &[],
        }
    }

    /// The host file a step manages, if any (guest steps name theirs with `ctid`).
    pub fn path(&self) -> Option<&str> {
        match self {
            Action::File(s) => Some(&s.path),
            Action::Block(s) => Some(&s.path),
            Action::Lines(s) => Some(&s.path),
            Action::Absent(s) => Some(&s.path),
            Action::Secret(s) => Some(&s.path),
            Action::FromGuest(s) => Some(&s.path),
            Action::Command(_)
            | Action::Handler(_)
            | Action::GuestFile(_)
            | Action::GuestCommand(_)
            | Action::GuestSecret(_)
            | Action::GuestJson(_) => None,
        }
    }
}

/// Collects one tool's steps in `steps`, or, made with [`Plan::streaming`],
/// writes each as it is pushed: a guest tool's plan at 10,000 guests is
/// 21,000 steps, which held whole cost more memory than the rest of the
/// tool, and the time to fault that memory in.
#[derive(Debug, Default)]
pub struct Plan {
    pub tool: String,
    /// The steps kept; always empty when streaming.
    pub steps: Vec<Step>,
    stream: Option<Stream>,
}

/// Plans of at least this many steps are written by two threads.
const SPLIT_AT: usize = 512;

/// One step or trailer as a JSON line.
pub(crate) fn write_line(out: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

impl Plan {
    pub fn new(tool: &str) -> Self {
        Plan {
            tool: tool.to_string(),
            ..Default::default()
        }
    }

    /// A plan that writes each step to `out` as a JSON line when it is
    /// pushed, keeping none; [`Plan::end_stream`] writes the trailer. The
    /// lines are those [`Plan::write_jsonl`] writes for the same steps.
    pub fn streaming(tool: &str, out: Box<dyn Write + Send>) -> Self {
        Plan {
            stream: Some(Stream::new(tool, out)),
            ..Plan::new(tool)
        }
    }

    pub fn push(&mut self, id: impl Into<String>, action: Action) {
        let step = Step {
            v: VERSION,
            tool: self.tool.clone(),
            id: id.into(),
            action,
        };
        match &mut self.stream {
            Some(s) => s.send(step),
            None => self.steps.push(step),
        }
    }

    /// Steps pushed so far, kept or written.
    pub fn len(&self) -> usize {
        self.steps.len() + self.stream.as_ref().map_or(0, |s| s.sent)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where a long plan's steps split into halves of about equal text
    /// (phx-fw's cluster.fw alone is half its plan); all of a short one.
    fn halfway(&self) -> usize {
        if self.steps.len() < SPLIT_AT {
            return self.steps.len();
        }
        // File contents are the bulk of a plan's text; any other step's
        // few fields count as a short line.
        let weight = |s: &Step| match &s.action {
            Action::File(f) => f.content.len(),
            _ => 200,
        };
        let total: usize = self.steps.iter().map(weight).sum();
        let mut so_far = 0;
        self.steps
            .iter()
            .position(|s| {
                so_far += weight(s);
                so_far >= total / 2
            })
            .map_or(self.steps.len(), |i| i + 1)
    }

    /// The steps, then the trailer that says the stream is whole.
    pub fn write_jsonl(&self, out: &mut impl Write) -> std::io::Result<()> {
        debug_assert!(
            self.stream.is_none(),
            "a streaming plan ends with end_stream"
        );
        // A long plan's second half is serialised on a thread of its own
        // while the first is written: phx-fw's 5,000 file steps at 10,000
        // guests are 5 MB of JSON-escaped text, a tenth of its run.
        let (first, second) = self.steps.split_at(self.halfway());
        std::thread::scope(|s| {
            let later = (!second.is_empty()).then(|| {
                s.spawn(|| {
                    let mut text = Vec::new();
                    for step in second {
                        write_line(&mut text, step)?;
                    }
                    Ok::<_, std::io::Error>(text)
                })
            });
            for step in first {
                write_line(out, step)?;
            }
            if let Some(later) = later {
                let text = later
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                out.write_all(&text)?;
            }
            Ok::<_, std::io::Error>(())
        })?;
        write_line(out, &Trailer::new(&self.tool, self.steps.len()))
    }

    /// A streaming plan's trailer, after every step it wrote; then the
    /// output is flushed. The first error writing any line, except a reader
    /// that stopped reading (`| head`), which is no error, as for
    /// [`crate::cli::emit`]. A plan that keeps its steps writes nothing.
    pub fn end_stream(self) -> std::io::Result<()> {
        let Some(s) = self.stream else {
            return Ok(());
        };
        match s.end() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            r => r,
        }
    }
}

/// The last line of every tool's plan: which tool wrote it and how many
/// steps precede it. A planner that dies mid-way (in a pipeline without
/// `pipefail`, its exit status is lost) or a cut stream leaves no trailer or a
/// short count, and `read_jsonl` refuses the plan instead of applying half
/// of it, or nothing while saying "0 changed".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    pub v: u32,
    pub tool: String,
    pub kind: TrailerKind,
    /// Steps in this tool's segment of the stream.
    pub steps: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrailerKind {
    End,
}

impl Trailer {
    pub fn new(tool: &str, steps: usize) -> Self {
        Trailer {
            v: VERSION,
            tool: tool.to_string(),
            kind: TrailerKind::End,
            steps,
        }
    }
}

/// The most one plan stream may hold. The largest real plan (10,000 synthetic
/// guests, every tool) is about 15 MB; past this bound the input is not a plan.
pub const MAX_STREAM_BYTES: u64 = 64 << 20;

const INCOMPLETE: &str = "the plan is incomplete: its planner failed or the stream was cut";

/// Reads a plan stream: one or more tools' segments, each closed by its
/// trailer. A bad line is an error naming its line number; a stream without a
/// trailer, with steps after the last one, or with a count that does not
/// match, is refused whole.
pub fn read_jsonl(input: impl BufRead) -> anyhow::Result<Vec<Step>> {
    let mut input = input.take(MAX_STREAM_BYTES + 1);
    let mut steps = Vec::new();
    let mut segment = 0usize;
    let mut trailers = 0usize;
    let mut line = String::new();
    let mut n = 0usize;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        n += 1;
        if input.limit() == 0 {
            anyhow::bail!(
                "the plan stream is larger than {} MiB; refused",
                MAX_STREAM_BYTES >> 20
            );
        }
        if line.trim().is_empty() {
            continue;
        }
        let step: Step = match serde_json::from_str(&line) {
            Ok(s) => s,
            Err(e) => match serde_json::from_str::<Trailer>(&line) {
                Ok(t) => {
                    if t.steps != segment {
                        anyhow::bail!(
                            "{INCOMPLETE}: line {n}: {}'s trailer counts {} steps, the stream holds {segment} before it",
                            t.tool, t.steps
                        );
                    }
                    trailers += 1;
                    segment = 0;
                    continue;
                }
                Err(_) => anyhow::bail!("plan line {n}: {e}"),
            },
        };
        if step.v != VERSION {
            anyhow::bail!("plan line {n}: step {:?} has plan version {}, this phx-apply reads version {VERSION}", step.id, step.v);
        }
        segment += 1;
        steps.push(step);
    }
    if trailers == 0 {
        anyhow::bail!("{INCOMPLETE}: no trailer line (a tool's plan ends with {{\"kind\":\"end\",\"steps\":N}})");
    }
    if segment > 0 {
        anyhow::bail!("{INCOMPLETE}: {segment} step(s) after the last trailer");
    }
    let mut ids = std::collections::HashSet::new();
    for s in &steps {
        if !ids.insert(s.id.as_str()) {
            anyhow::bail!("plan: step id {:?} appears twice; ids must be unique", s.id);
        }
    }
    Ok(steps)
}

/// `argv` from string slices, for terse step construction.
pub fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
