//! `vllm` in a container: a Python venv at /opt/vllm, vLLM in it at the
//! version the original pinned, and `vllm_model_server.service` whose
//! command line is the entry's `vllm_engine_config`. The original split
//! this in two: phoenix_hypervisor_feature_install_vllm.sh made the venv
//! and ran `pip install vllm==0.10.2`, and the application script
//! phoenix_hypervisor_lxc_vllm.sh turned the engine config into the unit
//! (every key of every section a flag, `true` bare, `false`/null left out,
//! a list the flag repeated) and ran `systemctl enable --now`. Here both
//! are one recipe: the unit is a file step, so a changed engine config
//! rewrites it and restarts this service alone, and an unchanged one
//! touches nothing.
//!
//! The command line follows vLLM 0.10.2's parser, not the runner's loop,
//! which lost a `false` for vLLM's default-on booleans and all but a list's
//! last item ([`crate::vllm_flags`] has the rules): a bool field is
//! `argparse.BooleanOptionalAction` (vllm/engine/arg_utils.py:203-205), so
//! `false` is `--no-<flag>`; a list field is `nargs="+"` (:215-226), so a
//! list is the flag once then its items; the server's `--allowed-origins`
//! & co. take one JSON word (vllm/entrypoints/openai/cli_args.py:194-199)
//! and `--middleware` is repeated (:206-211); the store_true-only flags
//! (arg_utils.py:551-556, :730-733, :782-784, :913-915; cli_args.py:242-246)
//! default to False, so their `false` is left out; `--hf-token`'s `false`
//! cannot be said (arg_utils.py:561-566) and is refused; null is left out
//! with a warning (vLLM's own default applies).
//!
//! A golden template (910–912) gets the venv and vLLM but no unit: its
//! snapshot is every clone's image, and a unit enabled there would start in
//! each clone with the template's model, on the clone's GPUs, before the
//! clone's own unit replaced it. Clones (801, 802) write, enable and start
//! their own.

use crate::subject::Subject;
use phx_common::config::{ArgValue, Inventory, Lxc, Problems};
use phx_plan::guest_steps::{self as guest, Service};
use phx_plan::{argv, Guest, StepSink};

pub const VENV: &str = "/opt/vllm";
pub const PYTHON: &str = "/opt/vllm/bin/python";
pub const PIP: &str = "/opt/vllm/bin/pip";
pub const UNIT: &str = "vllm_model_server";
/// The version the original installed (`pip install vllm==0.10.2` in
/// phoenix_hypervisor_feature_install_vllm.sh, at 260ca13 and HEAD); the
/// JSON has no key for it.
pub const VERSION: &str = "0.10.2";
/// Debian's `python3 -m venv` needs ensurepip, which python3-venv brings.
pub const PACKAGES: [&str; 1] = ["python3-venv"];
/// The original's application script that wrote the same unit from the
/// same key: this recipe does its work, so it is not run (see `app`).
pub const RUNNER: &str = "phoenix_hypervisor_lxc_vllm.sh";

pub use crate::vllm_flags::{args, flag, Section};

/// The entry's engine config, its sections in file order.
pub fn engine(c: &Lxc) -> Option<&[Section]> {
    c.vllm_engine_config.as_ref().map(|e| e.sections.as_slice())
}

/// The command: the OpenAI-compatible server module, as the original's
/// runner started it (`/opt/vllm/bin/python -m
/// vllm.entrypoints.openai.api_server`; vLLM 0.10 still ships it beside
/// `vllm serve`, and keeps `--model` a flag there, so every key maps alike).
pub fn exec_start(sections: &[Section]) -> String {
    let mut words = vec![
        PYTHON.to_string(),
        "-m".into(),
        "vllm.entrypoints.openai.api_server".into(),
    ];
    words.extend(args(sections));
    words.join(" ")
}

