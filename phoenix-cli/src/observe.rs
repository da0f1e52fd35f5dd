//! `phoenix-cli observe --out DIR`: a read-only copy of what the guest
//! planners read of a Proxmox node (`/etc/pve`'s guest confs, firewall files,
//! storage.cfg, Phoenix's VM vendor snippet, the node's name, the
//! containers' bind-mount sources as empty directories) and a record of `pct list`/`qm list`, so
//! `--root DIR` previews LetsGo for that node on any machine. Only those
//! paths are copied: `/etc/pve/priv` (keys, tokens, storage passwords) and
//! everything else of the node stay where they are.

use crate::cli::ObserveArgs;
use crate::run::Stop;
use phx_common::guests::{Kind, CT, VM};
use phx_common::observed_record::{self, Record, FORMAT};
use phx_plan::fsutil::under_root;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The directories of `/etc/pve` whose files are copied, and the file
/// suffix kept in each.
const DIRS: &[(&str, &str)] = &[
    ("/etc/pve/lxc", ".conf"),
    ("/etc/pve/qemu-server", ".conf"),
    ("/etc/pve/firewall", ".fw"),
];

/// A VM conf's keys that may hold a secret: qemu-server keeps
/// `cipassword` hashed in the conf (API2/Qemu.pm encrypts it before it is
/// written), which is still a password's hash. Phoenix never sets it (its
/// passwords go in a snippet), so dropping it changes no plan.
const SECRET_KEYS: &[&str] = &["cipassword"];

pub fn observe(a: &ObserveArgs) -> Result<u8, Stop> {
    let from = a.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let out = &a.out;
    refuse_unless_fresh(&from, out)?;
    let mut redacted = Vec::new();
    let mut copied = BTreeMap::new();
    for (dir, suffix) in DIRS {
        let n = copy_dir(&from, out, dir, suffix, &mut redacted)?;
        copied.insert(*dir, n);
    }
    let binds = bind_sources(&from, out)?;
    let mut hosts = 0;
    for node in names_in(&under_root(&from, "/etc/pve/nodes"))? {
        let path = format!("/etc/pve/nodes/{node}/host.fw");
        hosts += usize::from(copy_file(&from, out, &path)?);
    }
    let storage = copy_file(&from, out, phx_common::storage_cfg::PATH)?;
    // Phoenix's vendor snippet holds no secret (the per-VM user data with a
    // password does, and stays: a VM with a password previews its snippet
    // as changed).
    copy_file(&from, out, phx_common::vm_agent::PATH)?;
    let node = phx_common::node::node_name(&from);
    if let Some(n) = &node {
        write(
            &under_root(out, "/etc/hostname"),
            format!("{n}\n").as_bytes(),
        )?;
    }
    let mut lists = BTreeMap::new();
    for kind in [CT, VM] {
        lists.insert(kind.program.to_string(), list(&from, kind)?);
    }
    let running = |p: &str| lists[p].iter().filter(|r| r.status == "running").count();
    let summary = format!(
        "{} container confs ({binds} bind-mount sources, as empty directories), {} VM confs, {} firewall files, {hosts} host.fw, storage.cfg {}; pct list: {} running, qm list: {} running",
        copied["/etc/pve/lxc"],
        copied["/etc/pve/qemu-server"],
        copied["/etc/pve/firewall"],
        if storage { "copied" } else { "absent" },
        running("pct"),
        running("qm"),
    );
    let rec = Record {
        phoenix_observed: FORMAT,
        taken_at: utc_now(),
        node,
        lists,
        redacted,
    };
    let text = serde_json::to_string_pretty(&rec).map_err(|e| Stop::Failed(e.to_string()))?;
    write(
        &under_root(out, observed_record::PATH),
        format!("{text}\n").as_bytes(),
    )?;
    println!("observed {}: {summary}", rec.origin());
    for r in &rec.redacted {
        println!("  left out: {r}");
    }
    println!(
        "preview LetsGo there with: phoenix-cli check LetsGo --root {}",
        out.display()
    );
    Ok(phx_plan::exit::EXIT_OK)
}

