//! phx-fw's command line, in the library so the packaging crate can make
//! its man page and completions from the very definition the binary parses.

use clap::{Args as ClapArgs, CommandFactory, Parser, Subcommand};
use phx_common::cli::{InputArgs, RenderArgs};
use std::path::PathBuf;

/// Plan the Proxmox firewall from the Phoenix JSON.
///
/// Writes /etc/pve/firewall/cluster.fw from the hypervisor's `firewall` object
/// ([OPTIONS] enable/policies, [ALIASES], [IPSET name], [RULES] from
/// global_firewall_rules in order, [group name] from `groups`), the node's
/// /etc/pve/nodes/<node>/host.fw from its `host` object (<node>: `uname -n`
/// without its domain, as pve-firewall reads it; under --root that
/// root's /etc/hostname), and
/// /etc/pve/firewall/<vmid>.fw for every guest with a `firewall` object. Every value is checked against what
/// pve-firewall accepts; a bad one stops everything (exit 2, file and JSON path).
/// Handler, only when a file changed: `pve-firewall restart`. No `pve-firewall
/// compile` before it: it exits 0 even on rule errors, so it checks nothing;
/// Phoenix's own validation (exit 2 before any plan) is the gate.
///
/// Lockout guard: the proposed rules are evaluated, with Proxmox's implicit
/// management rules, for tcp/22 and tcp/8006 to the host from
/// network.default_subnet (without it: the host's own network, with a
/// warning) and from $SSH_CLIENT. If they would be dropped the plan is
/// refused (exit 2, naming the rule or policy) unless --allow-lockout.
///
/// Flows check: every flow the estate needs (Traefik -> CA ACME, HTTP-01,
/// DNS to the host, Traefik -> backends, trust, the JSON's `flows`) is
/// simulated through the proposed files; a blocked one refuses the plan
/// (exit 2, naming the flow, why, and the rule or policy with file and line)
/// unless --allow-blocked-flow NAME. `phx-fw flows` lists them.
#[derive(Parser)]
#[command(
    name = "phx-fw",
    version,
    verbatim_doc_comment,
    args_conflicts_with_subcommands = true,
    after_help = "Examples:
  phx-fw --config-dir /usr/local/phoenix_hypervisor/etc | phx-apply --check --diff
  phx-fw render --config-dir examples/etc
  phx-fw flows --config-dir examples/etc       # every flow the estate needs, and its verdict
  phx-fw simulate --config-dir examples/etc --from 10.0.0.50 --to host --proto tcp --dport 22
  phx-fw simulate --config-dir examples/etc --from outside --to ct103 --proto tcp --dport 9000
  phx-fw parse --root /                  # existing files -> JSON firewall objects
  phx-fw lint /etc/pve/firewall/cluster.fw

Exit status: 0 ok, 1 runtime error (simulate --exit-status: the packet is dropped or
rejected; flows: a flow is blocked), 2 invalid configuration, a refused lockout or
blocked flow, or usage (nothing printed on stdout)."
)]
pub struct Args {
    #[command(subcommand)]
    pub cmd: Option<Cmd>,
    #[command(flatten)]
    pub plan: PlanArgs,
}

#[derive(ClapArgs, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Plan even if the rules would drop SSH/web UI access to the host from the
    /// admin network or from $SSH_CLIENT (the lockout is reported on stderr).
    #[arg(long)]
    pub allow_lockout: bool,
    #[command(flatten)]
    pub flows: AllowFlowArg,
    #[command(flatten)]
    pub routes: RoutesArg,
}

#[derive(ClapArgs, Clone)]
pub struct AllowFlowArg {
    /// Plan although the flow NAME (as `phx-fw flows` lists it, e.g.
    /// traefik->ca:acme) is blocked by the proposed firewall; said as a
    /// warning on every run. Repeat for several.
    #[arg(long = "allow-blocked-flow", value_name = "NAME")]
    pub allow_blocked_flow: Vec<String>,
}

#[derive(ClapArgs, Clone)]
pub struct RoutesArg {
    /// The node's routes (`/proc/net/route`, or `ip -j route` JSON) from which
    /// local_network is derived as pve-firewall does (the first /8–/32
    /// route holding the node's address). Default: the state root's
    /// /proc/net/route, else the node's own network.
    #[arg(long, value_name = "FILE")]
    pub routes: Option<PathBuf>,
}

