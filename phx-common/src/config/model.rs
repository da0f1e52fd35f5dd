//! The typed inventory every tool plans from. Only keys Phoenix uses are
//! modelled; the real files carry many more (NVIDIA, Samba, Portainer…).
//! Defaults live in `defaults` below, nowhere else.

use ipnet::Ipv4Net;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

pub use super::node_storage::{NfsExport, ZfsDataset, ZfsPool};
pub use super::raid::RaidLevel;
pub use super::shared_volume::{SharedMount, SharedVolume};
pub use super::vm_volume::VmVolume;

pub mod defaults {
    pub const BRIDGE: &str = "vmbr0";
    pub const HOSTNAME: &str = "phoenix";
    pub const UPSTREAM_DNS: [&str; 2] = ["8.8.8.8", "8.8.4.4"];
    pub const MOUNT_POINT_BASE: &str = "/mnt/pve";
    pub const LXC_MEMORY_MB: u64 = 2048;
    pub const LXC_CORES: u64 = 2;
    pub const LXC_SWAP_MB: u64 = 512;
    pub const LXC_STORAGE_GB: u64 = 8;
    pub const LXC_NIC: &str = "eth0";
    pub const VM_MEMORY_MB: u64 = 2048;
    pub const VM_CORES: u64 = 2;
    pub const POLICY_IN: &str = "DROP";
    pub const POLICY_OUT: &str = "ACCEPT";
    /// The CA's DNS label under the domain when `step_ca.dns_name` is absent.
    pub const CA_LABEL: &str = "ca";
    /// `step ca init --name` when `step_ca.ca_name` is absent.
    pub const CA_NAME: &str = "Phoenix Internal CA";
    /// Step-CA's own default lifetime; Traefik renews with `certificatesDuration: 24`.
    pub const TLS_CERT_DURATION: &str = "24h";
    /// Step-CA's listening port when `step_ca.port` is absent: the
    /// original's (SirHeads/Testing-ideas `phoenix_hypervisor_lxc_103.sh`
    /// `CA_ADDRESS=":9000"`, and the ACME URL in `phoenix_hypervisor_lxc_102.sh`).
    pub const CA_PORT: u16 = 9000;
}

/// Which of the three files a value came from, for messages.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub hypervisor: String,
    pub lxc: String,
    pub vm: String,
}

