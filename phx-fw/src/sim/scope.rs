//! Which rules a ruleset compiles: all of them for the simulator, or only
//! those that can decide host IN for tcp to a few ports, for the lockout
//! guard. At 10,000 guests cluster.fw has 50,000 rules and the guard asks
//! about two ports; compiling every rule (parsing its addresses into sets,
//! indexing its ports) was most of what planning cost after loading.

use phx_common::config::FwRule;
use phx_common::firewall::rule::{each_port_range, split_action};
use phx_common::firewall::tables;

/// The rules a ruleset holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every rule of every file: the simulator answers any packet.
    Everything,
    /// Only what host IN can do with tcp to these ports, whatever the
    /// source port: `host_in_partition` for these ports, nothing else.
    HostInTcp(Vec<u16>),
}

impl Scope {
    /// Whether a rule must be compiled. False only for a rule that
    /// `host_in_partition` passes over for every port of the scope, so the
    /// guard's answer is the one the whole ruleset gives: an OUT or FORWARD
    /// rule (not in an IN chain), a rule for another protocol or for other
    /// destination ports (no tcp match for these ports), and a rule
    /// pve-firewall cannot compile (left out either way). Macros, GROUP
    /// jumps and everything not surely excluded are compiled as always.
    pub fn may_need(&self, r: &FwRule) -> bool {
        let Scope::HostInTcp(ports) = self else {
            return true;
        };
        match &*r.direction {
            "in" => {}
            "group" => return true,
            _ => return false,
        }
        if split_action(r).0.is_some() {
            return true;
        }
        let Some(proto) = r.proto.as_deref() else {
            return true;
        };
        match tables::protocol(proto) {
            // Protocol 0 is "every protocol"; let the parser decide.
            Some(0) => true,
            Some(tables::TCP) => match r.dport.as_deref() {
                None => true,
                Some(d) => {
                    let mut hit = false;
                    let valid = each_port_range(d, |a, b| {
                        hit |= ports.iter().any(|p| (a..=b).contains(p));
                    });
                    valid.is_ok() && hit
                }
            },
            // Another protocol never matches tcp; an unknown one does not
            // compile.
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(direction: &str, proto: Option<&str>, dport: Option<&str>) -> FwRule {
        FwRule {
            direction: direction.into(),
            action: "DROP".into(),
            proto: proto.map(Into::into),
            dport: dport.map(Into::into),
            enabled: true,
            ..Default::default()
        }
    }

    #[test]
    fn the_guards_scope_leaves_out_only_rules_that_cannot_match_tcp_to_its_ports() {
        let guard = Scope::HostInTcp(vec![22, 8006]);
        let kept = [
            rule("in", Some("tcp"), Some("22")),
            rule("in", Some("tcp"), Some("8000:8010")),
            rule("in", Some("tcp"), Some("80,ssh")),
            rule("in", Some("6"), Some("8006")),
            rule("in", Some("tcp"), None),
            rule("in", None, None),
            rule("in", Some("ip"), None),
            rule("group", None, None),
            FwRule {
                macro_name: Some("DNS".into()),
                ..rule("in", None, None)
            },
            FwRule {
                action: "HTTP(DROP)".into(),
                ..rule("in", None, None)
            },
        ];
        for r in &kept {
            assert!(guard.may_need(r), "{r:?}");
            assert!(Scope::Everything.may_need(r));
        }
        let left_out = [
            rule("out", Some("tcp"), Some("22")),
            rule("forward", Some("tcp"), Some("22")),
            rule("in", Some("udp"), Some("22")),
            rule("in", Some("icmp"), None),
            rule("in", Some("tcp"), Some("23")),
            rule("in", Some("tcp"), Some("1:21,23:8005")),
            rule("in", Some("tcp"), Some("not-a-port")),
            rule("in", Some("nosuchproto"), None),
        ];
        for r in &left_out {
            assert!(!guard.may_need(r), "{r:?}");
            assert!(Scope::Everything.may_need(r));
        }
    }
}
