//! The GPU estate's health, as the original's health checks
//! (check_nvidia.sh, check_vllm.sh, check_ollama.sh) looked at it: the
//! host's driver answers `nvidia-smi` with the configured version, so does
//! each running GPU container's userspace (through `pct exec`), and each
//! model server answers its API on its port: vLLM's `/v1/models` (with the
//! model it is configured to serve), Ollama's `/api/tags`.

use crate::report::{Check, Kind};
use crate::run::bounded;
use phx_common::config::serve::{ollama_port, vllm_port};
use phx_common::config::Lxc;
use phx_common::Inventory;
use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);
const QUERY: [&str; 2] = ["--query-gpu=driver_version", "--format=csv,noheader"];

/// One line per GPU; every GPU runs the one loaded module's version.
fn versions(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

fn judged(versions: &[&str], want: Option<&str>, what: &str) -> Result<String, String> {
    // The version named in a failure is the one that differs, not the first
    // GPU's (which may be the configured one).
    let other = want.and_then(|w| versions.iter().find(|x| **x != w));
    match (versions.first(), want, other) {
        (None, _, _) => Err(format!("nvidia-smi {what} listed no GPU")),
        (Some(_), Some(w), Some(o)) => Err(format!(
            "nvidia-smi {what} reports driver {o}; {w} is configured"
        )),
        (Some(v), _, _) => Ok(format!(
            "nvidia-smi {what}: driver {v}, {} GPU(s)",
            versions.len()
        )),
    }
}

/// The NVIDIA GPUs `lspci -mm -n` shows (phx-gpu's reading of it).
fn nvidia_devices() -> Result<usize, String> {
    let mut c = Command::new("lspci");
    c.args(["-mm", "-n"]);
    let ran = bounded(c, LIMIT)?;
    if ran.code != Some(0) {
        return Err(format!("lspci -mm -n failed: {}", ran.stderr.trim()));
    }
    let all = phx_common::lspci::parse(&ran.stdout);
    Ok(phx_common::lspci::nvidia_gpus(&all).len())
}

fn host(inv: &Inventory) -> Check {
    let k = Kind::Gpu.word();
    let what = "host driver";
    let Some(want) = inv
        .host
        .nvidia_driver
        .as_ref()
        .and_then(|d| d.installed_version())
    else {
        return Check::skipped(k, what, "nvidia_driver.install is not true");
    };
    let mut c = Command::new("nvidia-smi");
    c.args(QUERY);
    let ran = match bounded(c, LIMIT) {
        Ok(r) if r.code == Some(0) => r,
        failed => {
            let why = match failed {
                Ok(r) => format!("nvidia-smi failed: {}", r.stdout.trim()),
                Err(e) => e,
            };
            return match nvidia_devices() {
                Ok(0) => Check::skipped(k, what, "no NVIDIA GPU on this host (lspci -mm -n)"),
                Ok(_) => Check::failed(
                    k,
                    what,
                    format!("{why} (driver {want} configured: phoenix-cli setup gpu, then reboot)"),
                ),
                Err(e) => Check::failed(k, what, format!("{why}; {e}")),
            };
        }
    };
    match judged(&versions(&ran.stdout), Some(want), "on the host") {
        Ok(ok) => Check::ok(k, what, ok),
        Err(why) => Check::failed(k, what, why),
    }
}

fn in_container(inv: &Inventory, c: &Lxc) -> Check {
    let k = Kind::Gpu.word();
    let what = format!("CT {} {}", c.id, c.name);
    match crate::trust::running(c.id) {
        Err(why) => return Check::failed(k, what, why),
        Ok(false) => return Check::skipped(k, what, "not running"),
        Ok(true) => {}
    }
    let mut cmd = Command::new("pct");
    cmd.args(["exec", &c.id.to_string(), "--", "nvidia-smi"])
        .args(QUERY);
    let inside = format!("in CT {}", c.id);
    match bounded(cmd, LIMIT) {
        Ok(r) if r.code == Some(0) => {
            match judged(&versions(&r.stdout), inv.nvidia_for(c).version, &inside) {
                Ok(ok) => Check::ok(k, what, ok),
                Err(why) => Check::failed(k, what, why),
            }
        }
        Ok(r) => Check::failed(
            k,
            what,
            format!(
                "nvidia-smi {inside} failed (exit {}): {}",
                r.code.map_or("by a signal".into(), |c| c.to_string()),
                format!("{} {}", r.stdout.trim(), r.stderr.trim()).trim()
            ),
        ),
        Err(why) => Check::failed(k, what, why),
    }
}

/// A model server's API: `want` names what must be in its list.
struct Api {
    server: &'static str,
    path: &'static str,
    list: &'static str,
    id: &'static str,
}

const VLLM: Api = Api {
    server: "vLLM",
    path: "/v1/models",
    list: "data",
    id: "id",
};
const OLLAMA: Api = Api {
    server: "Ollama",
    path: "/api/tags",
    list: "models",
    id: "name",
};

fn server(c: &Lxc, api: &Api, port: u16, want: Option<String>) -> Check {
    let k = Kind::Models.word();
    let what = format!("CT {} {} {}:{port}", c.id, api.server, c.name);
    if c.template_snapshot_name.is_some() {
        return Check::skipped(k, what, "a template: its clones serve, it does not");
    }
    let Some(ip) = c.ip() else {
        return Check::skipped(k, what, "no static address to ask");
    };
    match crate::trust::running(c.id) {
        Err(why) => return Check::failed(k, what, why),
        Ok(false) => return Check::skipped(k, what, "not running"),
        Ok(true) => {}
    }
    let addr = SocketAddr::from((ip, port));
    let url = format!("http://{addr}{}", api.path);
    let (code, body) = match crate::http::get(addr, api.path) {
        Ok(a) => a,
        Err(why) => return Check::failed(k, what, format!("CT {}: {why}", c.id)),
    };
    if code != 200 {
        return Check::failed(k, what, format!("{url}: HTTP {code}: {}", cut(&body)));
    }
    let ids: Option<Vec<String>> = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| {
            v.get(api.list)?.as_array().map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get(api.id)?.as_str().map(String::from))
                    .collect()
            })
        });
    match (ids, want) {
        (None, _) => Check::failed(
            k,
            what,
            format!(
                "{url}: not a {} model list (no \"{}\" array): {}",
                api.server,
                api.list,
                cut(&body)
            ),
        ),
        (Some(ids), Some(w)) if !ids.contains(&w) => Check::failed(
            k,
            what,
            format!("{url} lists {:?}; {w:?} is configured", ids),
        ),
        (Some(ids), _) => Check::ok(k, what, format!("{url}: HTTP 200, models {ids:?}")),
    }
}

