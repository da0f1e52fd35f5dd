//! What Phoenix refuses in the original's HEAD files, and why each is
//! dropped rather than carried: the change is listed like an addition.

use crate::hardcoded::Change;
use crate::routes::GuestAt;
use serde_json::Value;

/// `step_cli` (HEAD) installs the step CLI from Smallstep's apt repository
/// (phoenix_hypervisor_feature_install_step_cli.sh:66); Phoenix has no such
/// feature — a guest that must trust the CA says `trusted_ca`.
pub fn drop_step_cli(guests: &mut [GuestAt], changes: &mut Vec<Change>) {
    for g in guests.iter_mut() {
        let Some(features) = g.guest.get_mut("features").and_then(Value::as_array_mut) else {
            continue;
        };
        let Some(i) = features.iter().position(|f| f == "step_cli") else {
            continue;
        };
        features.remove(i);
        changes.push(Change {
            at: format!("{}.features[{i}]", g.at),
            what: "removed \"step_cli\" (Phoenix has no such feature; trusted_ca installs the CA's root)".into(),
            source: "lxc_setup/phoenix_hypervisor_feature_install_step_cli.sh:66 at 0385ea2: apt-get install step-cli".into(),
        });
    }
}
