//! Issue 28: a key removed from an entry (`name`, `ip`) must not rename or
//! readdress a live container silently. Its default (CT<id>, DHCP) is kept
//! off the live container with a warning; `--allow-rename` takes it.

use crate::common;

use common::*;
use phx_lxc::Options;

fn allow_rename() -> Options {
    Options {
        allow_rename: true,
        ..Options::default()
    }
}

#[test]
fn a_removed_name_keeps_the_live_hostname_and_warns_unless_renaming_is_allowed() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        let e = v["lxc_configs"]["110"].as_object_mut().unwrap();
        e.remove("name");
        e["memory_mb"] = 3072.into();
    });
    let inv = load_dir(cfg.path());
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.contains("no name") && w.contains("CT110")),
        "{:?}",
        inv.warnings
    );
    let p = plan(&inv, root.path(), Options::default());
    assert_eq!(
        argvs(&p),
        vec![vec!["pct", "set", "110", "--memory", "3072"]]
    );
    let said = p.warnings.join("\n");
    assert!(
        said.contains("CT 110") && said.contains("Gitea") && said.contains("--allow-rename"),
        "{said}"
    );

    let p = plan(&inv, root.path(), allow_rename());
    assert_eq!(
        argvs(&p),
        vec![vec![
            "pct",
            "set",
            "110",
            "--hostname",
            "CT110",
            "--memory",
            "3072"
        ]]
    );
    assert!(
        p.warnings.iter().all(|w| !w.contains("--allow-rename")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn a_removed_ip_keeps_the_live_address_and_warns_unless_allowed() {
    let cfg = copy_config(&example_dir());
    let root = tempfile::tempdir().unwrap();
    converge(cfg.path(), root.path());
    edit_lxc(cfg.path(), |v| {
        v["lxc_configs"]["110"]["network_config"]
            .as_object_mut()
            .unwrap()
            .remove("ip");
    });
    let inv = load_dir(cfg.path());
    assert!(
        inv.warnings
            .iter()
            .any(|w| w.contains("no ip") && w.contains("\"dhcp\"")),
        "{:?}",
        inv.warnings
    );
    let p = plan(&inv, root.path(), Options::default());
    assert!(p.plan.steps.is_empty(), "{:?}", argvs(&p));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("10.0.0.110/24") && w.contains("\"ip\"")),
        "{:?}",
        p.warnings
    );

    let p = plan(&inv, root.path(), allow_rename());
    let argv = argvs(&p);
    assert_eq!(argv.len(), 1, "{argv:?}");
    let net0 = argv[0].join(" ");
    assert!(
        net0.starts_with("pct set 110 --net0 ") && net0.contains("ip=dhcp"),
        "{net0}"
    );
}

#[test]
fn a_new_container_without_name_or_ip_gets_the_defaults_without_a_hold() {
    let cfg = copy_config(&example_dir());
    edit_lxc(cfg.path(), |v| {
        let e = v["lxc_configs"]["110"].as_object_mut().unwrap();
        e.remove("name");
        e["network_config"].as_object_mut().unwrap().remove("ip");
    });
    let inv = load_dir(cfg.path());
    let root = tempfile::tempdir().unwrap();
    let p = plan(&inv, root.path(), Options::default());
    let create = argvs(&p)
        .into_iter()
        .map(|a| a.join(" "))
        .find(|a| {
            a.contains(" 110 ") && (a.starts_with("pct create") || a.starts_with("pct clone"))
        })
        .expect("CT 110 is made");
    assert!(create.contains("CT110"), "{create}");
    assert!(
        p.warnings.iter().all(|w| !w.contains("--allow-rename")),
        "{:?}",
        p.warnings
    );
}
