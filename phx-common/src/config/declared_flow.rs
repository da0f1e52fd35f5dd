//! The hypervisor file's optional top-level `flows`: traffic the operator
//! says the estate needs beyond what Phoenix derives (`crate::flows`), each
//! proven open by phx-fw before anything is applied.

use super::raw::{List, Obj, Scalar};
use super::reader::{At, Reader};
use crate::section;

section! {
    pub struct RawFlow {
        "from" => from: Scalar,
        "to" => to: Scalar,
        "proto" => proto: Scalar,
        "port" => port: Scalar,
        "why" => why: Scalar,
    }
}

/// One end of a declared flow as written: resolved against the guests by
/// `crate::flows::derive`, which knows all three files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowEnd {
    Host,
    /// A guest's ID (CTID or VMID).
    Id(u32),
    /// A guest's `name`.
    Name(String),
}

impl std::fmt::Display for FlowEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FlowEnd::Host => f.write_str("host"),
            FlowEnd::Id(id) => write!(f, "{id}"),
            FlowEnd::Name(n) => f.write_str(n),
        }
    }
}

/// The two transports a flow names a port of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FlowProto {
    Tcp,
    Udp,
}

impl FlowProto {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowProto::Tcp => "tcp",
            FlowProto::Udp => "udp",
        }
    }
    /// The IP protocol number.
    pub fn number(self) -> u8 {
        match self {
            FlowProto::Tcp => 6,
            FlowProto::Udp => 17,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredFlow {
    pub from: FlowEnd,
    pub to: FlowEnd,
    pub proto: FlowProto,
    pub port: u16,
    pub why: String,
    /// JSON path (`flows[2]`), for messages.
    pub path: String,
}

const END: &str = "\"host\", a guest's ID or a guest's name";

fn end(r: &mut Reader, at: &At, v: Scalar) -> Option<FlowEnd> {
    if let Scalar::Num(n) = &v {
        return match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(id) => Some(FlowEnd::Id(id)),
            None => {
                r.bad(at, &v, END);
                None
            }
        };
    }
    let s = r.token(at, v, |s| !s.trim().is_empty() && s.trim() == s, END)?;
    Some(if s.eq_ignore_ascii_case("host") {
        FlowEnd::Host
    } else if let Ok(id) = s.parse::<u32>() {
        FlowEnd::Id(id)
    } else {
        FlowEnd::Name(s)
    })
}

fn proto(r: &mut Reader, at: &At, v: Scalar) -> Option<FlowProto> {
    let s = r.token(
        at,
        v,
        |s| s == "tcp" || s == "udp",
        "\"tcp\" or \"udp\" (a flow is checked for one transport and port)",
    )?;
    Some(if s == "udp" {
        FlowProto::Udp
    } else {
        FlowProto::Tcp
    })
}

fn flow(r: &mut Reader, at: &At, f: RawFlow) -> Option<DeclaredFlow> {
    let from = r.req(at, "from", f.from, END, end);
    let to = r.req(at, "to", f.to, END, end);
    let proto = r.req(at, "proto", f.proto, "\"tcp\" or \"udp\"", proto);
    let port = r.req(
        at,
        "port",
        f.port,
        "the destination port, 1-65535",
        |r, at, v| r.int(at, v, 1, 65535).map(|p| p as u16),
    );
    let why = r.req(
        at,
        "why",
        f.why,
        "why the estate needs it (shown when it is blocked)",
        |r, at, v| r.token(at, v, |s| !s.trim().is_empty(), "a non-empty reason"),
    );
    Some(DeclaredFlow {
        from: from?,
        to: to?,
        proto: proto?,
        port: port?,
        why: why?,
        path: at.render(),
    })
}

/// `flows`: a list of `{from, to, proto, port, why}`.
pub fn flows(r: &mut Reader, at: &At, v: List<Obj<RawFlow>>) -> Vec<DeclaredFlow> {
    r.each(at, v, |r, at, item| {
        r.obj(at, item, |r, f| flow(r, at, f)).flatten()
    })
}
