//! An existing VM's conf against its spec: the `qm set` keys that differ
//! (compared the way qm reads them), and which of them wait for a reboot.

use crate::conf::Conf;
use crate::spec::{self, Spec};
use phx_common::props;

/// Keys whose change reaches a running VM only at its next boot: CPU and
/// memory (hotplug is off by default; qm keeps them in [PENDING]), the agent
/// device, and everything cloud-init writes into the guest.
pub const REBOOT_KEYS: [&str; 9] = [
    "cores",
    "memory",
    "agent",
    "ciuser",
    "sshkeys",
    "cicustom",
    "ipconfig0",
    "nameserver",
    "searchdomain",
];

/// `qm set` keys and values, in the order they are passed.
pub type SetKeys = Vec<(String, String)>;

/// The keys that differ, and those of them that need a reboot. `s`'s
/// cicustom was laid over the conf's (snippets::cicustom_over).
pub fn existing(s: &Spec, conf: &Conf) -> (SetKeys, Vec<String>) {
    conf.changed(&s.keys, same, net0_update, &REBOOT_KEYS)
}

/// Whether a stored value equals the wanted one, the way qm reads it.
fn same(key: &str, want: &str, have: Option<&str>) -> bool {
    let Some(have) = have else {
        // qm's defaults: not booted at host start, no agent.
        return key == "onboot" && want == "0";
    };
    match key {
        "agent" => {
            let enabled = |s: &str| {
                let m = props::parse(s, Some("enabled"));
                m.get("enabled").and_then(|e| props::norm_bool(e))
            };
            enabled(have) == enabled(want)
        }
        "ipconfig0" | "cicustom" => props::parse(have, None) == props::parse(want, None),
        "sshkeys" => spec::url_decode(have) == spec::url_decode(want),
        _ => props::same_value(key, want, have),
    }
}

/// The new net0 when a managed part differs (model, bridge, firewall, the
/// MAC when one is configured); other parts (a generated MAC, tag, mtu…)
/// are kept.
fn net0_update(want: &str, have: Option<&str>) -> Option<String> {
    let want = spec::parse_net0(want);
    let Some(have) = have else {
        return Some(spec::format_net0(&want));
    };
    let have = spec::parse_net0(have);
    let fw = |m: &std::collections::BTreeMap<String, String>| {
        m.get("firewall")
            .and_then(|v| props::norm_bool(v))
            .unwrap_or("0")
            .to_string()
    };
    let mut differs = want.get("model") != have.get("model")
        || want.get("bridge") != have.get("bridge")
        || fw(&want) != fw(&have);
    if let Some(mac) = want.get("macaddr") {
        differs |= have.get("macaddr") != Some(mac);
    }
    if !differs {
        return None;
    }
    let new = props::overlay(
        &have,
        &want,
        &["model", "bridge", "macaddr", "firewall"],
        "macaddr",
    );
    Some(spec::format_net0(&new))
}

/// The size of `scsi0` in bytes, when the conf says.
pub fn disk_bytes(conf: &Conf) -> Option<u64> {
    let d = props::parse(conf.effective("scsi0")?, Some("volume"));
    props::size_bytes(d.get("size")?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_and_order_are_not_changes() {
        assert!(same("agent", "1", Some("enabled=1")));
        assert!(same("onboot", "0", None));
        assert!(same(
            "ipconfig0",
            "ip=10.0.0.5/24,gw=10.0.0.1",
            Some("gw=10.0.0.1,ip=10.0.0.5/24")
        ));
        assert!(same("startup", "order=2,up=5", Some("up=5,order=2")));
        assert!(!same("memory", "2048", Some("1024")));
        assert_eq!(
            net0_update(
                "virtio,bridge=vmbr0",
                Some("virtio=BC:24:11:00:00:01,bridge=vmbr0")
            ),
            None,
            "a generated MAC is not a difference"
        );
        assert_eq!(
            net0_update(
                "virtio,bridge=vmbr0,firewall=1",
                Some("virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=5")
            )
            .as_deref(),
            Some("virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,tag=5"),
            "the MAC and the tag are kept"
        );
    }
}
