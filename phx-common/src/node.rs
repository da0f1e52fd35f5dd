//! The Proxmox node's name as Proxmox itself takes it: pve-common's
//! `PVE::INotify::nodename` (src/PVE/INotify.pm:523) is `uname -n` without its
//! domain part, and pmxcfs and pve-firewall name `/etc/pve/nodes/<node>/`
//! after it. It is not `network.hostname`: that is what the node is to
//! become, and renaming a node is a step of its own (phx-net).

use phx_plan::fsutil::under_root;
use std::path::Path;

/// The node's name: live (`state_root` `/`) the kernel's (`uname -n`, from
/// /proc), under another root that root's `/etc/hostname`, as the node had
/// it before this run. None when neither says.
pub fn node_name(state_root: &Path) -> Option<String> {
    let path = if state_root == Path::new("/") {
        "/proc/sys/kernel/hostname".into()
    } else {
        under_root(state_root, "/etc/hostname")
    };
    from_text(&std::fs::read_to_string(path).ok()?)
}

/// The first name in a hostname file's text, without its domain part
/// (`$nodename =~ s/\..*$//`).
fn from_text(text: &str) -> Option<String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let short = line.split('.').next().unwrap_or_default();
    (!short.is_empty()).then(|| short.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_part_is_stripped_as_inotify_does() {
        assert_eq!(from_text("pve1.lan\n").as_deref(), Some("pve1"));
        assert_eq!(
            from_text("# set by the installer\n\npve2\n").as_deref(),
            Some("pve2")
        );
        assert_eq!(from_text("\n"), None);
    }

    #[test]
    fn under_a_root_its_etc_hostname_names_the_node() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(node_name(root.path()), None);
        std::fs::create_dir_all(root.path().join("etc")).unwrap();
        std::fs::write(root.path().join("etc/hostname"), "old-name\n").unwrap();
        assert_eq!(node_name(root.path()).as_deref(), Some("old-name"));
        assert!(node_name(Path::new("/")).is_some(), "the kernel has a name");
    }
}