#[derive(Debug, Clone)]
pub struct Inventory {
    pub sources: Sources,
    pub host: Host,
    /// Keyed by CTID.
    pub lxcs: BTreeMap<u32, Lxc>,
    pub vms: Vec<Vm>,
    /// The LXC file's top-level `nvidia_*` keys (`Inventory::nvidia_for`).
    pub nvidia_defaults: super::gpu::NvidiaKeys,
    /// What loading noticed that is legal but probably not meant. The library
    /// never prints: the caller does (`cli::InputArgs::load`).
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Host {
    pub domain: String,
    pub network: HostNetwork,
    pub firewall: Option<Firewall>,
    /// JSON path where the firewall object was found (top level or `shared_volumes.firewall`).
    pub firewall_path: String,
    pub dns_server: DnsServer,
    pub step_ca: StepCa,
    pub mount_point_base: String,
    /// `proxmox_storage_ids` values: the storage IDs the operator named.
    pub storage_ids: BTreeMap<String, String>,
    pub zfs_datasets: Vec<ZfsDataset>,
    /// `zfs.pools`: the pools phx-storage creates when missing.
    pub zfs_pools: Vec<ZfsPool>,
    /// `zfs.arc_max_gb`: the ARC's upper limit, GiB.
    pub zfs_arc_max_gb: Option<u64>,
    /// `nfs.exports`: phx-storage's lines of /etc/exports.
    pub nfs_exports: Vec<NfsExport>,
    /// `shared_volumes` (its firewall aside), in file order.
    pub shared_volumes: Vec<SharedVolume>,
    pub lxc_defaults: LxcDefaults,
    /// `flows`: what the operator says the estate needs besides what is
    /// derived (`crate::flows`); phx-fw proves each open.
    pub flows: Vec<super::DeclaredFlow>,
    /// `nvidia_driver`: the host's NVIDIA driver (phx-gpu).
    pub nvidia_driver: Option<super::gpu::NvidiaDriver>,
}

#[derive(Debug, Clone)]
pub struct HostNetwork {
    pub bridge: String,
    pub address: Ipv4Net,
    pub gateway: Ipv4Addr,
    pub nameservers: Vec<IpAddr>,
    /// `None`: keep whatever the existing stanza has.
    pub bridge_ports: Option<String>,
    pub hostname: String,
    pub default_subnet: Option<Ipv4Net>,
    /// `nfs_server`: the server the node's NFS storages mount from (else its own address).
    pub nfs_server: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DnsServer {
    pub enabled: bool,
    pub upstream_servers: Vec<IpAddr>,
}

#[derive(Debug, Clone)]
pub struct StepCa {
    /// Fully qualified name of the internal CA (`ca.<domain>` by default).
    pub dns_name: String,
    /// `step ca init --name`: the root is "<name> Root CA", the intermediate
    /// "<name> Intermediate CA".
    pub ca_name: String,
    /// The admin JWK provisioner (`admin@<domain>` by default).
    pub provisioner_name: String,
    /// `authority.claims.defaultTLSCertDuration` (`24h` by default).
    pub default_tls_cert_duration: String,
    /// Where step-ca listens (`--address :<port>`, ca.json `address`) and
    /// Traefik's ACME directory points (9000 by default).
    pub port: u16,
}

#[derive(Debug, Clone)]
pub struct LxcDefaults {
    pub cores: u64,
    pub memory_mb: u64,
    pub features: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Firewall {
    pub enabled: bool,
    pub policy_in: String,
    pub policy_out: String,
    /// Further `[OPTIONS]` keys, written as given (e.g. `log_ratelimit`).
    pub options: BTreeMap<String, String>,
    pub aliases: BTreeMap<String, Alias>,
    pub ipsets: BTreeMap<String, Vec<String>>,
    /// Empty, as are the rule lists of `groups`, when loaded without rules
    /// (`Rules::CheckOnly`): only phx-fw reads them.
    pub rules: Vec<FwRule>,
    /// JSON path of `rules` / `global_firewall_rules`, for messages.
    pub rules_path: String,
    /// Security groups (`groups`: name → rules), cluster only: `[group name]`.
    pub groups: BTreeMap<String, Vec<FwRule>>,
    /// The node's own rules and options (`host`), cluster only: host.fw.
    pub host: Option<Box<Firewall>>,
    /// Any node's host.fw by node name (`hosts`), cluster only:
    /// `/etc/pve/nodes/<node>/host.fw` (pmxcfs shares it cluster-wide).
    pub hosts: BTreeMap<String, Firewall>,
    /// Comments of IP sets (`[IPSET name] # c`) and of their entries, by set.
    pub ipset_comments: BTreeMap<String, SetComments>,
    /// `[group name] # comment`.
    pub group_comments: BTreeMap<String, String>,
}

/// An IP set's comment and its entries' (parallel to the entries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetComments {
    pub set: Option<String>,
    pub entries: Vec<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub cidr: String,
    pub comment: Option<String>,
}

/// One rule as the operator wrote it; `phx-fw` checks it against what
/// pve-firewall accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FwRule {
    /// `in`, `out`, `forward` or `group`.
    pub direction: Box<str>,
    /// `ACCEPT`, `DROP`, `REJECT`, `Macro(ACTION)`, or a group name.
    pub action: Box<str>,
    pub macro_name: Option<Box<str>>,
    pub proto: Option<Box<str>>,
    pub dport: Option<Box<str>>,
    pub sport: Option<Box<str>>,
    pub source: Option<Box<str>>,
    pub dest: Option<Box<str>>,
    pub iface: Option<Box<str>>,
    pub log: Option<Box<str>>,
    pub icmp_type: Option<Box<str>>,
    pub enabled: bool,
    pub comment: Option<Box<str>>,
    /// The document's name, one copy shared by all its items.
    pub file: Arc<str>,
    pub path: Box<str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestIp {
    Static(Ipv4Net),
    Dhcp,
    Manual,
}

impl GuestIp {
    pub fn addr(&self) -> Option<Ipv4Addr> {
        match self {
            GuestIp::Static(n) => Some(n.addr()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct GuestNet {
    pub name: String,
    pub bridge: String,
    pub ip: GuestIp,
    /// Whether `ip` was written: absent, it is DHCP, which must not
    /// readdress a live guest silently (guests::unwritten).
    pub ip_written: bool,
    pub gw: Option<Ipv4Addr>,
    pub nameservers: Vec<IpAddr>,
    /// A further NIC's own `mac_address` (net0's is the entry's).
    pub mac: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsRecord {
    pub hostname: String,
    pub ip: Ipv4Addr,
    /// `address=/name/ip`: the name and all its subdomains.
    pub wildcard: bool,
    /// The document's name, one copy shared by all its items.
    pub file: Arc<str>,
    pub path: String,
}

/// How Traefik speaks to a backend (`traefik_service.scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendScheme {
    #[default]
    Http,
    /// TLS to the backend, verified against the exported root unless
    /// `insecure_skip_verify` says otherwise.
    Https,
}

impl BackendScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            BackendScheme::Http => "http",
            BackendScheme::Https => "https",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraefikService {
    pub name: String,
    pub port: Option<u16>,
    pub scheme: BackendScheme,
    /// `insecure_skip_verify: true`, written explicitly: an HTTPS backend
    /// whose certificate comes from another CA is not verified.
    pub insecure_skip_verify: bool,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct ZfsVolume {
    pub name: String,
    /// A Proxmox storage ID (`quickOS-lxc-persistent-data`).
    pub pool: String,
    pub size_gb: u64,
    pub mount_point: String,
}

#[derive(Debug, Clone)]
pub struct BindMount {
    pub host_path: String,
    pub container_path: String,
    pub read_only: bool,
    /// `mode` of the source phx-storage makes (default 0755).
    pub mode: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct PortMap {
    pub host: u16,
    pub guest: u16,
}

/// What every guest has, LXC or VM: its identity, network, what it
/// publishes (DNS records, Traefik services), its firewall, and where it
/// sits in the provisioning order.
#[derive(Debug, Clone)]
pub struct GuestCommon {
    /// CTID or VMID (one namespace on a Proxmox node).
    pub id: u32,
    pub name: String,
    /// Whether `name` was written: absent, it is `CT<id>`/`VM<id>`, which
    /// must not rename a live guest silently (guests::unwritten).
    pub name_written: bool,
    pub start_at_boot: bool,
    pub boot_order: u64,
    /// `clone_from_ctid` / `clone_from_vmid`.
    pub clone_from: Option<u32>,
    pub features: Vec<String>,
    pub net: Option<GuestNet>,
    /// `net1`…: the further NICs of a `network_config` array (only phx-fw
    /// reads them so far; the guest planners manage net0).
    pub more_nets: Vec<GuestNet>,
    pub dns_records: Vec<DnsRecord>,
    pub firewall: Option<Firewall>,
    pub traefik_services: Vec<TraefikService>,
    /// Guests that must exist (and start) first.
    pub dependencies: Vec<u32>,
    /// `portainer_role` as written (`server`, `agent`, `none`…): phx-recipes'
    /// `portainer` feature reads it and refuses a role it does not know.
    pub portainer_role: Option<String>,
    /// Keys of the entry no Phoenix tool acts on (`config::unhandled`
    /// warns once per run, naming each with its guests).
    pub unhandled: Vec<&'static str>,
    /// JSON path of this entry (`lxc_configs."102"`, `vms[1]`).
    pub path: String,
}

impl GuestCommon {
    pub fn ip(&self) -> Option<Ipv4Addr> {
        self.net.as_ref().and_then(|n| n.ip.addr())
    }
    pub fn has_feature(&self, f: &str) -> bool {
        self.features.iter().any(|x| x == f)
    }
}

#[derive(Debug, Clone)]
pub struct Lxc {
    pub guest: GuestCommon,
    pub boot_delay: u64,
    pub memory_mb: u64,
    pub swap_mb: Option<u64>,
    pub cores: u64,
    /// Template path or volume ID as written (`/fastData/shared-iso/template/cache/x.tar.zst`).
    pub template: Option<String>,
    pub storage_pool: Option<String>,
    pub storage_size_gb: u64,
    pub mac: Option<String>,
    /// GPU indices; empty for `"none"`.
    pub gpus: Vec<u32>,
    pub unprivileged: bool,
    /// `pct --features` items (`nesting=1`).
    pub pct_options: Vec<String>,
    /// Raw `lxc.*` lines (`lxc.apparmor.profile=unconfined`).
    pub lxc_options: Vec<String>,
    pub template_snapshot_name: Option<String>,
    /// `application_script`: a file name, looked up in `<config-dir>/scripts/`
    /// by phx-features, which runs it once per content.
    pub application_script: Option<String>,
    pub apparmor_profile: Option<String>,
    pub zfs_volumes: Vec<ZfsVolume>,
    pub mount_points: Vec<BindMount>,
    pub ports: Vec<PortMap>,
    /// `ollama_models` (Phoenix's own key): what the ollama feature pulls.
    pub ollama_models: Vec<String>,
    /// The entry's own `nvidia_*` keys (`Inventory::nvidia_for`).
    pub nvidia: super::gpu::NvidiaKeys,
    pub vllm_engine_config: Option<super::gpu::EngineConfig>,
}

#[derive(Debug, Clone)]
pub struct Vm {
    pub guest: GuestCommon,
    pub is_template: bool,
    pub boot_delay: u64,
    /// `cores`, `memory_mb`, `storage_pool`: the entry's, else `vm_defaults`'.
    pub cores: u64,
    pub memory_mb: u64,
    /// 0: the disk keeps the size the image or the clone source gives it
    /// (`vm_defaults.disk_size_gb` applies to clones, not to templates).
    pub disk_size_gb: u64,
    pub storage_pool: Option<String>,
    pub mac: Option<String>,
    /// The cloud image a template is made from, as written.
    pub template_image: Option<String>,
    /// `template_image_url`: where phx-storage downloads a missing image
    /// from (`phx_common::fetch`; Ubuntu image names have a default).
    pub template_image_url: Option<String>,
    /// `template_image_sha256` | `_sha512` | `_checksum_url`: how the
    /// download, or the image already there, is verified.
    pub template_image_checksum: Option<phx_plan::Checksum>,
    pub template_snapshot_name: Option<String>,
    /// `user_config.username` / `.ssh_keys`: cloud-init's user and keys.
    pub user: Option<String>,
    pub ssh_keys: Vec<String>,
    /// Whether `user_config.password` is given (its value is never kept).
    pub has_password: bool,
    /// The entry's `volumes`: NFS shares mounted inside the guest
    /// (phx-recipes plans one fstab line each).
    pub volumes: Vec<VmVolume>,
}

// The common fields read as the guest's own (`ct.name`, `vm.net`): tools
// were written against flat structs, and a guest *is* its common part plus
// its kind's settings.
impl std::ops::Deref for Lxc {
    type Target = GuestCommon;
    fn deref(&self) -> &GuestCommon {
        &self.guest
    }
}

impl std::ops::Deref for Vm {
    type Target = GuestCommon;
    fn deref(&self) -> &GuestCommon {
        &self.guest
    }
}

/// A guest of either kind, for tools that treat them alike (DNS, firewall).
#[derive(Debug, Clone, Copy)]
pub enum Guest<'a> {
    Lxc(&'a Lxc),
    Vm(&'a Vm),
}

impl<'a> Guest<'a> {
    pub fn common(&self) -> &'a GuestCommon {
        match self {
            Guest::Lxc(c) => &c.guest,
            Guest::Vm(v) => &v.guest,
        }
    }
    pub fn id(&self) -> u32 {
        self.common().id
    }
    pub fn name(&self) -> &'a str {
        &self.common().name
    }
    pub fn net(&self) -> Option<&'a GuestNet> {
        self.common().net.as_ref()
    }
    pub fn ip(&self) -> Option<Ipv4Addr> {
        self.common().ip()
    }
    pub fn features(&self) -> &'a [String] {
        &self.common().features
    }
    pub fn has_feature(&self, f: &str) -> bool {
        self.common().has_feature(f)
    }
    pub fn firewall(&self) -> Option<&'a Firewall> {
        self.common().firewall.as_ref()
    }
    pub fn dns_records(&self) -> &'a [DnsRecord] {
        &self.common().dns_records
    }
    pub fn traefik_services(&self) -> &'a [TraefikService] {
        &self.common().traefik_services
    }
    pub fn path(&self) -> &'a str {
        &self.common().path
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Guest::Lxc(_) => "lxc",
            Guest::Vm(_) => "vm",
        }
    }
}

