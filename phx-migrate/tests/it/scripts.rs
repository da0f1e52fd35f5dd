//! The original's application scripts (`${PHOENIX_BASE_DIR}/bin/NAME`,
//! beside its etc) carried over into OUT/scripts/, where phx-features looks
//! for them; the ones not there are named; an OUT script with other content
//! is never overwritten.

use crate::cli::migrate;
use phx_testkit::upstream_dir;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const SCRIPT: &str = "#!/bin/sh\necho nginx\n";

/// A checkout of the original: usr/local/phoenix_hypervisor/{etc,bin}.
fn checkout() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    let base = t.path().join("usr/local/phoenix_hypervisor");
    std::fs::create_dir_all(base.join("etc")).unwrap();
    std::fs::create_dir_all(base.join("bin")).unwrap();
    for f in [
        "phoenix_hypervisor_config.json",
        "phoenix_lxc_configs.json",
        "phoenix_vm_configs.json",
    ] {
        std::fs::copy(upstream_dir().join(f), base.join("etc").join(f)).unwrap();
    }
    std::fs::write(base.join("bin/phoenix_hypervisor_lxc_101.sh"), SCRIPT).unwrap();
    t
}

fn script(out: &Path) -> std::path::PathBuf {
    out.join("scripts/phoenix_hypervisor_lxc_101.sh")
}

#[test]
fn a_script_the_original_kept_is_carried_over_and_a_missing_one_is_named() {
    let from = checkout();
    let out = tempfile::tempdir().unwrap();
    let r = migrate(from.path(), out.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let at = script(out.path());
    assert_eq!(std::fs::read_to_string(&at).unwrap(), SCRIPT);
    let mode = std::fs::metadata(&at).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode & 0o100, 0o100, "executable: {mode:o}");
    assert!(
        r.stderr.contains(&format!("{}: written", at.display())),
        "{}",
        r.stderr
    );
    // The vLLM script three templates name is not in this checkout.
    let missing = "warning: phoenix_lxc_configs.json: application_script \"phoenix_hypervisor_lxc_vllm.sh\" (CT 801, CT 802, CT 910, CT 911, CT 912): not found at";
    assert!(r.stderr.contains(missing), "{}", r.stderr);
    assert!(r
        .stderr
        .contains("LetsGo refuses a container whose script is missing"));

    // Again: identical, left alone.
    let again = migrate(from.path(), out.path());
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again
        .stderr
        .contains(&format!("{}: identical, left alone", at.display())));

    // An operator's own version in OUT is never overwritten: exit 2, nothing written.
    std::fs::write(&at, "#!/bin/sh\necho mine\n").unwrap();
    std::fs::remove_file(out.path().join("phoenix_vm_configs.json")).unwrap();
    let refused = migrate(from.path(), out.path());
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("exists with other content"));
    assert_eq!(
        std::fs::read_to_string(&at).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
    assert!(!out.path().join("phoenix_vm_configs.json").exists());
}
