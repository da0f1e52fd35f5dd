//! Editing the primary bridge's stanza in `/etc/network/interfaces` while
//! keeping every other stanza, comment and `source` line byte for byte.

use phx_common::config::HostNetwork;

/// Lines that start a new stanza (or end the previous one) in ifupdown2.
const STANZA_WORDS: [&str; 6] = [
    "auto",
    "iface",
    "allow-",
    "source",
    "source-directory",
    "mapping",
];

/// Options Phoenix owns in the bridge stanza; any other option is kept.
const OWNED: [&str; 5] = [
    "address",
    "gateway",
    "bridge-ports",
    "bridge-stp",
    "bridge-fd",
];

fn starts_stanza(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    !line.starts_with(char::is_whitespace)
        && STANZA_WORDS
            .iter()
            .any(|w| first == *w || (w.ends_with('-') && first.starts_with(w)))
}

/// An IPv4 (`inet`) stanza header for `name`. Proxmox writes IPv6 as a
/// separate `iface NAME inet6 …` stanza, which Phoenix leaves alone.
fn is_iface_line(line: &str, name: &str) -> bool {
    let mut w = line.split_whitespace();
    w.next() == Some("iface") && w.next() == Some(name) && w.next() == Some("inet")
}

fn is_auto_for(line: &str, name: &str) -> bool {
    let mut w = line.split_whitespace();
    matches!(w.next(), Some("auto") | Some("allow-hotplug")) && w.any(|x| x == name)
}

/// Where the bridge's IPv4 stanza is in one file's text: line indexes of each `iface NAME inet` line.
pub fn definitions(text: &str, name: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| is_iface_line(l, name))
        .map(|(i, _)| i)
        .collect()
}

#[derive(Debug, PartialEq, Eq)]
pub struct Edited {
    pub text: String,
    /// Said on stderr: things the operator should know.
    pub notes: Vec<String>,
}

/// The interfaces file with the bridge stanza set from `net`. `None` input
/// means there is no file yet: a minimal one (loopback + bridge) is made.
pub fn edit(current: Option<&str>, net: &HostNetwork) -> Result<Edited, String> {
    let mut notes = Vec::new();
    let current = match current {
        Some(c) => c.to_string(),
        None => {
            notes.push("/etc/network/interfaces does not exist; writing a minimal one".to_string());
            "auto lo\niface lo inet loopback\n".to_string()
        }
    };
    let lines: Vec<&str> = current.lines().collect();
    let defs = definitions(&current, &net.bridge);
    if defs.len() > 1 {
        return Err(format!(
            "{} is defined {} times in /etc/network/interfaces (lines {}); ifupdown2 would merge them unpredictably. Keep one stanza, then run again",
            net.bridge,
            defs.len(),
            defs.iter().map(|d| (d + 1).to_string()).collect::<Vec<_>>().join(", ")
        ));
    }
    let mut out: Vec<String> = Vec::new();
    match defs.first() {
        Some(&start) => {
            // The stanza runs to its last indented option; blank lines and
            // comments after that belong to whatever follows.
            let mut end = start + 1;
            for (i, l) in lines.iter().enumerate().skip(start + 1) {
                if starts_stanza(l) {
                    break;
                }
                if l.starts_with(char::is_whitespace) && !l.trim().is_empty() {
                    end = i + 1;
                } else if !l.trim().is_empty() && !l.starts_with('#') {
                    break;
                }
            }
            let old_body = &lines[start + 1..end];
            let indent = old_body
                .iter()
                .find(|l| !l.trim().is_empty())
                .map(|l| l[..l.len() - l.trim_start().len()].to_string())
                .unwrap_or_else(|| "\t".to_string());
            let existing_ports = old_body.iter().find_map(|l| {
                l.trim()
                    .strip_prefix("bridge-ports ")
                    .map(|p| p.trim().to_string())
            });
            let ports = net
                .bridge_ports
                .clone()
                .or(existing_ports)
                .unwrap_or_else(|| "none".to_string());
            let has_auto = lines.iter().any(|l| is_auto_for(l, &net.bridge));
            out.extend(lines[..start].iter().map(|s| s.to_string()));
            if !has_auto {
                out.push(format!("auto {}", net.bridge));
            }
            out.extend(stanza(net, &ports, &indent));
            // Options Phoenix does not own (bridge-vlan-aware, mtu, comments…) stay.
            for l in old_body {
                let key = l.split_whitespace().next().unwrap_or("");
                if !OWNED.contains(&key) {
                    out.push(l.to_string());
                }
            }
            out.extend(lines[end..].iter().map(|s| s.to_string()));
        }
        None => {
            let ports = net.bridge_ports.clone().unwrap_or_else(|| {
                notes.push(format!("{} had no stanza and network.interfaces.bridge_ports is not set: writing bridge-ports none (an isolated bridge)", net.bridge));
                "none".to_string()
            });
            // SDN needs `source /etc/network/interfaces.d/*` to stay last.
            let tail_source = lines
                .iter()
                .rposition(|l| !l.trim().is_empty())
                .filter(|&i| lines[i].starts_with("source"));
            let split = tail_source.unwrap_or(lines.len());
            out.extend(lines[..split].iter().map(|s| s.to_string()));
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push(format!("auto {}", net.bridge));
            out.extend(stanza(net, &ports, "\t"));
            if split < lines.len() {
                out.push(String::new());
                out.extend(lines[split..].iter().map(|s| s.to_string()));
            }
        }
    }
    let mut text = out.join("\n");
    text.push('\n');
    Ok(Edited { text, notes })
}

fn stanza(net: &HostNetwork, ports: &str, indent: &str) -> Vec<String> {
    vec![
        format!("iface {} inet static", net.bridge),
        format!("{indent}address {}", net.address),
        format!("{indent}gateway {}", net.gateway),
        format!("{indent}bridge-ports {ports}"),
        format!("{indent}bridge-stp off"),
        format!("{indent}bridge-fd 0"),
    ]
}
