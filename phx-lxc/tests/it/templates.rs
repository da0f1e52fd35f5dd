//! A container template missing on a fresh node is planned (`pct create`
//! with its volume ID) with a note naming phx-storage, which fetches it
//! (phx_common::fetch); once it is there the note is gone.

use crate::common::*;
use phx_lxc::Options;

const TEMPLATE: &str =
    "/fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst";

fn note() -> String {
    format!("template {TEMPLATE} (CT 900) is not on the host yet: phx-storage (`phoenix-cli setup storage`, run before the guests) fetches it (pveam download fastData-shared-iso ubuntu-24.04-standard_24.04-2_amd64.tar.zst)")
}

#[test]
fn a_missing_template_is_noted_with_who_fetches_it() {
    let inv = load_dir(&upstream_dir());
    let root = tempfile::tempdir().unwrap();
    let planned = plan(&inv, root.path(), Options::default());
    assert!(planned.notes.contains(&note()), "{:?}", planned.notes);
    assert!(
        planned.plan.steps.iter().any(|s| serde_json::to_string(s)
            .unwrap()
            .contains("fastData-shared-iso:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst")),
        "CT 900 is created from it"
    );
    let at = root.path().join(&TEMPLATE[1..]);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(&at, b"template").unwrap();
    let planned = plan(&inv, root.path(), Options::default());
    assert!(
        !planned
            .notes
            .iter()
            .any(|n| n.contains("not on the host yet")),
        "{:?}",
        planned.notes
    );
}
