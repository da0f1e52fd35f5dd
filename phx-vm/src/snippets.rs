//! Phoenix's cloud-init snippets, on the `local` storage
//! (`/var/lib/vz/snippets`), which must allow the `snippets` content.
//!
//! Vendor data: every VM Phoenix makes gets one shared vendor snippet that
//! installs and starts the QEMU guest agent at its first boot (`cicustom
//! vendor=…`): in-guest steps reach a VM only through the agent, and the
//! Ubuntu cloud images do not ship it. A snippet rather than a customised
//! copy of the image: no libguestfs on the host, and the operator's image
//! stays as downloaded (its checksum still holds).
//!
//! User data: a cloud-init password never becomes an argument. `qm set
//! --cipassword` would put it in every process listing, so a VM with
//! `user_config.password` gets its cloud-init user data as a snippet
//! instead (`cicustom user=local:snippets/…`): a root-only file holding what
//! Proxmox itself would generate from ciuser, cipassword and sshkeys. The
//! plan carries the snippet with a placeholder and where the password is
//! (the VM file and a JSON pointer); `phx-apply` reads it when it writes the
//! file.

use crate::spec::Settings;

/// The storage snippets live on: the one Phoenix already takes cloud images
/// from (`/var/lib/vz`).
pub const STORAGE: &str = phx_common::vm_agent::STORAGE;
pub const STORAGE_CFG: &str = "/etc/pve/storage.cfg";
/// What a fresh Proxmox VE install gives `local` (`dir: local` in storage.cfg).
const INSTALL_CONTENT: &str = "iso,vztmpl,backup";
/// What a `dir` storage allows when its section has no `content` line.
const DIR_DEFAULT_CONTENT: &str = "images,rootdir";
/// Stands for the password in the planned content; `phx-apply` replaces it.
pub const PLACEHOLDER: &str = "@PHOENIX_CIPASSWORD@";

fn file_name(vmid: u32) -> String {
    format!("phoenix-vm-{vmid}-user.yaml")
}

pub fn snippet_path(vmid: u32) -> String {
    format!("/var/lib/vz/snippets/{}", file_name(vmid))
}

/// The vendor snippet every VM shares (no secret in it: 0644), and its
/// content: in phx-common, which tests making VMs as phx-vm does share.
pub use phx_common::vm_agent::{vendor_data, volume as vendor_volume, PATH as VENDOR_PATH};

/// The `cicustom` value Phoenix gives VM `vmid`: its vendor data, and its
/// user data when it has a password.
pub fn cicustom(vmid: u32, password: bool) -> String {
    let vendor = format!("vendor={}", vendor_volume());
    if password {
        format!("user={STORAGE}:snippets/{},{vendor}", file_name(vmid))
    } else {
        vendor
    }
}

/// A user snippet Phoenix wrote (for any VM).
fn is_phoenix_user(volume: &str) -> bool {
    volume.starts_with(&format!("{STORAGE}:snippets/phoenix-vm-"))
}

/// What a VM's `cicustom` should be when it now has `have` (its own, or
/// the one a clone inherits) and Phoenix wants `want` ([`cicustom`]), and a
/// note when the operator's own vendor data is kept. Phoenix's parts are
/// set: its user snippet when the VM has a password (else a Phoenix user
/// snippet is dropped: a clone must not hand its template's password on),
/// its vendor snippet unless the VM names vendor data of its own (then the
/// agent is the operator's to provide). Other parts (`network=`, `meta=`,
/// an operator's `user=`) are kept as they are.
pub fn cicustom_over(vmid: u32, want: &str, have: Option<&str>) -> (String, Option<String>) {
    let want = phx_common::props::parse(want, None);
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut note = None;
    for part in have.unwrap_or("").split(',').map(str::trim) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let keep = match k {
            "user" => !is_phoenix_user(v) && !want.contains_key("user"),
            "vendor" if v != vendor_volume() => {
                note = Some(format!(
                    "VM {vmid}: cicustom vendor={v} is its own and is kept: the QEMU guest agent (Phoenix's vendor data) is then yours to provide in that image"
                ));
                true
            }
            "vendor" => false,
            _ => true,
        };
        if keep {
            parts.push((k.to_string(), v.to_string()));
        }
    }
    for (k, v) in &want {
        if !parts.iter().any(|(have, _)| have == k) {
            parts.push((k.clone(), v.clone()));
        }
    }
    // qm keeps the order it is given; Phoenix's is user before vendor.
    parts.sort_by_key(|(k, _)| {
        ["meta", "network", "user", "vendor"]
            .iter()
            .position(|o| o == k)
    });
    let value = parts
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    (value, note)
}

