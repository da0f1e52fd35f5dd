//! A value the entry did not write (`name`, `ip`) takes its default
//! (`CT<id>`/`VM<id>`, DHCP); the loader says so. On a guest that exists with
//! another value, the default would also rename or readdress it, and its
//! DNS names, firewall rules and routes with it — a removed key must not do
//! that silently. So, once loaded, every tool puts the live value into the
//! inventory in the default's place (unless `--allow-rename`), with a
//! warning that says how to change it: every planner then sees the same
//! name and address.

use super::{Kind, CT, VM};
use crate::config::model::{GuestCommon, GuestIp};
use crate::config::Inventory;
use crate::guest_conf::{self, GuestConf};
use crate::props;
use std::net::Ipv4Addr;
use std::path::Path;

/// What a guest has now, of what its entry may leave unwritten.
struct Live {
    name: Option<String>,
    ip: GuestIp,
    gw: Option<Ipv4Addr>,
}

/// `ip`/`gw` as pct's net0 and qm's ipconfig0 write them: a CIDR, `dhcp`,
/// `manual`; no `ip` at all is no address (as `manual`).
fn address(props: &std::collections::BTreeMap<String, String>) -> (GuestIp, Option<Ipv4Addr>) {
    let ip = match props.get("ip").map(String::as_str) {
        Some("dhcp") => GuestIp::Dhcp,
        Some(cidr) => cidr.parse().map_or(GuestIp::Manual, GuestIp::Static),
        None => GuestIp::Manual,
    };
    (ip, props.get("gw").and_then(|g| g.parse().ok()))
}

fn live(kind: Kind, conf: &GuestConf) -> Live {
    let (name_key, net_key) = if kind.program == CT.program {
        ("hostname", "net0")
    } else {
        ("name", "ipconfig0")
    };
    let net = props::parse(conf.effective(net_key).unwrap_or_default(), None);
    let (ip, gw) = address(&net);
    Live {
        name: conf.effective(name_key).map(str::to_string),
        ip,
        gw,
    }
}

fn shown(ip: &GuestIp) -> String {
    match ip {
        GuestIp::Static(net) => net.to_string(),
        GuestIp::Dhcp => "dhcp".to_string(),
        GuestIp::Manual => "no address (manual)".to_string(),
    }
}

/// Puts each existing guest's live name and address in place of the
/// defaults its entry leaves them to, unless `allow_rename`; one warning per
/// value kept. Guests whose entries write both are not read.
pub fn resolve(
    inv: &mut Inventory,
    state_root: &Path,
    allow_rename: bool,
) -> anyhow::Result<Vec<String>> {
    let mut warnings = Vec::new();
    if allow_rename {
        return Ok(warnings);
    }
    let (lxc_file, vm_file) = (inv.sources.lxc.clone(), inv.sources.vm.clone());
    for c in inv.lxcs.values_mut() {
        hold(CT, &mut c.guest, &lxc_file, state_root, &mut warnings)?;
    }
    for v in inv.vms.iter_mut() {
        hold(VM, &mut v.guest, &vm_file, state_root, &mut warnings)?;
    }
    Ok(warnings)
}

fn hold(
    kind: Kind,
    g: &mut GuestCommon,
    file: &str,
    state_root: &Path,
    warnings: &mut Vec<String>,
) -> anyhow::Result<()> {
    let ip_unwritten = g.net.as_ref().is_some_and(|n| !n.ip_written);
    if g.name_written && !ip_unwritten {
        return Ok(());
    }
    let Some(conf) = guest_conf::read(state_root, &kind.conf_path(g.id), kind.dialect)? else {
        return Ok(());
    };
    let now = live(kind, &conf);
    let (id, path) = (g.id, g.path.clone());
    let mut say = |key: &str, default: &str, kept: &str| {
        warnings.push(format!(
            "{} {id}: {file}: {path}: no \"{key}\", so its default {default} would replace the live {} {kept}; kept {kept}: write \"{key}\" to change it, or pass --allow-rename to take the default",
            kind.noun,
            if key == "ip" { "address" } else { "name" },
        ));
    };
    if !g.name_written {
        if let Some(name) = now.name.filter(|n| *n != g.name) {
            say("name", &g.name, &name);
            g.name = name;
        }
    }
    if let Some(net) = g.net.as_mut().filter(|n| !n.ip_written && n.ip != now.ip) {
        say("ip", "dhcp", &shown(&now.ip));
        net.ip = now.ip;
        net.gw = net.gw.or(now.gw);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_pct_and_qm_write_them() {
        let of = |s: &str| address(&props::parse(s, None));
        let (ip, gw) = of("name=eth0,bridge=vmbr0,gw=10.0.0.1,ip=10.0.0.110/24,type=veth");
        assert_eq!(shown(&ip), "10.0.0.110/24");
        assert_eq!(gw, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(of("ip=dhcp").0, GuestIp::Dhcp);
        // No ip at all (a hand-made container, a VM set to manual): no
        // address, which a default DHCP must not replace silently either.
        assert_eq!(of("name=eth0,bridge=vmbr0").0, GuestIp::Manual);
        assert_eq!(of("").0, GuestIp::Manual);
        assert_eq!(of("ip6=auto").0, GuestIp::Manual);
    }
}
