//! What LXC and VM entries share: the keys of `GuestCommon` and the guest's
//! network interface.

use super::super::dup::Step;
use super::super::model::*;
use super::super::raw::{show_str, List, Obj, OneOrMany, Scalar, Unused};
use super::super::reader::{At, Reader};
use super::firewall::{firewall, RawFirewall};
use super::lxc::mac;
use super::records::{dns_records, traefik_services, RawDnsRecord, RawTraefikService};
use super::tokens::*;
use crate::section;

section! {
    pub struct RawGuestCommon {
        "name" => name: Scalar,
        "start_at_boot" => start_at_boot: Scalar,
        "boot_order" => boot_order: Scalar,
        "features" => features: List<Scalar>,
        "network_config" => network_config: OneOrMany<RawGuestNet>,
        "dns_records" => dns_records: List<Obj<RawDnsRecord>>,
        "firewall" => firewall: Obj<RawFirewall>,
        "traefik_service" => traefik_service: OneOrMany<RawTraefikService>,
        "dependencies" => dependencies: List<Scalar>,
        "portainer_role" => portainer_role: Scalar,
    }
}

section! {
    pub struct RawGuestNet {
        "name" => name: Scalar,
        "bridge" => bridge: Scalar,
        "ip" => ip: Scalar,
        "gw" => gw: Scalar,
        "gateway" => gateway: Scalar,
        "nameservers" => nameservers: List<Scalar>,
        "nameserver" => nameserver: List<Scalar>,
        "mac_address" => mac_address: Scalar,
    }
}

const ROLE: &str = "a role name (lowercase letters, digits, '_' or '-'; at most 32)";

/// What `portainer_role` may spell; which roles mean something is
/// phx-recipes' business (the `portainer` feature refuses the others).
fn is_role(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Notes a key no tool acts on (`v` given and not null) in `out`, and the
/// duplicate keys inside its value.
pub fn unused(
    r: &mut Reader,
    at: &At,
    key: &'static str,
    v: Option<Unused>,
    out: &mut Vec<&'static str>,
) {
    if let Some(Unused(dups)) = v {
        let below = dups.into_iter().map(|d| d.under(Step::Key(key.into())));
        r.duplicates(at, below.collect());
        out.push(key);
    }
}

/// How a kind names what the entry leaves out.
pub struct GuestDefaults<'d> {
    pub name: String,
    pub nic: &'d str,
    pub bridge: &'d str,
}

/// The common part of the entry at `at`. `id` and `clone_from` are read by
/// the kind (a CTID is the entry's key, a VMID a field).
pub fn common(
    r: &mut Reader,
    at: &At,
    g: RawGuestCommon,
    id: u32,
    clone_from: Option<u32>,
    d: GuestDefaults,
) -> GuestCommon {
    let (net, more_nets) = match g.network_config {
        Some(n) => nets(r, &at.key("network_config"), n, &d),
        None => (None, Vec::new()),
    };
    let name_written = g.name.is_some();
    let name = match g.name {
        Some(v) => r.opt(at, "name", Some(v), dns_name),
        None => {
            r.problems.warn(format!(
                "{}: {}: no name: the guest is named {} (its hostname and DNS name); write \"name\" to say so",
                r.file,
                at.render(),
                d.name
            ));
            Some(d.name)
        }
    };
    if net.as_ref().is_some_and(|n| !n.ip_written) {
        r.problems.warn(format!(
            "{}: {}: no ip: the guest takes its address by DHCP; write \"ip\": \"dhcp\" to say so, or an address",
            r.file,
            at.key("network_config").render(),
        ));
    }
    GuestCommon {
        id,
        name: name.unwrap_or_default(),
        name_written,
        start_at_boot: r
            .opt(at, "start_at_boot", g.start_at_boot, Reader::bool)
            .unwrap_or(false),
        boot_order: r
            .opt(at, "boot_order", g.boot_order, |r, at, v| {
                r.int(at, v, 0, 65535)
            })
            .unwrap_or(0),
        clone_from,
        features: g
            .features
            .map(|f| features(r, &at.key("features"), f))
            .unwrap_or_default(),
        net,
        more_nets,
        dns_records: g
            .dns_records
            .map(|x| dns_records(r, &at.key("dns_records"), x))
            .unwrap_or_default(),
        firewall: r.opt(at, "firewall", g.firewall, |r, at, f| {
            firewall(r, at, f, "rules")
        }),
        traefik_services: g
            .traefik_service
            .map(|x| traefik_services(r, &at.key("traefik_service"), x))
            .unwrap_or_default(),
        dependencies: g
            .dependencies
            .map(|x| ids(r, &at.key("dependencies"), x))
            .unwrap_or_default(),
        portainer_role: r.opt(at, "portainer_role", g.portainer_role, |r, at, v| {
            r.token(at, v, is_role, ROLE)
        }),
        unhandled: Vec::new(),
        path: at.render(),
    }
}

