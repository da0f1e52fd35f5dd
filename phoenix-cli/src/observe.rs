//! `phoenix-cli observe --out DIR`: a read-only copy of what the guest
//! planners read of a Proxmox node (`/etc/pve`'s guest confs, firewall files,
//! storage.cfg, Phoenix's VM vendor snippet, the node's name, the
//! containers' bind-mount sources as empty directories) and a record of `pct list`/`qm list`, so
//! `--root DIR` previews LetsGo for that node on any machine. Only those
//! paths are copied: `/etc/pve/priv` (keys, tokens, storage passwords) and
//! everything else of the node stay where they are, and lines of the confs
//! that may hold a secret are left out ([`redact`]). The copy is private
//! (directories 0700, files 0600: `/etc/pve` is root:www-data 0640 on the
//! node, and the docs suggest /tmp), and whole or absent: it is made beside
//! DIR and put in place only once complete.

mod redact;

use crate::cli::ObserveArgs;
use crate::run::Stop;
use phx_common::guests::{Kind, CT, VM};
use phx_common::observed_record::{self, Record, FORMAT};
use phx_plan::fsutil::under_root;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The directories of `/etc/pve` whose files are copied, and the file
/// suffix kept in each.
const DIRS: &[(&str, &str)] = &[
    ("/etc/pve/lxc", ".conf"),
    ("/etc/pve/qemu-server", ".conf"),
    ("/etc/pve/firewall", ".fw"),
];

pub fn observe(a: &ObserveArgs) -> Result<u8, Stop> {
    let from = a.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let out = &a.out;
    let replaces = refuse_unless_fresh(&from, out)?;
    // What fails off a Proxmox node is asked before anything is written.
    let mut lists = BTreeMap::new();
    for kind in [CT, VM] {
        lists.insert(kind.program.to_string(), list(&from, kind)?);
    }
    let devices = observed_record::nvidia_devices(&from)
        .map_err(|e| Stop::Failed(format!("the node's NVIDIA device nodes: {e}")))?
        .into_iter()
        .map(|(path, mode)| observed_record::Device {
            path,
            mode: format!("{mode:04o}"),
        })
        .collect::<Vec<_>>();
    let stage = stage_beside(out)?;
    let to = stage.path();
    let mut redacted = Vec::new();
    let mut copied = BTreeMap::new();
    for (dir, suffix) in DIRS {
        let n = copy_dir(&from, to, dir, suffix, &mut redacted)?;
        copied.insert(*dir, n);
    }
    let binds = bind_sources(&from, to)?;
    let mut hosts = 0;
    for node in names_in(&under_root(&from, "/etc/pve/nodes"))? {
        let path = format!("/etc/pve/nodes/{node}/host.fw");
        hosts += usize::from(copy_file(&from, to, &path)?);
    }
    let storage = copy_file(&from, to, phx_common::storage_cfg::PATH)?;
    // Phoenix's vendor snippet holds no secret (the per-VM user data with a
    // password does, and stays: a VM with a password previews its snippet
    // as changed). It keeps its mode, which phx-vm compares (0644); DIR
    // itself is 0700, so it is still private.
    if copy_file(&from, to, phx_common::vm_agent::PATH)? {
        let src = under_root(&from, phx_common::vm_agent::PATH);
        let dst = under_root(to, phx_common::vm_agent::PATH);
        std::fs::metadata(&src)
            .and_then(|m| std::fs::set_permissions(&dst, m.permissions()))
            .map_err(|e| Stop::Failed(format!("{}: {e}", dst.display())))?;
    }
    let node = phx_common::node::node_name(&from);
    if let Some(n) = &node {
        write(
            &under_root(to, "/etc/hostname"),
            format!("{n}\n").as_bytes(),
        )?;
    }
    let running = |p: &str| lists[p].iter().filter(|r| r.status == "running").count();
    let summary = format!(
        "{} container confs ({binds} bind-mount sources, as empty directories), {} VM confs, {} firewall files, {hosts} host.fw, storage.cfg {}, {} NVIDIA device nodes; pct list: {} running, qm list: {} running",
        copied["/etc/pve/lxc"],
        copied["/etc/pve/qemu-server"],
        copied["/etc/pve/firewall"],
        if storage { "copied" } else { "absent" },
        devices.len(),
        running("pct"),
        running("qm"),
    );
    let rec = Record {
        phoenix_observed: FORMAT,
        taken_at: utc_now(),
        node,
        lists,
        redacted,
        devices,
    };
    let text = serde_json::to_string_pretty(&rec).map_err(|e| Stop::Failed(e.to_string()))?;
    write(
        &under_root(to, observed_record::PATH),
        format!("{text}\n").as_bytes(),
    )?;
    put_in_place(stage, out, replaces)?;
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
/// mixing a node's copy with other files would preview neither. Whether
/// `out` exists (and is replaced); nothing is changed yet.
fn refuse_unless_fresh(from: &Path, out: &Path) -> Result<bool, Stop> {
    if out == from || out == Path::new("/") || out.parent().is_none() {
        return Err(Stop::Usage(format!(
            "--out {}: observe copies a node into a directory of its own, never over the node",
            out.display()
        )));
    }
    // The copy is made beside DIR and renamed to it: DIR needs a name.
    if out.file_name().is_none() {
        return Err(Stop::Usage(format!(
            "--out {}: name the directory (e.g. ../pve1), not . or ..",
            out.display()
        )));
    }
    let entries = match std::fs::read_dir(out) {
        Ok(e) => e.count(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Stop::Failed(format!("{}: {e}", out.display()))),
    };
    if entries > 0 && !under_root(out, observed_record::PATH).is_file() {
        return Err(Stop::Usage(format!(
            "--out {}: not empty and not an earlier observation; give a new directory",
            out.display()
        )));
    }
    Ok(true)
}

/// A private directory beside `out` (same filesystem, so it can be renamed
/// to `out`), removed if observe stops before it is put in place.
fn stage_beside(out: &Path) -> Result<tempfile::TempDir, Stop> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent)
        .map_err(|e| Stop::Failed(format!("{}: {e}", parent.display())))?;
    let failed =
        |e: std::io::Error| Stop::Failed(format!("a directory beside {}: {e}", out.display()));
    let stage = tempfile::Builder::new()
        .prefix(".phoenix-observe-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(parent)
        .map_err(failed)?;
    Ok(stage)
}

