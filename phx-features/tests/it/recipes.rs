//! python_api_service and portainer: planned, applied with the pct double and
//! the guest doubles (apt-get, systemctl, docker), converged on the second
//! run; the roles refused or warned about; the admin password nowhere but
//! its file inside the guest.

use crate::common::*;
use phx_plan::Action;
use serde_json::{json, Value};
use std::path::Path;

const ROOTFUL_DOCKER: [&str; 3] = ["nesting=1", "keyctl=1", "fuse=1"];

/// The example's containers (its VMs are vms.rs' business), CT 110 a
/// Portainer server with Python, CT 111 an agent.
fn portainer_config(server: Value, agent: Value) -> tempfile::TempDir {
    let dir = config_with(&example_dir(), |d| {
        let c = &mut d["lxc_configs"];
        c["110"]["features"] = server;
        c["110"]["pct_options"] = json!(ROOTFUL_DOCKER);
        c["110"]["portainer_role"] = json!("server");
        c["111"]["features"] = agent;
        c["111"]["pct_options"] = json!(ROOTFUL_DOCKER);
        c["111"]["portainer_role"] = json!("agent");
    });
    no_vms(dir.path());
    dir
}

fn default_config() -> tempfile::TempDir {
    portainer_config(
        json!(["base_setup", "docker", "python_api_service", "portainer"]),
        json!(["docker", "portainer"]),
    )
}

fn running_all(root: &Path, dir: &Path) {
    for (id, c) in load_dir(dir).lxcs {
        if c.start_at_boot {
            running(root, id);
        }
    }
}

/// The container the docker double keeps for `name` in CT `ct` (its run
/// arguments, one a line), if any.
fn docker_container(root: &Path, ct: u32, name: &str) -> Option<String> {
    std::fs::read_to_string(
        rootfs(root, ct).join(format!("var/lib/docker-double/containers/{name}")),
    )
    .ok()
}

/// Every file under `dir` holding `needle`, but `except`.
fn files_with(dir: &Path, needle: &str, except: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let t = e.file_type().unwrap();
        if t.is_dir() {
            files_with(&p, needle, except, out);
        } else if t.is_file() && p != except {
            if let Ok(b) = std::fs::read(&p) {
                if String::from_utf8_lossy(&b).contains(needle) {
                    out.push(p.display().to_string());
                }
            }
        }
    }
}

#[test]
fn python_and_portainer_install_once_and_a_second_run_only_runs_guards() {
    let dir = default_config();
    let node = node();
    let root = node.path();
    running_all(root, dir.path());
    for ct in [110, 111] {
        standard_template_packages(root, ct);
    }
    let steps = plan(dir.path());
    let report = run(&steps, root);

    let have = installed(root, 110);
    for p in ["python3", "python3-pip", "python3-venv"] {
        assert!(have.iter().any(|h| h == p), "{p} not installed: {have:?}");
    }
    assert!(!installed(root, 111).iter().any(|h| h == "python3-venv"));

    // The server: its definition as the original's, with the password file.
    let server = docker_container(root, 110, "portainer").expect("the server runs in CT 110");
    for line in [
        "image portainer/portainer-ce:latest",
        "opt --restart=always",
        "opt -p 9443:9443",
        "opt -v /var/run/docker.sock:/var/run/docker.sock",
        "opt -v portainer_data:/data",
        "opt -v /etc/phoenix/portainer/admin-password:/run/portainer/admin-password:ro",
        "arg --admin-password-file",
        "arg /run/portainer/admin-password",
    ] {
        assert!(server.lines().any(|l| l == line), "{line}:\n{server}");
    }
    assert!(server.lines().any(|l| l.starts_with("label phoenix.spec=")));
    let agent = docker_container(root, 111, "portainer_agent").expect("the agent runs in CT 111");
    for line in [
        "image portainer/agent:latest",
        "opt -p 9001:9001",
        "opt -v /var/lib/docker/volumes:/var/lib/docker/volumes",
    ] {
        assert!(agent.lines().any(|l| l == line), "{line}:\n{agent}");
    }
    assert!(docker_container(root, 111, "portainer").is_none());
    assert!(docker_container(root, 110, "portainer_agent").is_none());

    // The admin password: made in CT 110, mode 0600, and nowhere else on
    // the node (plan, report, doubles' logs, the container's arguments).
    let pw_file = rootfs(root, 110).join("etc/phoenix/portainer/admin-password");
    let pw = read(pw_file.clone());
    assert_eq!(pw.len(), 32, "{pw:?}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&pw_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let mut leaks = Vec::new();
    files_with(root, &pw, &pw_file, &mut leaks);
    assert!(leaks.is_empty(), "the password is in {leaks:?}");
    let plan_text: String = steps
        .iter()
        .map(|s| serde_json::to_string(s).unwrap())
        .collect();
    assert!(!plan_text.contains(&pw));
    assert!(!format!("{report:?}").contains(&pw));

    // Second run: nothing changes; the doubles log nothing (no install, no
    // docker rm/run, no service change: only guards ran).
    for ct in [110, 111] {
        clear_guest_log(root, ct);
    }
    let again = run(&steps, root);
    assert_eq!(again.changed(), 0, "{again:?}");
    for ct in [110, 111] {
        assert_eq!(guest_log(root, ct), "", "CT {ct} did more than guard");
    }
    assert_eq!(read(pw_file), pw, "the password is made once");
}

#[test]
fn a_portainer_container_made_otherwise_is_replaced() {
    let dir = default_config();
    let node = node();
    let root = node.path();
    running_all(root, dir.path());
    let steps = plan(dir.path());
    run(&steps, root);
    // Someone ran the agent with other arguments (another spec).
    let f = rootfs(root, 111).join("var/lib/docker-double/containers/portainer_agent");
    let other: String = read(f.clone())
        .lines()
        .map(|l| {
            if l.starts_with("label phoenix.spec=") {
                "label phoenix.spec=0000000000000000\n".to_string()
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&f, other).unwrap();
    clear_guest_log(root, 111);
    let report = run(&steps, root);
    assert_eq!(report.changed(), 1, "{report:?}");
    assert_eq!(
        guest_log(root, 111),
        "docker rm portainer_agent\ndocker run portainer_agent\n"
    );
    assert!(!read(f).contains("0000000000000000"));
}

#[test]
fn portainer_runs_after_docker_starts_whatever_the_array_order() {
    let dir = portainer_config(
        json!(["portainer", "base_setup", "docker"]),
        json!(["portainer", "docker"]),
    );
    let steps = plan(dir.path());
    let pos = |id: &str| {
        steps
            .iter()
            .position(|s| s.id == id)
            .unwrap_or_else(|| panic!("no step {id}"))
    };
    for (ct, name) in [(110, "portainer"), (111, "portainer-agent")] {
        let run = pos(&format!("features-{ct}-portainer-{name}"));
        let started = steps
            .iter()
            .rposition(|s| s.id.starts_with(&format!("features-{ct}-docker")))
            .unwrap();
        assert!(
            run > started,
            "CT {ct}: Portainer before Docker's last step"
        );
    }
    let secret = &steps[pos("features-110-portainer-admin-password")];
    assert!(
        matches!(&secret.action, Action::GuestSecret(s) if s.path == "/etc/phoenix/portainer/admin-password")
    );
}

#[test]
fn an_unknown_role_is_refused_at_its_path() {
    let dir = default_config();
    let p = dir.path().join(LXC);
    let mut doc: Value = serde_json::from_str(&read(p.clone())).unwrap();
    doc["lxc_configs"]["110"]["portainer_role"] = json!("infrastructure");
    std::fs::write(&p, doc.to_string()).unwrap();
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"110\".portainer_role")
            && err.contains("\"infrastructure\"")
            && err.contains("\"server\""),
        "{err}"
    );
}

#[test]
fn a_role_without_docker_is_refused_naming_both() {
    let dir = portainer_config(
        json!(["base_setup", "portainer"]),
        json!(["docker", "portainer"]),
    );
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"110\".features")
            && err.contains("\"docker\" beside \"portainer\"")
            && err.contains("lxc_configs.\"110\".portainer_role"),
        "{err}"
    );
}

