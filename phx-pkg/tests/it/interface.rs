//! Every shipped program's command line, read from the clap definitions the
//! binaries parse: names itself in --version, describes every option, lays
//! its help out the same way, and its help examples are shell that parses,
//! with every Phoenix command in them accepted by that command's definition.

use clap::Command;
use std::process::Stdio;

fn all_commands(cmd: &Command, out: &mut Vec<Command>) {
    out.push(cmd.clone());
    for sub in cmd.get_subcommands() {
        all_commands(sub, out);
    }
}

fn every_command() -> Vec<Command> {
    let mut out = Vec::new();
    for mut cmd in phx_pkg::commands() {
        cmd.build();
        all_commands(&cmd, &mut out);
    }
    out
}

#[test]
fn every_program_names_itself_in_its_version() {
    let names: Vec<String> = phx_pkg::commands()
        .iter()
        .map(|c| c.get_name().to_string())
        .collect();
    for name in phx_common::registry::shipped() {
        assert!(names.iter().any(|n| n == name), "{name} is not packaged");
    }
    for cmd in phx_pkg::commands() {
        assert_eq!(
            cmd.render_version(),
            format!("{} {}\n", cmd.get_name(), env!("CARGO_PKG_VERSION")),
            "{}'s --version",
            cmd.get_name()
        );
    }
}

#[test]
fn every_option_argument_and_subcommand_is_described() {
    let mut missing = Vec::new();
    for cmd in every_command() {
        let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
        if cmd
            .get_about()
            .is_none_or(|a| a.to_string().trim().is_empty())
        {
            missing.push(format!("{name}: the command itself"));
        }
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let help = arg.get_help().or(arg.get_long_help());
            if help.is_none_or(|h| h.to_string().trim().is_empty()) {
                missing.push(format!("{name}: {}", arg.get_id()));
            }
        }
    }
    assert!(missing.is_empty(), "undescribed: {missing:#?}");
}

/// The examples of a help text: the indented lines after "Examples:", up
/// to the first blank line.
fn examples(text: &str) -> Vec<String> {
    text.lines()
        .skip_while(|l| l.trim() != "Examples:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

/// The simple commands of one example line: split at `|`, `;`, `&&`,
/// braces, a redirection and a comment, as a reader of the shell would.
fn simple_commands(line: &str) -> Vec<Vec<String>> {
    let line = line.split(" #").next().unwrap();
    let mut out = Vec::new();
    for seg in line.split(['|', ';', '{', '}']) {
        let seg = seg.split('>').next().unwrap();
        let words: Vec<String> = seg.split_whitespace().map(str::to_string).collect();
        if !words.is_empty() {
            out.push(words);
        }
    }
    out
}

#[test]
fn help_examples_are_shell_and_each_phoenix_command_in_them_parses() {
    let programs = phx_pkg::commands();
    let mut checked = 0;
    for cmd in every_command() {
        let Some(after) = cmd.get_after_help() else {
            continue;
        };
        let after = after.to_string();
        let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
        let lines = examples(&after);
        assert!(
            !lines.is_empty() || !after.contains("Examples:"),
            "{name}: an empty Examples section"
        );
        for line in lines {
            assert!(
                !line
                    .split(" #")
                    .next()
                    .unwrap()
                    .contains(['"', '\'', '`', '\\']),
                "{name}: keep examples free of quoting so this test can split them: {line}"
            );
            let st = std::process::Command::new("bash")
                .args(["-n", "-c", &line])
                .stderr(Stdio::piped())
                .output()
                .unwrap();
            assert!(
                st.status.success(),
                "{name}: example is not valid shell: {line}\n{}",
                String::from_utf8_lossy(&st.stderr)
            );
            for words in simple_commands(&line) {
                let prog = &words[0];
                match programs.iter().find(|p| p.get_name() == prog) {
                    Some(p) => {
                        if let Err(e) = p.clone().try_get_matches_from(&words) {
                            panic!("{name}: example `{}` does not parse: {e}", words.join(" "));
                        }
                        checked += 1;
                    }
                    None => assert!(
                        ["cat", "dot"].contains(&prog.as_str()),
                        "{name}: example runs {prog}, which is neither a Phoenix program nor expected"
                    ),
                }
            }
        }
    }
    assert!(checked > 20, "only {checked} example commands were found");
}

#[test]
fn every_program_lays_its_help_out_the_same_way() {
    for mut cmd in phx_pkg::commands() {
        let name = cmd.get_name().to_string();
        let help = cmd.render_long_help().to_string();
        let at = |s: &str| {
            help.find(s)
                .unwrap_or_else(|| panic!("{name}'s help has no {s:?}:\n{help}"))
        };
        let order = [
            at("Usage:"),
            at("Options:"),
            at("\nExamples:\n"),
            at("\nExit status: "),
        ];
        assert!(
            order.windows(2).all(|w| w[0] < w[1]),
            "{name}: help sections out of order (Usage, Options, Examples, Exit status):\n{help}"
        );
        assert!(
            at("Usage:") > 0,
            "{name}: the help opens with what the program does"
        );
    }
}

#[test]
fn a_bad_example_is_caught() {
    // The checks above catch what they are for: the old phx-apply example
    // (options after a brace group) is a shell syntax error, and a
    // description run into the command line fails the tool's parser.
    let bad = "{ phx-net; phx-dns; } --config-dir etc | phx-apply";
    let st = std::process::Command::new("bash")
        .args(["-n", "-c", bad])
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(!st.success());
    let words = &simple_commands("phx-dns --config-dir examples/etc   print the plan")[0];
    assert!(phx_dns::cli::command().try_get_matches_from(words).is_err());
}

/// phx-pkg's clap list is the registry: every registered program has a
/// command line here (a forgotten one makes `commands()` panic), in the
/// registry's order, under its binary name.
#[test]
fn the_packaged_command_lines_are_the_registrys_programs() {
    let names: Vec<String> = phx_pkg::commands()
        .iter()
        .map(|c| c.get_name().to_string())
        .collect();
    let registered: Vec<&str> = phx_common::registry::shipped().collect();
    assert_eq!(names, registered);
    assert!(phx_pkg::command("phx-no-such-tool").is_none());
}
