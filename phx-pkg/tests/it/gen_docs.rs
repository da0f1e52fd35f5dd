//! phx-gen-docs writes a man page and three completions for every program
//! the package ships, laid out as under /usr/share, with the content of the
//! clap definitions (options, subcommands) in them.

use assert_cmd::Command;

#[test]
fn every_program_gets_a_man_page_and_completions() {
    let share = tempfile::tempdir().unwrap();
    Command::cargo_bin("phx-gen-docs")
        .unwrap()
        .arg("--out")
        .arg(share.path())
        .assert()
        .success();
    let programs = Command::cargo_bin("phx-gen-docs")
        .unwrap()
        .arg("--programs")
        .output()
        .unwrap();
    let programs = String::from_utf8(programs.stdout).unwrap();
    assert!(programs.lines().count() >= 9, "{programs}");
    for name in programs.lines() {
        let man = std::fs::read_to_string(share.path().join(format!("man/man1/{name}.1")))
            .unwrap_or_else(|e| panic!("{name}.1: {e}"));
        assert!(man.starts_with(".ie"), "{name}.1 is not roff:\n{man}");
        assert!(
            man.contains(&format!(".TH {name} 1")),
            "{name}.1 has no section-1 title"
        );
        assert!(man.contains(".SH OPTIONS"), "{name}.1 lists no options");
        for rel in [
            format!("bash-completion/completions/{name}"),
            format!("zsh/vendor-completions/_{name}"),
            format!("fish/vendor_completions.d/{name}.fish"),
        ] {
            let text = std::fs::read_to_string(share.path().join(&rel))
                .unwrap_or_else(|e| panic!("{rel}: {e}"));
            assert!(text.contains(name), "{rel} does not name {name}");
        }
        let st = std::process::Command::new("bash")
            .arg("-n")
            .arg(
                share
                    .path()
                    .join(format!("bash-completion/completions/{name}")),
            )
            .status()
            .unwrap();
        assert!(st.success(), "{name}'s bash completion does not parse");
    }
    // What the tools define is what the pages say.
    let fw = std::fs::read_to_string(share.path().join("man/man1/phx-fw.1")).unwrap();
    assert!(fw.contains("allow\\-lockout") && fw.contains("phx\\-fw\\-simulate(1)"));
    assert!(fw.contains("\n.SH EXAMPLES\n") && !fw.contains(".SH EXTRA"));
    let sim = std::fs::read_to_string(share.path().join("man/man1/phx-fw-simulate.1")).unwrap();
    assert!(sim.contains("exit\\-status"));
    let cli = std::fs::read_to_string(share.path().join("bash-completion/completions/phoenix-cli"))
        .unwrap();
    assert!(cli.contains("LetsGo") && cli.contains("--allow-lockout"));
}
