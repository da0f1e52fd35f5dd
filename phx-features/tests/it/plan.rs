//! Plans: the upstream fixture and the example plan; every feature name is
//! planned, left to phx-ca or warned about; what refuses a plan (exit 2,
//! naming the file, the JSON path and what was expected; nothing on stdout).

use crate::common::*;
use phx_plan::Action;
use serde_json::json;

fn ids(steps: &[phx_plan::Step]) -> Vec<String> {
    steps.iter().map(|s| s.id.clone()).collect()
}

/// The containers that get steps, in plan order.
fn guests(steps: &[phx_plan::Step]) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::new();
    for s in steps {
        let ct = match &s.action {
            Action::GuestCommand(g) => g.guest.id(),
            Action::GuestFile(g) => g.guest.id(),
            Action::GuestJson(g) => g.guest.id(),
            Action::GuestSecret(g) => g.guest.id(),
            Action::GuestHandler(g) => g.guest.id(),
            Action::Handler(_) => continue,
            a => panic!("{}: not an in-guest step: {a:?}", s.id),
        };
        if out.last() != Some(&ct) {
            out.push(ct);
        }
    }
    out
}

#[test]
fn the_upstream_fixture_plans_its_running_containers_and_names_what_it_leaves() {
    let out = features_cmd()
        .arg("--config-dir")
        .arg(upstream_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let steps = phx_plan::read_jsonl(&out.stdout[..]).unwrap();
    // base_setup in the running containers (101, 102, 103), nvidia in the
    // running GPU ones (914, 917), vLLM in 801 and 802, Ollama in 914, and
    // VMs (1001, 1002: base_setup, docker, Portainer, their NFS volume), in
    // the one start order over all.
    let inv = load_dir(&upstream_dir());
    let order: Vec<u32> = phx_common::order::order(&inv)
        .unwrap()
        .into_iter()
        .filter(|id| [101, 102, 103, 801, 802, 914, 917, 1001, 1002].contains(id))
        .collect();
    assert_eq!(guests(&steps), order);
    // Every GPU feature is installed in containers: none is "not yet".
    for f in ["nvidia", "vllm", "ollama"] {
        assert!(
            !err.contains(&format!("features \"{f}\" (CT")),
            "{f}:\n{err}"
        );
    }
    // phx-ca's guests' scripts are not run, and say so.
    for ct in [102, 103] {
        let note =
            format!("CT {ct}'s \"phoenix_hypervisor_lxc_{ct}.sh\" is not run: phx-ca provisions");
        assert!(
            err.lines()
                .any(|l| l.starts_with("phx-features: note: ") && l.contains(&note)),
            "{err}"
        );
    }
    // A golden template's features are phx-lxc's, before its snapshot: said.
    assert!(
        err.contains("CT 900 is a golden template (snapshot \"final-form\"): phx-lxc installs its base_setup before the snapshot"),
        "{err}"
    );
    assert!(!err.contains("CT 900 does not start at boot"), "{err}");
    // phx-ca's features are phx-ca's: no warning names them.
    for f in ["step_ca", "traefik", "trusted_ca"] {
        assert!(!err.contains(&format!("\"{f}\"")), "{f}: {err}");
    }
    // CT 101's and CT 917's scripts, run once per content (914's builds on
    // ollama, not yet handled).
    let i = ids(&steps);
    assert!(i.contains(&"features-101-app-run".to_string()), "{i:?}");
    assert!(i.contains(&"features-917-app-run".to_string()), "{i:?}");
    assert!(
        i.contains(&"features-917-nvidia-runfile".to_string()),
        "{i:?}"
    );
}

#[test]
fn the_example_plans_base_setup_where_it_is_asked() {
    let steps = plan(&example_dir());
    let inv = load_dir(&example_dir());
    let want: Vec<u32> = phx_common::order::order(&inv)
        .unwrap()
        .into_iter()
        .filter(|id| {
            inv.lxcs
                .get(id)
                .is_some_and(|c| c.start_at_boot && c.has_feature("base_setup"))
                // And the running VM with docker (1001), through its agent.
                || inv
                    .vms
                    .iter()
                    .any(|v| v.id == *id && v.start_at_boot && v.has_feature("docker"))
        })
        .collect();
    assert!(want.contains(&1001) && want.len() > 1, "{want:?}");
    assert_eq!(guests(&steps), want);
}

#[test]
fn a_clone_of_a_template_with_the_feature_says_the_image_carries_it() {
    // Example CT 110 is a clone of CT 900, which lists base_setup.
    let steps = plan(&example_dir());
    let install = steps
        .iter()
        .find(|s| s.id == "features-110-base_setup-install")
        .unwrap();
    let Action::GuestCommand(g) = &install.action else {
        panic!()
    };
    assert!(
        g.command
            .desc
            .contains("inherited from CT 900: the guard checks"),
        "{}",
        g.command.desc
    );
    // Its guard is the proof: dpkg's status of every package.
    let guard = g.command.unless.as_ref().unwrap();
    assert!(guard.iter().any(|a| a.contains("dpkg-query")), "{guard:?}");
    assert!(guard.ends_with(&["locales".to_string()]), "{guard:?}");
}

#[test]
fn an_unknown_feature_is_refused_with_its_json_path() {
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["features"] = json!(["base_setup", "dockr"]);
    });
    let err = refused(dir.path());
    assert!(err.contains("lxc_configs.\"110\".features[1]"), "{err}");
    assert!(err.contains("did you mean docker?"), "{err}");
}

