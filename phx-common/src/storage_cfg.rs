//! `/etc/pve/storage.cfg` as pve-storage reads it: sections `type: id`
//! (PVE/Storage/Plugin.pm:456 parse_section_header), then indented
//! `key value` lines (PVE::SectionConfig), blank lines between sections.

use std::collections::BTreeSet;

pub const PATH: &str = "/etc/pve/storage.cfg";

/// One storage entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: String,
    pub id: String,
    /// `(key, value)` in file order.
    pub props: Vec<(String, String)>,
}

impl Entry {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Its content types (`content` split on commas, as PVE::Tools::split_list).
    pub fn content(&self) -> BTreeSet<String> {
        content_set(self.get("content").unwrap_or(""))
    }

    /// What it may hold as pve-storage reads it: its `content`, else its
    /// plugin's default; `None` when neither is known.
    pub fn effective_content(&self) -> Option<BTreeSet<String>> {
        match self.get("content") {
            Some(list) => Some(content_set(list)),
            None => default_content(&self.kind).map(|d| d.iter().map(|c| c.to_string()).collect()),
        }
    }
}

/// The content a storage without a `content` line has: its plugin's default,
/// the second `content` element of `plugindata` that pve-storage fills in
/// (src/PVE/Storage/Plugin.pm:601; DirPlugin.pm:27 and ZFSPoolPlugin.pm:57:
/// images,rootdir; LvmThinPlugin.pm:34 too; LVMPlugin.pm:409, NFSPlugin.pm:56,
/// CIFSPlugin.pm:115, RBDPlugin.pm:414: images). `None`: a type not known here.
pub fn default_content(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "dir" | "zfspool" | "lvmthin" => Some(&["images", "rootdir"]),
        "lvm" | "nfs" | "cifs" | "rbd" => Some(&["images"]),
        _ => None,
    }
}

pub fn content_set(list: &str) -> BTreeSet<String> {
    list.split([',', ';', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

/// The entries of a storage.cfg; comment lines are skipped as SectionConfig
/// skips them. A property line before any section is an error naming it.
pub fn parse(text: &str) -> Result<Vec<Entry>, String> {
    let mut out: Vec<Entry> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            let Some(last) = out.last_mut() else {
                return Err(format!(
                    "{PATH} line {}: {line:?} comes before any `type: id` line",
                    n + 1
                ));
            };
            let t = line.trim();
            let (k, v) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
            last.props.push((k.to_string(), v.trim().to_string()));
        } else {
            let Some((kind, id)) = line.split_once(':') else {
                return Err(format!("{PATH} line {}: {line:?} is not `type: id`", n + 1));
            };
            out.push(Entry {
                kind: kind.trim().to_ascii_lowercase(),
                id: id.trim().to_string(),
                props: Vec::new(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_install_s_two_entries() {
        let text = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n";
        let e = parse(text).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].kind.as_str(), e[0].id.as_str()), ("dir", "local"));
        assert_eq!(e[0].get("path"), Some("/var/lib/vz"));
        assert_eq!(
            e[1].content(),
            ["images", "rootdir"].map(String::from).into()
        );
    }

    #[test]
    fn a_property_before_any_section_is_named() {
        let err = parse("\tpath /x\n").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
    }
}
