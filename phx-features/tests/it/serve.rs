//! vLLM and Ollama served from the JSON: CT 801's unit is its
//! vllm_engine_config, line by line, and the REAL systemd-analyze accepts
//! every vLLM unit of the fixture; applied with the pct double and the
//! guest doubles (python3's venv and pip, Ollama's install script and CLI;
//! real_vllm.rs makes the venv for real), vLLM and Ollama are installed; a
//! second run changes nothing; an engine change rewrites one unit and
//! restarts that service alone; a ports change moves Ollama; vLLM that
//! cannot be served is refused (exit 2, the JSON path).

use crate::common::*;
use phx_plan::{Action, Step};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// The upstream fixture's containers `keep` (their `dependencies` dropped:
/// the test runs the vLLM and Ollama guests alone), without VMs.
pub fn upstream_with(keep: &[&str], edit: impl FnOnce(&mut Value)) -> tempfile::TempDir {
    let dir = config_with(&upstream_dir(), |d| {
        let lxcs = d["lxc_configs"].as_object_mut().unwrap();
        lxcs.retain(|k, _| keep.contains(&k.as_str()));
        for c in lxcs.values_mut() {
            c.as_object_mut().unwrap().remove("dependencies");
        }
        edit(d);
    });
    no_vms(dir.path());
    dir
}

/// What a file step writes.
fn written<'a>(steps: &'a [Step], id: &str) -> &'a str {
    let s = steps
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("no step {id}"));
    match &s.action {
        Action::GuestFile(f) => f.content.as_deref().unwrap(),
        a => panic!("{id}: {a:?}"),
    }
}

const UNIT_801: &str = "\
# Written by Phoenix (phx-features) from CT 801's vllm_engine_config: edits are replaced.
[Unit]
Description=vLLM OpenAI-compatible API server
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=root
WorkingDirectory=/opt/vllm
Environment=CUDA_VISIBLE_DEVICES=0
Environment=CUDA_HOME=/usr/local/cuda
Environment=LD_LIBRARY_PATH=/usr/local/cuda/lib64
Environment=PATH=/opt/vllm/bin:/usr/local/cuda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ExecStart=/opt/vllm/bin/python -m vllm.entrypoints.openai.api_server --model ibm-granite/granite-embedding-english-r2 --trust-remote-code --dtype auto --max-model-len 1024 --gpu-memory-utilization 0.1 --tensor-parallel-size 1 --host 0.0.0.0 --port 8000 --served-model-name ibm-granite/granite-embedding-english-r2
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
";

