//! What one VM should look like, from its JSON entry: the `qm` keys Phoenix
//! manages (in the order they are passed), its disk, how it is made, and the
//! parts of the entry phx-vm does not carry out yet (warnings).

use phx_common::config::model::{GuestIp, Vm};
use phx_common::config::{Guest, Inventory};
use std::collections::BTreeMap;

/// The VM-specific settings of an entry (`vm_defaults` applied by the loader).
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub cores: u64,
    pub memory_mb: u64,
    /// 0: keep the disk the image or the clone source has.
    pub disk_size_gb: u64,
    pub storage_pool: String,
    pub boot_delay: u64,
    pub template_image: Option<String>,
    pub template_snapshot_name: Option<String>,
    pub user: Option<String>,
    pub ssh_keys: Vec<String>,
    pub mac: Option<String>,
}

/// The one place that reads the model's VM-specific fields.
pub fn settings(v: &Vm, inv: &Inventory) -> Settings {
    Settings {
        cores: v.cores,
        memory_mb: v.memory_mb,
        disk_size_gb: v.disk_size_gb,
        storage_pool: v
            .storage_pool
            .clone()
            // Disks and the cloud-init drive: `proxmox_storage_ids.vm_disks`
            // (or the original's `quickos_vm`) before local-lvm.
            .unwrap_or_else(|| phx_common::guest_storage::default_vm_storage(&inv.host)),
        boot_delay: v.boot_delay,
        template_image: v.template_image.clone(),
        template_snapshot_name: v.template_snapshot_name.clone(),
        user: v.user.clone(),
        ssh_keys: v.ssh_keys.clone(),
        mac: v.mac.clone(),
    }
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub vmid: u32,
    pub name: String,
    /// `qm` keys in the order they are passed: name, cores, memory, net0,
    /// agent, ciuser, sshkeys, cicustom, ipconfig0, nameserver,
    /// searchdomain, onboot, startup.
    pub keys: Vec<(&'static str, String)>,
    pub settings: Settings,
    pub is_template: bool,
    pub clone_from: Option<u32>,
    /// Parts of the entry not carried out inside VMs yet.
    pub warnings: Vec<String>,
}

impl Spec {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Replaces the value of a key the spec has.
    pub fn set(&mut self, key: &str, value: String) {
        if let Some((_, v)) = self.keys.iter_mut().find(|(k, _)| *k == key) {
            *v = value;
        }
    }
}

/// `encodeURIComponent`, which is what `qm set --sshkeys` expects (the
/// Proxmox GUI encodes the same way).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`url_encode`] (any `%XX`), for comparing what qm stored.
pub fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 3) {
            if let Ok(x) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The managed part of net0: model (virtio), MAC when configured, bridge,
/// firewall when the guest has an enabled firewall.
pub fn net0(v: &Vm, s: &Settings, inv: &Inventory) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("model".to_string(), "virtio".to_string());
    if let Some(mac) = &s.mac {
        m.insert("macaddr".to_string(), mac.to_ascii_uppercase());
    }
    let bridge = v
        .net
        .as_ref()
        .map(|n| n.bridge.clone())
        .unwrap_or_else(|| inv.host.network.bridge.clone());
    m.insert("bridge".to_string(), bridge);
    if phx_common::firewall::nic_firewall_enabled(Guest::Vm(v)) {
        m.insert("firewall".to_string(), "1".to_string());
    }
    m
}

/// net0 as qm takes and prints it: `virtio[=MAC],bridge=…,firewall=1`.
pub fn format_net0(m: &BTreeMap<String, String>) -> String {
    let model = m.get("model").map(String::as_str).unwrap_or("virtio");
    let mut parts = vec![match m.get("macaddr") {
        Some(mac) => format!("{model}={mac}"),
        None => model.to_string(),
    }];
    for (k, v) in m {
        if k != "model" && k != "macaddr" {
            parts.push(format!("{k}={v}"));
        }
    }
    parts.join(",")
}

/// A stored net0 (`virtio=MAC,bridge=…`) as a map with `model` and `macaddr`.
pub fn parse_net0(s: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for (i, part) in s.split(',').filter(|p| !p.is_empty()).enumerate() {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        if i == 0 && !["model", "bridge", "macaddr"].contains(&k) {
            m.insert("model".to_string(), k.to_string());
            if !v.is_empty() {
                m.insert("macaddr".to_string(), v.to_ascii_uppercase());
            }
        } else {
            m.insert(k.to_string(), v.to_string());
        }
    }
    m
}

