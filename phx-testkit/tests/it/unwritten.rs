//! Issue 28: a key removed from an entry (`name`, `ip`) must not rename or
//! readdress a live guest silently — not its hostname, and not its DNS
//! name, firewall rules or routes either. Every tool keeps the live value
//! (a warning says so, once per run); `--allow-rename` takes the default.

use crate::example_node::example_node;
use crate::phoenix_cli::cli;
use phx_testkit::*;
use std::ffi::OsString;
use std::path::Path;

/// `phoenix-cli check all` of `config` on the converged node (guards run
/// against the doubles): its exit status and what it said.
fn check(path: &OsString, root: &Path, config: &Path, more: &[&str]) -> (Option<i32>, String) {
    let o = cli()
        .args(["check", "all", "--run-commands", "--config-dir"])
        .arg(config)
        .arg("--root")
        .arg(root)
        .args(more)
        .env("PATH", path)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.code(), text)
}

#[test]
fn removed_names_and_addresses_keep_the_live_ones_everywhere_unless_renaming_is_allowed() {
    let path = node_path();
    let node = example_node(&path, &["setup", "confirm", "LetsGo"]);
    let root = node.path();
    let (code, said) = check(&path, root, &example_dir(), &[]);
    assert_eq!(code, Some(0), "the example's estate is converged:\n{said}");

    // CT 110 without its name, VM 1001 without its address.
    let config = copy_config(&example_dir());
    edit_json(&config.path().join(LXC), |v| {
        v["lxc_configs"]["110"]
            .as_object_mut()
            .unwrap()
            .remove("name");
    });
    edit_json(&config.path().join(VM), |v| {
        assert_eq!(v["vms"][1]["vmid"], 1001);
        v["vms"][1]["network_config"]
            .as_object_mut()
            .unwrap()
            .remove("ip");
    });
    let (code, said) = check(&path, root, config.path(), &[]);
    assert_eq!(
        code,
        Some(0),
        "nothing changes, DNS and firewall included:\n{said}"
    );
    let kept: Vec<&str> = said.lines().filter(|l| l.contains("; kept ")).collect();
    assert_eq!(kept.len(), 2, "each kept value said once:\n{said}");
    assert!(
        kept.iter()
            .any(|l| l.contains("CT 110") && l.contains("kept Gitea")),
        "{said}"
    );
    assert!(
        kept.iter()
            .any(|l| l.contains("VM 1001") && l.contains("kept 10.0.0.101/24")),
        "{said}"
    );
    assert!(
        kept.iter().all(|l| l.contains("phoenix_")),
        "the file is named:\n{said}"
    );

    // --allow-rename: the defaults, in the guests and in what follows them.
    let (code, said) = check(&path, root, config.path(), &["--allow-rename"]);
    assert_eq!(code, Some(3), "{said}");
    assert!(
        said.contains("pct set 110") && said.contains("--hostname CT110"),
        "{said}"
    );
    assert!(said.contains("ipconfig0 ip=dhcp"), "{said}");
    assert!(
        said.contains("ct110."),
        "the DNS name follows the rename:\n{said}"
    );
}
