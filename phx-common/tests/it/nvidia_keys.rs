//! The NVIDIA keys of the original's files read into the model
//! (`config::gpu`): the host's `nvidia_driver`, the LXC file's `nvidia_*`
//! defaults and an entry's overrides, and `vllm_engine_config`; each
//! misuse refused with file, JSON path and what was expected.

use phx_common::config::{load, ArgValue, Input, Inventory, Problems};
use serde_json::{json, Value};
use std::path::PathBuf;

const FILES: [&str; 3] = [
    "phoenix_hypervisor_config.json",
    "phoenix_lxc_configs.json",
    "phoenix_vm_configs.json",
];

/// The upstream fixture with `edit` applied to each document (by index).
fn load_edited(edit: impl Fn(usize, &mut Value)) -> Result<Inventory, Problems> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream");
    let dir = tempfile::tempdir().unwrap();
    for (i, f) in FILES.iter().enumerate() {
        let mut d: Value =
            serde_json::from_str(&std::fs::read_to_string(src.join(f)).unwrap()).unwrap();
        edit(i, &mut d);
        std::fs::write(dir.path().join(f), serde_json::to_vec(&d).unwrap()).unwrap();
    }
    load(&Input::Dir(dir.path().to_path_buf()))
}

fn refused(edit: impl Fn(usize, &mut Value), file: usize, path: &str, expected: &str) {
    let Err(p) = load_edited(edit) else {
        panic!("not refused: {path}")
    };
    assert!(
        p.list.iter().any(|x| x.file.ends_with(FILES[file])
            && x.path == path
            && x.expected.contains(expected)),
        "no problem at {path} expecting {expected:?}:\n{p}"
    );
}

#[test]
fn the_fixture_keys_are_read_and_a_container_takes_the_file_defaults() {
    let inv = load_edited(|_, _| {}).unwrap();
    let d = inv.host.nvidia_driver.as_ref().unwrap();
    assert!(d.install);
    assert_eq!(d.installed_version(), Some("580.76.05"));
    assert_eq!(d.cuda_version.as_deref(), Some("12.8"));
    assert!(d
        .runfile_url
        .as_deref()
        .unwrap()
        .ends_with("NVIDIA-Linux-x86_64-580.76.05.run"));
    let g = inv.nvidia_for(&inv.lxcs[&901]);
    assert_eq!(g.version, Some("580.76.05"));
    assert_eq!(
        g.repo_url,
        Some("https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/")
    );
    assert_eq!(g.cuda_version, Some("12.8"));
    // The one key nothing reads is said.
    assert!(inv
        .warnings
        .iter()
        .any(|w| w.contains("nvidia_driver.install_vllm_libs: not handled, ignored")));
}

#[test]
fn an_entrys_own_keys_win_then_the_file_then_the_hypervisor() {
    let inv = load_edited(|i, d| {
        if i == 1 {
            d.as_object_mut().unwrap().remove("nvidia_runfile_url");
            d["lxc_configs"]["914"]["nvidia_driver_version"] = json!("575.64.03");
            d["lxc_configs"]["914"]["nvidia_runfile_url"] = json!("https://us.download.nvidia.com/XFree86/Linux-x86_64/575.64.03/NVIDIA-Linux-x86_64-575.64.03.run");
            d["lxc_configs"]["914"]["nvidia_repo_url"] =
                json!("https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/");
        }
    })
    .unwrap();
    let own = inv.nvidia_for(&inv.lxcs[&914]);
    assert_eq!(own.version, Some("575.64.03"));
    assert!(own.repo_url.unwrap().contains("debian12"));
    // No runfile URL in the LXC file: the hypervisor's.
    let other = inv.nvidia_for(&inv.lxcs[&917]);
    assert_eq!(other.version, Some("580.76.05"));
    assert_eq!(
        other.runfile_url,
        inv.host
            .nvidia_driver
            .as_ref()
            .unwrap()
            .runfile_url
            .as_deref()
    );
}