/// `network_config`: one object (net0), or an array of them (net0, net1, …;
/// a further NIC is `ethN` on the default bridge unless it says otherwise,
/// and may carry its own `mac_address`).
fn nets(
    r: &mut Reader,
    at: &At,
    v: OneOrMany<RawGuestNet>,
    d: &GuestDefaults,
) -> (Option<GuestNet>, Vec<GuestNet>) {
    let items = match v {
        OneOrMany::One(mut n) => {
            r.unknown_keys(at, &mut n);
            return (guest_net(r, at, n, d.nic, d.bridge, false), Vec::new());
        }
        OneOrMany::Many(items) => items,
        OneOrMany::Bad(shown) => {
            r.push(
                at,
                shown,
                "an object, or an array of objects (net0, net1, …)",
            );
            return (None, Vec::new());
        }
    };
    let mut first = None;
    let mut more = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let at = at.index(i);
        let name = format!("eth{i}");
        let default = if i == 0 { d.nic } else { &name };
        let Some(Some(n)) = r.obj(&at, item, |r, n| {
            guest_net(r, &at, n, default, d.bridge, i > 0)
        }) else {
            continue;
        };
        if i == 0 {
            first = Some(n);
        } else {
            more.push(n);
        }
    }
    if !more.is_empty() {
        let nics = match more.len() {
            1 => "net1".to_string(),
            n => format!("net1…net{n}"),
        };
        r.problems.warn(format!(
            "{}: {}: {nics}: only phx-fw (rules, ipfilter-netN, simulation) reads further NICs; phx-lxc and phx-vm create and converge net0 only, so add the others with pct set / qm set",
            r.file,
            at.render(),
        ));
    }
    (first, more)
}

fn guest_net(
    r: &mut Reader,
    at: &At,
    mut n: RawGuestNet,
    default_name: &str,
    default_bridge: &str,
    own_mac: bool,
) -> Option<GuestNet> {
    let mac = match n.mac_address.take() {
        Some(v) if own_mac => r.opt(at, "mac_address", Some(v), mac),
        Some(v) => {
            r.bad(
                &at.key("mac_address"),
                &v,
                "no mac_address here: net0's MAC is the entry's own mac_address",
            );
            None
        }
        None => None,
    };
    let iface = |r: &mut Reader, key: &str, v: Option<Scalar>, default: &str| {
        let given = r.opt(at, key, v, iface_name);
        given.unwrap_or_else(|| default.to_string())
    };
    let name = iface(r, "name", n.name, default_name);
    let bridge = iface(r, "bridge", n.bridge, default_bridge);
    let ip_written = n.ip.is_some();
    let ip = match n.ip {
        Some(Scalar::Str(s)) if s == "dhcp" => Some(GuestIp::Dhcp),
        Some(Scalar::Str(s)) if s == "manual" => Some(GuestIp::Manual),
        Some(v) => r.opt(at, "ip", Some(v), |r, at, v| {
            let (net, text) = r.ipv4_cidr_text(at, v)?;
            if net.prefix_len() < 8 {
                r.push(
                    at,
                    show_str(&text),
                    "an IPv4 CIDR with a prefix of 8 to 32, \"dhcp\" or \"manual\"",
                );
                None
            } else {
                refuse_reserved(r, at, net, &text).then_some(GuestIp::Static(net))
            }
        }),
        None => Some(GuestIp::Dhcp),
    };
    let (gw_key, gw) = match (n.gw, n.gateway) {
        (Some(g), _) => ("gw", Some(g)),
        (None, g) => ("gateway", g),
    };
    let gw = r.opt(at, gw_key, gw, |r, at, v| {
        let (gw, text) = r.ipv4_text(at, v)?;
        if let Some(GuestIp::Static(net)) = &ip {
            if !net.trunc().contains(&gw) || gw == net.addr() {
                r.push(
                    at,
                    show_str(&text),
                    format!(
                        "a gateway inside {} other than the guest's own address",
                        net.trunc()
                    ),
                );
                return None;
            }
        }
        Some(gw)
    });
    let (ns_key, ns) = match (n.nameservers, n.nameserver) {
        (Some(x), _) => ("nameservers", Some(x)),
        (None, x) => ("nameserver", x),
    };
    let nameservers = r
        .opt(at, ns_key, ns, |r, at, x| Some(ip_list(r, at, x)))
        .unwrap_or_default();
    Some(GuestNet {
        name,
        bridge,
        ip: ip?,
        ip_written,
        gw,
        nameservers,
        mac,
    })
}
