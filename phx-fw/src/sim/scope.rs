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
    /// Only what can decide packets of these (protocol, destination port)
    /// pairs, in any chain: the flows check asks about nothing else, and
    /// at 10,000 guests compiling every cluster rule doubled its memory.
    Packets(Vec<(u8, u16)>),
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
        let ports = match self {
            Scope::Everything => return true,
            Scope::Packets(pairs) => return packets_need(pairs, r),
            Scope::HostInTcp(ports) => ports,
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

/// `Scope::Packets`: false only for a rule surely not matching any pair
/// (another protocol, or other destination ports), in whatever chain.
fn packets_need(pairs: &[(u8, u16)], r: &FwRule) -> bool {
    if &*r.direction == "group" || split_action(r).0.is_some() {
        return true;
    }
    let Some(proto) = r.proto.as_deref() else {
        return true;
    };
    let Some(number) = tables::protocol(proto) else {
        // Does not compile: left out either way.
        return false;
    };
    if number == 0 {
        return true;
    }
    let ports: Vec<u16> = pairs
        .iter()
        .filter(|(p, _)| *p == number)
        .map(|(_, port)| *port)
        .collect();
    if ports.is_empty() {
        return false;
    }
    match r.dport.as_deref() {
        None => true,
        Some(d) => {
            let mut hit = false;
            let valid = each_port_range(d, |a, b| {
                hit |= ports.iter().any(|p| (a..=b).contains(p));
            });
            // A port list pve-firewall refuses does not compile.
            valid.is_ok() && hit
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

    #[test]
    fn the_flows_scope_leaves_out_only_rules_that_cannot_match_its_packets() {
        let flows = Scope::Packets(vec![(tables::TCP, 9000), (tables::UDP, 53)]);
        let kept = [
            rule("in", Some("tcp"), Some("9000")),
            rule("out", Some("tcp"), Some("8000:9100")),
            rule("forward", Some("udp"), Some("53")),
            rule("in", Some("udp"), None),
            rule("in", None, None),
            rule("group", None, None),
            FwRule {
                action: "HTTP(DROP)".into(),
                ..rule("in", None, None)
            },
        ];
        for r in &kept {
            assert!(flows.may_need(r), "{r:?}");
        }
        let left_out = [
            rule("in", Some("tcp"), Some("53")),
            rule("out", Some("udp"), Some("9000")),
            rule("in", Some("icmp"), None),
            rule("in", Some("tcp"), Some("1:8999,9001:65535")),
            rule("in", Some("nosuchproto"), None),
        ];
        for r in &left_out {
            assert!(!flows.may_need(r), "{r:?}");
        }
    }
}