/// qm's `startup` value, None when neither is configured. A delay alone
/// gives `up=N` without `order=`: pve-manager's startall sorts a guest
/// without an order last (`$startup->{order} // LONG_MAX`,
/// PVE/API2/Nodes.pm:2083 get_start_stop_list), while `order=0` would put it
/// before every one of them.
pub fn startup(boot_order: u64, boot_delay: u64) -> Option<String> {
    let mut parts = Vec::new();
    if boot_order > 0 {
        parts.push(format!("order={boot_order}"));
    }
    if boot_delay > 0 {
        parts.push(format!("up={boot_delay}"));
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

pub fn spec(v: &Vm, inv: &Inventory) -> Spec {
    let s = settings(v, inv);
    let mut keys: Vec<(&'static str, String)> = vec![
        ("name", v.name.clone()),
        ("cores", s.cores.to_string()),
        ("memory", s.memory_mb.to_string()),
        ("net0", format_net0(&net0(v, &s, inv))),
        ("agent", "1".to_string()),
    ];
    if let Some(u) = &s.user {
        keys.push(("ciuser", u.clone()));
    }
    if !s.ssh_keys.is_empty() {
        let file: String = s
            .ssh_keys
            .iter()
            .map(|k| format!("{}\n", k.trim()))
            .collect();
        keys.push(("sshkeys", url_encode(&file)));
    }
    // The guest agent's vendor data for every VM; with a password, the
    // user data too (the password goes in the snippet, never in an
    // argument). The planner lays it over what the VM already names.
    keys.push(("cicustom", crate::snippets::cicustom(v.id, v.has_password)));
    if let Some(n) = &v.net {
        match &n.ip {
            GuestIp::Static(net) => {
                let mut ip = format!("ip={net}");
                if let Some(gw) = n.gw {
                    ip.push_str(&format!(",gw={gw}"));
                }
                keys.push(("ipconfig0", ip));
            }
            GuestIp::Dhcp => keys.push(("ipconfig0", "ip=dhcp".to_string())),
            GuestIp::Manual => {}
        }
        if !n.nameservers.is_empty() {
            let ns: Vec<String> = n.nameservers.iter().map(|i| i.to_string()).collect();
            keys.push(("nameserver", ns.join(" ")));
            keys.push(("searchdomain", inv.host.domain.clone()));
        }
    }
    keys.push((
        "onboot",
        if v.start_at_boot { "1" } else { "0" }.to_string(),
    ));
    if let Some(st) = startup(v.boot_order, s.boot_delay) {
        keys.push(("startup", st));
    }
    let mut warnings = Vec::new();
    // Features and NFS volumes are installed inside the running VM through
    // its guest agent by phx-features (trusted_ca by phx-ca), which also
    // says what it leaves; nothing of them is phx-vm's.
    if let Some(snap) = &s.template_snapshot_name {
        warnings.push(format!(
            "VM {}: template_snapshot_name {snap:?} is ignored for VMs: qm makes no template of a VM with snapshots and takes no snapshot of a template; clones are made from the template itself",
            v.id
        ));
    }
    // Only a template made from its image (is_template, no clone source)
    // has its image fetched (phx_common::fetch).
    let made_from_image = v.is_template && v.clone_from.is_none();
    if !made_from_image && (v.template_image_url.is_some() || v.template_image_checksum.is_some()) {
        warnings.push(format!(
            "VM {}: template_image_url and its checksum are ignored: only a template made from its image (is_template without clone_from_vmid) has it downloaded",
            v.id
        ));
    }
    Spec {
        vmid: v.id,
        name: v.name.clone(),
        keys,
        settings: s,
        is_template: v.is_template,
        clone_from: v.clone_from,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sshkeys_are_url_encoded_as_qm_wants() {
        let keys = "ssh-ed25519 AAAAC3Nz+/x= user@host\n";
        let e = url_encode(keys);
        assert_eq!(e, "ssh-ed25519%20AAAAC3Nz%2B%2Fx%3D%20user%40host%0A");
        assert!(!e.contains([' ', '\n', '+', '/', '=']));
        assert_eq!(url_decode(&e), keys);
    }

    #[test]
    fn without_a_storage_pool_disks_go_where_proxmox_storage_ids_says() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/phoenix-upstream");
        let mut inv = phx_common::config::load(&phx_common::config::Input::Dir(dir)).unwrap();
        let v = &mut inv.vms[0];
        v.storage_pool = None;
        let v = v.clone();
        // The original's `quickos_vm`, not local-lvm (absent on ZFS installs).
        assert_eq!(settings(&v, &inv).storage_pool, "quickOS-vm-disks");
        inv.host.storage_ids.clear();
        assert_eq!(settings(&v, &inv).storage_pool, "local-lvm");
    }

    #[test]
    fn a_delay_alone_sets_no_boot_order() {
        assert_eq!(startup(0, 30).as_deref(), Some("up=30"));
        assert_eq!(startup(2, 30).as_deref(), Some("order=2,up=30"));
        assert_eq!(startup(2, 0).as_deref(), Some("order=2"));
        assert_eq!(startup(0, 0), None);
    }

    #[test]
    fn net0_round_trips_through_qms_form() {
        let m = parse_net0("virtio=bc:24:11:00:00:01,bridge=vmbr0,firewall=1");
        assert_eq!(m["model"], "virtio");
        assert_eq!(m["macaddr"], "BC:24:11:00:00:01");
        assert_eq!(
            format_net0(&m),
            "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1"
        );
        let plain = parse_net0("virtio,bridge=vmbr0");
        assert!(!plain.contains_key("macaddr"));
        assert_eq!(format_net0(&plain), "virtio,bridge=vmbr0");
    }
}