#[test]
fn the_engine_config_keeps_file_order_and_value_kinds() {
    // Unedited: the edits below go through serde_json's sorted maps.
    let inv = load(&Input::Dir(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/phoenix-upstream"),
    ))
    .unwrap();
    let e = inv.lxcs[&910].vllm_engine_config.as_ref().unwrap();
    let names: Vec<&str> = e.sections.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "ModelConfig",
            "CacheConfig",
            "ParallelConfig",
            "ServerConfig"
        ]
    );
    let keys: Vec<&str> = e.keys().map(|(k, _)| k).collect();
    assert_eq!(
        &keys[..4],
        ["model", "trust_remote_code", "dtype", "max_model_len"]
    );
    let num = |v: f64| ArgValue::Num(serde_json::Number::from_f64(v).unwrap());
    assert_eq!(e.get("gpu_memory_utilization"), Some(&num(0.5)));
    assert_eq!(e.get("max_model_len"), Some(&ArgValue::Num(4096.into())));
    assert_eq!(e.get("trust_remote_code"), Some(&ArgValue::Bool(true)));
    assert!(inv.lxcs[&914].vllm_engine_config.is_none());
    let inv = load_edited(|i, d| {
        if i == 1 {
            d["lxc_configs"]["910"]["vllm_engine_config"]["ServerConfig"]["allowed_origins"] =
                json!(["a", "b"]);
            d["lxc_configs"]["910"]["vllm_engine_config"]["ServerConfig"]["api_key"] = Value::Null;
        }
    })
    .unwrap();
    let e = inv.lxcs[&910].vllm_engine_config.as_ref().unwrap();
    let s = |v: &str| ArgValue::Str(v.into());
    assert_eq!(
        e.get("allowed_origins"),
        Some(&ArgValue::List(vec![s("a"), s("b")]))
    );
    assert_eq!(e.get("api_key"), Some(&ArgValue::Null));
}

#[test]
fn misuse_is_refused_at_its_path() {
    let at910 = "lxc_configs.\"910\".vllm_engine_config";
    refused(
        |i, d| {
            if i == 1 {
                d["lxc_configs"]["910"]["vllm_engine_config"]["ModelConfig"]["hf_overrides"] =
                    json!({"a": 1});
            }
        },
        1,
        &format!("{at910}.ModelConfig.hf_overrides"),
        "a string, number, boolean or null, or a list of those",
    );
    refused(
        |i, d| {
            if i == 1 {
                d["lxc_configs"]["910"]["vllm_engine_config"]["ServerConfig"]["max_model_len"] =
                    json!(8192);
            }
        },
        1,
        &format!("{at910}.ServerConfig.max_model_len"),
        "each engine argument once",
    );
    refused(
        |i, d| {
            if i == 1 {
                d["lxc_configs"]["910"]["vllm_engine_config"]["ModelConfig"]["--model"] = json!(1);
            }
        },
        1,
        &format!("{at910}.ModelConfig.\"--model\""),
        "an engine argument's name",
    );
    refused(
        |i, d| {
            if i == 1 {
                d["lxc_configs"]["910"]["vllm_engine_config"]["CacheConfig"] = json!(3);
            }
        },
        1,
        &format!("{at910}.CacheConfig"),
        "an object",
    );
    refused(
        |i, d| {
            if i == 0 {
                d["nvidia_driver"]
                    .as_object_mut()
                    .unwrap()
                    .remove("version");
            }
        },
        0,
        "nvidia_driver.version",
        "required when install is true",
    );
    refused(
        |i, d| {
            if i == 0 {
                d["nvidia_driver"]["cuda_version"] = json!("12");
            }
        },
        0,
        "nvidia_driver.cuda_version",
        "MAJOR.MINOR",
    );
    refused(
        |i, d| {
            if i == 1 {
                d["nvidia_repo_url"] = json!("https://example.org/cuda");
            }
        },
        1,
        "nvidia_repo_url",
        "ending in '/'",
    );
    refused(
        |i, d| {
            if i == 1 {
                d["lxc_configs"]["901"]["nvidia_driver_version"] = json!("580.76.05; reboot");
            }
        },
        1,
        "lxc_configs.\"901\".nvidia_driver_version",
        "an NVIDIA driver version",
    );
    // The runfile installs the version its name carries: a `version` saying
    // another would keep phx-gpu's guard false, the installer run every time.
    let r570 = "https://us.download.nvidia.com/XFree86/Linux-x86_64/570.133.07/NVIDIA-Linux-x86_64-570.133.07.run";
    refused(
        |i, d| {
            if i == 0 {
                d["nvidia_driver"]["runfile_url"] = json!(r570);
            }
        },
        0,
        "nvidia_driver.runfile_url",
        "the runfile of driver 580.76.05",
    );
    refused(
        |i, d| {
            if i == 1 {
                d["nvidia_runfile_url"] = json!(r570);
            }
        },
        1,
        "nvidia_runfile_url",
        "the runfile of driver 580.76.05",
    );
}

