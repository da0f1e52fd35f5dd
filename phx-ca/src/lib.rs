//! phx-ca: the internal CA and the TLS that hangs off it. Step-CA in the
//! guest with `step_ca`, its root exported to the shared volume and trusted by
//! the host and every guest with `trusted_ca`, and Traefik in the guest with
//! `traefik` serving every `traefik_service` with certificates from Step-CA
//! over ACME. Order in the plan: CA, root export, trust, Traefik.

pub mod cli;
pub mod stepca;
pub mod tool;
pub mod topology;
pub mod traefik;
pub mod trust;
pub mod yaml;

use phx_common::config::{Inventory, Problems};
use phx_plan::fsutil::{read_optional, under_root};
use phx_plan::Plan;
use std::path::Path;

pub const TOOL: &str = "phx-ca";

#[derive(Debug)]
pub struct Output {
    pub plan: Plan,
    pub topology: topology::Topology,
    /// Printed on stderr; the exit status is unaffected.
    pub warnings: Vec<String>,
}

/// The plan. `Err` holds every problem, and then nothing is planned.
pub fn build(inv: &Inventory) -> Result<Output, Problems> {
    let topo = topology::resolve(inv)?;
    let mut plan = Plan::new(TOOL);
    let ca = &inv.host.step_ca;
    stepca::plan(&mut plan, &topo, ca);
    trust::plan(&mut plan, &topo);
    traefik::plan(&mut plan, &topo, ca);
    Ok(Output {
        plan,
        warnings: topo.warnings.clone(),
        topology: topo,
    })
}

/// Every file Phoenix generates, at `/guests/<id>/<path in the guest>` and
/// `/host/<path>`. Copies of the root appear once it has been exported
/// (read under `state_root`): render cannot invent a certificate.
pub fn render(
    inv: &Inventory,
    topo: &topology::Topology,
    state_root: &Path,
) -> std::io::Result<Vec<(String, String)>> {
    let ca = &inv.host.step_ca;
    let mut out = Vec::new();
    let mut put = |id: u32, path: &str, content: String| {
        out.push((format!("/guests/{id}{path}"), content));
    };
    if let Some((ct, ip)) = topo.ca {
        for (p, c) in stepca::files(ca, ip) {
            put(ct, &p, c);
        }
    }
    let root = read_optional(&under_root(state_root, &topo.exported_root()))?;
    if let Some((ct, _)) = topo.traefik {
        for (p, c) in traefik::files(ca, &topo.routes) {
            put(ct, &p, c);
        }
        if let Some(r) = &root {
            put(ct, traefik::ROOT_CA, r.clone());
        }
    }
    if let Some(r) = &root {
        for g in &topo.trusting {
            put(g.id(), stepca::TRUST_PATH, r.clone());
        }
        out.push((format!("/host{}", stepca::TRUST_PATH), r.clone()));
    }
    out.sort();
    Ok(out)
}
