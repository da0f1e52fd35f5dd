//! `parse`/lint: existing files back to the JSON firewall object.
//! JSON → files → JSON is identical; files → JSON → files too; problems in
//! hand-written files are reported with line numbers.

use crate::common;
use common::*;
use phx_fw::fwfile::{parse, render, to_json, Kind};
use predicates::prelude::*;

fn all_firewalls(inv: &phx_common::Inventory) -> Vec<(Kind, phx_common::config::Firewall)> {
    let mut out = Vec::new();
    if let Some(fw) = &inv.host.firewall {
        out.push((Kind::Cluster, fw.clone()));
    }
    for g in inv.guests() {
        if let Some(fw) = g.firewall() {
            out.push((Kind::Guest(g.id()), fw.clone()));
        }
    }
    out
}

#[test]
fn json_to_files_to_json_is_identical() {
    for dir in [example_dir(), upstream_dir()] {
        let inv = load_dir(&dir);
        for (kind, fw) in all_firewalls(&inv) {
            let (text, _) = render(&fw);
            let (doc, errors) = parse(&text, &kind.path(), kind);
            assert!(errors.is_empty(), "{errors:?}");
            assert_eq!(
                to_json(&doc.fw, kind),
                to_json(&fw, kind),
                "{kind:?} of {}",
                dir.display()
            );
            // …and the files again: byte for byte.
            assert_eq!(render(&doc.fw).0, text);
        }
    }
}

#[test]
fn parsed_json_loads_back_as_the_same_configuration() {
    // The JSON `parse` prints is accepted by the loader and plans the same cluster.fw.
    let inv = load_dir(&example_dir());
    let fw = inv.host.firewall.clone().unwrap();
    let (text, _) = render(&fw);
    let (doc, _) = parse(&text, "cluster.fw", Kind::Cluster);
    let (mut h, l, v) = example_docs();
    h.as_object_mut().unwrap().remove("firewall");
    h["firewall"] = to_json(&doc.fw, Kind::Cluster);
    let dir = write_docs(&h, &l, &v);
    let again = load_dir(dir.path());
    assert_eq!(render(again.host.firewall.as_ref().unwrap()).0, text);
}

#[test]
fn cli_parse_prints_the_json_objects() {
    let root = tempfile::tempdir().unwrap();
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(example_dir())
        .arg("--out")
        .arg(root.path())
        .assert()
        .success();
    let out = phx_fw()
        .arg("parse")
        .arg("--state-root")
        .arg(root.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let (h, l, _) = example_docs();
    // The example's own objects, as written in examples/etc (policies made explicit).
    assert_eq!(v["firewall"]["aliases"], h["firewall"]["aliases"]);
    assert_eq!(v["firewall"]["ipsets"], h["firewall"]["ipsets"]);
    assert_eq!(v["firewall"]["options"], h["firewall"]["options"]);
    assert_eq!(
        v["firewall"]["global_firewall_rules"],
        h["firewall"]["global_firewall_rules"]
    );
    assert_eq!(
        v["guests"]["103"]["rules"],
        l["lxc_configs"]["103"]["firewall"]["rules"]
    );
    assert_eq!(v["guests"]["102"]["default_input_policy"], "DROP");
    assert_eq!(
        v["guests"].as_object().unwrap().keys().collect::<Vec<_>>(),
        ["1001", "102", "103"]
    );
}

#[test]
fn lint_reports_problems_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cluster.fw");
    std::fs::write(
        &f,
        "stray line\n\
         [OPTIONS]\n\
         enable: 1\n\
         policy_in: DROPP\n\
         \n\
         [ALIASES]\n\
         web  10.0.0.5\n\
         db 10.0.0.6/24\n\
         \n\
         [RULES]\n\
         IN ACCEPT -p tcp -dport 22 -source 10.0.0.0/24\n\
         IN ACCEPT -dport 80\n\
         IN ACCEPT -source +nosuch\n\
         IN ACCEPT -p  tcp -dport 80\n\
         IN SSH(ACCEPT) -dport 2222\n\
         OUT BOGUS\n",
    )
    .unwrap();
    let shown = f.display().to_string();
    let line = |n: usize| format!("{shown}: line {n}: ");
    phx_fw()
        .arg("lint")
        .arg(&f)
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains(line(1)).and(predicate::str::contains("before any section")),
        )
        .stderr(
            predicate::str::contains(line(4))
                .and(predicate::str::contains("ACCEPT, DROP or REJECT")),
        )
        .stderr(predicate::str::contains(line(7)).and(predicate::str::contains("one space")))
        .stderr(predicate::str::contains(line(8)).and(predicate::str::contains("host bits")))
        .stderr(predicate::str::contains(line(11)).not())
        .stderr(predicate::str::contains(line(12)).and(predicate::str::contains("require proto")))
        .stderr(
            predicate::str::contains(line(13)).and(predicate::str::contains("no set \"nosuch\"")),
        )
        .stderr(
            predicate::str::contains(line(14)).and(predicate::str::contains("exactly one space")),
        )
        .stderr(
            predicate::str::contains(line(15))
                .and(predicate::str::contains("fixes protocol and ports")),
        )
        .stderr(predicate::str::contains(line(16)).and(predicate::str::contains("in uppercase")));
}

#[test]
fn lint_of_clean_files_succeeds_and_a_group_section_is_parsed_into_the_json() {
    let root = tempfile::tempdir().unwrap();
    phx_fw()
        .args(["render", "--config-dir"])
        .arg(example_dir())
        .arg("--out")
        .arg(root.path())
        .assert()
        .success();
    phx_fw()
        .arg("lint")
        .arg("--state-root")
        .arg(root.path())
        .assert()
        .success()
        .stdout("");
    // A security group (issue 13: once dropped with a warning) is part of
    // the JSON that parse prints, under the cluster firewall's `groups`.
    let f = root.path().join("etc/pve/firewall/cluster.fw");
    let mut text = std::fs::read_to_string(&f).unwrap();
    text.push_str("[group webserver]\n\nIN HTTPS(ACCEPT)\n\n");
    std::fs::write(&f, text).unwrap();
    let out = phx_fw().arg("parse").arg(&f).assert().success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(
        json["firewall"]["groups"]["webserver"],
        serde_json::json!([{"type": "in", "action": "HTTPS(ACCEPT)"}])
    );
}

/// parse skips what pve-firewall skips or does not compile, naming each
/// line, and prints the rest (issue 13); lint refuses the same file.
#[test]
fn parse_leaves_out_the_lines_pve_firewall_skips_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cluster.fw");
    std::fs::write(
        &f,
        "[OPTIONS]\nenable: 1\n\n[ALIASES]\ndb 10.0.0.6/24\nweb 10.0.0.5\n\n[RULES]\nIN ACCEPT -p tcp -dport 22 -source web\nIN ACCEPT -dport 80\nIN ACCEPT -p  tcp -dport 81\nIN ACCEPT -source +nosuch\n",
    )
    .unwrap();
    phx_fw().arg("lint").arg(&f).assert().code(2);
    let out = phx_fw().arg("parse").arg(&f).assert().success();
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    for n in [5, 10, 11, 12] {
        assert!(err.contains(&format!("line {n}: ")), "line {n}: {err}");
    }
    assert_eq!(
        json["firewall"]["aliases"],
        serde_json::json!({"web": "10.0.0.5"})
    );
    assert_eq!(
        json["firewall"]["global_firewall_rules"],
        serde_json::json!([{"type": "in", "action": "ACCEPT", "source": "web", "proto": "tcp", "port": "22"}])
    );
}