fn cut(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

/// What vLLM names the model in /v1/models: `--served-model-name`, else
/// the model path (vllm/entrypoints/openai/serving_models.py).
fn served_name(c: &Lxc) -> Option<String> {
    let e = c.vllm_engine_config.as_ref()?;
    ["served_model_name", "model"]
        .iter()
        .find_map(|k| match e.get(k) {
            Some(phx_common::config::ArgValue::Str(s)) => Some(s.clone()),
            Some(phx_common::config::ArgValue::List(l)) => l.first().and_then(|v| match v {
                phx_common::config::ArgValue::Str(s) => Some(s.clone()),
                _ => None,
            }),
            _ => None,
        })
}

/// The drivers: the host's, then each GPU container's.
pub fn drivers(inv: &Inventory) -> Vec<Check> {
    std::iter::once(host(inv))
        .chain(
            inv.lxcs
                .values()
                .filter(|c| !c.gpus.is_empty())
                .map(|c| in_container(inv, c)),
        )
        .collect()
}

/// The model servers, in CTID order.
pub fn servers(inv: &Inventory) -> Vec<Check> {
    let mut out = Vec::new();
    for c in inv.lxcs.values() {
        if c.has_feature("vllm") {
            out.push(server(c, &VLLM, vllm_port(c), served_name(c)));
        }
        if c.has_feature("ollama") {
            out.push(server(c, &OLLAMA, ollama_port(c), None));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failure_names_the_version_that_differs() {
        let e = super::judged(
            &["580.76.05", "575.64.03"],
            Some("580.76.05"),
            "on the host",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "nvidia-smi on the host reports driver 575.64.03; 580.76.05 is configured"
        );
        assert!(super::judged(&["580.76.05", "580.76.05"], Some("580.76.05"), "x").is_ok());
        assert!(super::judged(&[], Some("580.76.05"), "x").is_err());
    }
}
