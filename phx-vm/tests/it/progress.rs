//! phx-vm and phx-lxc say what they planned in one format, written by the
//! tool contract's shared main (phx_common::tool): a timed line per guest
//! that changes, then one closing line with counts and where the time went.

use crate::common::*;

/// stderr of `BINARY --config-dir examples/etc --state-root (a fresh node)`.
fn said(binary: &str) -> Vec<String> {
    let root = tempfile::tempdir().unwrap();
    let ws = workspace();
    std::process::Command::new("cp")
        .arg("-rT")
        .arg(ws.join("examples/state"))
        .arg(root.path())
        .status()
        .unwrap();
    prepare_host(&ws.join("examples/etc"), root.path());
    let out = std::process::Command::new(bin_dir().join(binary))
        .arg("--config-dir")
        .arg(ws.join("examples/etc"))
        .arg("--state-root")
        .arg(root.path())
        .env("PATH", doubles())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stderr)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

/// A line's shape: its numbers and times replaced by `#`.
fn shape(line: &str) -> String {
    let mut out = String::new();
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() || (in_number && c == '.') {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

#[test]
fn vm_and_lxc_report_progress_and_totals_alike() {
    for (binary, noun, program) in [("phx-vm", "VM", "qm"), ("phx-lxc", "container", "pct")] {
        let lines = said(binary);
        let (last, progress) = lines.split_last().unwrap();
        assert_eq!(
            shape(last),
            format!("{binary}: # {noun}(s), # existing, # running, # to change, # step(s); # {program} call(s) while planning; #s (load #s, observe #s, plan #s)"),
            "{last}"
        );
        let guests: Vec<&String> = progress.iter().filter(|l| l.contains("] ")).collect();
        assert!(!guests.is_empty(), "{lines:?}");
        for line in guests {
            let s = shape(line);
            assert!(
                s.starts_with(&format!("{binary}: [#/#] ")) && s.ends_with(" (#s)"),
                "{line}"
            );
        }
    }
}
