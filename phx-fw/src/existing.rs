//! Firewall files already on a host: reading them, linting them with the
//! same checks the JSON gets, and turning them back into JSON.

use crate::check::{self, Ctx, FileLoc};
use crate::fwfile::{self, FwDoc, Kind};
use phx_common::config::Problems;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Parsed files: cluster.fw and the guests' `<vmid>.fw`.
#[derive(Debug, Default)]
pub struct Files {
    pub cluster: Option<FwDoc>,
    pub guests: Vec<(u32, FwDoc)>,
}

/// `cluster.fw` and `<vmid>.fw` in a directory (other files are ignored), sorted.
pub fn list_dir(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            for e in entries {
                let p = e?.path();
                if p.is_file()
                    && p.file_name()
                        .and_then(|n| n.to_str())
                        .and_then(Kind::of_file)
                        .is_some()
                {
                    out.push(p);
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    out.sort();
    Ok(out)
}

/// Reads and parses files; `shown` maps a real path to the name used in
/// messages. Every parse error and every check failure becomes a problem
/// `FILE: line N: …`.
pub fn read(paths: &[(PathBuf, String)]) -> Result<(Files, Problems), String> {
    let mut files = Files::default();
    let mut p = Problems::default();
    for (path, shown) in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let kind = Kind::of_file(name).ok_or_else(|| {
            format!(
                "{}: expected a file named cluster.fw or <vmid>.fw",
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
            Kind::Guest(id) => files.guests.push((id, doc)),
        }
    }
    Ok((files, p))
}

/// The same checks as for the JSON, on parsed files.
pub fn lint(files: &Files, p: &mut Problems) {
    let groups: BTreeSet<String> = files
        .cluster
        .as_ref()
        .map(|c| c.groups.keys().cloned().collect())
        .unwrap_or_default();
    if let Some(c) = &files.cluster {
        let ctx = Ctx {
            kind: Kind::Cluster,
            cluster: None,
            groups: &groups,
        };
        check::check(&c.fw, &ctx, &c.file, &FileLoc { doc: c }, p);
        // Rules inside [group] sections: checked like cluster rules, and they take no -i.
        for rules in c.groups.values() {
            let mut sub = Problems::default();
            let mut with_sets = c.fw.clone();
            with_sets.rules = rules.clone();
            with_sets.options.clear();
            check::check(&with_sets, &ctx, &c.file, &FileLoc { doc: c }, &mut sub);
            // Alias/ipset problems were already reported for the file itself.
            let own: Vec<String> = rules.iter().map(|r| r.path.clone()).collect();
            p.list
                .extend(sub.list.into_iter().filter(|x| own.contains(&x.path)));
            for r in rules {
                if let Some(i) = &r.iface {
                    p.push(
                        &c.file,
                        &r.path,
                        format!("{i:?}"),
                        "no -i inside a [group] section (give it on the GROUP rule instead)",
                    );
                }
            }
        }
        if !c.groups.is_empty() {
            p.warn(format!("{}: [group] sections have no place in Phoenix's JSON firewall object; they are left out of the JSON", c.file));
        }
    }
    for (id, d) in &files.guests {
        let ctx = Ctx {
            kind: Kind::Guest(*id),
            cluster: files.cluster.as_ref().map(|c| &c.fw),
            groups: &groups,
        };
        check::check(&d.fw, &ctx, &d.file, &FileLoc { doc: d }, p);
    }
}

/// `{"firewall": {…cluster…}, "guests": {"101": {…}}}`: paste `firewall` into
/// the hypervisor configuration and each guest's object into its entry.
pub fn to_json(files: &Files) -> Value {
    let mut o = Map::new();
    if let Some(c) = &files.cluster {
        o.insert("firewall".into(), fwfile::to_json(&c.fw, Kind::Cluster));
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