#[test]
fn the_feature_without_a_role_and_a_role_without_the_feature_are_warned() {
    let dir = config_with(&example_dir(), |d| {
        let c = &mut d["lxc_configs"];
        c["110"]["features"] = json!(["docker", "portainer"]);
        c["110"]["pct_options"] = json!(ROOTFUL_DOCKER);
        c["110"]["portainer_role"] = json!("none");
        c["111"]["portainer_role"] = json!("infrastructure");
    });
    let out = features_cmd()
        .arg("--config-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("lxc_configs.\"110\".portainer_role: CT 110 lists the \"portainer\" feature but its portainer_role is \"none\": nothing is installed"),
        "{err}"
    );
    assert!(
        err.contains("portainer_role (CT 111 \"infrastructure\"): not handled, ignored"),
        "{err}"
    );
    let steps = phx_plan::read_jsonl(&out.stdout[..]).unwrap();
    assert!(!steps.iter().any(|s| s.id.contains("portainer")));
}

#[test]
fn the_upstream_fixtures_role_without_the_feature_is_said_once() {
    // CT 101 carries portainer_role "infrastructure" and no portainer
    // feature (no script of the original reads that role); the others say "none".
    let out = features_cmd()
        .arg("--config-dir")
        .arg(upstream_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let line = "phoenix_lxc_configs.json: portainer_role (CT 101 \"infrastructure\"): not handled, ignored";
    assert_eq!(err.matches(line).count(), 1, "{err}");
}

#[test]
fn a_stopped_portainer_is_replaced_and_its_password_kept() {
    let dir = default_config();
    let node = node();
    let root = node.path();
    running_all(root, dir.path());
    let steps = plan(dir.path());
    run(&steps, root);
    let pw_file = rootfs(root, 110).join("etc/phoenix/portainer/admin-password");
    let pw = read(pw_file.clone());
    // Stopped from inside (the docker double, as `docker stop` would).
    let stop = std::process::Command::new("pct")
        .args(["exec", "110", "--", "docker", "stop", "portainer"])
        .env("PATH", pct_path())
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    assert!(
        stop.status.success(),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );
    clear_guest_log(root, 110);
    let report = run(&steps, root);
    assert_eq!(report.changed(), 1, "{report:?}");
    assert_eq!(
        guest_log(root, 110),
        "docker rm portainer\ndocker run portainer\n"
    );
    assert!(
        !read(rootfs(root, 110).join("var/lib/docker-double/containers/portainer"))
            .lines()
            .any(|l| l == "stopped")
    );
    assert_eq!(read(pw_file), pw);
}
