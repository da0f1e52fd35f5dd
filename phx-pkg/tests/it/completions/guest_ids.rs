//! Guest IDs in phoenix-cli's completions (phx-pkg/src/guest_ids.rs): each
//! shell offers the IDs of --config-dir's containers and VMs where a
//! per-guest verb takes them, and nowhere else.

use super::{bash_completes, fish_completes, zsh_offers};
use std::path::{Path, PathBuf};

/// phoenix-cli's definition, with a `converge ID…` verb until it has one.
fn phoenix_cli_with_converge() -> clap::Command {
    let cmd = phx_pkg::command("phoenix-cli").unwrap();
    if cmd.find_subcommand("converge").is_some() {
        return cmd;
    }
    cmd.subcommand(
        clap::Command::new("converge")
            .arg(
                clap::Arg::new("config_dir")
                    .long("config-dir")
                    .value_name("DIR"),
            )
            .arg(clap::Arg::new("root").long("root").value_name("DIR"))
            .arg(
                clap::Arg::new("ids")
                    .value_name("ID")
                    .num_args(1..)
                    .required(true),
            ),
    )
}

/// The bundled example's configuration directory.
fn example_config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/etc")
}

/// A configuration directory under `dir` with guests 110, 900 (containers),
/// 1001 and 9000 (VMs), each file written on one line.
fn compact_config(dir: &Path) -> PathBuf {
    let etc = dir.join("etc");
    std::fs::create_dir(&etc).unwrap();
    std::fs::write(
        etc.join("phoenix_lxc_configs.json"),
        r#"{"lxc_configs":{"900":{"name":"a"},"110":{"name":"b","features":[]}}}"#,
    )
    .unwrap();
    std::fs::write(
        etc.join("phoenix_vm_configs.json"),
        r#"{"vms":[{"vmid":9000,"name":"t"},{"vmid": 1001,"clone_from_vmid":9000}]}"#,
    )
    .unwrap();
    etc
}

/// phoenix-cli's per-guest verbs complete the guest IDs of --config-dir's
/// files (containers' keys, VMs' vmid), and only where an ID goes. Until
/// phoenix-cli has a `converge` verb, the test gives its definition one.
#[test]
fn bash_completes_guest_ids_from_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("phoenix-cli");
    std::fs::write(
        &script,
        phx_pkg::complete::script(clap_complete::Shell::Bash, &phoenix_cli_with_converge()),
    )
    .unwrap();
    let example = example_config();
    let example = example.to_str().unwrap();
    let compact = compact_config(dir.path());
    let compact = compact.to_str().unwrap();

    let ids = |words: &[&str]| -> Vec<String> {
        bash_completes(&script, "phoenix-cli", words)
            .into_iter()
            .filter(|w| !w.starts_with('-'))
            .collect()
    };
    assert_eq!(
        ids(&["converge", "--config-dir", compact, ""]),
        ["110", "900", "1001", "9000"]
    );
    // `--config-dir=DIR`, as bash splits it, and whole.
    assert_eq!(
        ids(&["converge", "--config-dir", "=", compact, "9"]),
        ["900", "9000"]
    );
    assert_eq!(
        ids(&["converge", &format!("--config-dir={compact}"), "9"]),
        ["900", "9000"]
    );
    let mut example_ids = ids(&["converge", "--config-dir", example, "110", ""]);
    example_ids.sort();
    assert_eq!(
        example_ids,
        ["1001", "1002", "102", "103", "110", "111", "900", "9000"],
        "every guest of examples/etc"
    );
    // Not where a value or a flag goes, nor after other verbs.
    for value in [
        &["converge", "--config-dir", compact, "--config-dir", ""][..],
        &["converge", "--config-dir", compact, "--config-dir", "=", ""],
    ] {
        assert!(ids(value).iter().all(|w| w != "110"), "{value:?}");
    }
    assert!(!bash_completes(
        &script,
        "phoenix-cli",
        &["converge", "--config-dir", compact, "--"]
    )
    .iter()
    .any(|w| w == "110"));
    assert!(ids(&["check", "--config-dir", compact, ""])
        .iter()
        .all(|w| w != "110"));
    // No configuration directory: nothing offered, no error.
    assert!(ids(&["converge", "--config-dir", "/nonexistent", ""]).is_empty());
}

