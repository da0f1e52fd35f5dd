//! The conf each container gets from pct when it is created with its
//! entry's settings (pve-container's LXC/Config.pm, write_pct_config write order). Used by `phx-lxc render` to
//! preview, and to lay out a converged state tree for benchmarks. Volume names
//! are the ones pct allocates on LVM-thin (`vm-<ctid>-disk-<n>`), and the MAC
//! of a NIC without `mac_address` is made up from the CTID.

use crate::desired::{desired, Source};
use crate::props;
use phx_common::config::Inventory;
use std::collections::BTreeMap;

pub fn conf(inv: &Inventory, ctid: u32) -> Option<String> {
    let c = inv.lxcs.get(&ctid)?;
    let d = desired(c, &inv.host);
    let mut keys: BTreeMap<String, String> = BTreeMap::new();
    keys.insert("arch".into(), "amd64".into());
    for (k, v) in &d.keys {
        keys.insert(k.to_string(), v.clone());
    }
    if let Some(net) = keys.get("net0") {
        let mut m = props::parse(net, None);
        m.entry("hwaddr".into()).or_insert_with(|| {
            format!(
                "BC:24:11:{:02X}:{:02X}:{:02X}",
                (ctid >> 16) & 255,
                (ctid >> 8) & 255,
                ctid & 255
            )
        });
        m.insert("type".into(), "veth".into());
        keys.insert("net0".into(), props::format_net(&m));
    }
    keys.insert(
        "rootfs".into(),
        format!(
            "{}:vm-{ctid}-disk-0,size={}G",
            d.rootfs_storage, d.rootfs_gb
        ),
    );
    if d.unprivileged {
        keys.insert("unprivileged".into(), "1".into());
    }
    for (n, m) in d.mounts.iter().enumerate() {
        let v = match &m.source {
            Source::Volume {
                storage, size_gb, ..
            } => format!(
                "{storage}:vm-{ctid}-disk-{},mp={},size={size_gb}G",
                n + 1,
                m.path
            ),
            Source::Bind { .. } | Source::OfAnother { .. } => m.value(),
        };
        keys.insert(format!("mp{n}"), v);
    }
    let section = |keys: &BTreeMap<String, String>| {
        let mut out = String::new();
        for (k, v) in keys {
            out.push_str(&format!("{k}: {v}\n"));
        }
        for l in &d.raw {
            out.push_str(l);
            out.push('\n');
        }
        out
    };
    let snapshot = c
        .template_snapshot_name
        .as_ref()
        .map(|snap| (snap, section(&keys), crate::golden::wanted(inv, ctid)));
    let Some((snap, image, record)) = snapshot else {
        return Some(section(&keys));
    };
    // A golden template has the snapshot its clones are made from, with
    // the record of what went into it (write_pct_config: the section's
    // description first, as '#' lines; `parent` names the latest one).
    keys.insert("parent".into(), snap.clone());
    let record = record.map(|r| format!("#{r}\n")).unwrap_or_default();
    Some(format!("{}\n[{snap}]\n{record}{image}", section(&keys)))
}
