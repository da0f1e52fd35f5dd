//! The steps phx-lxc and phx-vm make alike — a command of their Proxmox
//! program, a disk grown, a reboot that is only reported without
//! `--restart`, a start named by its rank — and the facts that tell pct
//! from qm.

use super::Options;
use crate::guest_conf::{self, Dialect};
use phx_plan::{Action, CommandStep, GuestKind, Plan, StartRank, StepSink};
use std::fmt::Display;

/// What tells pct and its containers from qm and its VMs.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// Step ids start with it: `lxc`, `vm`.
    pub prefix: &'static str,
    /// How a start step's rank names the kind.
    pub start_kind: GuestKind,
    /// `pct`, `qm`.
    pub program: &'static str,
    /// `CT`, `VM`.
    pub noun: &'static str,
    /// `container`, `VM`.
    pub guest: &'static str,
    /// Where the confs are: `/etc/pve/lxc`, `/etc/pve/qemu-server`.
    pub conf_dir: &'static str,
    pub dialect: Dialect,
    /// The column of `<program> list` that holds the status (the ID is 0).
    pub status_column: usize,
    /// When a pending change arrives: at its next `start`, `boot`.
    pub next: &'static str,
    /// What was not done without `--restart`: `restarted`, `rebooted`.
    pub not_done: &'static str,
    /// The program's words that grow a disk: `resize`, `disk resize`.
    pub resize: &'static [&'static str],
    /// The `--timeout` its shutdown is given: pct's own default, written
    /// out (pve-container src/PVE/API2/LXC/Status.pm:361 `// 60`: the CT's
    /// `startup: down=` is not read); none for qm, whose shutdown without
    /// it waits the VM's own `startup: down=`, else 60 s (qemu-server
    /// src/PVE/QemuServer.pm:6261-6264, :6282 _do_vm_stop).
    pub shutdown_timeout: Option<u32>,
}

/// Containers, through pct.
pub const CT: Kind = Kind {
    prefix: "lxc",
    start_kind: GuestKind::Lxc,
    program: "pct",
    noun: "CT",
    guest: "container",
    conf_dir: "/etc/pve/lxc",
    dialect: guest_conf::PCT,
    status_column: 1,
    next: "start",
    not_done: "restarted",
    resize: &["resize"],
    shutdown_timeout: Some(60),
};

/// VMs, through qm.
pub const VM: Kind = Kind {
    prefix: "vm",
    start_kind: GuestKind::Vm,
    program: "qm",
    noun: "VM",
    guest: "VM",
    conf_dir: "/etc/pve/qemu-server",
    dialect: guest_conf::QM,
    status_column: 2,
    next: "boot",
    not_done: "rebooted",
    resize: &["disk", "resize"],
    shutdown_timeout: None,
};

impl Kind {
    /// The conf of guest `id`: `/etc/pve/lxc/101.conf`.
    pub fn conf_path(&self, id: u32) -> String {
        format!("{}/{id}.conf", self.conf_dir)
    }

    /// The tool's program with `args`: `pct status 101`.
    pub fn argv(&self, args: &[&str]) -> Vec<String> {
        self.argv_with_room(args, 0)
    }

    /// [`Kind::argv`] with room for `more` arguments to be pushed after.
    pub fn argv_with_room(&self, args: &[&str], more: usize) -> Vec<String> {
        let mut argv = Vec::with_capacity(1 + args.len() + more);
        argv.push(self.program.to_string());
        argv.extend(args.iter().map(|a| a.to_string()));
        argv
    }
}

/// `--key value` after `argv` for each pair, in order: how pct and qm take
/// settings.
pub fn push_options<K: AsRef<str>, V: AsRef<str>>(argv: &mut Vec<String>, pairs: &[(K, V)]) {
    for (k, v) in pairs {
        // Not format!: a `pct set` of a new clone passes a dozen keys.
        let k = k.as_ref();
        let mut opt = String::with_capacity(k.len() + 2);
        opt.push_str("--");
        opt.push_str(k);
        argv.push(opt);
        argv.push(v.as_ref().to_string());
    }
}

/// A guest tool's plan and notes as they grow, with the steps both tools
/// make alike.
pub struct GuestSteps<S: StepSink = Plan> {
    pub kind: Kind,
    pub opts: Options,
    pub plan: S,
    pub notes: Vec<String>,
}