#[test]
fn ct_801_s_unit_is_its_engine_config_and_systemd_accepts_every_vllm_unit() {
    let out = features_cmd()
        .arg("--config-dir")
        .arg(upstream_dir())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let steps = phx_plan::read_jsonl(&out.stdout[..]).unwrap();
    // The installs that download gigabytes outlast --command-timeout's
    // 600 s on a real node: they say so; a guard-cheap step does not.
    let timeout = |id: &str| match &steps.iter().find(|s| s.id == id).unwrap().action {
        phx_plan::Action::GuestCommand(g) => g.command.timeout_s,
        a => panic!("{id}: {a:?}"),
    };
    for id in ["features-801-vllm-pip", "features-914-ollama-script"] {
        assert_eq!(timeout(id), Some(phx_plan::LONG_STEP_S), "{id}");
    }
    assert_eq!(timeout("features-801-vllm-venv"), None);
    let unit = written(&steps, "features-801-vllm-unit");
    for (n, (got, want)) in unit.lines().zip(UNIT_801.lines()).enumerate() {
        assert_eq!(got, want, "line {}", n + 1);
    }
    assert_eq!(unit.lines().count(), UNIT_801.lines().count(), "{unit}");
    // 802's ServerConfig port is the guest's 8000 (its ports map 8001 to it).
    let unit_802 = written(&steps, "features-802-vllm-unit");
    assert!(
        unit_802.contains("--model Qwen/Qwen3-4B-Thinking-2507-FP8 --trust-remote-code --dtype auto --max-model-len 2048 --quantization fp8 --gpu-memory-utilization 0.85 --tensor-parallel-size 1 --host 0.0.0.0 --port 8000 --served-model-name Qwen3-4B-FP8\n"),
        "{unit_802}"
    );
    // The original's runner, which would rewrite the same unit, is not run.
    for ct in [801, 802] {
        let line = format!("CT {ct}'s \"phoenix_hypervisor_lxc_vllm.sh\" is not run: the \"vllm\" feature writes and starts vllm_model_server.service");
        assert_eq!(err.matches(&line).count(), 1, "{line}:\n{err}");
        assert!(!steps
            .iter()
            .any(|s| s.id == format!("features-{ct}-app-run")));
    }
    // Nor is the original's Ollama script on 914 (it wrote ollama.service).
    let line = "CT 914's \"phoenix_hypervisor_lxc_955.sh\" is not run: the \"ollama\" feature installs Ollama, sets OLLAMA_HOST from ports and enables and starts ollama.service (the original's script did that work)";
    assert_eq!(err.matches(line).count(), 1, "{line}:\n{err}");
    assert!(!steps.iter().any(|s| s.id == "features-914-app-run"));
    // The REAL systemd-analyze, in a root with the venv's interpreter.
    for ct in [801, 802] {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let units = r.join("etc/systemd/system");
        std::fs::create_dir_all(&units).unwrap();
        std::fs::write(
            units.join("vllm_model_server.service"),
            written(&steps, &format!("features-{ct}-vllm-unit")),
        )
        .unwrap();
        std::fs::create_dir_all(r.join("opt/vllm/bin")).unwrap();
        std::fs::write(r.join("opt/vllm/bin/python"), "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            r.join("opt/vllm/bin/python"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        systemd_verify(r, "vllm_model_server.service");
    }
}

#[test]
fn an_engine_value_that_needs_quoting_still_makes_a_unit_systemd_accepts() {
    let dir = upstream_with(&["900", "901", "911", "801"], |d| {
        let e = &mut d["lxc_configs"]["801"]["vllm_engine_config"];
        e["ServerConfig"]["chat_template"] = json!("{{ 100% of $USER }} \"quoted\" \\ 'single'");
        e["ServerConfig"]["allowed_origins"] = json!(["http://a", "http://b c"]);
        e["ModelConfig"]["enforce_eager"] = json!(false);
    });
    let steps = plan(dir.path());
    let unit = written(&steps, "features-801-vllm-unit");
    // (config_with rewrites the file with its keys sorted: that order.)
    // vLLM 0.10.2 reads --allowed-origins as ONE json.loads word
    // (entrypoints/openai/cli_args.py:194-199) and enforce_eager as a
    // BooleanOptionalAction (engine/arg_utils.py:203-205).
    assert!(
        unit.contains(r#" --allowed-origins "[\"http://a\",\"http://b c\"]" --chat-template "{{ 100%% of $$USER }} \"quoted\" \\ 'single'" "#),
        "{unit}"
    );
    assert!(unit.contains(" --no-enforce-eager "), "{unit}");
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    std::fs::create_dir_all(r.join("etc/systemd/system")).unwrap();
    std::fs::write(r.join("etc/systemd/system/vllm_model_server.service"), unit).unwrap();
    std::fs::create_dir_all(r.join("opt/vllm/bin")).unwrap();
    std::os::unix::fs::symlink("/bin/true", r.join("opt/vllm/bin/python")).unwrap();
    std::fs::create_dir_all(r.join("bin")).unwrap();
    std::fs::copy("/bin/true", r.join("bin/true")).unwrap();
    systemd_verify(r, "vllm_model_server.service");
}

/// The ExecStart words after the module, as systemd would split them
/// (the unit's quoting is plain here: no value needs quotes).
fn exec_words(unit: &str) -> Vec<String> {
    let line = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    line.split(' ').skip(3).map(str::to_string).collect()
}

/// vLLM 0.10.2's parser: a bool is `--x`/`--no-x`
/// (BooleanOptionalAction, engine/arg_utils.py:203-205), so a `false` is
/// said, not dropped; a list is `nargs="+"` (:215-226), the flag once then
/// its items (repeated, argparse keeps the last); null is left out and
/// warned about at its path.
#[test]
fn false_list_and_null_reach_vllm_as_its_parser_reads_them() {
    let dir = upstream_with(&["900", "901", "911", "801"], |d| {
        let e = &mut d["lxc_configs"]["801"]["vllm_engine_config"];
        e["CacheConfig"]["enable_prefix_caching"] = json!(false);
        e["ServerConfig"]["served_model_name"] = json!(["granite", "embed"]);
        e["ServerConfig"]["api_key"] = json!(null);
        e["ServerConfig"]["disable_log_stats"] = json!(false);
    });
    let out = phx_features::build(&load_dir(dir.path()), Path::new("/nonexistent"))
        .unwrap_or_else(|p| panic!("{p}"));
    let unit = written(&out.plan.steps, "features-801-vllm-unit");
    let words = exec_words(unit);
    let at = |w: &str| words.iter().position(|x| x == w);
    assert!(at("--no-enable-prefix-caching").is_some(), "{unit}");
    let i = at("--served-model-name").expect(unit);
    assert_eq!(words[i + 1..i + 3], ["granite", "embed"], "{unit}");
    assert_eq!(
        words.iter().filter(|w| *w == "--served-model-name").count(),
        1,
        "{unit}"
    );
    // store_true only, default False (arg_utils.py:913-915): left out.
    assert!(!unit.contains("log-stats"), "{unit}");
    assert!(!unit.contains("api-key"), "{unit}");
    assert!(
        out.warnings.iter().any(|w| w
            .contains("lxc_configs.\"801\".vllm_engine_config.ServerConfig.api_key: null")
            && w.contains("--api-key is left out")),
        "{:?}",
        out.warnings
    );
}

/// What vLLM 0.10.2 cannot take is exit 2 at its path, nothing planned.
#[test]
fn an_engine_value_vllm_cannot_take_is_refused() {
    let dir = upstream_with(&["900", "901", "911", "801"], |d| {
        let e = &mut d["lxc_configs"]["801"]["vllm_engine_config"];
        e["ModelConfig"]["hf_token"] = json!(false);
        e["ServerConfig"]["served_model_name"] = json!([]);
    });
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"801\".vllm_engine_config.ModelConfig.hf_token"),
        "{err}"
    );
    assert!(err.contains("no negative form"), "{err}");
    assert!(
        err.contains("lxc_configs.\"801\".vllm_engine_config.ServerConfig.served_model_name"),
        "{err}"
    );
    assert!(err.contains("nargs=\"+\""), "{err}");
}

