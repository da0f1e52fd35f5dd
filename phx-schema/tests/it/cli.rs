//! `phx-schema` and `phoenix-cli schema` print the schemas the library
//! builds; `--out` writes all three.

use phx_schema::File;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

const BIN: &str = env!("CARGO_BIN_EXE_phx-schema");

#[test]
fn phoenix_cli_schema_prints_each_file_s_schema() {
    let bins = Path::new(BIN).parent().unwrap();
    assert!(
        bins.join("phoenix-cli").exists(),
        "phoenix-cli is not built in {}: run `cargo test --workspace`",
        bins.display()
    );
    for f in File::ALL {
        for name in [f.short(), f.config_name()] {
            let out = Command::new("bash")
                .arg(repo("scripts/phoenix-cli"))
                .args(["schema", name])
                .env("PHX_BIN_DIR", bins)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8(out.stdout).unwrap(),
                phx_schema::text(f),
                "{name}"
            );
        }
    }
}

#[test]
fn out_writes_the_three_schemas() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("share/schemas");
    let st = Command::new(BIN)
        .arg("--out")
        .arg(&target)
        .status()
        .unwrap();
    assert!(st.success());
    let mut names: Vec<_> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "phoenix_hypervisor_config.schema.json",
            "phoenix_lxc_configs.schema.json",
            "phoenix_vm_configs.schema.json"
        ]
    );
    for f in File::ALL {
        let written = std::fs::read_to_string(target.join(f.schema_name())).unwrap();
        assert_eq!(written, phx_schema::text(f));
        let v: serde_json::Value = serde_json::from_str(&written).unwrap();
        assert_eq!(v["title"], f.config_name());
    }
}

#[test]
fn an_unknown_file_is_a_usage_error() {
    let out = Command::new(BIN).arg("firewall").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("expected hypervisor, lxc or vm"), "{err}");
}

/// No FILE (and no --out): the three files are listed, exit 0, for
/// phx-schema and `phoenix-cli schema` alike.
#[test]
fn no_file_lists_the_three() {
    let bins = Path::new(BIN).parent().unwrap();
    let direct = Command::new(BIN).output().unwrap();
    let via_cli = Command::new("bash")
        .arg(repo("scripts/phoenix-cli"))
        .arg("schema")
        .env("PHX_BIN_DIR", bins)
        .output()
        .unwrap();
    for out in [direct, via_cli] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        for f in File::ALL {
            assert!(
                text.lines()
                    .any(|l| l.split_whitespace().collect::<Vec<_>>()
                        == [f.short(), f.config_name()]),
                "no line `{} {}` in:\n{text}",
                f.short(),
                f.config_name()
            );
        }
        assert!(text.contains("--out DIR"), "{text}");
    }
}