#[test]
fn a_missing_application_script_is_refused_naming_the_path_looked_at() {
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["application_script"] = json!("gitea.sh");
    });
    let err = refused(dir.path());
    let looked = dir.path().join("scripts/gitea.sh");
    assert!(
        err.contains("lxc_configs.\"110\".application_script"),
        "{err}"
    );
    assert!(
        err.contains(&format!("a script at {}", looked.display())),
        "{err}"
    );
}

#[test]
fn an_application_script_must_be_a_file_name() {
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["application_script"] = json!("../x.sh");
    });
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"110\".application_script: \"../x.sh\""),
        "{err}"
    );
}

#[test]
fn docker_without_nesting_and_keyctl_is_refused_naming_what_to_add() {
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["features"] = json!(["base_setup", "docker"]);
    });
    let err = refused(dir.path());
    assert!(err.contains("lxc_configs.\"110\".pct_options"), "{err}");
    assert!(
        err.contains("nesting=1 and keyctl=1 in pct_options"),
        "{err}"
    );
    // Privileged: nesting alone.
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["features"] = json!(["docker"]);
        d["lxc_configs"]["110"]["unprivileged"] = json!(false);
    });
    let err = refused(dir.path());
    assert!(err.contains("nesting=1 in pct_options"), "{err}");
    assert!(!err.contains("keyctl=1 in"), "{err}");
}

#[test]
fn docker_plans_the_repository_before_the_one_index_refresh() {
    let dir = config_with(&example_dir(), |d| {
        d["lxc_configs"]["110"]["features"] = json!(["base_setup", "docker"]);
        d["lxc_configs"]["110"]["pct_options"] = json!(["nesting=1", "keyctl=1", "fuse=1"]);
    });
    let steps = plan(dir.path());
    let i: Vec<String> = ids(&steps)
        .into_iter()
        .filter(|s| s.starts_with("features-110-"))
        .collect();
    let pos = |id: &str| {
        i.iter()
            .position(|s| s == id)
            .unwrap_or_else(|| panic!("{id}: {i:?}"))
    };
    assert!(pos("features-110-docker-source") < pos("features-110-apt-update"));
    assert!(pos("features-110-apt-update") < pos("features-110-base_setup-install"));
    assert!(pos("features-110-base_setup-install") < pos("features-110-docker-install"));
    assert_eq!(
        i.iter().filter(|s| s.ends_with("apt-update")).count(),
        1,
        "{i:?}"
    );
}