/// A secret in the engine config would be in the plan, its diff and
/// vLLM's command line: refused, and the refusal does not show it.
#[test]
fn a_secret_in_the_engine_config_is_refused_without_showing_it() {
    let dir = upstream_with(&["900", "901", "911", "801"], |d| {
        let e = &mut d["lxc_configs"]["801"]["vllm_engine_config"];
        e["ServerConfig"]["api_key"] = json!("sk-phoenix-secret-1");
        e["ModelConfig"]["hf_token"] = json!("hf_phoenix-secret-2");
    });
    let err = refused(dir.path());
    for (key, var) in [
        ("ServerConfig.api_key", "VLLM_API_KEY"),
        ("ModelConfig.hf_token", "HF_TOKEN"),
    ] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("lxc_configs.\"801\".vllm_engine_config.{key}")))
            .unwrap_or_else(|| panic!("{key}: {err}"));
        assert!(
            line.contains("no secret in vllm_engine_config") && line.contains(var),
            "{line}"
        );
    }
    assert!(!err.contains("phoenix-secret"), "{err}");
}

/// A stand-in for PyPI: a wheel named vllm at `version` (a package
/// directory and its metadata), made by the host's Python.
pub fn stand_in_wheel(dir: &Path, version: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let script = r#"
import base64, hashlib, sys, zipfile
out, ver = sys.argv[1], sys.argv[2]
info = "vllm-%s.dist-info" % ver
files = {
    "vllm/__init__.py": '__version__ = "%s"\n' % ver,
    info + "/METADATA": "Metadata-Version: 2.1\nName: vllm\nVersion: %s\nSummary: Phoenix test stand-in\n" % ver,
    info + "/WHEEL": "Wheel-Version: 1.0\nGenerator: phoenix-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
with zipfile.ZipFile("%s/vllm-%s-py3-none-any.whl" % (out, ver), "w") as z:
    for name, text in files.items():
        data = text.encode()
        z.writestr(name, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append("%s,sha256=%s,%d" % (name, digest, len(data)))
    record.append(info + "/RECORD,,")
    z.writestr(info + "/RECORD", "\n".join(record) + "\n")
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .arg(version)
        .output()
        .unwrap();
    stdout_of(out);
}

/// The guest's pip reads only the local index (`/etc/pip.conf`, pip's
/// site-wide file), which holds the stand-in wheel.
pub fn local_index(rootfs: &Path) {
    let wheels = "usr/local/share/doubles/wheels";
    stand_in_wheel(&rootfs.join(wheels), "0.10.2");
    std::fs::write(
        rootfs.join("etc/pip.conf"),
        format!(
            "[global]\nno-index = true\nfind-links = /{wheels}\ndisable-pip-version-check = true\n"
        ),
    )
    .unwrap();
}

fn pct_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("pct.log")).unwrap_or_default()
}