#[test]
fn a_runfile_whose_name_carries_no_version_is_taken() {
    let inv = load_edited(|i, d| {
        if i == 0 {
            d["nvidia_driver"]["runfile_url"] =
                json!("https://mirror.example.org/nvidia/driver.run");
        }
    })
    .unwrap();
    let d = inv.host.nvidia_driver.as_ref().unwrap();
    assert_eq!(
        d.runfile_url.as_deref(),
        Some("https://mirror.example.org/nvidia/driver.run")
    );
}

#[test]
fn a_driver_turned_off_needs_no_version_and_lxc_keys_elsewhere_are_said() {
    let inv = load_edited(|i, d| {
        if i == 0 {
            d["nvidia_driver"] = json!({"install": false});
            d["nvidia_repo_url"] = json!("https://example.org/repo/");
        }
    })
    .unwrap();
    assert_eq!(
        inv.host.nvidia_driver.as_ref().unwrap().installed_version(),
        None
    );
    assert!(inv.warnings.iter().any(|w| w.contains(
        "phoenix_hypervisor_config.json: nvidia_repo_url: ignored: only the LXC file's nvidia_repo_url is read"
    )), "{:#?}", inv.warnings);
}

#[test]
fn the_model_servers_ports_come_from_the_engine_config_and_ports() {
    use phx_common::config::serve::{ollama_port, vllm_port};
    let inv = load_edited(|i, d| {
        if i == 1 {
            d["lxc_configs"]["802"]["vllm_engine_config"]["ServerConfig"]["port"] = json!(8010);
            d["lxc_configs"]["914"]["ports"] = json!(["21434:11500"]);
            d["lxc_configs"]["910"]["vllm_engine_config"]["ServerConfig"]
                .as_object_mut()
                .unwrap()
                .remove("port");
        }
    })
    .unwrap();
    assert_eq!(vllm_port(&inv.lxcs[&801]), 8000);
    assert_eq!(vllm_port(&inv.lxcs[&802]), 8010);
    assert_eq!(vllm_port(&inv.lxcs[&910]), 8000, "vLLM's default");
    assert_eq!(ollama_port(&inv.lxcs[&914]), 11500, "the guest side");
    assert_eq!(ollama_port(&inv.lxcs[&900]), 11434, "Ollama's default");
}

#[test]
fn an_engine_argument_is_found_under_either_spelling() {
    // `served-model-name` and `served_model_name` are one vLLM flag: the
    // loader takes either, and phx-verify asks /v1/models for that name.
    let inv = load_edited(|i, d| {
        if i == 1 {
            let server = d["lxc_configs"]["910"]["vllm_engine_config"]["ServerConfig"]
                .as_object_mut()
                .unwrap();
            server.remove("served_model_name");
            server.insert("served-model-name".into(), json!("qwen-kebab"));
        }
    })
    .unwrap();
    let e = inv.lxcs[&910].vllm_engine_config.as_ref().unwrap();
    assert_eq!(
        e.get("served_model_name"),
        Some(&ArgValue::Str("qwen-kebab".into()))
    );
}

/// The version and the runfile can come from different levels: the
/// resolved pair must agree, blamed on the runfile key that was given.
#[test]
fn a_runfile_named_for_another_version_than_the_containers_is_refused() {
    let url = "https://us.download.nvidia.com/XFree86/Linux-x86_64/575.64.03/NVIDIA-Linux-x86_64-575.64.03.run";
    // 914 asks for 575.64.03 itself, and the LXC file's runfile is 580's.
    refused(
        |i, d| {
            if i == 1 {
                d["lxc_configs"]["914"]["nvidia_driver_version"] = json!("575.64.03");
            }
        },
        1,
        "nvidia_runfile_url",
        "the runfile of CT 914's driver version 575.64.03 (this one is named for 580.76.05",
    );
    // With its own runfile for that version, it is consistent.
    load_edited(|i, d| {
        if i == 1 {
            d["lxc_configs"]["914"]["nvidia_driver_version"] = json!("575.64.03");
            d["lxc_configs"]["914"]["nvidia_runfile_url"] = json!(url);
        }
    })
    .unwrap();
}
