//! Every planner of a run planned in phoenix-cli's own process, on the one
//! inventory load_once read (docs/tools.md, "One load per run"): at 10,000
//! guests each planner's own load of the same 22 MB was most of its time.
//! Each planner still gets its own command line, parsed by its own parser,
//! through the tool contract (phx_common::tool::plan_loaded), so its plan
//! is the bytes its binary prints; the binaries stay for running alone.
//! The planners run side by side on the cores phx_plan::par allows.

use crate::bins::Bins;
use phx_common::config::Rules;
use phx_common::registry::Planner;
use phx_common::tool::{library as library_of, Library, Outcome};
use phx_common::Inventory;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Each planner's library, by its binary's name (the registry's).
pub(super) fn library(binary: &str) -> Option<Library> {
    Some(match binary {
        "phx-net" => library_of::<phx_net::tool::Net>(),
        "phx-storage" => library_of::<phx_storage::tool::Storage>(),
        "phx-dns" => library_of::<phx_dns::tool::Dns>(),
        "phx-fw" => library_of::<phx_fw::tool::Fw>(),
        "phx-gpu" => library_of::<phx_gpu::tool::Gpu>(),
        "phx-lxc" => library_of::<phx_lxc::tool::Lxc>(),
        "phx-vm" => library_of::<phx_vm::tool::Vm>(),
        "phx-features" => library_of::<phx_features::tool::Features>(),
        "phx-ca" => library_of::<phx_ca::tool::Ca>(),
        _ => return None,
    })
}

/// `Keep` when one of `planners` plans from the firewall rules.
pub(super) fn rules_for(planners: &[&Planner]) -> Rules {
    let keep = planners
        .iter()
        .filter_map(|p| library(p.binary))
        .any(|l| l.rules == Rules::Keep);
    if keep {
        Rules::Keep
    } else {
        Rules::CheckOnly
    }
}

/// One planner's part of a run: its plan file and its command line (its
/// binary's name first).
pub(super) struct Job<'p> {
    pub planner: &'p Planner,
    pub plan: PathBuf,
    pub argv: Vec<OsString>,
}

/// The plans of `jobs`, each into its file, in their order: the outcomes,
/// or the first job whose file cannot be made.
pub(super) fn plan_each(
    bins: &Bins,
    inv: &Inventory,
    loaded: Duration,
    jobs: &[Job],
) -> Result<Vec<Outcome>, String> {
    name_programs(bins);
    let files = jobs
        .iter()
        .map(|j| std::fs::File::create(&j.plan).map_err(|e| format!("{}: {e}", j.plan.display())))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(phx_plan::par::spread(
        jobs.iter().zip(files).collect(),
        |(job, file)| {
            let out = Box::new(std::io::BufWriter::with_capacity(1 << 16, file));
            match library(job.planner.binary) {
                // A planner that panics ends as its binary would (exit
                // 101), said under its name; the others' plans stay.
                Some(lib) => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    (lib.plan)(inv, &job.argv, out, loaded)
                }))
                .unwrap_or_else(|panic| Outcome {
                    code: 101,
                    said: format!(
                        "{}: panicked: {}\n",
                        job.planner.binary,
                        panic_text(&*panic)
                    )
                    .into_bytes(),
                }),
                None => Outcome {
                    code: phx_plan::exit::EXIT_FAILED,
                    said: format!(
                        "phoenix-cli: {} has no library to plan with\n",
                        job.planner.binary
                    )
                    .into_bytes(),
                },
            }
        },
    ))
}

/// What a panic said, when it said text.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// The planners' guards call their own programs back (phx-dns, phx-gpu):
/// those are the binaries phoenix-cli would have run, by the path the
/// binary would have found for itself.
fn name_programs(bins: &Bins) {
    let programs = phx_common::registry::PLANNERS
        .iter()
        .filter_map(|p| Some((p.binary.to_string(), bins.path(p.binary)?)))
        .collect();
    phx_common::tool::set_programs(programs);
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_planner_of_the_registry_has_its_library() {
        for p in phx_common::registry::PLANNERS {
            assert!(super::library(p.binary).is_some(), "{}", p.binary);
        }
    }
}