pub(crate) fn systemctl_state(root: &Path, ct: u32, unit: &str) -> (bool, bool) {
    let s = rootfs(root, ct).join("var/lib/systemctl-double");
    (
        s.join("enabled").join(unit).exists(),
        s.join("active").join(unit).exists(),
    )
}

#[test]
fn vllm_installs_once_and_an_engine_change_restarts_only_its_own_service() {
    let keep = ["900", "901", "911", "801", "802"];
    let dir = upstream_with(&keep, |_| {});
    let node = node();
    let root = node.path();
    for ct in [801, 802] {
        running(root, ct);
    }
    let steps = plan(dir.path());
    let first = run(&steps, root);
    assert!(first.changed() > 0);
    for ct in [801, 802] {
        let r = rootfs(root, ct);
        assert!(installed(root, ct).iter().any(|p| p == "python3-venv"));
        // The venv, and the pinned vLLM in it (the python3 and pip
        // doubles; real_vllm.rs makes them for real).
        let log = guest_log(root, ct);
        for line in ["python3 -m venv /opt/vllm", "pip install vllm==0.10.2"] {
            assert_eq!(log.lines().filter(|l| *l == line).count(), 1, "{log}");
        }
        assert_eq!(read(r.join("opt/vllm/lib/pip-double/vllm")), "0.10.2\n");
        assert_eq!(
            read(r.join("etc/systemd/system/vllm_model_server.service")),
            written(&steps, &format!("features-{ct}-vllm-unit"))
        );
        assert_eq!(systemctl_state(root, ct, "vllm_model_server"), (true, true));
    }

    // Again: nothing changes, only guards run.
    std::fs::write(root.join("pct.log"), "").unwrap();
    for ct in [801, 802] {
        clear_guest_log(root, ct);
    }
    let again = run(&steps, root);
    assert_eq!(phx_testkit::changed(&again), Vec::<&str>::new());
    let log = pct_log(root);
    for line in log.lines() {
        assert!(
            !line.contains("pip install") && !line.contains("-m venv") && !line.contains("apt-get"),
            "the second run did more than guard: {line}"
        );
    }
    for ct in [801, 802] {
        assert_eq!(guest_log(root, ct), "", "CT {ct}'s doubles did something");
    }

    // CT 801's memory share changes: its unit alone, one restart of it.
    let dir = upstream_with(&keep, |d| {
        d["lxc_configs"]["801"]["vllm_engine_config"]["CacheConfig"]["gpu_memory_utilization"] =
            json!(0.2);
    });
    let steps = plan(dir.path());
    let third = run(&steps, root);
    assert_eq!(
        phx_testkit::changed(&third),
        [
            "features-801-vllm-unit",
            "features-801-vllm-daemon-reload",
            "features-801-vllm-restart"
        ]
    );
    assert_eq!(
        guest_log(root, 801),
        "systemctl daemon-reload\nsystemctl restart vllm_model_server\n"
    );
    assert_eq!(guest_log(root, 802), "");
    assert!(
        read(rootfs(root, 801).join("etc/systemd/system/vllm_model_server.service"))
            .contains(" --gpu-memory-utilization 0.2 ")
    );
}

