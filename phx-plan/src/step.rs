//! One step of a plan: what it acts on and how, as one JSON line.

use crate::download::DownloadStep;
use crate::guest::Guest;
use crate::guest_step::{
    FromGuestStep, GuestCommandStep, GuestFileStep, GuestHandlerStep, GuestJsonStep,
    GuestSecretStep,
};
use serde::{Deserialize, Serialize};

/// The plan format's version, in every step and trailer.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub v: u32,
    pub tool: String,
    /// Stable and unique within a plan; `notify` names it.
    pub id: String,
    #[serde(flatten)]
    pub action: Action,
    /// Only on a guest's start (and the reboot of `--action restart`,
    /// which must wait for what the guest needs to start): where it goes
    /// in the one start order over every guest tool's plan (phx-apply runs
    /// starts last, by rank).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<StartRank>,
    /// Only on a guest's shutdown or destroy (`--action stop|delete`): its
    /// guest's place in the same order. phx-apply runs these first, before
    /// every other step of every plan, in reverse rank order — a guest
    /// goes down before what it depends on, a VM before the container it
    /// needs though phx-lxc's plan comes first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop: Option<StartRank>,
}

/// A guest's place in the order over containers and VMs (phx-common's
/// `order`: dependencies and clone sources, then boot_order, then ID), as
/// its start (`Step::start`) or its stop (`Step::stop`) carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct StartRank {
    pub rank: usize,
    /// `lxc` or `vm`.
    pub kind: GuestKind,
    pub id: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GuestKind {
    Lxc,
    Vm,
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
    #[serde(rename = "guest_handler")]
    GuestHandler(GuestHandlerStep),
    #[serde(rename = "guest_secret")]
    GuestSecret(GuestSecretStep),
    #[serde(rename = "guest_json")]
    GuestJson(GuestJsonStep),
    #[serde(rename = "from_guest")]
    FromGuest(FromGuestStep),
    Download(DownloadStep),
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
    /// What `validate` checks, in words, for the report when the validator
    /// is not run (a preview): an argv built for a program's quirks reads
    /// badly (phx-dns's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validate_desc: Option<String>,
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
    /// What it printed goes into its outcome when it succeeds (an
    /// operator's application script: its output is theirs to read);
    /// otherwise output is shown only when a command fails.
    #[serde(default, skip_serializing_if = "is_false")]
    pub show_output: bool,
    /// At least this many seconds, whatever phx-apply's --command-timeout:
    /// a step known to outlast it (pip installing vLLM and its CUDA wheels,
    /// CUDA's toolkit, a driver's DKMS build: gigabytes, tens of minutes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<u64>,
}

/// `timeout_s` of a step that downloads or builds gigabytes.
pub const LONG_STEP_S: u64 = 3600;

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
            Action::GuestHandler(_) => "guest_handler",
            Action::GuestSecret(_) => "guest_secret",
            Action::GuestJson(_) => "guest_json",
            Action::FromGuest(_) => "from_guest",
            Action::Download(_) => "download",
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
            Action::Handler(_)
            | Action::GuestHandler(_)
            | Action::Secret(_)
            | Action::GuestSecret(_)
            | Action::Download(_) => &[],
        }
    }

    /// The guest an in-guest step acts in.
    pub fn guest(&self) -> Option<Guest> {
        match self {
            Action::GuestFile(s) => Some(s.guest),
            Action::GuestCommand(s) => Some(s.guest),
            Action::GuestHandler(s) => Some(s.guest),
            Action::GuestSecret(s) => Some(s.guest),
            Action::GuestJson(s) => Some(s.guest),
            Action::FromGuest(s) => Some(s.guest),
            _ => None,
        }
    }

    /// A handler (on the host, or a VM's): run once when notified.
    pub fn handler(&self) -> Option<&HandlerStep> {
        match self {
            Action::Handler(h) => Some(h),
            Action::GuestHandler(g) => Some(&g.handler),
            _ => None,
        }
    }

    /// The host file a step manages, if any (guest steps name theirs with `ctid` or `vmid`).
    pub fn path(&self) -> Option<&str> {
        match self {
            Action::File(s) => Some(&s.path),
            Action::Block(s) => Some(&s.path),
            Action::Lines(s) => Some(&s.path),
            Action::Absent(s) => Some(&s.path),
            Action::Secret(s) => Some(&s.path),
            Action::FromGuest(s) => Some(&s.path),
            Action::Download(s) => Some(&s.path),
            Action::Command(_)
            | Action::Handler(_)
            | Action::GuestHandler(_)
            | Action::GuestFile(_)
            | Action::GuestCommand(_)
            | Action::GuestSecret(_)
            | Action::GuestJson(_) => None,
        }
    }
}

/// `argv` from string slices, for terse step construction.
pub fn argv(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}
