//! Checks of single values shared by several sections: names, paths, IDs,
//! and the tokens that end up inside pct arguments and property strings.

use super::super::names::is_dns_name;
use super::super::raw::{show_str, List, Scalar};
use super::super::reader::{At, Reader};
use super::super::suggest::nearest;
use ipnet::Ipv4Net;
use std::net::IpAddr;

pub const MIN_ID: u64 = 100;
pub const MAX_ID: u64 = 999_999_999;
/// How a single string spells a list (`"8.8.8.8, 1.1.1.1"`).
pub const LIST_SEPS: &[char] = &[' ', ',', ';'];

pub const STORAGE_ID: &str =
    "a Proxmox storage ID (a letter, then letters, digits, '-', '_' or '.')";
pub const ZFS_NAME: &str =
    "a ZFS dataset or volume name (letters, digits, '-', '_', '.', and '/' between parts)";
pub const TEMPLATE: &str = "a template volume ID (storage:vztmpl/<archive>.tar[.gz|.xz|.zst|.bz2], no '/' in the archive name) or an absolute path in normal form, without ',', '=' or spaces";
pub const SNAPNAME: &str =
    "a snapshot name (a letter, then letters, digits, '-' or '_'; at most 40)";
pub const SCRIPT_NAME: &str =
    "a script's file name in <config-dir>/scripts/ (letters, digits, '.', '_', '-'; not starting with '.')";
pub const PROFILE: &str = "an AppArmor profile name (letters, digits, '-', '_', '.')";
const DNS_NAME: &str =
    "a DNS name (RFC 1123: labels of letters, digits and '-', separated by dots)";
/// `pct --features` keys (pve-container's LXC/Config.pm, $features_desc).
const PCT_FEATURES: [&str; 6] = [
    "force_rw_sys",
    "fuse",
    "keyctl",
    "mknod",
    "nesting",
    "mount",
];

/// The guest features the original system's scripts install
/// (`tests/fixtures/phoenix-upstream`, docs/configuration.md, "What the tools accept"). A name outside
/// this list was ignored, so a typo (`tursted_ca`) silently dropped what
/// it meant; the tools say themselves which known ones they do not act on.
pub const FEATURES: [&str; 10] = [
    "base_setup",
    "docker",
    "nvidia",
    "ollama",
    "portainer",
    "python_api_service",
    "vllm",
    "step_ca",
    "traefik",
    "trusted_ca",
];

/// An `application_script` name: one file name, never a path (it is looked
/// up under `<config-dir>/scripts/` and pushed into the guest under it).
pub fn is_script_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// `features`: a list (or a comma-separated string) of known feature names.
pub fn features(r: &mut Reader, at: &At, v: List<Scalar>) -> Vec<String> {
    r.str_items(at, v, &[','], |r, at, name| {
        if FEATURES.contains(&name.as_str()) {
            return Some(name);
        }
        let hint = match nearest(&name, &FEATURES) {
            Some(k) => format!("; did you mean {k}?"),
            None => String::new(),
        };
        r.push(
            at,
            show_str(&name),
            format!("a feature: {}{hint}", FEATURES.join(", ")),
        );
        None
    })
}

/// An interface's own address with its prefix (`10.0.0.13/24`): not the
/// subnet's network or broadcast address.
pub fn host_cidr(r: &mut Reader, at: &At, v: Scalar) -> Option<Ipv4Net> {
    let (net, text) = r.ipv4_cidr_text(at, v)?;
    refuse_reserved(r, at, net, &text).then_some(net)
}

/// False, with a problem, when `net`'s address is its subnet's network or
/// broadcast address, which no host can hold (a /31 or /32 has neither,
/// RFC 3021).
pub fn refuse_reserved(r: &mut Reader, at: &At, net: Ipv4Net, text: &str) -> bool {
    let which = if net.prefix_len() >= 31 {
        return true;
    } else if net.addr() == net.network() {
        "network"
    } else if net.addr() == net.broadcast() {
        "broadcast"
    } else {
        return true;
    };
    let expected = format!(
        "a host address inside {}, not its {which} address",
        net.trunc()
    );
    r.push(at, show_str(text), expected);
    false
}

pub fn dns_name(r: &mut Reader, at: &At, v: Scalar) -> Option<String> {
    r.token(at, v, is_dns_name, DNS_NAME)
}

pub fn ip_list(r: &mut Reader, at: &At, v: List<Scalar>) -> Vec<IpAddr> {
    r.str_items(at, v, LIST_SEPS, |r, at, s| match s.parse::<IpAddr>() {
        Ok(ip) => Some(ip),
        Err(_) => {
            r.push(at, format!("{s:?}"), "an IP address");
            None
        }
    })
}

/// An absolute path that can sit inside a Proxmox property string, written
/// in its normal form: other tools compare it as text (phx-ca plans the
/// export under `host_path`, phx-apply refuses `//mnt//pve` after the
/// guests ran), so `//mnt//pve//ssl/` is refused here with `/mnt/pve/ssl`
/// suggested.
pub fn abs_path(r: &mut Reader, at: &At, v: Scalar) -> Option<String> {
    let s = r.str(at, v)?;
    if !s.starts_with('/') || s.contains(',') {
        r.push(
            at,
            show_str(&s),
            "an absolute path without ',', '.' or '..' components",
        );
        return None;
    }
    let normal = normal_path(&s);
    if normal != s {
        let expected = format!(
            "an absolute path in normal form (no '//', '.', '..' or trailing '/'): {}",
            show_str(&normal)
        );
        r.push(at, show_str(&s), expected);
        return None;
    }
    Some(s)
}

/// What a bind source's `mode` must be.
pub const DIR_MODE: &str = "a directory mode of 3 or 4 octal digits, as a string (\"0750\")";

