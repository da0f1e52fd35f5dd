//! Security groups (`[group name]` in cluster.fw, `groups` in the JSON):
//! names as pve-firewall accepts them, and their rules checked like cluster
//! rules, without `-i` and without GROUP jumps (`verify_rule` with the
//! `group` rule environment).

use super::{q, rule, Ctx, Locate};
use phx_common::config::{Firewall, Problems};
use phx_common::firewall::addr::is_set_name;
use phx_common::firewall::lookup::AliasIndex;

pub(super) fn check_groups(
    fw: &Firewall,
    own: &AliasIndex,
    ctx: &Ctx,
    file: &str,
    loc: &dyn Locate,
    p: &mut Problems,
) {
    for (name, rules) in &fw.groups {
        if !is_set_name(name) || name.len() > 18 || name.chars().any(|c| c.is_ascii_uppercase()) {
            p.push(
                file,
                &loc.group(name),
                q(name),
                "a security group name in lowercase: [a-z][a-z0-9_-]+, at most 18 characters",
            );
            continue;
        }
        for r in rules {
            if &*r.direction == "group" {
                p.push(
                    file,
                    &loc.rule(r, "type"),
                    q(&r.direction),
                    "in or out (a security group cannot jump to another group)",
                );
                continue;
            }
            rule::check_rule(r, fw, own, ctx, loc, p);
            if let Some(i) = &r.iface {
                p.push(
                    file,
                    &loc.rule(r, "iface"),
                    q(i),
                    "no -i inside a [group] section (give it on the GROUP rule instead)",
                );
            }
        }
    }
}
