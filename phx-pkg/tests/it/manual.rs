//! The section-5 pages and phx-apply(1)'s safety section, rendered by the
//! real man-db and groff (installed by .ci/run): they must read as man
//! pages with their sections, and the configuration reference must list
//! exactly the keys the loader reads.

use assert_cmd::Command;
use std::path::Path;

/// What `man -l` makes of a page, as plain text.
fn rendered(page: &Path) -> String {
    let out = std::process::Command::new("man")
        .args(["-l", "-P", "cat"])
        .arg(page)
        // Wide enough that no paragraph wraps: no hyphenation, no justification.
        .env("MANWIDTH", "4000")
        .output()
        .expect("man (man-db, with groff-base) is installed: .ci/run installs both");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "man -l {}: {err}", page.display());
    // groff's warnings (an unknown macro, a bad escape) mean a broken page.
    assert!(
        err.trim().is_empty(),
        "man -l {} warned: {err}",
        page.display()
    );
    plain(&String::from_utf8(out.stdout).unwrap())
}

/// Without grotty's overstrikes (`X\x08X` bold, `_\x08X` underline).
fn plain(text: &str) -> String {
    let mut out: Vec<char> = Vec::new();
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
            continue;
        }
        out.push(c);
    }
    let text: String = out.into_iter().collect();
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

fn generate() -> tempfile::TempDir {
    let share = tempfile::tempdir().unwrap();
    Command::cargo_bin("phx-gen-docs")
        .unwrap()
        .arg("--out")
        .arg(share.path())
        .assert()
        .success();
    share
}

#[test]
fn section_5_pages_render_with_their_sections() {
    let share = generate();
    let config = rendered(&share.path().join("man/man5/phoenix-config.5"));
    for heading in [
        "PHOENIX-CONFIG(5)",
        "\nNAME\n",
        "\nDESCRIPTION\n",
        "\nWHAT THE TOOLS ACCEPT\n",
        "\nWHAT EACH TOOL PLANS\n",
        "\nEVERY KEY\n",
        "\nSEE ALSO\n",
    ] {
        assert!(
            config.contains(heading),
            "phoenix-config(5) has no {heading:?}:\n{config}"
        );
    }
    assert!(config.contains("lxc_configs.<id>.memory_mb"), "{config}");
    let plan = rendered(&share.path().join("man/man5/phoenix-plan.5"));
    for heading in [
        "PHOENIX-PLAN(5)",
        "\nSTEPS\n",
        "\nTRAILER AND CONCATENATION\n",
        "\nCHECK AND DIFF\n",
        "\nSEE ALSO\n",
    ] {
        assert!(
            plan.contains(heading),
            "phoenix-plan(5) has no {heading:?}:\n{plan}"
        );
    }
    // A table row: the kind as its tag, each field named.
    assert!(
        plan.contains("guest_json") && plan.contains("fields: ctid or vmid, path, set"),
        "{plan}"
    );
}

#[test]
fn phx_apply_page_carries_the_safety_model() {
    let share = generate();
    let page = rendered(&share.path().join("man/man1/phx-apply.1"));
    assert!(page.contains("\nSAFETY\n"), "{page}");
    assert!(
        page.contains("manifest.key") && page.contains("phoenix-cli confirm"),
        "{page}"
    );
    assert!(page.contains("phoenix-plan(5)"), "{page}");
}

#[test]
fn configuration_reference_lists_exactly_the_loaders_keys() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/configuration.md"
    ))
    .unwrap();
    let at = doc
        .find("## Every key\n")
        .expect("docs/configuration.md has \"## Every key\"");
    assert_eq!(
        &doc[at..],
        phx_pkg::keys::markdown(),
        "docs/configuration.md's key list is not the loader's: rewrite it from `phx-gen-docs --config-keys`"
    );
}
