//! The picture of the estate, checked with the program that consumes it:
//! Graphviz renders the DOT output, and the SVG must name every guest.

use assert_cmd::Command;
use phx_testkit::{example_dir, load_dir, upstream_dir, which};
use std::path::Path;

fn graph(dir: &Path, format: &str) -> String {
    let out = Command::cargo_bin("phx-graph")
        .unwrap()
        .args(["--format", format, "--config-dir"])
        .arg(dir)
        .output()
        .unwrap();
    phx_testkit::stdout_of(out)
}

fn svg_of(dot: &str) -> Option<String> {
    let dot_bin = which("dot");
    let missing = dot_bin.is_none().then(|| "Graphviz (dot)".into());
    if !phx_testkit::real_component("svg_of", "graphviz", missing) {
        return None;
    }
    let dot_bin = dot_bin.expect("dot was found");
    let out = Command::new(dot_bin)
        .arg("-Tsvg")
        .write_stdin(dot)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dot refused the graph: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(unescape(&String::from_utf8(out.stdout).unwrap()))
}

/// SVG text as a reader sees it: Graphviz writes `-` as `&#45;`, `&` as `&amp;`.
fn unescape(svg: &str) -> String {
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e <= 8);
        let decoded = end.and_then(|e| match &tail[1..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n => n
                .strip_prefix('#')
                .and_then(|d| d.parse().ok())
                .and_then(char::from_u32),
        });
        match (decoded, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn graphviz_renders_every_guest_of_the_example_and_the_fixture() {
    for dir in [example_dir(), upstream_dir()] {
        let inv = load_dir(&dir);
        let Some(svg) = svg_of(&graph(&dir, "dot")) else {
            return;
        };
        for g in inv.guests() {
            let name = g.name();
            let title = if g.kind() == "lxc" { "CT" } else { "VM" };
            assert!(
                svg.contains(&format!("{title} {} {name}", g.id())),
                "{}: the SVG does not name {title} {} {name}",
                dir.display(),
                g.id()
            );
        }
    }
}

#[test]
fn the_example_shows_boot_groups_edges_trust_routes_and_firewalls() {
    let m = graph(&example_dir(), "mermaid");
    assert!(m.starts_with("flowchart LR\n"));
    // Boot-order groups, with their guests inside.
    assert!(m.contains("subgraph boot1[\"boot order 1\"]\n    ct103[\"CT 103 Step-CA<br/>10.0.0.10<br/>ca.internal.thinkheads.ai"));
    // Clone and dependency edges, drawn in provisioning order.
    assert!(m.contains("  ct900 -. \"cloned into\" .-> ct103\n"));
    assert!(m.contains("  vm9000 -. \"cloned into\" .-> vm1001\n"));
    assert!(m.contains("  ct103 -- \"needed by\" --> ct102\n"));
    // Routes through the Traefik guest to the service's guest and port.
    assert!(m.contains("  ct102 == \"git.internal.thinkheads.ai → 10.0.0.110:3000\" ==> ct110\n"));
    assert!(m.contains(
        "  ct102 == \"prometheus.internal.thinkheads.ai → 10.0.0.111:9090\" ==> ct111\n"
    ));
    // CA trust and firewalls are marked.
    assert!(m.contains("  class ct102,ct110,ct111,vm1001 trusts\n"));
    assert!(m.contains("  class ct103,ct102,vm1001 firewall\n"));
    // An explicit record wins over a derived name, as phx-dns serves it:
    // portainer.<domain> answers with Traefik's address, not VM 1001's.
    let traefik_box = m.lines().find(|l| l.contains("ct102[\"")).unwrap();
    assert!(traefik_box.contains("portainer.internal.thinkheads.ai"));
    // The CA's role says where it listens (step_ca.port, default 9000).
    let ca_box = m.lines().find(|l| l.contains("ct103[\"")).unwrap();
    assert!(ca_box.contains("[step-ca :9000, firewall]"), "{ca_box}");
    let portainer_box = m.lines().find(|l| l.contains("vm1001[\"")).unwrap();
    assert!(!portainer_box.contains("portainer.internal"));
}

#[test]
fn every_guest_is_drawn_exactly_once() {
    for dir in [example_dir(), upstream_dir()] {
        let inv = load_dir(&dir);
        let m = graph(&dir, "mermaid");
        for g in inv.guests() {
            let key = phx_graph::estate::key(g);
            let boxes = m.matches(&format!("    {key}[\"")).count();
            assert_eq!(boxes, 1, "{}: {key} drawn {boxes} times", dir.display());
        }
    }
}

#[test]
fn a_refused_configuration_draws_nothing_and_exits_2() {
    let cfg = phx_testkit::copy_config(&example_dir());
    phx_testkit::edit_json(&cfg.path().join(phx_testkit::LXC), |v| {
        v["lxc_configs"]["102"]["dependencies"] = serde_json::json!([4242]);
    });
    Command::cargo_bin("phx-graph")
        .unwrap()
        .arg("--config-dir")
        .arg(cfg.path())
        .assert()
        .code(2)
        .stdout("");
}

/// An HTTPS backend's route says so; the CA's role names step_ca.port.
#[test]
fn an_https_backend_and_the_cas_port_are_drawn() {
    let cfg = phx_testkit::copy_config(&example_dir());
    phx_testkit::edit_json(&cfg.path().join("phoenix_lxc_configs.json"), |v| {
        v["lxc_configs"]["110"]["traefik_service"]["scheme"] = "https".into();
    });
    phx_testkit::edit_json(&cfg.path().join("phoenix_hypervisor_config.json"), |v| {
        v["step_ca"]["port"] = 8443.into();
    });
    let m = graph(cfg.path(), "mermaid");
    assert!(
        m.contains(
            "  ct102 == \"git.internal.thinkheads.ai → https://10.0.0.110:3000\" ==> ct110\n"
        ),
        "{m}"
    );
    assert!(m.contains("[step-ca :8443, firewall]"), "{m}");
}
