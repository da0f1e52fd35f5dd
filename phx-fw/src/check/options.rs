//! `[OPTIONS]` of cluster.fw and guest files (pve-firewall's Firewall.pm, parse_*fw_option). `enable` and
//! the policies have their own JSON keys, so they are refused here.

use super::{q, Ctx, Locate};
use phx_common::config::{Firewall, Problems};
use phx_common::firewall::lookup::Kind;
use phx_common::firewall::tables;
use std::collections::BTreeSet;

const BOOL_OPTS_CLUSTER: &[&str] = &["ebtables"];
const BOOL_OPTS_GUEST: &[&str] = &["dhcp", "ndp", "radv", "macfilter", "ipfilter"];

pub(super) fn check_options(
    fw: &Firewall,
    ctx: &Ctx,
    file: &str,
    loc: &dyn Locate,
    p: &mut Problems,
) {
    if ctx.kind == Kind::Host {
        return check_host_options(fw, file, loc, p);
    }
    for (k, v) in &fw.options {
        let path = loc.option(k);
        let guest = matches!(ctx.kind, Kind::Guest(_));
        match k.as_str() {
            "enable" | "enabled" => p.push(
                file,
                &path,
                q(v),
                "no \"enable\" option here: use the firewall object's \"enabled\": true/false",
            ),
            "policy_in" | "policy_out" => p.push(
                file,
                &path,
                q(v),
                "no policy option here: use \"default_input_policy\" / \"default_output_policy\"",
            ),
            k if (guest && BOOL_OPTS_GUEST.contains(&k))
                || (!guest && BOOL_OPTS_CLUSTER.contains(&k)) =>
            {
                if v != "0" && v != "1" {
                    p.push(
                        file,
                        &path,
                        q(v),
                        "0 or 1 (pve-firewall reads booleans only as 0/1)",
                    );
                }
            }
            "log_level_in" | "log_level_out" if guest => {
                if !tables::LOG_LEVELS.contains(&v.as_str()) {
                    p.push(
                        file,
                        &path,
                        q(v),
                        format!("a log level: {}", tables::LOG_LEVELS.join(", ")),
                    );
                }
            }
            "policy_forward" if !guest => {
                if v != "ACCEPT" && v != "DROP" {
                    p.push(file, &path, q(v), "ACCEPT or DROP");
                }
            }
            "log_ratelimit" if !guest => {
                if let Err(e) = log_ratelimit(v) {
                    p.push(file, &path, q(v), format!("[enable=]1|0[,burst=N][,rate=N/second|minute|hour|day] without spaces ({e})"));
                }
            }
            _ => {
                let known = if guest {
                    "dhcp, ndp, radv, macfilter, ipfilter, log_level_in, log_level_out"
                } else {
                    "ebtables, log_ratelimit, policy_forward"
                };
                p.push(
                    file,
                    &path,
                    q(v),
                    format!(
                        "a known {} option: {known}",
                        if guest { "guest" } else { "cluster" }
                    ),
                );
            }
        }
    }
}

const BOOL_OPTS_HOST: &[&str] = &[
    "nosmurfs",
    "tcpflags",
    "ndp",
    "nf_conntrack_allow_invalid",
    "protection_synflood",
    "log_nf_conntrack",
    "nftables",
];
const LOG_OPTS_HOST: &[&str] = &[
    "log_level_in",
    "log_level_out",
    "log_level_forward",
    "tcp_flags_log_level",
    "smurf_log_level",
];
const CONNTRACK_HELPERS: &[&str] = &[
    "amanda",
    "ftp",
    "irc",
    "netbios-ns",
    "pptp",
    "sane",
    "sip",
    "snmp",
    "tftp",
];

/// host.fw `[OPTIONS]` (pve-firewall's Firewall.pm, parse_*fw_option, `$host_option_properties`).
fn check_host_options(fw: &Firewall, file: &str, loc: &dyn Locate, p: &mut Problems) {
    for (k, v) in &fw.options {
        let path = loc.option(k);
        let int_at_least = |min: u64| v.parse::<u64>().is_ok_and(|n| n >= min);
        let problem: Option<String> = match k.as_str() {
            "enable" | "enabled" => Some("no \"enable\" option here: use the host object's \"enabled\": true/false".into()),
            k if BOOL_OPTS_HOST.contains(&k) => {
                (v != "0" && v != "1").then(|| "0 or 1 (pve-firewall reads booleans only as 0/1)".into())
            }
            k if LOG_OPTS_HOST.contains(&k) => (!tables::LOG_LEVELS.contains(&v.as_str()))
                .then(|| format!("a log level: {}", tables::LOG_LEVELS.join(", "))),
            "nf_conntrack_max" => (!int_at_least(32768)).then(|| "an integer, at least 32768".into()),
            "nf_conntrack_tcp_timeout_established" => {
                (!int_at_least(7875)).then(|| "an integer, at least 7875".into())
            }
            "nf_conntrack_tcp_timeout_syn_recv" => (!v.parse::<u64>().is_ok_and(|n| (30..=60).contains(&n)))
                .then(|| "an integer from 30 to 60".into()),
            "protection_synflood_rate" | "protection_synflood_burst" => {
                (!int_at_least(0)).then(|| "an integer".into())
            }
            "nf_conntrack_helpers" => (!v.split(',').all(|h| CONNTRACK_HELPERS.contains(&h)))
                .then(|| format!("a comma list of {}", CONNTRACK_HELPERS.join(", "))),
            _ => Some(format!(
                "a known host option: {}, {}, nf_conntrack_max, nf_conntrack_tcp_timeout_established, nf_conntrack_tcp_timeout_syn_recv, nf_conntrack_helpers, protection_synflood_rate, protection_synflood_burst",
                BOOL_OPTS_HOST.join(", "),
                LOG_OPTS_HOST.join(", ")
            )),
        };
        if let Some(expected) = problem {
            p.push(file, &path, q(v), expected);
        }
    }
}

fn log_ratelimit(v: &str) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    for (i, part) in v.split(',').enumerate() {
        let (k, val) = match part.split_once('=') {
            Some((k, val)) => (k, val),
            None if i == 0 => ("enable", part),
            None => return Err(format!("{part:?} has no key")),
        };
        if !seen.insert(k) {
            return Err(format!("{k} given twice"));
        }
        let ok = match k {
            "enable" => val == "0" || val == "1",
            "burst" => val.parse::<u32>().is_ok(),
            "rate" => val.split_once('/').is_some_and(|(n, u)| {
                n.parse::<u32>().is_ok() && ["second", "minute", "hour", "day"].contains(&u)
            }),
            _ => false,
        };
        if !ok {
            return Err(format!("bad {part:?}"));
        }
    }
    Ok(())
}
