//! The estate as Mermaid (for Markdown, e.g. docs/tools.md) or Graphviz DOT.
//! Both draw the same things: a box per guest inside its boot-order group,
//! dashed clone edges, solid dependency edges, Traefik routes, and marks for
//! firewalled and CA-trusting guests.

use crate::estate::{EdgeKind, Estate, Node};
use std::fmt::Write;

/// The lines of a guest's box.
fn label_lines(n: &Node) -> Vec<String> {
    let mut lines = vec![format!("{} {}", n.title, n.name)];
    if let Some(ip) = &n.ip {
        lines.push(ip.clone());
    }
    lines.extend(n.dns_names.iter().cloned());
    let mut marks: Vec<&str> = n.roles.iter().map(String::as_str).collect();
    if n.trusts_ca {
        marks.push("trusts CA");
    }
    if n.firewall {
        marks.push("firewall");
    }
    if !marks.is_empty() {
        lines.push(format!("[{}]", marks.join(", ")));
    }
    lines
}

/// Edges are drawn from the guest that comes first to the one that follows,
/// so the picture reads in provisioning order, left to right.
fn edge_label(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Clone => "cloned into",
        EdgeKind::Dependency => "needed by",
    }
}

/// Mermaid wants `"` inside a quoted label as an entity.
fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;")
}

pub fn mermaid(e: &Estate) -> String {
    let mut out = String::from("flowchart LR\n");
    for (order, nodes) in &e.by_boot_order {
        let _ = writeln!(out, "  subgraph boot{order}[\"boot order {order}\"]");
        for n in nodes {
            let label = mermaid_text(&label_lines(n).join("<br/>"));
            let _ = writeln!(out, "    {}[\"{label}\"]", n.key);
        }
        out.push_str("  end\n");
    }
    for edge in &e.edges {
        let arrow = match edge.kind {
            EdgeKind::Clone => "-.",
            EdgeKind::Dependency => "--",
        };
        let tip = if edge.kind == EdgeKind::Clone {
            ".->"
        } else {
            "-->"
        };
        let _ = writeln!(
            out,
            "  {} {arrow} \"{}\" {tip} {}",
            edge.to,
            edge_label(edge.kind),
            edge.from
        );
    }
    for r in &e.routes {
        let label = mermaid_text(&format!("{} → {}", r.fqdn, r.target));
        let from = r.via.as_deref().unwrap_or(&r.to);
        let _ = writeln!(out, "  {from} == \"{label}\" ==> {}", r.to);
    }
    let all = e.by_boot_order.values().flatten();
    let firewalled: Vec<&str> = all
        .clone()
        .filter(|n| n.firewall)
        .map(|n| n.key.as_str())
        .collect();
    let trusting: Vec<&str> = all
        .filter(|n| n.trusts_ca)
        .map(|n| n.key.as_str())
        .collect();
    out.push_str("  classDef firewall stroke:#b00,stroke-width:3px\n");
    out.push_str("  classDef trusts fill:#e8f4e8\n");
    if !trusting.is_empty() {
        let _ = writeln!(out, "  class {} trusts", trusting.join(","));
    }
    if !firewalled.is_empty() {
        let _ = writeln!(out, "  class {} firewall", firewalled.join(","));
    }
    out
}

/// A DOT string literal's body.
fn dot_text(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

pub fn dot(e: &Estate) -> String {
    let mut out = String::from(
        "digraph estate {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for (order, nodes) in &e.by_boot_order {
        let _ = writeln!(
            out,
            "  subgraph cluster_boot_{order} {{\n    label=\"boot order {order}\";"
        );
        for n in nodes {
            let label = label_lines(n)
                .iter()
                .map(|l| dot_text(l))
                .collect::<Vec<_>>()
                .join("\\n");
            let mut attrs = format!("label=\"{label}\"");
            if n.firewall {
                attrs.push_str(", color=\"#bb0000\", penwidth=3");
            }
            if n.trusts_ca {
                attrs.push_str(", style=filled, fillcolor=\"#e8f4e8\"");
            }
            let _ = writeln!(out, "    {} [{attrs}];", n.key);
        }
        out.push_str("  }\n");
    }
    for edge in &e.edges {
        let style = if edge.kind == EdgeKind::Clone {
            ", style=dashed"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "  {} -> {} [label=\"{}\"{style}];",
            edge.to,
            edge.from,
            edge_label(edge.kind)
        );
    }
    for r in &e.routes {
        let from = r.via.as_deref().unwrap_or(&r.to);
        let label = dot_text(&format!("{} → {}", r.fqdn, r.target));
        let _ = writeln!(
            out,
            "  {from} -> {} [label=\"{label}\", color=\"#0050b0\", penwidth=2];",
            r.to
        );
    }
    out.push_str("}\n");
    out
}