/// The unit, as the original's runner wrote it less what this recipe does
/// not install (FlashInfer's sampler switch and build-time arch list):
/// CUDA from the `nvidia` feature's /usr/local/cuda, the venv first on
/// PATH, the container's GPUs visible (`gpu_assignment`), restarted when
/// it dies.
pub fn unit(ct: u32, gpus: &[u32], sections: &[Section]) -> String {
    let mut s = format!(
        "# Written by Phoenix (phx-features) from CT {ct}'s vllm_engine_config: edits are replaced.\n\
         [Unit]\n\
         Description=vLLM OpenAI-compatible API server\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type=simple\n\
         User=root\n\
         WorkingDirectory={VENV}\n"
    );
    if !gpus.is_empty() {
        let ids: Vec<String> = gpus.iter().map(u32::to_string).collect();
        s.push_str(&format!(
            "Environment=CUDA_VISIBLE_DEVICES={}\n",
            ids.join(",")
        ));
    }
    s.push_str(&format!(
        "Environment=CUDA_HOME=/usr/local/cuda\n\
         Environment=LD_LIBRARY_PATH=/usr/local/cuda/lib64\n\
         Environment=PATH={VENV}/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n\
         ExecStart={}\n\
         Restart=always\n\
         RestartSec=10\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        exec_start(sections)
    ));
    s
}

/// What vLLM needs of the entry: `nvidia` on the container or a clone
/// ancestor (vLLM runs on CUDA; the original's feature script refused
/// without it), and, for a container that serves (not a template), an
/// engine config naming its model. A problem is exit 2, nothing planned.
pub fn check(
    inv: &Inventory,
    s: Subject,
    sections: Option<&[Section]>,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) {
    let Some(c) = s.lxc() else { return };
    if !c.has_feature("nvidia") && crate::ancestor_with(inv, s, "nvidia").is_none() {
        p.push(
            s.file,
            &format!("{}.features", c.path),
            format!("{:?}", c.features),
            format!(
                "\"nvidia\" with \"vllm\" in CT {}'s features or a clone ancestor's (vLLM runs on CUDA: the driver's userspace and the toolkit come with \"nvidia\")",
                c.id
            ),
        );
    }
    if crate::is_template(c) {
        return;
    }
    if let Some(secs) = sections {
        let at = format!("{}.vllm_engine_config", c.path);
        crate::vllm_flags::check(s.file, &at, secs, p, warnings);
    }
    let has_model = sections.is_some_and(|secs| {
        secs.iter()
            .flat_map(|(_, k)| k)
            .any(|(k, v)| k == "model" && matches!(v, ArgValue::Str(m) if !m.is_empty()))
    });
    if !has_model {
        p.push(
            s.file,
            &format!("{}.vllm_engine_config", c.path),
            match sections {
                Some(_) => "(no model)".to_string(),
                None => "(none)".to_string(),
            },
            format!(
                "a vllm_engine_config whose ModelConfig names the model (\"model\": \"org/name\") for the \"vllm\" feature of CT {}: its service serves that model",
                c.id
            ),
        );
    }
    if c.gpus.is_empty() {
        warnings.push(format!(
            "{}: {}.gpu_assignment: CT {} has \"vllm\" but no GPU assigned: vLLM will find no CUDA device and its service will not start",
            s.file, c.path, c.id
        ));
    }
}

/// The steps: the venv (once: its python is the guard), vLLM at the pinned
/// version (guarded by the version pip reports), then, outside a template,
/// the unit with its handlers, enabled and started.
pub fn plan(
    plan: &mut impl StepSink,
    prefix: &str,
    ct: Guest,
    c: &Lxc,
    sections: Option<&[Section]>,
) {
    guest::command(
        plan,
        &format!("{prefix}-venv"),
        ct,
        argv(&["python3", "-m", "venv", VENV]),
        Some(argv(&["test", "-x", PYTHON])),
        &format!("make the Python venv {VENV}"),
    );
    let req = format!("vllm=={VERSION}");
    guest::long_command(
        plan,
        &format!("{prefix}-pip"),
        ct,
        // No progress bar: the wheels are gigabytes, and a run keeps a
        // command's output (phx-apply caps it).
        argv(&[PIP, "install", "--progress-bar", "off", &req]),
        Some(installed_version()),
        &format!("install {req} into {VENV}"),
    );
    if crate::is_template(c) {
        return;
    }
    let Some(sections) = sections else { return };
    let svc = Service {
        prefix,
        guest: ct,
        unit: UNIT,
    };
    svc.unit_file(plan, unit(c.id, &c.gpus, sections));
    svc.finish(plan);
}

/// Exit 0 only when pip in the venv reports vLLM at [`VERSION`].
fn installed_version() -> Vec<String> {
    argv(&[
        "sh",
        "-c",
        r#"[ "$("$1" show vllm 2>/dev/null | sed -n 's/^Version: //p')" = "$2" ]"#,
        "phx-vllm-installed",
        PIP,
        VERSION,
    ])
}
