//! Firewall files already on a host: finding and reading them, linting them
//! with the same checks the JSON gets, and turning them back into JSON.
//! pve-firewall reads cluster.fw and `<vmid>.fw` in /etc/pve/firewall and
//! the node's host.fw in /etc/pve/nodes/<node>/ (`/etc/pve/local`).

use crate::check::{self, Ctx, FileLoc};
use crate::fwfile::{self, FwDoc, Kind};
use phx_common::config::{Firewall, Problems};
use phx_common::firewall::lookup::AliasIndex;
use phx_plan::fsutil::under_root;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Parsed files: cluster.fw, every node's host.fw and the guests' `<vmid>.fw`.
#[derive(Debug, Default)]
pub struct Files {
    pub cluster: Option<FwDoc<'static>>,
    /// (node, host.fw).
    pub hosts: Vec<(String, FwDoc<'static>)>,
    pub guests: Vec<(u32, FwDoc<'static>)>,
}

impl Files {
    /// The host.fw of `node`, or the only one there is.
    pub fn host_of(&self, node: &str) -> Option<&FwDoc<'static>> {
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
    let cluster = files.cluster.as_ref().map(|c| &*c.fw);
    let groups: BTreeSet<String> = cluster
        .map(|c| c.groups.keys().cloned().collect())
        .unwrap_or_default();
    let cluster_aliases = cluster.map(AliasIndex::new).unwrap_or_default();
    let no_aliases = AliasIndex::default();
    let mut one = |kind: Kind, d: &FwDoc, cluster: Option<&Firewall>| {
        let ctx = Ctx {
            kind,
            cluster,
            // The cluster's own file sees no cluster aliases but its own.
            cluster_aliases: if cluster.is_some() {
                &cluster_aliases
            } else {
                &no_aliases
            },
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

/// `{"firewall": {…cluster…, "hosts": {"<node>": {…}}}, "guests": {"101": {…}}}`:
/// paste `firewall` into the hypervisor configuration and each guest's
/// object into its entry. Every host.fw is under `hosts` by its node, so it
/// is written back to the same node's directory. Without a cluster.fw the
/// firewall object says `"enabled": false` (what pve-firewall does without
/// one), and a note says so.
pub fn to_json(files: &Files) -> (Value, Vec<String>) {
    let mut o = Map::new();
    let mut notes = Vec::new();
    let mut fw = match &files.cluster {
        Some(c) => fwfile::to_json(&c.fw, Kind::Cluster),
        None if !files.hosts.is_empty() => {
            notes.push("no /etc/pve/firewall/cluster.fw: the firewall object says \"enabled\": false, as pve-firewall filters nothing without one; its hosts are kept".to_string());
            json!({"enabled": false})
        }
        None => Value::Null,
    };
    if let (false, Value::Object(m)) = (files.hosts.is_empty(), &mut fw) {
        let hosts: Map<String, Value> = files
            .hosts
            .iter()
            .map(|(n, d)| (n.clone(), fwfile::to_json(&d.fw, Kind::Host)))
            .collect();
        m.insert("hosts".into(), Value::Object(hosts));
    }
    if !fw.is_null() {
        o.insert("firewall".into(), fw);
    }
    if !files.guests.is_empty() {
        let mut g = Map::new();
        for (id, d) in &files.guests {
            g.insert(id.to_string(), fwfile::to_json(&d.fw, Kind::Guest(*id)));
        }
        o.insert("guests".into(), Value::Object(g));
    }
    (Value::Object(o), notes)
}

/// Removes every item a problem names by line, as pve-firewall skips the
/// lines it cannot read or compile, so what `parse` prints is usable as
/// configuration. Returns one warning per problem, naming its line.
pub fn leave_out(files: &mut Files, problems: &Problems) -> Vec<String> {
    let docs = files
        .cluster
        .iter_mut()
        .chain(files.hosts.iter_mut().map(|(_, d)| d))
        .chain(files.guests.iter_mut().map(|(_, d)| d));
    for doc in docs {
        let lines: BTreeSet<usize> = problems
            .list
            .iter()
            .filter(|p| p.file == doc.file)
            .filter_map(|p| p.path.strip_prefix("line ")?.parse().ok())
            .collect();
        if !lines.is_empty() {
            leave_out_lines(doc, &lines);
        }
    }
    problems
        .list
        .iter()
        .map(|p| format!("{p} (left out of the JSON)"))
        .collect()
}

fn leave_out_lines(doc: &mut FwDoc, lines: &BTreeSet<usize>) {
    let bad = |n: &usize| lines.contains(n);
    let fw = doc.fw.to_mut();
    let keep: Vec<bool> = doc.rule_lines.iter().map(|n| !bad(n)).collect();
    retain_by(&mut fw.rules, &keep);
    retain_by(&mut doc.rule_lines, &keep);
    for (name, n) in &doc.option_lines {
        if bad(n) {
            fw.options.remove(name);
        }
    }
    for (name, n) in &doc.alias_lines {
        if bad(n) {
            fw.aliases.remove(name);
        }
    }
    for (name, (header, entries)) in doc.ipset_lines.iter_mut() {
        if bad(header) {
            fw.ipsets.remove(name);
            fw.ipset_comments.remove(name);
            continue;
        }
        let keep: Vec<bool> = entries.iter().map(|n| !bad(n)).collect();
        if let Some(set) = fw.ipsets.get_mut(name) {
            retain_by(set, &keep);
        }
        if let Some(c) = fw.ipset_comments.get_mut(name) {
            c.entries.resize(keep.len(), None);
            retain_by(&mut c.entries, &keep);
        }
        retain_by(entries, &keep);
    }
    for (name, header) in &doc.group_headers {
        if bad(header) {
            fw.groups.remove(name);
            fw.group_comments.remove(name);
        }
    }
    for (name, rule_lines) in doc.group_lines.iter_mut() {
        let keep: Vec<bool> = rule_lines.iter().map(|n| !bad(n)).collect();
        if let Some(rules) = fw.groups.get_mut(name) {
            retain_by(rules, &keep);
        }
        retain_by(rule_lines, &keep);
    }
}

/// Keeps the items whose flag is true (`keep` is parallel to `v`).
fn retain_by<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        keep.get(i - 1).copied().unwrap_or(true)
    });
}
