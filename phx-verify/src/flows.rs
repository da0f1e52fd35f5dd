//! The declared `flows` (hypervisor file), each tried as a TCP connection
//! from its source: from the host, where verify runs, directly; from a
//! running container through `pct exec` and bash's /dev/tcp, which is how an
//! operator checks one by hand. What cannot be originated honestly from here
//! (UDP, a VM, a stopped container) is listed as skipped with why.

use crate::report::{Check, Kind};
use crate::run::bounded;
use phx_common::config::FlowProto;
use phx_common::flows::{Flow, FlowKind};
use phx_common::Inventory;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::Duration;

/// How long one connection may take: a port a firewall drops never answers.
pub const CONNECT_LIMIT: Duration = Duration::from_secs(5);

pub fn check(inv: &Inventory, flows: &[Flow]) -> Vec<Check> {
    let k = Kind::Flows.word();
    flows
        .iter()
        .filter(|f| f.kind == FlowKind::Declared)
        .map(|f| {
            let what = format!("{} ({})", f.name, f.origin);
            let target = SocketAddr::from((f.to.ip, f.port));
            match (f.proto, f.from.guest) {
                (FlowProto::Udp, _) => Check::skipped(
                    k,
                    &what,
                    "udp: nothing answers an unsolicited datagram reliably, so an open port cannot be told from a dropped one",
                ),
                (FlowProto::Tcp, None) => match TcpStream::connect_timeout(&target, CONNECT_LIMIT) {
                    Ok(_) => Check::ok(k, &what, format!("tcp connect to {target} from the host")),
                    Err(e) => Check::failed(
                        k,
                        &what,
                        format!("tcp connect to {target} from the host: {}", said(&e)),
                    ),
                },
                (FlowProto::Tcp, Some(id)) if inv.lxcs.contains_key(&id) => from_container(id, target)
                    .map_or_else(|why| Check::failed(k, &what, why), |r| match r {
                        Some(ok) => Check::ok(k, &what, ok),
                        None => Check::skipped(k, &what, format!("CT {id} is not running: nothing to connect from")),
                    }),
                (FlowProto::Tcp, Some(id)) => Check::skipped(
                    k,
                    &what,
                    format!("VM {id}: verify can run nothing inside a VM (no pct exec; qm guest exec needs its agent)"),
                ),
            }
        })
        .collect()
}

pub(crate) fn said(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s (dropped?)", CONNECT_LIMIT.as_secs())
        }
        _ => e.to_string(),
    }
}

/// `Ok(None)`: the container is not running.
fn from_container(id: u32, target: SocketAddr) -> Result<Option<String>, String> {
    if !crate::trust::running(id)? {
        return Ok(None);
    }
    let (ip, port) = (target.ip().to_string(), target.port().to_string());
    let limit = CONNECT_LIMIT.as_secs().to_string();
    let mut c = Command::new("pct");
    // The address and port are bash's $0 and $1, never spliced into the script.
    c.args(["exec", &id.to_string(), "--", "timeout", &limit])
        .args(["bash", "-c", "exec 3<>/dev/tcp/$0/$1", &ip, &port]);
    let ran = bounded(c, CONNECT_LIMIT + Duration::from_secs(25))?;
    match ran.code {
        Some(0) => Ok(Some(format!(
            "tcp connect to {target} from CT {id} (pct exec)"
        ))),
        Some(124) => Err(format!(
            "tcp connect to {target} from CT {id}: no answer within {limit} s (dropped?)"
        )),
        code => Err(format!(
            "tcp connect to {target} from CT {id} failed (exit {}): {}",
            code.map_or("by a signal".to_string(), |c| c.to_string()),
            ran.stderr.trim()
        )),
    }
}