/// `out` must be new, empty, or an earlier observation (replaced whole):
/// mixing a node's copy with other files would preview neither.
fn refuse_unless_fresh(from: &Path, out: &Path) -> Result<(), Stop> {
    if out == from || out == Path::new("/") {
        return Err(Stop::Usage(format!(
            "--out {}: observe copies a node into a directory of its own, never over the node",
            out.display()
        )));
    }
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e.count(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Stop::Failed(format!("{}: {e}", out.display()))),
    };
    if entries == 0 {
        return Ok(());
    }
    if !under_root(out, observed_record::PATH).is_file() {
        return Err(Stop::Usage(format!(
            "--out {}: not empty and not an earlier observation; give a new directory",
            out.display()
        )));
    }
    for old in [
        "etc/pve",
        "etc/hostname",
        observed_record::PATH.trim_start_matches('/'),
    ] {
        let p = out.join(old);
        let gone = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        match gone {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Stop::Failed(format!("replacing {}: {e}", p.display())))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The entry names of `dir`, sorted; none when it does not exist.
fn names_in(dir: &Path) -> Result<Vec<String>, Stop> {
    let mut names = match std::fs::read_dir(dir) {
        Ok(e) => e
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Stop::Failed(format!("listing {}: {e}", dir.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Stop::Failed(format!("listing {}: {e}", dir.display()))),
    };
    names.sort();
    Ok(names)
}

/// Copies `dir`'s files ending in `suffix` (a node's `/etc/pve/lxc` is a
/// link to `nodes/<node>/lxc`: followed, the copy is plain directories).
fn copy_dir(
    from: &Path,
    out: &Path,
    dir: &str,
    suffix: &str,
    redacted: &mut Vec<String>,
) -> Result<usize, Stop> {
    let names: Vec<String> = names_in(&under_root(from, dir))?
        .into_iter()
        .filter(|n| n.ends_with(suffix))
        .collect();
    std::fs::create_dir_all(under_root(out, dir))
        .map_err(|e| Stop::Failed(format!("{}: {e}", out.display())))?;
    for name in &names {
        let path = format!("{dir}/{name}");
        let text = read(&under_root(from, &path))?;
        let kept = if dir == VM.conf_dir {
            without_secrets(&text, &path, redacted)
        } else {
            text
        };
        write(&under_root(out, &path), kept.as_bytes())?;
    }
    Ok(names.len())
}

/// The conf without the lines of [`SECRET_KEYS`], each left-out line named.
fn without_secrets(text: &str, path: &str, redacted: &mut Vec<String>) -> String {
    let mut kept = String::with_capacity(text.len());
    for line in text.lines() {
        let key = line.split(':').next().unwrap_or_default().trim();
        if SECRET_KEYS.contains(&key) {
            redacted.push(format!("{path}: {key}"));
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    kept
}

/// The host directories the copied containers bind-mount (`mpN:
/// /host/dir,mp=…`), made empty in `out`: the planners ask only whether
/// they exist, and their contents are the node's data. How many.
fn bind_sources(from: &Path, out: &Path) -> Result<usize, Stop> {
    let dir = CT.conf_dir;
    let mut made = 0;
    for name in names_in(&under_root(out, dir))? {
        let text = read(&under_root(out, &format!("{dir}/{name}")))?;
        for line in text.lines() {
            let Some((key, value)) = line.split_once(": ") else {
                continue;
            };
            let host = value.split(',').next().unwrap_or_default();
            let is_mount = key
                .strip_prefix("mp")
                .is_some_and(|n| n.parse::<u32>().is_ok());
            if is_mount && host.starts_with('/') && under_root(from, host).is_dir() {
                let at = under_root(out, host);
                std::fs::create_dir_all(&at)
                    .map_err(|e| Stop::Failed(format!("{}: {e}", at.display())))?;
                made += 1;
            }
        }
    }
    Ok(made)
}

/// Copies one file when it exists; whether it did.
fn copy_file(from: &Path, out: &Path, path: &str) -> Result<bool, Stop> {
    let src = under_root(from, path);
    if !src.is_file() {
        return Ok(false);
    }
    write(&under_root(out, path), read(&src)?.as_bytes())?;
    Ok(true)
}

fn read(p: &Path) -> Result<String, Stop> {
    std::fs::read_to_string(p).map_err(|e| Stop::Failed(format!("reading {}: {e}", p.display())))
}

fn write(p: &Path, bytes: &[u8]) -> Result<(), Stop> {
    if let Some(dir) = p.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Stop::Failed(format!("{}: {e}", dir.display())))?;
    }
    std::fs::write(p, bytes).map_err(|e| Stop::Failed(format!("writing {}: {e}", p.display())))
}

/// One `<program> list` on the node observed (with `PHX_ROOT` under a
/// root, as the planners run it): its rows. A node without the program is
/// not a Proxmox node, and there is nothing to observe.
fn list(from: &Path, kind: Kind) -> Result<Vec<observed_record::Row>, Stop> {
    let out = phx_common::probe::list(kind.program, from, None).map_err(|e| {
        Stop::Failed(format!(
            "`{} list` on {}: {e} (observe runs on a Proxmox VE node)",
            kind.program,
            from.display()
        ))
    })?;
    Ok(observed_record::rows(&out, kind.status_column))
}

/// Now, UTC, as `2026-12-07T23:10:00Z`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    phx_plan::utc::iso(secs as i64)
}

#[cfg(test)]
mod tests {
    use super::without_secrets;

    #[test]
    fn a_vm_confs_password_hash_is_left_out_and_named() {
        let conf = "cores: 2\ncipassword: $5$abc$def\nname: web\n\n[special:cloudinit]\ncipassword: $5$x$y\n";
        let mut said = Vec::new();
        let kept = without_secrets(conf, "/etc/pve/qemu-server/100.conf", &mut said);
        assert_eq!(kept, "cores: 2\nname: web\n\n[special:cloudinit]\n");
        assert_eq!(said.len(), 2);
        assert!(said[0].ends_with("100.conf: cipassword"), "{said:?}");
    }
}