/// Whether a `cicustom` value already names Phoenix's vendor snippet.
pub fn has_phoenix_vendor(value: Option<&str>) -> bool {
    value.is_some_and(|v| phx_common::props::parse(v, None).get("vendor") == Some(&vendor_volume()))
}

/// The content types `local` allows, from storage.cfg's text (`None`: the
/// file is absent, as on a fresh test root, so the installer's default).
/// `Err` when storage.cfg has no `local` storage of type `dir`.
pub fn local_content(storage_cfg: Option<&str>) -> Result<Vec<String>, String> {
    let Some(text) = storage_cfg else {
        return Ok(split(INSTALL_CONTENT));
    };
    let mut in_local = false;
    let mut found = false;
    let mut content = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            // `<type>: <storage id>` opens a section.
            let (kind, id) = line.split_once(':').unwrap_or((line, ""));
            in_local = id.trim() == STORAGE;
            if in_local {
                if kind.trim() != "dir" {
                    return Err(format!(
                        "storage {STORAGE:?} in {STORAGE_CFG} is of type {:?}; Phoenix's VM cloud-init snippets need it to be a directory storage",
                        kind.trim()
                    ));
                }
                found = true;
            }
        } else if in_local {
            if let Some(("content", list)) = line.trim().split_once(char::is_whitespace) {
                content = Some(split(list.trim()));
            }
        }
    }
    if !found {
        return Err(format!(
            "{STORAGE_CFG} has no storage {STORAGE:?}; Phoenix's VM cloud-init snippets (the guest agent's vendor data, passwords) need its directory"
        ));
    }
    Ok(content.unwrap_or_else(|| split(DIR_DEFAULT_CONTENT)))
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The user data Proxmox generates for ciuser/cipassword/sshkeys
/// (`cloudinit_userdata` in qemu-server's Cloudinit.pm), with the password
/// left as [`PLACEHOLDER`]: so a VM reads the same user data whether or not
/// it has a password. As there, `fqdn` only with a `searchdomain` (or a
/// dotted name), and no `users: [default]` when the user is root. Every
/// value was checked by the loader (names and users are tokens, keys
/// single-line), and is written quoted.
pub fn user_data(vmid: u32, name: &str, s: &Settings, searchdomain: Option<&str>) -> String {
    let q = |t: &str| serde_json::to_string(t).expect("a string serialises");
    let (hostname, fqdn) = match (name.split_once('.'), searchdomain) {
        (Some((host, _)), _) => (host.to_string(), Some(name.to_string())),
        (None, Some(d)) if !d.is_empty() => (name.to_string(), Some(format!("{name}.{d}"))),
        (None, _) => (name.to_string(), None),
    };
    let mut out = String::from("#cloud-config\n");
    out.push_str(&format!(
        "# Written by phx-vm for VM {vmid} from user_config; root only.\n"
    ));
    out.push_str(&format!("hostname: {}\n", q(&hostname)));
    out.push_str("manage_etc_hosts: true\n");
    if let Some(f) = fqdn {
        out.push_str(&format!("fqdn: {}\n", q(&f)));
    }
    let root = s.user.as_deref() == Some("root");
    if let Some(u) = &s.user {
        out.push_str(&format!("user: {}\n", q(u)));
        if root {
            out.push_str("disable_root: false\n");
        }
    }
    out.push_str(&format!("password: {PLACEHOLDER}\n"));
    if !s.ssh_keys.is_empty() {
        out.push_str("ssh_authorized_keys:\n");
        for k in &s.ssh_keys {
            out.push_str(&format!("  - {}\n", q(k.trim())));
        }
    }
    out.push_str("chpasswd:\n  expire: false\n");
    if !root {
        // Proxmox leaves the image's default user out when root is the user.
        out.push_str("users:\n  - default\n");
    }
    out.push_str("package_upgrade: true\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_cfg_content_of_local() {
        let cfg = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tcontent rootdir,images\n";
        assert_eq!(
            local_content(Some(cfg)).unwrap(),
            ["iso", "vztmpl", "backup"]
        );
        let with = cfg.replace("backup\n", "backup,snippets\n");
        assert!(local_content(Some(&with))
            .unwrap()
            .contains(&"snippets".to_string()));
        assert_eq!(
            local_content(Some("dir: local\n\tpath /var/lib/vz\n")).unwrap(),
            ["images", "rootdir"]
        );
        assert_eq!(local_content(None).unwrap(), ["iso", "vztmpl", "backup"]);
        let err = local_content(Some("lvmthin: local-lvm\n\tthinpool data\n")).unwrap_err();
        assert!(err.contains("no storage \"local\""), "{err}");
        let err = local_content(Some("zfspool: local\n\tpool rpool\n")).unwrap_err();
        assert!(err.contains("type \"zfspool\""), "{err}");
    }

    const VENDOR: &str = "vendor=local:snippets/phoenix-vendor.yaml";

    #[test]
    fn cicustom_names_the_vendor_snippet_and_the_user_one_with_a_password() {
        assert_eq!(cicustom(7, false), VENDOR);
        assert_eq!(
            cicustom(7, true),
            format!("user=local:snippets/phoenix-vm-7-user.yaml,{VENDOR}")
        );
    }

    #[test]
    fn phoenix_parts_are_set_and_an_operators_are_kept() {
        let over = |want: &str, have: Option<&str>| cicustom_over(5, want, have);
        let mine = cicustom(5, true);
        let bare = cicustom(5, false);
        assert_eq!(over(&bare, None), (bare.clone(), None));
        // A clone of a template with a password: its user part goes.
        assert_eq!(over(&bare, Some(&cicustom(9000, true))).0, bare);
        assert_eq!(over(&mine, Some(&cicustom(9000, true))).0, mine);
        // An operator's network and user parts stay; the vendor part is added.
        assert_eq!(
            over(
                &bare,
                Some("network=local:snippets/n.yaml,user=local:snippets/u.yaml")
            )
            .0,
            format!("network=local:snippets/n.yaml,user=local:snippets/u.yaml,{VENDOR}")
        );
        // An operator's own vendor data wins, with a note.
        let (v, note) = over(&bare, Some("vendor=local:snippets/theirs.yaml"));
        assert_eq!(v, "vendor=local:snippets/theirs.yaml");
        assert!(note.unwrap().contains("yours to provide"));
        assert!(has_phoenix_vendor(Some(&mine)) && !has_phoenix_vendor(Some(&v)));
    }

    /// cloud-init merges user cloud-config over vendor cloud-config key by
    /// key, and user data can turn vendor data off: Phoenix's user data
    /// must carry none of the keys the vendor data needs.
    #[test]
    fn the_user_data_never_overrides_or_disables_the_vendor_data() {
        let vendor = vendor_data();
        assert!(vendor.starts_with("#cloud-config\n"));
        assert!(
            vendor.contains("packages:\n  - qemu-guest-agent\n"),
            "{vendor}"
        );
        assert!(vendor.contains("runcmd:\n  - [systemctl, start, qemu-guest-agent]\n"));
        for user in [
            settings(Some("ops")),
            settings(Some("root")),
            settings(None),
        ] {
            let text = user_data(7, "web", &user, Some("lan"));
            for key in ["packages:", "runcmd:", "vendor_data:", "vendordata:"] {
                assert!(!text.lines().any(|l| l.starts_with(key)), "{key} in {text}");
            }
        }
    }

    fn settings(user: Option<&str>) -> Settings {
        Settings {
            user: user.map(str::to_string),
            ssh_keys: vec!["ssh-ed25519 AAAA k@h".to_string()],
            ..Default::default()
        }
    }

    /// As qemu-server's cloudinit_userdata writes it for the same ciuser,
    /// sshkeys, name and searchdomain (values quoted here).
    #[test]
    fn user_data_has_proxmoxs_lines() {
        let with_domain = user_data(7, "web", &settings(Some("ops")), Some("lan"));
        assert_eq!(
            with_domain,
            "#cloud-config\n# Written by phx-vm for VM 7 from user_config; root only.\n\
             hostname: \"web\"\nmanage_etc_hosts: true\nfqdn: \"web.lan\"\nuser: \"ops\"\n\
             password: @PHOENIX_CIPASSWORD@\nssh_authorized_keys:\n  - \"ssh-ed25519 AAAA k@h\"\n\
             chpasswd:\n  expire: false\nusers:\n  - default\npackage_upgrade: true\n"
        );
        // No searchdomain: Proxmox writes no fqdn line at all.
        let bare = user_data(7, "web", &settings(Some("ops")), None);
        assert!(!bare.contains("fqdn"), "{bare}");
        // A dotted name is the fqdn, its first label the hostname.
        let dotted = user_data(7, "web.lan", &settings(None), Some("other"));
        assert!(dotted.contains("hostname: \"web\"\n") && dotted.contains("fqdn: \"web.lan\"\n"));
        // root: disable_root false, and no default user added.
        let root = user_data(7, "web", &settings(Some("root")), None);
        assert!(
            root.contains("user: \"root\"\ndisable_root: false\n"),
            "{root}"
        );
        assert!(!root.contains("users:"), "{root}");
    }
}
