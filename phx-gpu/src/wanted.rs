//! What the JSON asks of phx-gpu, taken out of the inventory once.

use phx_common::Inventory;

/// `nvidia_driver` with `install: true` (the loader has checked that
/// `version` and `runfile_url` are given then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Driver {
    pub version: String,
    pub runfile_url: String,
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// `None`: `nvidia_driver` absent or `install` not true.
    pub driver: Option<Driver>,
    /// The hypervisor file, for messages.
    pub source: String,
    /// The containers with a `gpu_assignment` (`CT 901 (name)`), in ID order.
    pub gpu_guests: Vec<String>,
    /// The same containers' highest GPU index: the node must have that many
    /// NVIDIA GPUs and one more.
    pub highest_gpu: Vec<(String, u32)>,
}

impl Wanted {
    pub fn of(inv: &Inventory) -> Wanted {
        let driver = driver_of(inv);
        let gpu_guests = inv
            .lxcs
            .iter()
            .filter(|(_, c)| !c.gpus.is_empty())
            .map(|(id, c)| format!("CT {id} ({})", c.name))
            .collect();
        let highest_gpu = inv
            .lxcs
            .iter()
            .filter_map(|(id, c)| Some((format!("CT {id} ({})", c.name), *c.gpus.iter().max()?)))
            .collect();
        Wanted {
            driver,
            source: inv.sources.hypervisor.clone(),
            gpu_guests,
            highest_gpu,
        }
    }
}

/// `nvidia_driver` with `install: true`, as a [`Driver`] (the loader has
/// refused `install: true` without `version` or `runfile_url`, exit 2).
fn driver_of(inv: &Inventory) -> Option<Driver> {
    let d = inv.host.nvidia_driver.as_ref().filter(|d| d.install)?;
    Some(Driver {
        version: d.version.clone()?,
        runfile_url: d.runfile_url.clone()?,
        sha256: d.runfile_sha256.clone(),
    })
}
