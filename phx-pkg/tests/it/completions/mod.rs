//! The generated completions complete: each shell is asked what it offers
//! for a command line with the script loaded — bash through its completion
//! function (COMP_WORDS, COMPREPLY), fish with `complete -C`, zsh through
//! its line editor on a pseudo-terminal (zsh-offers.zsh) — and the answers
//! are checked, never the scripts' text, so a repair in phx-pkg's
//! complete.rs may become a no-op when clap_complete changes.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

mod guest_ids;

/// What bash's completion of `program` offers for `words` (the last one is
/// the word being completed), with the script at `script` loaded: the
/// function `complete -p` names is called as bash calls it on TAB (COMP_*
/// set, arguments: program, current word, previous word) and COMPREPLY is
/// printed one word a line.
fn bash_completes(script: &Path, program: &str, words: &[&str]) -> Vec<String> {
    let mut all = vec![program];
    all.extend_from_slice(words);
    let line = all.join(" ");
    let quoted: Vec<String> = all.iter().map(|w| format!("'{w}'")).collect();
    let driver = format!(
        r#"set -u
source "$1"
fn=$(complete -p {program} | sed -E 's/.*-F ([^ ]+).*/\1/')
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
"$fn" {program} "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}"
"#,
        words = quoted.join(" ")
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&driver)
        .arg("driver")
        .arg(script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{program} {words:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn generated_share() -> tempfile::TempDir {
    let share = tempfile::tempdir().unwrap();
    Command::cargo_bin("phx-gen-docs")
        .unwrap()
        .arg("--out")
        .arg(share.path())
        .assert()
        .success();
    share
}

fn bash_script(share: &Path, program: &str) -> PathBuf {
    share.join("bash-completion/completions").join(program)
}

fn has_all(got: &[String], want: &[&str], what: &str) {
    for w in want {
        assert!(got.iter().any(|g| g == w), "{what}: no {w} in {got:?}");
    }
}

/// The bash completions complete below the top level (clap-rs/clap#6421:
/// clap_complete's own script completes nothing after a subcommand when
/// the program's name has a hyphen, which all of Phoenix's have).
#[test]
fn bash_completes_flags_and_values_below_the_top_level() {
    let share = generated_share();
    let cli = bash_script(share.path(), "phoenix-cli");
    has_all(
        &bash_completes(&cli, "phoenix-cli", &[""]),
        &["setup", "LetsGo", "check", "--help"],
        "phoenix-cli ⇥",
    );
    has_all(
        &bash_completes(&cli, "phoenix-cli", &["check", ""]),
        &["--config-dir", "--color", "dns", "lxc", "setup"],
        "phoenix-cli check ⇥",
    );
    assert_eq!(
        bash_completes(&cli, "phoenix-cli", &["check", "--color", ""]),
        ["auto", "always", "never"],
        "phoenix-cli check --color ⇥"
    );
    let fw = bash_script(share.path(), "phx-fw");
    has_all(
        &bash_completes(&fw, "phx-fw", &["simulate", "--"]),
        &["--from", "--to", "--dport", "--config-dir"],
        "phx-fw simulate --⇥",
    );
    // A hyphen in the subcommand's name too.
    has_all(
        &bash_completes(
            &bash_script(share.path(), "phx-gpu"),
            "phx-gpu",
            &["driver-is", "--"],
        ),
        &["--help"],
        "phx-gpu driver-is --⇥",
    );
}

/// Every subcommand (but help) of every program, with its long options:
/// (program, subcommand, options).
fn every_subcommand_s_options() -> Vec<(String, String, Vec<String>)> {
    let mut all = Vec::new();
    for cmd in phx_pkg::commands() {
        let cmd = phx_pkg::complete::with_passed_programs(&cmd);
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let longs: Vec<String> = sub
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
                .collect();
            if !longs.is_empty() {
                all.push((
                    cmd.get_name().to_string(),
                    sub.get_name().to_string(),
                    longs,
                ));
            }
        }
    }
    assert!(all.len() > 20, "{all:?}");
    all
}

/// Every subcommand of every program completes its own long options.
#[test]
fn bash_completes_every_subcommand_s_options() {
    let share = generated_share();
    for (name, sub, longs) in every_subcommand_s_options() {
        let script = bash_script(share.path(), &name);
        let got = bash_completes(&script, &name, &[&sub, "--"]);
        let want: Vec<&str> = longs.iter().map(String::as_str).collect();
        has_all(&got, &want, &format!("{name} {sub} --⇥"));
    }
}

/// The same in fish and zsh.
#[test]
fn fish_and_zsh_complete_every_subcommand_s_options() {
    let test = "fish_and_zsh_complete_every_subcommand_s_options";
    let [fish, zsh] = ["fish", "zsh"].map(|shell| {
        let missing = phx_testkit::config::which(shell)
            .is_none()
            .then(|| shell.to_string());
        phx_testkit::real_component(test, shell, missing)
    });
    let share = generated_share();
    for (name, sub, longs) in every_subcommand_s_options() {
        let want: Vec<&str> = longs.iter().map(String::as_str).collect();
        let line = format!("{name} {sub} --");
        if fish {
            let script = share
                .path()
                .join(format!("fish/vendor_completions.d/{name}.fish"));
            let got = fish_completes(&script, &line);
            has_all(&got, &want, &format!("fish: {line}⇥"));
        }
        if zsh {
            let got = zsh_offers(share.path(), &line);
            has_all(&got, &want, &format!("zsh: {line}⇥"));
        }
    }
}

/// phoenix-cli's pass-through verbs complete the program's own options and
/// values, though phoenix-cli hands their words on unparsed.
#[test]
fn bash_completes_the_programs_behind_pass_through_verbs() {
    let share = generated_share();
    let cli = bash_script(share.path(), "phoenix-cli");
    has_all(
        &bash_completes(&cli, "phoenix-cli", &["verify", "--"]),
        &["--dns-server", "--skip", "--config-dir"],
        "phoenix-cli verify --⇥",
    );
    has_all(
        &bash_completes(&cli, "phoenix-cli", &["schema", "--"]),
        &["--out"],
        "phoenix-cli schema --⇥",
    );
    has_all(
        &bash_completes(&cli, "phoenix-cli", &["migrate", "--"]),
        &["--from-original"],
        "phoenix-cli migrate --⇥",
    );
}

/// What fish offers for `line` with the completion of its program loaded
/// (`complete -C`, fish's own "what would TAB offer"), without descriptions,
/// from an empty directory so no file name is among them.
fn fish_completes(script: &Path, line: &str) -> Vec<String> {
    let cwd = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("fish")
        .args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
        .arg(script)
        .arg(line)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fish on {line:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .collect()
}

/// The fish completions offer options and values below the top level,
/// subsystem names included (which clap_complete's fish script leaves out).
#[test]
fn fish_completes_flags_and_values_below_the_top_level() {
    let test = "fish_completes_flags_and_values_below_the_top_level";
    let missing = phx_testkit::config::which("fish")
        .is_none()
        .then(|| "fish".to_string());
    if !phx_testkit::real_component(test, "fish", missing) {
        return;
    }
    let share = generated_share();
    let fish = |program: &str| {
        share
            .path()
            .join(format!("fish/vendor_completions.d/{program}.fish"))
    };
    has_all(
        &fish_completes(&fish("phoenix-cli"), "phoenix-cli check "),
        &["dns", "lxc", "setup", "LetsGo"],
        "fish: phoenix-cli check ⇥",
    );
    has_all(
        &fish_completes(&fish("phoenix-cli"), "phoenix-cli check --"),
        &["--config-dir", "--color"],
        "fish: phoenix-cli check --⇥",
    );
    assert_eq!(
        fish_completes(&fish("phoenix-cli"), "phoenix-cli check --color "),
        ["always", "auto", "never"],
        "fish: phoenix-cli check --color ⇥"
    );
    has_all(
        &fish_completes(&fish("phoenix-cli"), "phoenix-cli verify --"),
        &["--dns-server", "--skip"],
        "fish: phoenix-cli verify --⇥",
    );
    has_all(
        &fish_completes(&fish("phx-fw"), "phx-fw simulate --"),
        &["--from", "--to", "--dport"],
        "fish: phx-fw simulate --⇥",
    );
}

/// What zsh offers for `line` with the completion functions of `share`
/// (zsh-offers.zsh), from an empty directory so no file name is among them.
fn zsh_offers(share: &Path, line: &str) -> Vec<String> {
    let cwd = tempfile::tempdir().unwrap();
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/completions/zsh-offers.zsh");
    let out = std::process::Command::new("zsh")
        .arg("-f")
        .arg(driver)
        .arg(share.join("zsh/vendor-completions"))
        .arg(line)
        .current_dir(cwd.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "zsh on {line:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// The zsh completions offer options and values below the top level, for
/// the planners too (whose optional FILES clap_complete lists before the
/// subcommand, so zsh took `simulate` for a file).
#[test]
fn zsh_completes_flags_and_values_below_the_top_level() {
    let test = "zsh_completes_flags_and_values_below_the_top_level";
    let missing = phx_testkit::config::which("zsh")
        .is_none()
        .then(|| "zsh".to_string());
    if !phx_testkit::real_component(test, "zsh", missing) {
        return;
    }
    let share = generated_share();
    let share = share.path();
    has_all(
        &zsh_offers(share, "phoenix-cli check "),
        &["dns", "lxc", "setup", "LetsGo"],
        "zsh: phoenix-cli check ⇥",
    );
    assert_eq!(
        zsh_offers(share, "phoenix-cli check --color "),
        ["auto", "always", "never"],
        "zsh: phoenix-cli check --color ⇥"
    );
    has_all(
        &zsh_offers(share, "phoenix-cli verify --"),
        &["--dns-server", "--skip"],
        "zsh: phoenix-cli verify --⇥",
    );
    let fw = zsh_offers(share, "phx-fw simulate --");
    has_all(
        &fw,
        &["--from", "--to", "--dport"],
        "zsh: phx-fw simulate --⇥",
    );
    assert!(
        !fw.iter().any(|w| w == "--allow-lockout"),
        "zsh: phx-fw simulate --⇥ offers phx-fw's own options: {fw:?}"
    );
    has_all(
        &zsh_offers(share, "phx-fw "),
        &["plan", "simulate", "flows"],
        "zsh: phx-fw ⇥",
    );
}
