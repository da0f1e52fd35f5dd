//! A validator that is not run (under --root without --run-commands) is
//! shown as it would run: the root and the staged file filled in, or the
//! step's own words (FileStep.validate_desc).

use phx_apply::{apply, Options};
use phx_plan::*;

use crate::common::{opts, step};

#[test]
fn a_validator_not_run_under_root_is_shown_as_it_would_run() {
    let root = tempfile::tempdir().unwrap();
    let file = |validate_desc: Option<&str>| {
        step(
            "f",
            Action::File(FileStep {
                path: "/etc/f.conf".into(),
                content: "x\n".into(),
                validate: Some(argv(&["checker", "-d", "%r/etc", "--file=%s"])),
                validate_desc: validate_desc.map(String::from),
                ..Default::default()
            }),
        )
    };
    let o = Options {
        run_commands: false,
        ..opts(root.path())
    };
    let r = apply(&[file(None)], &o).unwrap();
    let detail = &r.outcomes[0].detail;
    let prefix = root.path().to_string_lossy();
    assert!(
        detail.contains(&format!(
            "not validated under --root without --run-commands: checker -d {prefix}/etc '--file=<new /etc/f.conf>'"
        )),
        "{detail}"
    );
    assert!(!detail.contains("%r") && !detail.contains("%s"), "{detail}");
    // In the step's words when it has them.
    let root = tempfile::tempdir().unwrap();
    let o = Options {
        run_commands: false,
        ..opts(root.path())
    };
    let r = apply(&[file(Some("checker: f.conf among /etc"))], &o).unwrap();
    let detail = &r.outcomes[0].detail;
    assert!(
        detail.contains(
            "not validated under --root without --run-commands: checker: f.conf among /etc"
        ),
        "{detail}"
    );
    assert!(!detail.contains("--file="), "{detail}");
}