impl<S: StepSink> GuestSteps<S> {
    /// `plan` is where the steps go: a new [`Plan`], kept, or a
    /// [`phx_plan::PlanWriter`].
    pub fn new(kind: Kind, plan: S, opts: Options, notes: Vec<String>) -> Self {
        GuestSteps {
            kind,
            opts,
            plan,
            notes,
        }
    }

    pub fn command(
        &mut self,
        id: String,
        argv: Vec<String>,
        unless: Option<Vec<String>>,
        desc: String,
    ) {
        self.plan.push(
            id,
            Action::Command(CommandStep {
                show_output: false,
                argv,
                unless,
                only_if: None,
                desc,
                notify: Vec::new(),
                timeout_s: None,
            }),
        );
    }

    /// A running guest with changes that wait for its next start
    /// (`needs`): rebooted with --restart, else reported. `Some("reboot")`
    /// when a reboot was planned.
    pub fn reboot(&mut self, id: u32, tag: &str, needs: &[String]) -> Option<String> {
        if needs.is_empty() {
            return None;
        }
        let what = needs.join(", ");
        let Kind {
            prefix,
            noun,
            next,
            not_done,
            ..
        } = self.kind;
        if !self.opts.restart {
            self.notes.push(format!(
                "{noun} {id} is running: {what} take effect at its next {next} (not {not_done}; use --restart)"
            ));
            return None;
        }
        let argv = self.kind.argv(&["reboot", &id.to_string()]);
        self.command(
            format!("{prefix}:{id}:reboot"),
            argv,
            None,
            format!("{tag}: reboot to apply {what}"),
        );
        Some("reboot".to_string())
    }

    /// One `set` of guest `id` with every key that differs (`keys`, in the
    /// order they are passed); the action's short name.
    pub fn set(&mut self, id: u32, tag: &str, keys: &[(String, String)]) -> Option<String> {
        if keys.is_empty() {
            return None;
        }
        let names: Vec<&str> = keys.iter().map(|(k, _)| k.as_str()).collect();
        let id = id.to_string();
        let mut argv = self.kind.argv_with_room(&["set", &id], 2 * keys.len());
        push_options(&mut argv, keys);
        self.command(
            [self.kind.prefix, ":", &id, ":set"].concat(),
            argv,
            None,
            [tag, ": set ", &names.join(", ")].concat(),
        );
        Some(["set ", &names.join(",")].concat())
    }

    /// `disk` of guest `id` grown to `gb` GiB; the action's short name.
    pub fn resize(&mut self, id: u32, disk: &str, gb: u64, tag: &str) -> String {
        let (id_arg, size) = (id.to_string(), format!("{gb}G"));
        let mut args = self.kind.resize.to_vec();
        args.extend([id_arg.as_str(), disk, size.as_str()]);
        let argv = self.kind.argv(&args);
        self.command(
            format!("{}:{id}:resize:{disk}", self.kind.prefix),
            argv,
            None,
            format!("{tag}: grow {disk} to {size}"),
        );
        format!("resize {disk} {size}")
    }

    /// A running guest shut down, stopped hard when it has not gone down
    /// in time (`--forceStop 1`, one step; the time is
    /// [`Kind::shutdown_timeout`]'s). The planner saw it running; pct
    /// refuses the shutdown of a stopped container (Status.pm:363).
    /// `rank` is its place in the order over every guest: phx-apply runs
    /// the stops of every plan first, dependents first.
    pub fn shutdown(&mut self, id: u32, rank: usize, tag: &str) -> String {
        let id_s = id.to_string();
        let mut args = vec!["shutdown", id_s.as_str()];
        let t = self.kind.shutdown_timeout.map(|t| t.to_string());
        if let Some(t) = &t {
            args.extend(["--timeout", t.as_str()]);
        }
        args.extend(["--forceStop", "1"]);
        let argv = self.kind.argv(&args);
        let after = match &t {
            Some(t) => format!("{t}s"),
            None => "its startup down= time, else 60s".to_string(),
        };
        self.stop_step(
            id,
            rank,
            "shutdown",
            argv,
            format!("{tag}: shut down (stopped after {after})"),
        );
        "stop".to_string()
    }