/// A bind source's `mode`: `"750"` or `"0750"` (a string, as chmod takes
/// it: a JSON number would read as decimal), at most 07777.
pub fn dir_mode(r: &mut Reader, at: &At, v: Scalar) -> Option<u32> {
    let s = r.str(at, v)?;
    let ok = (3..=4).contains(&s.len()) && s.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match ok.then(|| u32::from_str_radix(&s, 8).ok()).flatten() {
        Some(m) => Some(m),
        None => {
            r.push(at, show_str(&s), DIR_MODE);
            None
        }
    }
}

/// `path` with empty and `.` components dropped and `..` taken back a
/// component (as text: the suggestion names what was probably meant).
pub fn normal_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A guest ID (CTID or VMID).
pub fn guest_id(r: &mut Reader, at: &At, v: Scalar) -> Option<u32> {
    r.int(at, v, MIN_ID, MAX_ID).map(|x| x as u32)
}

/// A list of guest IDs (`dependencies`).
pub fn ids(r: &mut Reader, at: &At, v: List<Scalar>) -> Vec<u32> {
    match v {
        List::Items(_) => r.each(at, v, guest_id),
        List::One(s) => {
            r.bad(at, &s, "a list of guest IDs");
            Vec::new()
        }
    }
}

pub const IFACE: &str = "an interface name of letters, digits, '-', '_' and '.'";

/// An interface or bridge name: it goes into `pct --net0 bridge=…` and
/// `qm --net0 …,bridge=…`, where a ',' or '=' would add options of its own.
pub fn iface_name(r: &mut Reader, at: &At, v: Scalar) -> Option<String> {
    r.token(at, v, is_iface_name, IFACE)
}

pub fn is_iface_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

pub fn is_storage_id(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

pub const POOL_NAME: &str = "a ZFS pool name (a letter, then letters, digits, '-', '_', '.' or ':'; not mirror, raidz*, draid*, spare, log or c[0-9]*)";
pub const RAID_LEVELS: &str =
    "single, mirror, raidz1, raidz2 or raidz3 (the vdev layout; case does not matter)";

/// A pool name zpool accepts (OpenZFS module/zcommon/zfs_namecheck.c, pool_namecheck).
pub fn is_pool_name(s: &str) -> bool {
    let reserved = ["mirror", "raidz", "draid", "spare", "log"]
        .iter()
        .any(|r| s.starts_with(r))
        || (s.starts_with('c') && s[1..].starts_with(|c: char| c.is_ascii_digit()));
    s.starts_with(|c: char| c.is_ascii_alphabetic())
        && !reserved
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// A dataset name, nested ones included (`vm/disks`).
pub fn is_zfs_name(s: &str) -> bool {
    s.split('/').all(|part| {
        !part.is_empty()
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    })
}

/// What `pct create` takes as its template: an absolute path in normal form,
/// or a volume ID of content `vztmpl` as pve-storage parses one: a storage
/// ID, then `vztmpl/` and an archive name without '/' ending in `.tar`,
/// `.tar.gz`, `.tar.xz`, `.tar.zst` or `.tar.bz2` (pve-storage
/// src/PVE/Storage/Plugin.pm:423 `parse_volume_id` and :814 `parse_volname`;
/// src/PVE/Storage.pm:118 `VZTMPL_EXT_RE_1`).
pub fn is_template_ref(s: &str) -> bool {
    let clean = !s.is_empty() && !s.contains([',', '=']) && !s.contains(char::is_whitespace);
    if !clean {
        return false;
    }
    if s.starts_with('/') {
        return s.len() > 1 && normal_path(s) == s;
    }
    let Some((storage, volname)) = s.split_once(':') else {
        return false;
    };
    let archive = volname.strip_prefix("vztmpl/").unwrap_or_default();
    let lower = archive.to_ascii_lowercase();
    let stem = [".tar", ".tar.gz", ".tar.xz", ".tar.zst", ".tar.bz2"]
        .iter()
        .find_map(|ext| lower.strip_suffix(ext));
    is_storage_id(storage) && !archive.contains('/') && stem.is_some_and(|n| !n.is_empty())
}

pub fn is_snapname(s: &str) -> bool {
    // `current` is pct's name for the live state, not a snapshot.
    s != "current"
        && s.len() <= 40
        && s.len() >= 2
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b))
}

pub fn is_profile(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// One `pct --features` item, booleans spelled as pct stores them (`nesting=yes` → `nesting=1`).
fn pct_feature(item: &str) -> Option<String> {
    let (k, v) = item.split_once('=')?;
    if k == "mount" {
        let ok = !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b';');
        return ok.then(|| item.to_string());
    }
    let bit = match v.to_ascii_lowercase().as_str() {
        "1" | "yes" | "on" | "true" => "1",
        "0" | "no" | "off" | "false" => "0",
        _ => return None,
    };
    PCT_FEATURES.contains(&k).then(|| format!("{k}={bit}"))
}

/// `pct --features` items (`nesting=1`, `mount=nfs;cifs`), from a list or a comma-separated string.
pub fn pct_features(r: &mut Reader, at: &At, v: List<Scalar>) -> Vec<String> {
    let mut out = Vec::new();
    r.str_items(at, v, &[','], |r, at, items| {
        // A list item may itself hold several (`["nesting=1,keyctl=1"]`).
        for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            match pct_feature(item) {
                Some(f) => out.push(f),
                None => r.push(
                    at,
                    format!("{item:?}"),
                    "a pct feature: force_rw_sys, fuse, keyctl, mknod or nesting = 0/1 (or yes/no, on/off, true/false), or mount=fs;fs",
                ),
            }
        }
        Some(())
    });
    out
}
