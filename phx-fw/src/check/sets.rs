//! `[ALIASES]` and `[IPSET name]`: names, addresses, and the aliases set
//! entries refer to (pve-firewall's Firewall.pm, ipset sections).

use super::{q, Ctx, Locate};
use phx_common::config::{Firewall, Problems};
use phx_common::firewall::addr::{self, Addr, RefScope};
use phx_common::firewall::lookup::{is_local_network, AliasIndex};
use std::collections::BTreeSet;

pub(super) fn check_aliases(fw: &Firewall, file: &str, loc: &dyn Locate, p: &mut Problems) {
    let mut lower = BTreeSet::new();
    for (name, a) in &fw.aliases {
        let path = loc.alias(name);
        if !addr::is_set_name(name) {
            p.push(
                file,
                &path,
                q(name),
                "an alias name: [A-Za-z][A-Za-z0-9_-]+, at most 64 characters",
            );
            continue;
        }
        if !lower.insert(name.to_ascii_lowercase()) {
            p.push(
                file,
                &path,
                q(name),
                "a unique alias name (alias names are case-insensitive)",
            );
        }
        if let Err(e) = addr::parse_net(&a.cidr) {
            p.push(
                file,
                &path,
                q(&a.cidr),
                format!(
                    "one IP or CIDR with host bits zero; aliases take no ranges or lists ({e})"
                ),
            );
        }
    }
}

pub(super) fn check_ipsets(
    fw: &Firewall,
    own: &AliasIndex,
    ctx: &Ctx,
    file: &str,
    loc: &dyn Locate,
    p: &mut Problems,
) {
    for (name, entries) in &fw.ipsets {
        if !addr::is_set_name(name) || name.chars().any(|c| c.is_ascii_uppercase()) {
            p.push(
                file,
                &loc.ipset(name, None),
                q(name),
                "an IP set name in lowercase: [a-z][a-z0-9_-]+, at most 64 characters",
            );
            continue;
        }
        let mut seen = BTreeSet::new();
        for (i, e) in entries.iter().enumerate() {
            let path = loc.ipset(name, Some(i));
            let body = e.strip_prefix('!').unwrap_or(e);
            if !seen.insert(body.to_string()) {
                p.push(
                    file,
                    &path,
                    q(e),
                    "an entry not already in the set (duplicates are errors)",
                );
                continue;
            }
            match addr::parse_addr(body) {
                Ok(Addr::List(l)) if l.len() == 1 => {
                    if l[0].prefix_len() == 0 {
                        p.push(
                            file,
                            &path,
                            q(e),
                            "an IP or CIDR other than /0 (pve-firewall refuses /0 in sets)",
                        );
                    }
                }
                Ok(Addr::Alias(scope, n)) if scope != RefScope::Sdn => {
                    if !is_local_network(&n, scope) && super::alias(&n, scope, own, ctx).is_none() {
                        p.push(
                            file,
                            &path,
                            q(e),
                            format!("an IP, CIDR or a defined alias (no alias {n:?})"),
                        );
                    }
                }
                Ok(Addr::Range(..)) => {
                    p.push(file, &path, q(e), "an IP or CIDR (IP sets take no ranges)")
                }
                Ok(_) => p.push(
                    file,
                    &path,
                    q(e),
                    "one [!]IP, CIDR or [dc/|guest/]alias per entry",
                ),
                Err(err) => p.push(
                    file,
                    &path,
                    q(e),
                    format!("[!]IP, CIDR (host bits zero) or [dc/|guest/]alias ({err})"),
                ),
            }
        }
    }
}
