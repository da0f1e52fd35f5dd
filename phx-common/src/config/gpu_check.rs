//! The NVIDIA settings a container resolves to (`Inventory::nvidia_for`:
//! its own keys, else the LXC file's, else the hypervisor's) must agree
//! with themselves: a runfile named for one driver version installs that
//! version, and the `nvidia` guard, which asks for the configured one,
//! would then never hold, so every run would install it again. The keys
//! of one level are checked as they are read (parse::nvidia); this is the
//! case of keys from different levels.

use super::model::Inventory;
use super::problems::Problems;

pub fn check(inv: &Inventory, p: &mut Problems) {
    for c in inv.lxcs.values().filter(|c| c.has_feature("nvidia")) {
        let g = inv.nvidia_for(c);
        let (Some(version), Some(url)) = (g.version, g.runfile_url) else {
            continue;
        };
        let Some(named) = crate::gpu::runfile_version(url).filter(|n| *n != version) else {
            continue;
        };
        // Blame the key the container gave itself, else the LXC file's.
        let (file, at) = if c.nvidia.runfile_url.is_some() {
            (&inv.sources.lxc, format!("{}.nvidia_runfile_url", c.path))
        } else if inv.nvidia_defaults.runfile_url.is_some() {
            (&inv.sources.lxc, "nvidia_runfile_url".to_string())
        } else {
            (
                &inv.sources.hypervisor,
                "nvidia_driver.runfile_url".to_string(),
            )
        };
        p.push(
            file,
            &at,
            format!("{url:?}"),
            format!(
                "the runfile of CT {}'s driver version {version} (this one is named for {named}: the installer would put {named} in, and the nvidia guard, asking for {version}, would never hold)",
                c.id
            ),
        );
    }
}