#[test]
fn vllm_without_nvidia_on_it_or_a_clone_ancestor_is_refused() {
    let dir = upstream_with(&["900", "901", "911", "801"], |d| {
        for id in ["901", "911"] {
            d["lxc_configs"][id]["features"] = json!([]);
        }
    });
    let err = refused(dir.path());
    assert!(err.contains("lxc_configs.\"801\".features"), "{err}");
    assert!(err.contains("\"nvidia\" with \"vllm\""), "{err}");
    // nvidia on the template it is cloned from is enough.
    let dir = upstream_with(&["900", "901", "911", "801"], |d| {
        d["lxc_configs"]["901"]["features"] = json!([]);
    });
    plan(dir.path());
}

#[test]
fn ollama_with_gpus_needs_nvidia_on_it_or_a_clone_ancestor() {
    // Without nvidia, Ollama's install script would install NVIDIA's
    // cuda-drivers (a kernel module) inside the container.
    let alone = |d: &mut Value| {
        let c = d["lxc_configs"]["914"].as_object_mut().unwrap();
        c.insert("features".into(), json!(["ollama"]));
        c.remove("clone_from_ctid");
        c.remove("application_script");
        c.remove("dependencies");
    };
    let dir = upstream_with(&["900", "901", "914"], alone);
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"914\".features: [\"ollama\"]: \"nvidia\" on CT 914 or a container it is cloned from: it has \"ollama\" and gpu_assignment"),
        "{err}"
    );
    // On the CPU (no GPU) it needs nothing else.
    let dir = upstream_with(&["900", "901", "914"], |d| {
        alone(d);
        d["lxc_configs"]["914"]["gpu_assignment"] = json!("none");
    });
    plan(dir.path());
}

#[test]
fn a_serving_vllm_container_without_a_model_is_refused() {
    let dir = upstream_with(&["900", "901", "911", "801"], |d| {
        d["lxc_configs"]["801"]
            .as_object_mut()
            .unwrap()
            .remove("vllm_engine_config");
    });
    let err = refused(dir.path());
    assert!(
        err.contains("lxc_configs.\"801\".vllm_engine_config"),
        "{err}"
    );
    assert!(err.contains("names the model"), "{err}");
    // A template needs none: its image gets vLLM, its clones the service.
    let dir = upstream_with(&["900", "901", "911"], |d| {
        d["lxc_configs"]["911"]
            .as_object_mut()
            .unwrap()
            .remove("vllm_engine_config");
    });
    plan(dir.path());
}

#[test]
fn a_golden_template_gets_vllm_but_no_service() {
    // What phx-lxc bakes into CT 911 before its snapshot: the venv and
    // vLLM, but no unit (each clone enables its own, with its own model).
    let inv = load_dir(&upstream_dir());
    let sel = phx_recipes::select(&inv, phx_recipes::golden).unwrap_or_else(|p| panic!("{p}"));
    let w = sel.work.iter().find(|w| w.s.id() == 911).unwrap();
    let mut plan = phx_plan::Plan::new("phx-lxc");
    phx_recipes::plan(&mut plan, "template", &inv, w);
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    for id in ["template-911-vllm-venv", "template-911-vllm-pip"] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    assert!(
        !ids.iter().any(|i| i.starts_with("template-911-vllm-")
            && !i.ends_with("-venv")
            && !i.ends_with("-pip")
            && !i.ends_with("-install")),
        "{ids:?}"
    );
}

#[test]
fn vllm_and_ollama_in_a_vm_are_said_once_and_not_planned() {
    // Their keys (vllm_engine_config, ports, ollama_models) are a
    // container's: a VM listing them is told, its other features planned.
    let dir = vm_config_with(&upstream_dir(), |d| {
        d["vms"][2]["features"] = json!(["base_setup", "docker", "vllm", "ollama"]);
    });
    let out = features_cmd()
        .arg("--config-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    for f in ["vllm", "ollama"] {
        let line = format!("phoenix_vm_configs.json: features \"{f}\" (VM 1002): not yet handled, nothing is installed for it (installed in containers only)");
        assert_eq!(err.matches(&line).count(), 1, "{line}:\n{err}");
    }
    let steps = phx_plan::read_jsonl(&out.stdout[..]).unwrap();
    assert!(steps
        .iter()
        .any(|s| s.id == "features-1002-base_setup-install"));
    assert!(!steps.iter().any(
        |s| s.id.starts_with("features-1002-vllm") || s.id.starts_with("features-1002-ollama")
    ));
}
