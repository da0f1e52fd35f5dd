//! Issue 28: a key removed from a VM's entry (`name`, `ip`) must not rename
//! or readdress the live VM silently: kept with a warning, taken with
//! `--allow-rename`.

use crate::common;

use common::*;
use phx_vm::Options;

#[test]
fn a_removed_name_and_ip_keep_the_live_values_unless_renaming_is_allowed() {
    let (cfg, root) = converged();
    edit_json(&cfg.path().join(VM), |v| {
        let e = v["vms"][1].as_object_mut().unwrap();
        assert_eq!(e["vmid"], 1001);
        e.remove("name");
        e["network_config"].as_object_mut().unwrap().remove("ip");
    });
    let inv = load_dir(cfg.path());
    let p = plan(&inv, root.path(), Options::default());
    assert!(p.plan.steps.is_empty(), "{:?}", argvs(&p));
    let said = p.warnings.join("\n");
    assert!(
        said.contains("VM 1001") && said.contains("Portainer"),
        "{said}"
    );
    assert!(said.contains("10.0.0.101/24"), "{said}");

    let p = plan(
        &inv,
        root.path(),
        Options {
            allow_rename: true,
            ..Options::default()
        },
    );
    let set = argvs(&p)
        .into_iter()
        .map(|a| a.join(" "))
        .find(|a| a.starts_with("qm set 1001 "))
        .unwrap_or_else(|| panic!("{:?}", argvs(&p)));
    assert!(
        set.contains("--name VM1001") && set.contains("--ipconfig0 ip=dhcp"),
        "{set}"
    );
}
