//! Which file a firewall object lives in, and how its alias and IP set
//! references resolve: unscoped names in a guest file are looked up in the
//! guest first, then in the cluster (pve-firewall's Firewall.pm, verify_rule).

use super::addr::RefScope;
use crate::config::{Alias, Firewall};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Which file a firewall object becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cluster,
    /// The node's host.fw (`/etc/pve/nodes/<node>/host.fw`).
    Host,
    Guest(u32),
}

impl Kind {
    /// Where pve-firewall reads the file; `node` names the host's node.
    pub fn path_on(self, node: &str) -> String {
        match self {
            Kind::Cluster => "/etc/pve/firewall/cluster.fw".to_string(),
            Kind::Host => format!("/etc/pve/nodes/{node}/host.fw"),
            Kind::Guest(id) => format!("/etc/pve/firewall/{id}.fw"),
        }
    }
    /// The path pve-firewall reads; for host.fw the local node's
    /// (`/etc/pve/local` is pmxcfs's link to it; `path_on` names the node).
    pub fn path(self) -> String {
        match self {
            Kind::Host => "/etc/pve/local/host.fw".to_string(),
            other => other.path_on(""),
        }
    }
    /// The key the JSON object keeps its rules under.
    pub fn rules_key(self) -> &'static str {
        match self {
            Kind::Cluster => "global_firewall_rules",
            Kind::Host | Kind::Guest(_) => "rules",
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
    resolve_alias(kind, scope, || get(own), || cluster.and_then(get))
}

/// Which file an alias reference reads, and in what order: `own` and
/// `cluster` look the name up in the object's own aliases and the cluster's.
fn resolve_alias<'a>(
    kind: Kind,
    scope: RefScope,
    own: impl FnOnce() -> Option<&'a Alias>,
    cluster: impl FnOnce() -> Option<&'a Alias>,
) -> Option<&'a Alias> {
    match (kind, scope) {
        (Kind::Cluster, RefScope::Any | RefScope::Dc) => own(),
        // host.fw has no aliases of its own: names are the cluster's.
        (Kind::Host, RefScope::Any | RefScope::Dc) => cluster(),
        (Kind::Guest(_), RefScope::Any) => own().or_else(cluster),
        (Kind::Guest(_), RefScope::Dc) => cluster(),
        (Kind::Guest(_), RefScope::Guest) => own(),
        _ => None,
    }
}

/// A name compared and hashed without regard to ASCII case, as
/// pve-firewall compares alias names.
#[derive(Debug, Clone, Copy)]
struct Caseless<'a>(&'a str);

impl PartialEq for Caseless<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.0.eq_ignore_ascii_case(o.0)
    }
}

impl Eq for Caseless<'_> {}

impl Hash for Caseless<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for b in self.0.bytes() {
            h.write_u8(b.to_ascii_lowercase());
        }
        h.write_u8(0xff);
    }
}

/// One object's aliases by name, built once: `find_alias` walks every
/// alias for every reference, and 50,000 rules naming 2,000 aliases made
/// that most of checking. Each name finds the first alias the walk would.
#[derive(Debug, Default)]
pub struct AliasIndex<'a> {
    by_name: HashMap<Caseless<'a>, &'a Alias>,
}

impl<'a> AliasIndex<'a> {
    pub fn new(fw: &'a Firewall) -> Self {
        let mut by_name = HashMap::with_capacity(fw.aliases.len());
        for (k, v) in &fw.aliases {
            by_name.entry(Caseless(k)).or_insert(v);
        }
        AliasIndex { by_name }
    }

    pub fn get(&self, name: &str) -> Option<&'a Alias> {
        self.by_name.get(&Caseless(name)).copied()
    }
}

/// `find_alias` with each object's aliases indexed.
pub fn find_alias_in<'a>(
    name: &str,
    scope: RefScope,
    own: &AliasIndex<'a>,
    kind: Kind,
    cluster: Option<&AliasIndex<'a>>,
) -> Option<&'a Alias> {
    resolve_alias(
        kind,
        scope,
        || own.get(name),
        || cluster.and_then(|c| c.get(name)),
    )
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
        (Kind::Host, RefScope::Any | RefScope::Dc) => cluster.and_then(|c| c.ipsets.get(name)),
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

    /// The index finds what the walk finds, case variants included (the
    /// first in the object's order wins).
    #[test]
    fn indexed_aliases_resolve_as_the_walk_does() {
        let fw = |names: &[&str]| Firewall {
            aliases: names
                .iter()
                .enumerate()
                .map(|(i, n)| {
                    let a = Alias {
                        cidr: format!("10.0.0.{i}"),
                        comment: None,
                    };
                    (n.to_string(), a)
                })
                .collect(),
            ..Default::default()
        };
        let own = fw(&["Web", "web", "db", "DB_2", "local_network"]);
        let cluster = fw(&["web", "Mail", "db"]);
        let (own_i, cluster_i) = (AliasIndex::new(&own), AliasIndex::new(&cluster));
        for kind in [Kind::Cluster, Kind::Host, Kind::Guest(100)] {
            for scope in [RefScope::Any, RefScope::Dc, RefScope::Guest, RefScope::Sdn] {
                for name in [
                    "web", "WEB", "wEb", "db", "db_2", "mail", "MAIL", "nope", "",
                ] {
                    let walk = find_alias(name, scope, &own, kind, Some(&cluster));
                    let index = find_alias_in(name, scope, &own_i, kind, Some(&cluster_i));
                    assert_eq!(
                        index.map(|a| &a.cidr),
                        walk.map(|a| &a.cidr),
                        "{name} {scope:?} {kind:?}"
                    );
                    let alone = find_alias_in(name, scope, &own_i, kind, None);
                    let walk_alone = find_alias(name, scope, &own, kind, None);
                    assert_eq!(alone.map(|a| &a.cidr), walk_alone.map(|a| &a.cidr));
                }
            }
        }
    }

    #[test]
    fn file_kinds_from_names() {
        assert_eq!(Kind::of_file("cluster.fw"), Some(Kind::Cluster));
        assert_eq!(Kind::of_file("101.fw"), Some(Kind::Guest(101)));
        assert_eq!(Kind::of_file("0101.fw"), None);
        assert_eq!(Kind::of_file("host.fw"), None);
    }
}
