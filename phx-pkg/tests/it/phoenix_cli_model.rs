//! phoenix-cli is a bash script; its man page and completions come from a
//! clap model (src/phoenix_cli.rs). This test holds the model to the script:
//! the verbs and options `phoenix-cli --help` lists are exactly the model's.

use std::collections::BTreeSet;
use std::path::PathBuf;

fn script_help() -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/phoenix-cli");
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg("--help")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The words naming each entry of a section ("Verbs:", "Options:"): what
/// stands before the two spaces that open its description.
fn section(help: &str, title: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| l.trim() != title)
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // An entry starts two spaces in; deeper lines continue its description.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        // A parenthesised remark is not an entry.
        .filter(|l| !l.trim_start().starts_with('('))
        .flat_map(|l| {
            let names = l.trim_start().split("  ").next().unwrap();
            names
                .split([',', ' '])
                .filter(|w| w.starts_with("--") || w.starts_with(char::is_alphabetic))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_model_has_the_scripts_verbs() {
    let script = section(&script_help(), "Verbs:");
    let model: BTreeSet<String> = phx_pkg::phoenix_cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    assert!(
        script.contains("setup") && script.contains("graph"),
        "{script:?}"
    );
    assert_eq!(script, model, "phoenix-cli --help's verbs vs the model's");
}

#[test]
fn the_model_has_the_scripts_options() {
    let script: BTreeSet<String> = section(&script_help(), "Options:")
        .into_iter()
        .filter(|w| w.starts_with("--"))
        .collect();
    let mut cmd = phx_pkg::phoenix_cli::command();
    cmd.build();
    let mut model = BTreeSet::new();
    for c in std::iter::once(&cmd).chain(cmd.get_subcommands().filter(|c| c.get_name() != "graph"))
    {
        for a in c.get_arguments() {
            if let Some(l) = a.get_long() {
                model.insert(format!("--{l}"));
            }
        }
    }
    assert!(
        script.contains("--config-dir") && script.contains("--version"),
        "{script:?}"
    );
    assert_eq!(script, model, "phoenix-cli --help's options vs the model's");
}

#[test]
fn subsystem_names_are_the_scripts() {
    let help = script_help();
    let line = help
        .lines()
        .find(|l| l.starts_with("Subsystems"))
        .expect("a Subsystems line");
    let named: BTreeSet<&str> = line
        .split(':')
        .nth(1)
        .unwrap()
        .split(['|', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    let model: BTreeSet<&str> = phx_pkg::phoenix_cli::SETUP
        .iter()
        .chain(phx_pkg::phoenix_cli::LETSGO.iter())
        .copied()
        .collect();
    assert_eq!(named, model);
}
