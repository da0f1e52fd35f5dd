//! scripts/phoenix-cli on a checkout builds the workspace when it must, and
//! the build is visible: cargo's own progress passes through (no --quiet),
//! the first line says how long a first build takes, the last how long this
//! one took. A `cargo` stand-in on PATH records its arguments and "builds"
//! two scripts, so no real build runs.

use std::path::Path;
use std::process::Command;

const FAKE_CARGO: &str = r#"#!/bin/sh
echo "$@" >"$FAKE_CARGO_ARGS"
echo "   Compiling phx-fake v0.0.0 (stand-in)" >&2
mkdir -p target/release
for b in phoenix-cli phx-apply; do
    printf '#!/bin/sh\necho "%s ran: $*"\n' "$b" >target/release/$b
    chmod +x target/release/$b
done
"#;

fn run(tree: &Path, args_file: &Path) -> std::process::Output {
    let path = format!(
        "{}:{}",
        tree.join("bin").display(),
        std::env::var("PATH").unwrap()
    );
    Command::new("bash")
        .arg(tree.join("scripts/phoenix-cli"))
        .arg("--version")
        .env("PATH", path)
        .env("FAKE_CARGO_ARGS", args_file)
        .env_remove("PHX_BIN_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap()
}

#[test]
fn the_checkout_shim_shows_cargo_s_progress_and_the_build_s_time() {
    let tree = tempfile::tempdir().unwrap();
    let t = tree.path();
    for d in ["scripts", "bin", "phoenix-cli"] {
        std::fs::create_dir(t.join(d)).unwrap();
    }
    std::fs::write(t.join("Cargo.toml"), "").unwrap();
    let shim = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/phoenix-cli");
    std::fs::copy(&shim, t.join("scripts/phoenix-cli")).unwrap();
    std::fs::write(t.join("bin/cargo"), FAKE_CARGO).unwrap();
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(t.join("bin/cargo"))
        .status()
        .unwrap();
    let args_file = t.join("cargo-args");

    let first = run(t, &args_file);
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(first.status.success(), "{err}");
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "phoenix-cli ran: --version\n"
    );
    let args = std::fs::read_to_string(&args_file).unwrap();
    assert!(args.contains("build --release --bins"), "{args}");
    assert!(!args.contains("--quiet"), "cargo is kept quiet: {args}");
    assert!(
        err.contains("Compiling phx-fake"),
        "cargo's output is hidden:\n{err}"
    );
    assert!(
        err.contains("is not built;") && err.contains("the first build takes"),
        "no word on how long a first build takes:\n{err}"
    );
    assert!(
        err.lines()
            .any(|l| l.starts_with("phoenix-cli: built in ") && l.ends_with(" s")),
        "no build time:\n{err}"
    );

    // Built and nothing newer: no build, no word about one.
    std::fs::remove_file(&args_file).unwrap();
    let second = run(t, &args_file);
    assert!(second.status.success());
    assert!(
        second.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    assert!(!args_file.exists(), "cargo ran again");
}
