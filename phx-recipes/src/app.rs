//! `application_script`: the operator's script for one container, from
//! `<config-dir>/scripts/<name>`, pushed into the guest and run once per
//! content. Its SHA-256 is kept beside it in the guest: the guard compares
//! it, so an unchanged script never runs twice and a changed one runs again.
//! The script's text is in the plan, as every file Phoenix writes is (a
//! host path read at apply time would be confined under `--root`): keep
//! secrets out of it and have it read them inside the guest.

use phx_common::config::{Inventory, Lxc, Problems};
use phx_plan::StepSink;
use phx_plan::{argv, Action, CommandStep, Guest, GuestCommandStep, GuestFileStep};
use std::path::{Path, PathBuf};

/// Where scripts go inside the guest.
pub const GUEST_DIR: &str = "/var/lib/phoenix/scripts";

/// A script found, ready to plan.
#[derive(Debug, Clone)]
pub struct Script {
    pub name: String,
    pub text: String,
    pub sha256: String,
}

/// `<config-dir>/scripts`: beside the LXC file (the loader's source).
pub fn scripts_dir(inv: &Inventory) -> Option<PathBuf> {
    let lxc = Path::new(&inv.sources.lxc);
    let dir = lxc.parent()?;
    lxc.is_file().then(|| dir.join("scripts"))
}

/// The original's application scripts whose work a recipe now does: the
/// feature, the script's name, and what the recipe does instead.
const SUPERSEDED: [(&str, &str, &str); 2] = [
    (
        "vllm",
        crate::vllm::RUNNER,
        "writes and starts vllm_model_server.service from vllm_engine_config",
    ),
    // bin/phoenix_hypervisor_lxc_955.sh (SirHeads/Testing-ideas c6672e0):
    // put ollama on PATH and wrote its own ollama.service with
    // OLLAMA_HOST=0.0.0.0:11434, enabled and started.
    (
        "ollama",
        "phoenix_hypervisor_lxc_955.sh",
        "installs Ollama, sets OLLAMA_HOST from ports and enables and starts ollama.service",
    ),
];

/// The container's script, read now for its digest. A missing or
/// unreadable one is a problem; a guest phx-ca provisions gets a note instead.
pub fn resolve(
    inv: &Inventory,
    c: &Lxc,
    p: &mut Problems,
    (notes, warnings): (&mut Vec<String>, &mut Vec<String>),
) -> Option<Script> {
    let name = c.application_script.as_ref()?;
    let at = format!("{}.application_script", c.path);
    if let Some(f) = ["step_ca", "traefik"].iter().find(|f| c.has_feature(f)) {
        notes.push(format!(
            "{}: {at}: CT {}'s {name:?} is not run: phx-ca provisions its {f} (the original's script did that work)",
            inv.sources.lxc, c.id
        ));
        return None;
    }
    if let Some((feature, did)) = SUPERSEDED
        .iter()
        .find(|(f, script, _)| c.has_feature(f) && name == script)
        .map(|(f, _, did)| (f, did))
    {
        // Run beside the recipe, such a script would rewrite the recipe's
        // service every run (never converging) or, failing, stop the run,
        // for nothing the recipe does not do.
        warnings.push(format!(
            "{}: {at}: CT {}'s {name:?} is not run: the {feature:?} feature {did} (the original's script did that work)",
            inv.sources.lxc, c.id
        ));
        return None;
    }
    let Some(dir) = scripts_dir(inv) else {
        p.push(
            &inv.sources.lxc,
            &at,
            format!("{name:?}"),
            "configuration read from a directory (--config-dir): scripts are looked up in <config-dir>/scripts/",
        );
        return None;
    };
    let host = dir.join(name);
    match std::fs::read_to_string(&host) {
        Ok(text) => Some(Script {
            name: name.clone(),
            sha256: phx_plan::sha256::hex(text.as_bytes()),
            text,
        }),
        Err(e) => {
            p.push(
                &inv.sources.lxc,
                &at,
                format!("{name:?}"),
                format!("a script at {} ({e})", host.display()),
            );
            None
        }
    }
}

/// The script pushed (mode 0755), then run unless the kept digest is this
/// content's; the digest is written only after the script succeeded.
pub fn plan(plan: &mut impl StepSink, prefix: &str, ct: Guest, s: &Script) {
    let path = format!("{GUEST_DIR}/{}", s.name);
    let marker = format!("{path}.sha256");
    plan.push(
        format!("{prefix}-push"),
        Action::GuestFile(GuestFileStep {
            guest: ct,
            path: path.clone(),
            content: Some(s.text.clone()),
            mode: Some("0755".into()),
            owner: Some("root".into()),
            group: Some("root".into()),
            ..Default::default()
        }),
    );
    let mut run = argv(&[
        "sh",
        "-c",
        r#""$1" && printf '%s\n' "$2" > "$3""#,
        "phx-application-script",
    ]);
    run.extend([path.clone(), s.sha256.clone(), marker.clone()]);
    let mut done = argv(&[
        "sh",
        "-c",
        r#"[ "$(cat -- "$2" 2>/dev/null)" = "$1" ]"#,
        "phx-application-script-ran",
    ]);
    done.extend([s.sha256.clone(), marker]);
    // Its output is the operator's to read: the outcome shows it.
    plan.push(
        format!("{prefix}-run"),
        Action::GuestCommand(GuestCommandStep {
            guest: ct,
            command: CommandStep {
                argv: run,
                unless: Some(done),
                only_if: None,
                desc: format!(
                    "run the application script {} (sha256 {})",
                    s.name,
                    &s.sha256[..12]
                ),
                notify: Vec::new(),
                show_output: true,
                timeout_s: None,
            },
        }),
    );
}
