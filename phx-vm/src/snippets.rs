//! A cloud-init password that never becomes an argument. `qm set
//! --cipassword` would put it in every process listing, so a VM with
//! `user_config.password` gets its cloud-init user data as a snippet
//! instead (`cicustom user=local:snippets/…`): a root-only file holding what
//! Proxmox itself would generate from ciuser, cipassword and sshkeys. The
//! plan carries the snippet with a placeholder and where the password is
//! (the VM file and a JSON pointer); `phx-apply` reads it when it writes the
//! file. Snippets need the `local` storage to allow the `snippets` content.

use crate::spec::Settings;

/// The storage snippets live on: the one Phoenix already takes cloud images
/// from (`/var/lib/vz`).
pub const STORAGE: &str = "local";
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

/// The `cicustom` value pointing VM `vmid` at its snippet.
pub fn cicustom(vmid: u32) -> String {
    format!("user={STORAGE}:snippets/{}", file_name(vmid))
}

/// Whether a `cicustom` value is one Phoenix wrote (for any VM): a clone
/// inherits its template's, which must not hand the template's password on.
pub fn is_phoenix_cicustom(value: &str) -> bool {
    value
        .split(',')
        .any(|p| p.starts_with(&format!("user={STORAGE}:snippets/phoenix-vm-")))
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
                        "storage {STORAGE:?} in {STORAGE_CFG} is of type {:?}; VM snippets need it to be a directory storage",
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
            "{STORAGE_CFG} has no storage {STORAGE:?}; a VM with user_config.password needs its snippets directory"
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

    #[test]
    fn phoenix_cicustom_is_told_from_an_operators_own() {
        assert!(is_phoenix_cicustom(&cicustom(9000)));
        assert!(is_phoenix_cicustom(
            "network=local:snippets/n.yaml,user=local:snippets/phoenix-vm-9000-user.yaml"
        ));
        assert!(!is_phoenix_cicustom("user=local:snippets/mine.yaml"));
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