    /// A command that takes guest `id` down (shutdown, destroy), carrying
    /// its `rank` as `Step::stop`.
    fn stop_step(&mut self, id: u32, rank: usize, what: &str, argv: Vec<String>, desc: String) {
        let stop = StartRank {
            rank,
            kind: self.kind.start_kind,
            id,
        };
        self.plan.push_stop(
            format!("{}:{id}:{what}", self.kind.prefix),
            Action::Command(CommandStep {
                show_output: false,
                argv,
                unless: None,
                only_if: None,
                desc,
                notify: Vec::new(),
                timeout_s: None,
            }),
            stop,
        );
    }

    /// A running guest rebooted now (`--action restart`), carrying its
    /// start `rank`: phx-apply runs it among the starts, after what the
    /// guest needs has started (a reboot before would come up without it).
    pub fn reboot_now(&mut self, id: u32, rank: usize, tag: &str) -> String {
        let argv = self.kind.argv(&["reboot", &id.to_string()]);
        let start = StartRank {
            rank,
            kind: self.kind.start_kind,
            id,
        };
        self.plan.push_start(
            format!("{}:{id}:reboot", self.kind.prefix),
            Action::Command(CommandStep {
                show_output: false,
                argv,
                unless: None,
                only_if: None,
                desc: format!("{tag}: reboot"),
                notify: Vec::new(),
                timeout_s: None,
            }),
            start,
        );
        "reboot".to_string()
    }

    /// A stopped guest destroyed with its disks, and removed from backup
    /// and replication jobs and HA (`--purge 1`: pve-container
    /// src/PVE/API2/LXC.pm:828, qemu-server src/PVE/API2/Qemu.pm:2796);
    /// both refuse a running guest (LXC.pm:880, Qemu.pm:2842).
    /// Ranked as [`GuestSteps::shutdown`]: it runs right after the
    /// guest's shutdown, before what the guest depended on goes down.
    pub fn destroy(&mut self, id: u32, rank: usize, tag: &str) -> String {
        let argv = self
            .kind
            .argv(&["destroy", &id.to_string(), "--purge", "1"]);
        self.stop_step(
            id,
            rank,
            "destroy",
            argv,
            format!("{tag}: destroy with its disks"),
        );
        "delete".to_string()
    }

    /// The start of guest `id`, carrying its `rank` in the order over every
    /// guest: phx-apply runs the starts of every plan last, in that order.
    pub fn start(&mut self, id: u32, rank: usize, tag: &str, boot_order: impl Display) -> String {
        let argv = self.kind.argv(&["start", &id.to_string()]);
        let start = StartRank {
            rank,
            kind: self.kind.start_kind,
            id,
        };
        self.plan.push_start(
            ["start:", self.kind.prefix, ":", &id.to_string()].concat(),
            Action::Command(CommandStep {
                show_output: false,
                argv,
                unless: None,
                only_if: None,
                desc: [tag, ": start (boot order ", &boot_order.to_string(), ")"].concat(),
                notify: Vec::new(),
                timeout_s: None,
            }),
            start,
        );
        "start".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::guests::Options;
    use phx_plan::Action;

    #[test]
    fn a_reboot_is_planned_only_with_restart() {
        let needs = vec!["raw lxc lines".to_string()];
        let mut s = GuestSteps::new(CT, Plan::new("phx-lxc"), Options::default(), Vec::new());
        assert_eq!(s.reboot(101, "CT 101 web", &needs), None);
        assert!(s.plan.steps.is_empty());
        assert_eq!(
            s.notes,
            ["CT 101 is running: raw lxc lines take effect at its next start (not restarted; use --restart)"]
        );
        let opts = Options {
            restart: true,
            ..Options::default()
        };
        let mut s = GuestSteps::new(CT, Plan::new("phx-lxc"), opts, Vec::new());
        assert_eq!(s.reboot(101, "CT 101 web", &[]), None, "nothing waits");
        assert_eq!(
            s.reboot(101, "CT 101 web", &needs).as_deref(),
            Some("reboot")
        );
        let Action::Command(c) = &s.plan.steps[0].action else {
            panic!("a command")
        };
        assert_eq!(s.plan.steps[0].id, "lxc:101:reboot");
        assert_eq!(c.argv, ["pct", "reboot", "101"]);
        assert_eq!(c.desc, "CT 101 web: reboot to apply raw lxc lines");
        assert!(s.notes.is_empty());
    }
}
