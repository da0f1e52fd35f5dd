//! The command line itself: verbs and subsystems come from the registry, and
//! what is refused is refused before any program runs (PATH is emptied: a
//! run that tried one would fail differently).

use assert_cmd::Command;
use phx_common::registry::{Phase, GROUPS, GUEST_FILTER_FLAGS, PLANNERS, PROGRAMS};
use predicates::prelude::*;

fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_phoenix-cli"));
    c.env("PHX_BIN_DIR", "/nonexistent").env("PATH", "");
    c
}

#[test]
fn every_group_and_pass_through_program_is_a_verb() {
    let cmd = phoenix_cli::cli::command();
    let verbs: Vec<&str> = cmd.get_subcommands().map(|c| c.get_name()).collect();
    for (group, _) in GROUPS {
        assert!(verbs.contains(&group), "{group} is no verb: {verbs:?}");
    }
    for p in PROGRAMS.iter().filter_map(|p| p.verb) {
        assert!(verbs.contains(&p), "{p} is no verb: {verbs:?}");
    }
}

#[test]
fn subsystems_offered_are_the_registrys() {
    let mut cmd = phoenix_cli::cli::command();
    cmd.build();
    let setup = cmd.find_subcommand("setup").unwrap();
    let arg = setup
        .get_arguments()
        .find(|a| a.get_id() == "subsystems")
        .unwrap();
    let offered: Vec<String> = arg
        .get_possible_values()
        .iter()
        .map(|v| v.get_name().to_string())
        .collect();
    for p in PLANNERS {
        assert!(offered.contains(&p.subsystem.to_string()), "{offered:?}");
    }
}

#[test]
fn the_guest_filter_is_passed_from_the_per_guest_verbs_ids() {
    let mut cmd = phoenix_cli::cli::command();
    cmd.build();
    for verb in ["converge", "start", "stop", "restart", "delete", "status"] {
        let v = cmd.find_subcommand(verb).unwrap();
        assert!(v.get_arguments().any(|a| a.get_id() == "ids"), "{verb}");
        for flag in GUEST_FILTER_FLAGS {
            let long = flag.trim_start_matches("--");
            assert!(
                !v.get_arguments().any(|a| a.get_long() == Some(long)),
                "{verb} {flag}"
            );
        }
    }
}

#[test]
fn every_planner_flag_is_an_option_of_the_planning_verbs() {
    let mut cmd = phoenix_cli::cli::command();
    cmd.build();
    let setup = cmd.find_subcommand("setup").unwrap();
    let own = PLANNERS.iter().flat_map(|p| p.own_flags);
    for flag in own.filter(|f| !GUEST_FILTER_FLAGS.contains(f)) {
        let long = flag.trim_start_matches("--");
        assert!(
            setup.get_arguments().any(|a| a.get_long() == Some(long)),
            "{flag} (registry) is not a phoenix-cli option"
        );
    }
}

#[test]
fn refusals_name_the_valid_choices_and_run_nothing() {
    cli()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr("phoenix-cli: unknown verb 'frobnicate' (try --help)\n");
    cli()
        .args(["setup", "dsn"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown subsystem 'dsn': valid names are net storage dns fw gpu lxc vm features ca (or setup, LetsGo, all)",
        ));
    cli()
        .args(["setup", "lxc"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "'lxc' does not belong to setup (it runs: net storage dns fw gpu); use 'all' for both",
        ));
    cli()
        .args(["LetsGo", "--allow-lockout"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--allow-lockout is for phx-fw, and fw is not planned in this run",
        ));
    cli()
        .args(["setup", "net", "--wipe-disks", "/dev/sdb"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--wipe-disks is for phx-storage, and storage is not planned in this run",
        ));
    cli()
        .args(["plan", "net", "--restart"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--restart is for phx-lxc and phx-vm, and lxc is not planned in this run, nor vm",
        ));
    cli().args(["confirm", "net"]).assert().code(2);
}

#[test]
fn a_program_that_cannot_be_run_stops_the_run() {
    // The planners plan in phoenix-cli's process; phx-apply is a program.
    cli()
        .args(["setup", "net", "--config-dir"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/etc"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("phoenix-cli: phx-apply: "));
}

#[test]
fn the_phases_keys_are_the_json_documents() {
    let keys: Vec<&str> = Phase::ALL.iter().map(|p| p.key()).collect();
    assert_eq!(keys, ["setup", "guests", "ca"]);
}
