//! Firewall files already on a host: finding and reading them, linting them
//! with the same checks the JSON gets, and turning them back into JSON.
//! pve-firewall reads cluster.fw and `<vmid>.fw` in /etc/pve/firewall and
//! the node's host.fw in /etc/pve/nodes/<node>/ (`/etc/pve/local`).

use crate::check::{self, Ctx, FileLoc};
use crate::fwfile::{self, FwDoc, Kind};
use phx_common::config::Problems;
use phx_common::fsutil::under_root;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Parsed files: cluster.fw, every node's host.fw and the guests' `<vmid>.fw`.
#[derive(Debug, Default)]
pub struct Files {
    pub cluster: Option<FwDoc>,
    /// (node, host.fw).
    pub hosts: Vec<(String, FwDoc)>,
    pub guests: Vec<(u32, FwDoc)>,
}

impl Files {
    /// The host.fw of `node`, or the only one there is.
    pub fn host_of(&self, node: &str) -> Option<&FwDoc> {
        match self.hosts.iter().find(|(n, _)| n == node) {
            Some((_, d)) => Some(d),
            None if self.hosts.len() == 1 => Some(&self.hosts[0].1),
            None => None,
        }
    }
    pub fn count(&self) -> usize {
        usize::from(self.cluster.is_some()) + self.hosts.len() + self.guests.len()
    }
}

/// `cluster.fw` and `<vmid>.fw` in a directory (other files are ignored), sorted.
pub fn list_dir(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in read_dir(dir)? {
        let kind = p
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(Kind::of_file);
        if p.is_file() && kind.is_some() {
            out.push(p);
        }
    }
    Ok(out)
}

/// A directory's entries, sorted; none when it does not exist.
fn read_dir(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries {
                out.push(e?.path());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    out.sort();
    Ok(out)
}

/// A file's real path and the path messages show.
pub type Shown = (PathBuf, String);

/// Every firewall file pve-firewall reads under `root`, as (real path,
/// path shown in messages), and warnings about files it would not read.
pub fn find(root: &Path) -> std::io::Result<(Vec<Shown>, Vec<String>)> {
    let mut paths = Vec::new();
    let mut notes = Vec::new();
    for p in list_dir(&under_root(root, "/etc/pve/firewall"))? {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        paths.push((p, format!("/etc/pve/firewall/{name}")));
    }
    if under_root(root, "/etc/pve/firewall/host.fw").is_file() {
        notes.push("/etc/pve/firewall/host.fw: pve-firewall never reads host.fw here, so its rules do nothing; a node's host rules belong in /etc/pve/nodes/<node>/host.fw".to_string());
    }
    for node in read_dir(&under_root(root, "/etc/pve/nodes"))? {
        let host = node.join("host.fw");
        if host.is_file() {
            let name = node.file_name().unwrap().to_string_lossy().to_string();
            paths.push((host, format!("/etc/pve/nodes/{name}/host.fw")));
        }
    }
    Ok((paths, notes))
}

/// What a file is by its name: host.fw belongs to the node named by its directory.
fn kind_of(path: &Path) -> Option<(Kind, String)> {
    let name = path.file_name().and_then(|n| n.to_str())?;
    if name == "host.fw" {
        let node = path
            .parent()
            .and_then(|d| d.file_name())
            .map_or("localhost".to_string(), |n| n.to_string_lossy().to_string());
        return Some((Kind::Host, node));
    }
    Kind::of_file(name).map(|k| (k, String::new()))
}

/// Reads and parses files; `shown` maps a real path to the name used in
/// messages. Every parse error and every check failure becomes a problem
/// `FILE: line N: …`.
pub fn read(paths: &[(PathBuf, String)]) -> Result<(Files, Problems), String> {
    let mut files = Files::default();
    let mut p = Problems::default();
    for (path, shown) in paths {
        let (kind, node) = kind_of(path).ok_or_else(|| {
            format!(
                "{}: expected a file named cluster.fw, host.fw or <vmid>.fw",
                path.display()
            )
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        let (doc, errors) = fwfile::parse(&text, shown, kind);
        let lines: Vec<&str> = text.lines().collect();
        for (n, msg) in errors {
            p.push(
                shown,
                &format!("line {n}"),
                format!("{:?}", lines.get(n - 1).map_or("", |l| l.trim())),
                msg,
            );
        }
        match kind {
            Kind::Cluster => {
                if files.cluster.is_some() {
                    return Err(format!("{}: a second cluster.fw", path.display()));
                }
                files.cluster = Some(doc);
            }
            Kind::Host => files.hosts.push((node, doc)),
            Kind::Guest(id) => files.guests.push((id, doc)),
        }
    }
    Ok((files, p))
}

/// The same checks as for the JSON, on parsed files.
pub fn lint(files: &Files, p: &mut Problems) {
    let cluster = files.cluster.as_ref().map(|c| &c.fw);
    let groups: BTreeSet<String> = cluster
        .map(|c| c.groups.keys().cloned().collect())
        .unwrap_or_default();
    let mut one = |kind: Kind, d: &FwDoc, cluster| {
        let ctx = Ctx {
            kind,
            cluster,
            groups: &groups,
        };
        check::check(&d.fw, &ctx, &d.file, &FileLoc { doc: d }, p);
    };
    if let Some(c) = &files.cluster {
        one(Kind::Cluster, c, None);
    }
    for (_, d) in &files.hosts {
        one(Kind::Host, d, cluster);
    }
    for (id, d) in &files.guests {
        one(Kind::Guest(*id), d, cluster);
    }
}

/// `{"firewall": {…cluster…, "host": {…}}, "guests": {"101": {…}}}`: paste
/// `firewall` into the hypervisor configuration and each guest's object into
/// its entry. With several nodes' host.fw, they are under `hosts` by node.
pub fn to_json(files: &Files) -> Value {
    let mut o = Map::new();
    let host_json = |d: &FwDoc| fwfile::to_json(&d.fw, Kind::Host);
    if let Some(c) = &files.cluster {
        let mut fw = fwfile::to_json(&c.fw, Kind::Cluster);
        if let ([(_, h)], Value::Object(m)) = (files.hosts.as_slice(), &mut fw) {
            m.insert("host".into(), host_json(h));
        }
        o.insert("firewall".into(), fw);
    }
    if files.hosts.len() > 1 || (files.cluster.is_none() && !files.hosts.is_empty()) {
        let hosts: Map<String, Value> = files
            .hosts
            .iter()
            .map(|(n, d)| (n.clone(), host_json(d)))
            .collect();
        o.insert("hosts".into(), Value::Object(hosts));
    }
    if !files.guests.is_empty() {
        let mut g = Map::new();
        for (id, d) in &files.guests {
            g.insert(id.to_string(), fwfile::to_json(&d.fw, Kind::Guest(*id)));
        }
        o.insert("guests".into(), Value::Object(g));
    }
    if o.is_empty() {
        return json!({});
    }
    Value::Object(o)
}
