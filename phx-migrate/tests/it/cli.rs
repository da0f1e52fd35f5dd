//! The migration of both revisions of the original's files, through the
//! binary: what is added and where it is said to come from, the refusal to
//! overwrite, and bad input (exit 2, nothing written).

use assert_cmd::Command;
use phx_testkit::{upstream_dir, workspace};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub fn head_dir() -> PathBuf {
    workspace().join("tests/fixtures/phoenix-head")
}

pub struct Run {
    pub code: i32,
    pub stderr: String,
}

pub fn migrate(from: &Path, out: &Path) -> Run {
    let o = Command::cargo_bin("phx-migrate")
        .unwrap()
        .arg("--from-original")
        .arg(from)
        .arg(out)
        .output()
        .unwrap();
    Run {
        code: o.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn read(dir: &Path, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

#[test]
fn the_260ca13_fixture_gets_the_ca_name_port_and_four_routes_each_with_its_source() {
    let out = tempfile::tempdir().unwrap();
    let r = migrate(&upstream_dir(), out.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("layout at 260ca13"), "{}", r.stderr);
    let hyp = read(out.path(), "phoenix_hypervisor_config.json");
    assert_eq!(hyp["step_ca"]["dns_name"], "ca.internal.thinkheads.ai");
    assert_eq!(hyp["step_ca"]["port"], 9000);
    for line in [
        "step_ca.dns_name: = \"ca.internal.thinkheads.ai\" (from phoenix_hypervisor_lxc_103.sh:26 at 260ca13",
        "step_ca.port: = 9000 (from phoenix_hypervisor_lxc_103.sh:27 at 260ca13",
    ] {
        assert!(r.stderr.contains(line), "missing {line:?} in\n{}", r.stderr);
    }
    let lxc = read(out.path(), "phoenix_lxc_configs.json");
    let routes = [
        ("801", "granite-embedding", 8000, "236 and 271"),
        ("802", "granite-3b", 8000, "244 and 276"),
        ("914", "ollama", 11434, "252 and 281"),
        ("917", "llamacpp", 8081, "260 and 286"),
    ];
    for (id, name, port, lines) in routes {
        assert_eq!(
            lxc["lxc_configs"][id]["traefik_service"],
            json!({"name": name, "port": port}),
            "CT {id}"
        );
        let said = format!(
            "lxc_configs.\"{id}\".traefik_service: = {{\"name\":\"{name}\",\"port\":{port}}}"
        );
        let from = format!("(from phoenix_hypervisor_lxc_102.sh:{lines} at 260ca13");
        assert!(
            r.stderr
                .lines()
                .any(|l| l.contains(&said) && l.contains(&from)),
            "missing {said} {from} in\n{}",
            r.stderr
        );
    }
    let with_service = lxc["lxc_configs"]
        .as_object()
        .unwrap()
        .values()
        .filter(|g| g.get("traefik_service").is_some())
        .count();
    assert_eq!(with_service, 4, "only the four hard-coded routes");
    // Everything else is carried over as it was.
    let orig: Value = read(&upstream_dir(), "phoenix_vm_configs.json");
    assert_eq!(read(out.path(), "phoenix_vm_configs.json"), orig);
}

#[test]
fn heads_services_get_the_scheme_the_original_used_and_step_cli_is_dropped() {
    let out = tempfile::tempdir().unwrap();
    let r = migrate(&head_dir(), out.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("layout at HEAD 0385ea2"), "{}", r.stderr);
    let hyp = read(out.path(), "phoenix_hypervisor_config.json");
    assert_eq!(hyp["step_ca"]["port"], 9000);
    assert!(r
        .stderr
        .contains("step_ca.dns_name: \"ca.internal.thinkheads.ai\" already"));
    let lxc = read(out.path(), "phoenix_lxc_configs.json");
    let vm = read(out.path(), "phoenix_vm_configs.json");
    let ca = &lxc["lxc_configs"]["103"]["traefik_service"];
    assert_eq!(
        (&ca["port"], &ca["scheme"]),
        (&json!(9000), &json!("https"))
    );
    let portainer = vm["vms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["traefik_service"]["port"] == 9443)
        .expect("HEAD routes portainer to 9443");
    assert_eq!(portainer["traefik_service"]["scheme"], "https");
    assert_eq!(
        lxc["lxc_configs"]["801"]["traefik_service"]["scheme"],
        "http"
    );
    assert!(r
        .stderr
        .contains("lxc_configs.\"103\".traefik_service.scheme: = \"https\" (from phoenix_hypervisor_lxc_103.sh:30 at 0385ea2"));
    assert!(r.stderr.contains(
        "traefik_service.scheme: = \"https\" (from generate_traefik_config.sh:41 at 0385ea2"
    ));
    for doc in [&lxc, &vm] {
        assert!(!doc.to_string().contains("step_cli"));
    }
    assert!(r
        .stderr
        .contains("lxc_configs.\"102\".features[2]: removed \"step_cli\""));
}

#[test]
fn out_is_never_overwritten_unless_identical() {
    let out = tempfile::tempdir().unwrap();
    assert_eq!(migrate(&upstream_dir(), out.path()).code, 0);
    let again = migrate(&upstream_dir(), out.path());
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(again.stderr.matches("identical, left alone").count(), 3);

    let lxc = out.path().join("phoenix_lxc_configs.json");
    std::fs::write(&lxc, "{\"lxc_configs\": {}}\n").unwrap();
    let hyp_before = std::fs::read(out.path().join("phoenix_hypervisor_config.json")).unwrap();
    let r = migrate(&head_dir(), out.path());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "{}: exists with other content; refusing to overwrite it",
            lxc.display()
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing was written"));
    assert_eq!(
        std::fs::read_to_string(&lxc).unwrap(),
        "{\"lxc_configs\": {}}\n"
    );
    assert_eq!(
        std::fs::read(out.path().join("phoenix_hypervisor_config.json")).unwrap(),
        hyp_before,
        "a file that would change is not written either"
    );
}

#[test]
fn unreadable_input_is_refused_naming_file_path_and_value() {
    let src = tempfile::tempdir().unwrap();
    for f in [
        "phoenix_hypervisor_config.json",
        "phoenix_lxc_configs.json",
        "phoenix_vm_configs.json",
    ] {
        std::fs::copy(upstream_dir().join(f), src.path().join(f)).unwrap();
    }
    let lxc = src.path().join("phoenix_lxc_configs.json");
    std::fs::write(&lxc, "{\"lxc_configs\": [1, 2]}").unwrap();
    let vm = src.path().join("phoenix_vm_configs.json");
    std::fs::write(&vm, "{\"vms\": [").unwrap();
    std::fs::remove_file(src.path().join("phoenix_hypervisor_config.json")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = migrate(src.path(), &out.path().join("new"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    for said in [
        format!(
            "{}: lxc_configs: [1,2]: expected an object of containers by ID",
            lxc.display()
        ),
        format!(
            "{}: not JSON: EOF while parsing a list at line 1 column 9",
            vm.display()
        ),
        format!(
            "{}: missing: expected the original's file here",
            src.path().join("phoenix_hypervisor_config.json").display()
        ),
    ] {
        assert!(
            r.stderr.contains(&said),
            "missing {said:?} in\n{}",
            r.stderr
        );
    }
    assert!(!out.path().join("new").exists(), "nothing written");
}

#[test]
fn a_route_whose_backend_no_guest_owns_is_refused() {
    let src = tempfile::tempdir().unwrap();
    for f in [
        "phoenix_hypervisor_config.json",
        "phoenix_lxc_configs.json",
        "phoenix_vm_configs.json",
    ] {
        std::fs::copy(upstream_dir().join(f), src.path().join(f)).unwrap();
    }
    phx_testkit::edit_json(&src.path().join("phoenix_lxc_configs.json"), |v| {
        v["lxc_configs"]["914"]["network_config"]["ip"] = json!("10.0.0.156/24");
    });
    let out = tempfile::tempdir().unwrap();
    let r = migrate(src.path(), &out.path().join("new"));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("no guest has the address 10.0.0.155 that the route ollama was sent to"),
        "{}",
        r.stderr
    );
    assert!(!out.path().join("new").exists());
}

#[test]
fn a_checkout_of_the_original_repository_is_read_from_its_etc_directory() {
    let checkout = tempfile::tempdir().unwrap();
    let etc = checkout.path().join("usr/local/phoenix_hypervisor/etc");
    std::fs::create_dir_all(&etc).unwrap();
    for f in [
        "phoenix_hypervisor_config.json",
        "phoenix_lxc_configs.json",
        "phoenix_vm_configs.json",
    ] {
        std::fs::copy(head_dir().join(f), etc.join(f)).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let r = migrate(checkout.path(), out.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("{}: the original's layout at HEAD", etc.display())),
        "{}",
        r.stderr
    );
}
