//! `[OPTIONS]` of cluster.fw and guest files (reference §1.2). `enable` and
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
