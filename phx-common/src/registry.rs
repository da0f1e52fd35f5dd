//! Every program Phoenix ships, in one list: the planners with their
//! subsystem, phase and order, and the other programs. Packaging (phx-pkg:
//! man pages, completions, the .deb's /usr/bin), the tests and phoenix-cli
//! read it; nothing else keeps a list of tools (docs/adding-a-tool.md).

/// When phoenix-cli applies a planner's plan: each phase is one phx-apply
/// run, and a later phase needs what the earlier ones made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// The host itself (`phoenix-cli setup`).
    Setup,
    /// Creating and starting the guests (`phoenix-cli LetsGo`), one start
    /// order over every guest tool of the phase.
    Guests,
    /// Inside the running guests (`phoenix-cli LetsGo`, after `Guests`).
    InGuest,
}

impl Phase {
    pub const ALL: [Phase; 3] = [Phase::Setup, Phase::Guests, Phase::InGuest];

    /// The phase's key in `phoenix-cli --json`'s document.
    pub fn key(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Guests => "guests",
            Phase::InGuest => "ca",
        }
    }

    /// The group (phoenix-cli verb) the phase belongs to.
    pub fn group(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Guests | Phase::InGuest => "LetsGo",
        }
    }
}

/// The names phoenix-cli takes for several phases at once, as verbs and
/// among subsystem names.
pub const GROUPS: [(&str, &[Phase]); 3] = [
    ("setup", &[Phase::Setup]),
    ("LetsGo", &[Phase::Guests, Phase::InGuest]),
    ("all", &Phase::ALL),
];

/// The phases a group name stands for.
pub fn group(name: &str) -> Option<&'static [Phase]> {
    GROUPS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

/// What a planner says once its plan has been carried out: phoenix-cli
/// asks the planner's library (`tool::Tool::after_run`, what its binary's
/// own subcommand prints, e.g. `phx-ca fingerprint`) and prints the answer
/// after LABEL, when there is one (nothing before the plan made it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AfterRun {
    pub label: &'static str,
}

/// A planner: prints a plan that phx-apply carries out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planner {
    /// The binary, in /usr/bin.
    pub binary: &'static str,
    /// The name phoenix-cli takes to run just this planner.
    pub subsystem: &'static str,
    pub phase: Phase,
    /// Where it plans within all planners: its plan goes before a higher
    /// one's in a phase, and phoenix-cli lists subsystems in this order.
    pub order: u8,
    /// One line: what it plans.
    pub summary: &'static str,
    /// Flags only this planner (and those sharing them) take; phoenix-cli
    /// passes them on to it alone.
    pub own_flags: &'static [&'static str],
    /// Said after a successful run that applied this planner's plan.
    pub after_run: Option<AfterRun>,
    /// What `phoenix-cli check` prints before the diffs when this planner
    /// is planned: `binary ARGS --config-dir …` (phx-fw: the estate's flows
    /// and their verdicts, which its plan refuses when one is blocked).
    pub listed_by_check: Option<Listing>,
}

/// A listing a planner prints on request: `binary ARGS`, given those of its
/// own flags that the listing takes too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listing {
    pub args: &'static [&'static str],
    pub own_flags: &'static [&'static str],
}

/// A shipped program that is not a planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Program {
    pub binary: &'static str,
    pub summary: &'static str,
    /// The phoenix-cli verb that hands its arguments to this program as
    /// they are, if any.
    pub verb: Option<&'static str>,
}

/// The guest tools' start flags (phx_common::cli::GuestFlags).
const GUEST_FLAGS: &[&str] = &[
    "--restart",
    "--start-all",
    "--no-start",
    "--guest",
    "--action",
];
/// The guest filter (phx_common::cli::GuestFilter): phoenix-cli's per-guest
/// verbs pass it from their IDs, never as options of their own.
pub const GUEST_FILTER_FLAGS: &[&str] = &["--guest", "--action"];
/// The in-guest tools take only the guest filter.
const IN_GUEST_FLAGS: &[&str] = GUEST_FILTER_FLAGS;

