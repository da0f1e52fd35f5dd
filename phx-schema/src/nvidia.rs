//! The NVIDIA keys (`phx_common::config::gpu`): the hypervisor's
//! `nvidia_driver`, the `nvidia_*` keys of the LXC file and its entries,
//! and an entry's `vllm_engine_config`.

use crate::builder::{opt, Builder, Prop};
use crate::leaf::*;
use phx_common::config::parse::nvidia::RawNvidiaDriver;
use serde_json::{json, Value};

fn driver_version(description: &str) -> Value {
    token(r"^[0-9]{1,6}(\.[0-9]{1,6}){1,3}$".into(), description)
}

pub fn nvidia_driver(b: &mut Builder) -> Value {
    b.object::<RawNvidiaDriver>(
        "the host's NVIDIA driver (phx-gpu), and the version and CUDA release GPU containers get",
        vec![
            opt(
                "install",
                boolean("install the driver on the host when lspci shows an NVIDIA device (default false)"),
            ),
            opt(
                "version",
                driver_version("the driver version (\"580.76.05\"); required when install is true"),
            ),
            opt(
                "runfile_url",
                http_url("NVIDIA's .run installer for that version (a NVIDIA-Linux-<arch>-<version>.run name must carry that version); required when install is true"),
            ),
            opt(
                "runfile_sha256",
                hex_digest(64, "the runfile's SHA-256 (64 hexadecimal digits): the download is checked against it"),
            ),
            opt(
                "cuda_version",
                token(r"^[0-9]{1,6}\.[0-9]{1,6}$".into(), "the CUDA release GPU containers install (\"12.8\": cuda-toolkit-12-8)"),
            ),
            opt(
                "install_vllm_libs",
                json!({"description": "carried by the original system's files and read by none of its scripts: a warning says it is ignored"}),
            ),
        ],
    )
}

/// The three `nvidia_*` keys, at the top of the LXC file (`whose` =
/// "every container's") or in an entry ("this container's").
pub fn keys(whose: &str) -> Vec<Prop> {
    vec![
        opt(
            "nvidia_driver_version",
            driver_version(&format!("{whose} NVIDIA driver userspace version (default: nvidia_driver.version of the hypervisor file)")),
        ),
        opt(
            "nvidia_repo_url",
            http_url(&format!("{whose} NVIDIA CUDA apt repository, a directory URL ending in '/'")),
        ),
        opt(
            "nvidia_runfile_url",
            http_url(&format!("{whose} NVIDIA .run installer (default: nvidia_driver.runfile_url)")),
        ),
    ]
}

pub fn vllm_engine_config() -> Value {
    let scalar = json!({"type": ["string", "number", "boolean", "null"]});
    json!({
        "type": "object",
        "description": "vLLM engine arguments by section (ModelConfig, CacheConfig, ParallelConfig, ServerConfig…): each key becomes its --kebab-case flag of the model server as vLLM 0.10.2 parses it: true a bare flag, false --no-<flag> (left out for a store_true-only flag, whose default it is), a list the flag once then its items (allowed_origins/methods/headers one JSON array, middleware the flag per item), null left out with a warning",
        "additionalProperties": {
            "type": "object",
            "propertyNames": {"pattern": "^[A-Za-z][A-Za-z0-9_-]{0,63}$"},
            "additionalProperties": {"anyOf": [scalar, {"type": "array", "items": scalar}]},
        },
    })
}
