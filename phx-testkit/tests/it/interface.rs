//! Every binary the workspace builds, run as a user would: `--version` names
//! the binary (not its crate), every `--help` (subcommands' too) describes
//! each option, argument and subcommand it lists, and its examples are shell
//! that parses (`bash -n`). phx-pkg's tests check the same definitions in
//! more depth (every example against the tool's parser); this one proves the
//! binaries print what those definitions say.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bins() -> PathBuf {
    // target/<profile>/deps/<this test> → target/<profile>, where the workspace's binaries are.
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .unwrap()
        .to_path_buf();
    for b in binaries() {
        assert!(
            dir.join(b).exists(),
            "{b} is not built in {}: run `cargo test --workspace`",
            dir.display()
        );
    }
    dir
}

fn run(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?}: {}",
        bin.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Entries of the Commands/Arguments/Options sections with no description:
/// an entry line (two to six spaces in) with nothing after its names on the
/// line, and no deeper-indented description line before the next entry
/// (a `[default: …]` alone is no description).
fn undescribed(help: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut in_list = false;
    let lines: Vec<&str> = help.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if ["Commands:", "Arguments:", "Options:"].contains(&line.trim_end()) {
            in_list = true;
            continue;
        }
        if !line.starts_with(' ') && !line.is_empty() {
            in_list = false;
        }
        let indent = line.len() - line.trim_start().len();
        if !in_list || line.trim().is_empty() || !(2..=6).contains(&indent) {
            continue;
        }
        // "  -h, --help  Print help": a description on the entry's own line.
        if line.trim().contains("  ") {
            continue;
        }
        let described = lines[i + 1..]
            .iter()
            .take_while(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > 6)
            .any(|l| !l.trim().is_empty() && !l.trim().starts_with('['));
        if !described {
            missing.push(line.trim().to_string());
        }
    }
    missing
}

fn examples(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Examples:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.len() - l.trim_start().len() == 2)
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|c| c != "help")
        .collect()
}

#[test]
fn every_binary_names_itself_in_its_version() {
    let dir = bins();
    for b in binaries() {
        assert_eq!(
            run(&dir.join(b), &["--version"]),
            format!("{b} {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn every_help_describes_what_it_lists_and_its_examples_parse() {
    let dir = bins();
    let mut checked = 0;
    for b in binaries() {
        let bin = dir.join(b);
        let top = run(&bin, &["--help"]);
        assert!(top.contains("\nExamples:\n"), "{b} --help has no examples");
        assert!(
            top.contains("\nExit status: "),
            "{b} --help has no exit status"
        );
        let mut helps = vec![(b.to_string(), top.clone())];
        for sub in subcommands(&top) {
            helps.push((format!("{b} {sub}"), run(&bin, &[&sub, "--help"])));
        }
        for (what, help) in helps {
            let missing = undescribed(&help);
            assert!(
                missing.is_empty(),
                "{what} --help: undescribed {missing:?}\n{help}"
            );
            for ex in examples(&help) {
                let st = Command::new("bash")
                    .args(["-n", "-c", &ex])
                    .status()
                    .unwrap();
                assert!(st.success(), "{what} --help: example is not shell: {ex}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 25, "only {checked} examples found");
}

#[test]
fn the_check_finds_an_undescribed_option() {
    let help = "Options:\n      --dport <DPORT>\n\n      --sport <SPORT>\n          [default: 1]\n\n      --proto <P>\n          tcp or udp\n";
    assert_eq!(undescribed(help), ["--dport <DPORT>", "--sport <SPORT>"]);
    let short = "Options:\n      --dport <DPORT>\n      --sport <SPORT>  Source port\n";
    assert_eq!(undescribed(short), ["--dport <DPORT>"]);
}

/// The shipped tools and the benchmark generator.
fn binaries() -> impl Iterator<Item = &'static str> {
    phx_testkit::shipped_tools().chain(["phx-synth"])
}