/// Every planner, by `order`.
pub const PLANNERS: [Planner; 9] = [
    Planner {
        binary: "phx-net",
        subsystem: "net",
        phase: Phase::Setup,
        order: 1,
        summary: "host network: bridge, hostname, /etc/hosts, resolv.conf",
        own_flags: &["--rename-node"],
        after_run: None,
        listed_by_check: None,
    },
    Planner {
        binary: "phx-storage",
        subsystem: "storage",
        phase: Phase::Setup,
        order: 2,
        summary: "ZFS pools, datasets, ARC, Proxmox storages, NFS exports, bind sources",
        own_flags: &["--wipe-disks"],
        after_run: None,
        listed_by_check: None,
    },
    Planner {
        binary: "phx-dns",
        subsystem: "dns",
        phase: Phase::Setup,
        order: 3,
        summary: "dnsmasq: the guests' and services' names",
        own_flags: &[],
        after_run: None,
        listed_by_check: None,
    },
    Planner {
        binary: "phx-fw",
        subsystem: "fw",
        phase: Phase::Setup,
        order: 4,
        summary: "Proxmox firewall: cluster.fw, host.fw, <vmid>.fw",
        own_flags: &["--allow-lockout", "--allow-blocked-flow"],
        after_run: None,
        listed_by_check: Some(Listing {
            args: &["flows"],
            own_flags: &["--allow-blocked-flow"],
        }),
    },
    // Last of the host's planners: it needs the network (apt, the runfile's
    // download) and nothing of the others needs it, while its driver build
    // is the longest and most fragile step of `setup` — when it fails, the
    // DNS and the firewall before it are already in place. The guests (the
    // next phase) are what needs the GPUs ready.
    Planner {
        binary: "phx-gpu",
        subsystem: "gpu",
        phase: Phase::Setup,
        order: 5,
        summary:
            "the host's NVIDIA driver: nouveau blacklist, headers, runfile, nvidia-gpu-init.service",
        own_flags: &[],
        after_run: None,
        listed_by_check: None,
    },
    Planner {
        binary: "phx-lxc",
        subsystem: "lxc",
        phase: Phase::Guests,
        order: 6,
        summary: "LXC containers through pct",
        own_flags: GUEST_FLAGS,
        after_run: None,
        listed_by_check: None,
    },
    Planner {
        binary: "phx-vm",
        subsystem: "vm",
        phase: Phase::Guests,
        order: 7,
        summary: "VMs through qm",
        own_flags: GUEST_FLAGS,
        after_run: None,
        listed_by_check: None,
    },
    Planner {
        binary: "phx-features",
        subsystem: "features",
        phase: Phase::InGuest,
        order: 8,
        summary: "features, application scripts and VMs' NFS volumes, inside the guests",
        own_flags: IN_GUEST_FLAGS,
        after_run: None,
        listed_by_check: None,
    },
    Planner {
        binary: "phx-ca",
        subsystem: "ca",
        phase: Phase::InGuest,
        order: 9,
        summary: "Step-CA, root export, trust and Traefik inside the guests",
        own_flags: IN_GUEST_FLAGS,
        after_run: Some(AfterRun {
            label: "root CA fingerprint (SHA-256)",
        }),
        listed_by_check: None,
    },
];

/// The shipped programs that plan nothing.
pub const PROGRAMS: [Program; 6] = [
    Program {
        binary: "phx-apply",
        summary: "carries out plans: the only program that changes the machine",
        verb: None,
    },
    Program {
        binary: "phx-graph",
        summary: "draws the estate (Mermaid or DOT)",
        verb: Some("graph"),
    },
    Program {
        binary: "phx-schema",
        summary: "prints the configuration files' JSON Schemas",
        verb: Some("schema"),
    },
    Program {
        binary: "phx-verify",
        summary: "checks the live estate, read-only: DNS, the CA, every route's certificate, trust, declared flows",
        verb: Some("verify"),
    },
    Program {
        binary: "phx-migrate",
        summary: "Phoenix files from the original system's, with what its scripts hard-coded",
        verb: Some("migrate"),
    },
    Program {
        binary: "phoenix-cli",
        summary: "plans and applies by phase: setup, LetsGo, all",
        verb: None,
    },
];

/// The planner named `subsystem`.
pub fn planner(subsystem: &str) -> Option<&'static Planner> {
    PLANNERS.iter().find(|p| p.subsystem == subsystem)
}

/// The planners of `phase`, in order.
pub fn planners_of(phase: Phase) -> impl Iterator<Item = &'static Planner> {
    PLANNERS.iter().filter(move |p| p.phase == phase)
}

/// The program a pass-through verb of phoenix-cli runs.
pub fn program_of_verb(verb: &str) -> Option<&'static Program> {
    PROGRAMS.iter().find(|p| p.verb == Some(verb))
}

/// Every binary the package installs in /usr/bin: the planners, then the
/// other programs.
pub fn shipped() -> impl Iterator<Item = &'static str> {
    PLANNERS
        .iter()
        .map(|p| p.binary)
        .chain(PROGRAMS.iter().map(|p| p.binary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planners_are_listed_in_their_order_and_phases_follow_it() {
        for pair in PLANNERS.windows(2) {
            assert!(pair[0].order < pair[1].order, "{pair:?}");
            assert!(pair[0].phase <= pair[1].phase, "{pair:?}");
        }
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = shipped().collect();
        names.extend(PLANNERS.iter().map(|p| p.subsystem));
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
    }
}