/// Fish offers the same guest IDs, and not as an option's value.
#[test]
fn fish_completes_guest_ids_from_the_configuration() {
    let test = "fish_completes_guest_ids_from_the_configuration";
    let missing = phx_testkit::config::which("fish")
        .is_none()
        .then(|| "fish".to_string());
    if !phx_testkit::real_component(test, "fish", missing) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("phoenix-cli.fish");
    std::fs::write(
        &script,
        phx_pkg::complete::script(clap_complete::Shell::Fish, &phoenix_cli_with_converge()),
    )
    .unwrap();
    let compact = compact_config(dir.path());
    let compact = compact.display();
    let example = example_config();
    let example = example.display();
    let ids = |line: &str| -> Vec<String> {
        fish_completes(&script, line)
            .into_iter()
            .filter(|w| !w.starts_with('-'))
            .collect()
    };
    assert_eq!(
        ids(&format!("phoenix-cli converge --config-dir {compact} ")),
        ["110", "900", "1001", "9000"]
    );
    assert_eq!(
        ids(&format!("phoenix-cli converge --config-dir={compact} 9")),
        ["900", "9000"]
    );
    let mut all = ids(&format!("phoenix-cli converge --config-dir {example} 110 "));
    all.sort();
    assert_eq!(
        all,
        ["1001", "1002", "102", "103", "110", "111", "900", "9000"]
    );
    assert!(ids(&format!("phoenix-cli check --config-dir {compact} "))
        .iter()
        .all(|w| w != "110"));
    // Not as --config-dir's value.
    assert!(ids(&format!(
        "phoenix-cli converge --config-dir {compact} --config-dir "
    ))
    .iter()
    .all(|w| w != "110"));
    assert!(ids("phoenix-cli converge --config-dir /nonexistent ").is_empty());
}

/// Zsh offers the same guest IDs, and not as an option's value.
#[test]
fn zsh_completes_guest_ids_from_the_configuration() {
    let test = "zsh_completes_guest_ids_from_the_configuration";
    let missing = phx_testkit::config::which("zsh")
        .is_none()
        .then(|| "zsh".to_string());
    if !phx_testkit::real_component(test, "zsh", missing) {
        return;
    }
    let share = tempfile::tempdir().unwrap();
    let functions = share.path().join("zsh/vendor-completions");
    std::fs::create_dir_all(&functions).unwrap();
    std::fs::write(
        functions.join("_phoenix-cli"),
        phx_pkg::complete::script(clap_complete::Shell::Zsh, &phoenix_cli_with_converge()),
    )
    .unwrap();
    let compact = compact_config(share.path());
    let compact = compact.display();
    let example = example_config();
    let example = example.display();
    let ids = |line: &str| -> Vec<String> {
        let mut ids: Vec<String> = zsh_offers(share.path(), line)
            .into_iter()
            .filter(|w| !w.starts_with('-'))
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(&format!("phoenix-cli converge --config-dir {compact} ")),
        ["1001", "110", "900", "9000"]
    );
    assert_eq!(
        ids(&format!("phoenix-cli converge --config-dir={compact} 9")),
        ["900", "9000"]
    );
    assert_eq!(
        ids(&format!("phoenix-cli converge --config-dir {example} 110 ")),
        ["1001", "1002", "102", "103", "110", "111", "900", "9000"]
    );
    assert!(ids(&format!("phoenix-cli check --config-dir {compact} "))
        .iter()
        .all(|w| w != "110"));
    // Not as the value of converge's other option with a value (zsh, like
    // the real program, takes a second --config-dir for a positional).
    let cmd = phoenix_cli_with_converge();
    let valued = cmd
        .find_subcommand("converge")
        .unwrap()
        .get_arguments()
        .filter(|a| a.get_long() != Some("config-dir") && a.get_action().takes_values())
        .find_map(|a| a.get_long())
        .expect("converge has an option with a value besides --config-dir");
    assert!(
        ids(&format!(
            "phoenix-cli converge --config-dir {compact} --{valued} "
        ))
        .iter()
        .all(|w| w != "110"),
        "--{valued}"
    );
}