/// The complete copy at `out`: an earlier observation there (or the empty
/// directory given) goes whole, so nothing of it (an old bind-mount source,
/// a snippet the node no longer has) survives into the new copy.
fn put_in_place(stage: tempfile::TempDir, out: &Path, replaces: bool) -> Result<(), Stop> {
    if replaces {
        std::fs::remove_dir_all(out)
            .map_err(|e| Stop::Failed(format!("replacing {}: {e}", out.display())))?;
    }
    let staged = stage.keep();
    std::fs::rename(&staged, out).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        Stop::Failed(format!("moving the copy to {}: {e}", out.display()))
    })
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
    mkdir(&under_root(out, dir))?;
    for name in &names {
        let path = format!("{dir}/{name}");
        let text = read(&under_root(from, &path))?;
        let kept = if dir == VM.conf_dir || dir == CT.conf_dir {
            redact::conf(&text, &path, dir == VM.conf_dir, redacted)
        } else {
            text
        };
        write(&under_root(out, &path), kept.as_bytes())?;
    }
    Ok(names.len())
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
                mkdir(&under_root(out, host))?;
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

/// Writes a file readable by its owner only (0600), its directories 0700.
fn write(p: &Path, bytes: &[u8]) -> Result<(), Stop> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = p.parent() {
        mkdir(dir)?;
    }
    let failed = |e: std::io::Error| Stop::Failed(format!("writing {}: {e}", p.display()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(p)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(failed)
}

/// A directory and its parents, each new one 0700.
fn mkdir(dir: &Path) -> Result<(), Stop> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Stop::Failed(format!("{}: {e}", dir.display())))
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