impl Inventory {
    /// The container or VM with this ID (one namespace on a node).
    pub fn guest(&self, id: u32) -> Option<Guest<'_>> {
        self.lxcs
            .get(&id)
            .map(Guest::Lxc)
            .or_else(|| self.vms.iter().find(|v| v.id == id).map(Guest::Vm))
    }

    /// Every guest, LXCs by CTID then VMs in file order.
    pub fn guests(&self) -> impl Iterator<Item = Guest<'_>> {
        self.lxcs
            .values()
            .map(Guest::Lxc)
            .chain(self.vms.iter().map(Guest::Vm))
    }

    /// The source file of a guest, for messages.
    pub fn file_of(&self, g: Guest<'_>) -> &str {
        match g {
            Guest::Lxc(_) => &self.sources.lxc,
            Guest::Vm(_) => &self.sources.vm,
        }
    }

    /// What a container's `nvidia` feature installs by.
    pub fn nvidia_for<'a>(&'a self, c: &'a Lxc) -> super::gpu::GuestNvidia<'a> {
        let host = self.host.nvidia_driver.as_ref();
        super::gpu::GuestNvidia::resolve(&c.nvidia, &self.nvidia_defaults, host)
    }

    /// The one guest carrying `feature` (validation guarantees uniqueness for `step_ca`).
    pub fn guest_with_feature(&self, feature: &str) -> Option<Guest<'_>> {
        self.guests().find(|g| g.has_feature(feature))
    }
}
