//! Which file a firewall object lives in, and how its alias and IP set
//! references resolve: unscoped names in a guest file are looked up in the
//! guest first, then in the cluster (reference §1.4).

use super::addr::RefScope;
use crate::config::{Alias, Firewall};

/// Which file a firewall object becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cluster,
    Guest(u32),
}

impl Kind {
    pub fn path(self) -> String {
        match self {
            Kind::Cluster => "/etc/pve/firewall/cluster.fw".to_string(),
            Kind::Guest(id) => format!("/etc/pve/firewall/{id}.fw"),
        }
    }
    /// The key the JSON object keeps its rules under.
    pub fn rules_key(self) -> &'static str {
        match self {
            Kind::Cluster => "global_firewall_rules",
            Kind::Guest(_) => "rules",
        }
    }
    /// From a file name: `cluster.fw` or `<vmid>.fw`.
    pub fn of_file(name: &str) -> Option<Kind> {
        let stem = name.strip_suffix(".fw")?;
        if stem == "cluster" {
            Some(Kind::Cluster)
        } else if !stem.is_empty()
            && stem.bytes().all(|b| b.is_ascii_digit())
            && !stem.starts_with('0')
        {
            stem.parse().ok().map(Kind::Guest)
        } else {
            None
        }
    }
}

/// Looks up an alias the way pve-firewall does (guest first for unscoped names).
pub fn find_alias<'a>(
    name: &str,
    scope: RefScope,
    own: &'a Firewall,
    kind: Kind,
    cluster: Option<&'a Firewall>,
) -> Option<&'a Alias> {
    let get = |fw: &'a Firewall| {
        fw.aliases
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    };
    match (kind, scope) {
        (Kind::Cluster, RefScope::Any | RefScope::Dc) => get(own),
        (Kind::Guest(_), RefScope::Any) => get(own).or_else(|| cluster.and_then(get)),
        (Kind::Guest(_), RefScope::Dc) => cluster.and_then(get),
        (Kind::Guest(_), RefScope::Guest) => get(own),
        _ => None,
    }
}

/// Looks up an IP set's entries the way pve-firewall does.
pub fn find_ipset<'a>(
    name: &str,
    scope: RefScope,
    own: &'a Firewall,
    kind: Kind,
    cluster: Option<&'a Firewall>,
) -> Option<&'a Vec<String>> {
    match (kind, scope) {
        (Kind::Cluster, RefScope::Any | RefScope::Dc) => own.ipsets.get(name),
        (Kind::Guest(_), RefScope::Any) => own
            .ipsets
            .get(name)
            .or_else(|| cluster.and_then(|c| c.ipsets.get(name))),
        (Kind::Guest(_), RefScope::Dc) => cluster.and_then(|c| c.ipsets.get(name)),
        (Kind::Guest(_), RefScope::Guest) => own.ipsets.get(name),
        _ => None,
    }
}

/// `local_network` needs no alias: pve-firewall detects it when none is set.
pub fn is_local_network(name: &str, scope: RefScope) -> bool {
    name.eq_ignore_ascii_case("local_network") && matches!(scope, RefScope::Any | RefScope::Dc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds_from_names() {
        assert_eq!(Kind::of_file("cluster.fw"), Some(Kind::Cluster));
        assert_eq!(Kind::of_file("101.fw"), Some(Kind::Guest(101)));
        assert_eq!(Kind::of_file("0101.fw"), None);
        assert_eq!(Kind::of_file("host.fw"), None);
    }
}