impl RoutesArg {
    pub fn read(
        &self,
        root: &std::path::Path,
    ) -> Result<crate::sim::localnet::Routes, phx_common::cli::Failure> {
        crate::sim::localnet::read(root, self.routes.as_deref())
            .map_err(phx_common::cli::Failure::Usage)
    }
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Print the plan as JSON Lines (the default).
    Plan(PlanArgs),
    /// Print the generated .fw files (or write them under --out DIR).
    Render(RenderArgs),
    /// Answer ACCEPT/DROP/REJECT for a packet, and the rule (file:line) or policy that decided.
    ///
    /// Evaluates the proposed files (from the JSON), or with --existing / --root DIR
    /// the files already under DIR (cluster.fw, the node's host.fw, <vmid>.fw, the
    /// guests' confs for their NICs, corosync.conf). Zones: host, outside, nfvm, vmbrN/PORT, vmN,
    /// ctN, vmNiM (NIC M), a guest ID, or an IPv4 address (the host's, a guest's, or
    /// any other = outside).
    #[command(
        verbatim_doc_comment,
        after_help = "Examples:
  phx-fw simulate --config-dir examples/etc --from 10.0.0.50 --to host --proto tcp --dport 8006
  phx-fw simulate --config-dir examples/etc --from host --to 1.1.1.1 --proto udp --dport 53
  phx-fw simulate --config-dir examples/etc --from ct103 --to outside --source 10.9.9.9 --exit-status
  phx-fw simulate --config-dir examples/etc --batch queries.txt   # FROM TO PROTO [DPORT [SPORT]] [KEY=VALUE...]

Exit status: 0 answered (with --exit-status: accepted), 1 dropped or rejected with
--exit-status, or a runtime error, 2 invalid configuration or usage."
    )]
    Simulate(Box<SimArgs>),
    /// List every flow the estate needs and whether the proposed firewall lets it through.
    ///
    /// Derived from the JSON: Traefik -> CA on step_ca.port (ACME), CA ->
    /// Traefik tcp/80 (HTTP-01) and CA -> host udp+tcp/53, Traefik -> each
    /// traefik_service's backend, each guest whose nameserver is the host ->
    /// host udp+tcp/53, each trusted_ca guest -> CA; plus the hypervisor
    /// file's `flows`. Each flow's first packet goes through the proposed
    /// files (as `simulate` without --existing). Prints
    /// NAME PROTO/PORT FROM -> TO VERDICT, why, and the deciding rule or
    /// policy (FILE:LINE); --json an array of objects.
    #[command(
        verbatim_doc_comment,
        after_help = "Exit status: 0 every flow open (or allowed by name), 1 a flow is blocked,
2 invalid configuration or usage."
    )]
    Flows(FlowsArgs),
    /// Read existing cluster.fw / host.fw / <vmid>.fw files and print them as the JSON `firewall` objects.
    ///
    /// Without FILEs, reads every cluster.fw and <vmid>.fw under --root's
    /// /etc/pve/firewall and every /etc/pve/nodes/<node>/host.fw.
    /// Output: {"firewall": {…, "hosts": {"<node>": {…}}, "groups": {…}}, "guests": {"<vmid>": {…}}}.
    /// Any line pve-firewall would skip, drop or not compile (and any value
    /// Phoenix refuses) is left out with a warning naming its line
    /// (FILE: line N: …), so the output is usable as configuration; lint
    /// reports the same lines as errors (exit 2).
    #[command(verbatim_doc_comment)]
    Parse(ParseArgs),
    /// Like parse, but only reports problems (exit 0 when the files are clean).
    Lint(ParseArgs),
}

#[derive(ClapArgs)]
pub struct SimArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Where the packet comes from: host, outside, nfvm or vmbrN/PORT (a bridge port without
    /// firewall), vmN, ctN, vmNiM (NIC M), a guest ID or an IPv4 address.
    #[arg(long, required_unless_present = "batch")]
    pub from: Option<String>,
    /// Where it goes (same forms as --from).
    #[arg(long, required_unless_present = "batch")]
    pub to: Option<String>,
    /// tcp, udp, icmp or another /etc/protocols name or number.
    #[arg(long, default_value = "tcp")]
    pub proto: String,
    /// Destination port (tcp, udp).
    #[arg(long)]
    pub dport: Option<u16>,
    /// Source port (tcp, udp).
    #[arg(long)]
    pub sport: Option<u16>,
    /// ICMP type for --proto icmp: a name (host-unreachable, …), N or N/C (default echo-request).
    #[arg(long)]
    pub icmp_type: Option<String>,
    /// Source address, when not the sender's own (e.g. a spoofed one from a guest).
    #[arg(long)]
    pub source: Option<std::net::Ipv4Addr>,
    /// Destination address, when not the receiver's own.
    #[arg(long)]
    pub dest: Option<std::net::Ipv4Addr>,
    /// netN: the guest end's NIC; anything else: the host interface (default the bridge).
    #[arg(long)]
    pub iface: Option<String>,
    /// Destination address type: unicast (default), multicast, broadcast, anycast, local.
    #[arg(long)]
    pub dsttype: Option<String>,
    /// The MAC a guest sends from, when not its NIC's own: the guest's
    /// `macfilter` (on unless 0) drops it.
    #[arg(long, value_name = "MAC")]
    pub source_mac: Option<String>,
    /// Exit 0 for ACCEPT and 1 for DROP/REJECT (with --batch: 1 if any is).
    #[arg(long)]
    pub exit_status: bool,
    /// Evaluate the files already under --root instead of the proposed ones
    /// (implied by a --root other than /).
    #[arg(long)]
    pub existing: bool,
    /// Answer many queries, one per line `FROM TO PROTO [DPORT [SPORT]] [KEY=VALUE…]`
    /// (`-` for none; keys source, dest, iface, icmp-type, dsttype, source-mac);
    /// prints `VERDICT<TAB>DECIDED BY` per line, and the rate on stderr. FILE `-` is stdin.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["from", "to"])]
    pub batch: Option<PathBuf>,
    #[command(flatten)]
    pub routes: RoutesArg,
}

#[derive(ClapArgs)]
pub struct FlowsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Print a JSON array: name, kind, from/to {guest, ip}, proto, port,
    /// why, origin, verdict, open, allowed, decided_by.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub flows: AllowFlowArg,
    #[command(flatten)]
    pub routes: RoutesArg,
}

#[derive(ClapArgs)]
pub struct ParseArgs {
    /// Files named cluster.fw, host.fw or <vmid>.fw (default: all pve-firewall reads under --root).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Read the files pve-firewall reads under DIR instead of `/`
    /// (--state-root is the older name, kept).
    #[arg(
        long = "root",
        visible_alias = "state-root",
        value_name = "DIR",
        default_value = "/"
    )]
    pub state_root: PathBuf,
}

/// The command line phx-fw parses, for man pages and completions.
pub fn command() -> clap::Command {
    Args::command()
}
