//! The NVIDIA keys (`config::gpu`): the hypervisor file's `nvidia_driver`,
//! the `nvidia_*` keys of the LXC file and its entries, and an entry's
//! `vllm_engine_config`.

use super::super::gpu::{ArgValue, EngineConfig, NvidiaDriver, NvidiaKeys};
use super::super::raw::{show_str, Entries, List, Obj, Scalar};
use super::super::reader::{At, Reader};
use crate::section;

section! {
    pub struct RawNvidiaDriver {
        "install" => install: Scalar,
        "version" => version: Scalar,
        "runfile_url" => runfile_url: Scalar,
        "runfile_sha256" => runfile_sha256: Scalar,
        "cuda_version" => cuda_version: Scalar,
        "install_vllm_libs" => install_vllm_libs: Scalar,
    }
}

pub const DRIVER_VERSION: &str =
    "an NVIDIA driver version: numbers separated by dots (\"580.76.05\")";
const CUDA_VERSION: &str = "a CUDA release: MAJOR.MINOR (\"12.8\")";
const URL: &str =
    "an http:// or https:// URL with a host and a file name, printable ASCII without spaces, at most 2048 characters";
const REPO_URL: &str = "an http:// or https:// URL of an apt repository directory, ending in '/', printable ASCII without spaces, at most 2048 characters";

fn numbers(s: &str, min_parts: usize, max_parts: usize) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (min_parts..=max_parts).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
}

pub fn is_driver_version(s: &str) -> bool {
    numbers(s, 2, 4)
}

fn is_cuda_version(s: &str) -> bool {
    numbers(s, 2, 2)
}

fn is_file_url(s: &str) -> bool {
    phx_plan::download::url_problem(s).is_none() && phx_plan::download::url_file_name(s).is_some()
}

fn is_repo_url(s: &str) -> bool {
    phx_plan::download::url_problem(s).is_none() && s.ends_with('/')
}

fn is_sha256(s: &str) -> bool {
    phx_plan::download::digest_problem(phx_plan::download::Algo::Sha256, s).is_none()
}

pub fn nvidia_driver(r: &mut Reader, at: &At, v: Obj<RawNvidiaDriver>) -> Option<NvidiaDriver> {
    let before = r.problems.count();
    let d = r.obj(at, v, |r, n| {
        if n.install_vllm_libs.is_some() {
            // The original's files carry it and none of its scripts reads it.
            let file = r.file_name();
            r.problems.warn(format!(
                "{file}: nvidia_driver.install_vllm_libs: not handled, ignored: no script of the original reads it; a container's \"vllm\" feature installs vLLM"
            ));
        }
        NvidiaDriver {
        install: r
            .opt(at, "install", n.install, Reader::bool)
            .unwrap_or(false),
        version: r.opt(at, "version", n.version, |r, at, v| {
            r.token(at, v, is_driver_version, DRIVER_VERSION)
        }),
        runfile_url: r.opt(at, "runfile_url", n.runfile_url, |r, at, v| {
            r.token(at, v, is_file_url, URL)
        }),
        runfile_sha256: r.opt(at, "runfile_sha256", n.runfile_sha256, |r, at, v| {
            r.token(at, v, is_sha256, "a SHA-256 digest: 64 hexadecimal digits")
        }),
        cuda_version: r.opt(at, "cuda_version", n.cuda_version, |r, at, v| {
            r.token(at, v, is_cuda_version, CUDA_VERSION)
        }),
    }
    })?;
    same_version(
        r,
        at,
        "runfile_url",
        d.version.as_deref(),
        d.runfile_url.as_deref(),
    );
    if d.install {
        // phx-gpu installs exactly this driver, from this runfile.
        if d.version.is_none() && r.problems.count() == before {
            r.missing(
                at,
                "version",
                format!("{DRIVER_VERSION} (required when install is true)"),
            );
        }
        if d.runfile_url.is_none() && r.problems.count() == before {
            r.missing(
                at,
                "runfile_url",
                format!("{URL} (required when install is true)"),
            );
        }
    }
    (r.problems.count() == before).then_some(d)
}

/// A runfile given beside a version must be that version's: the runfile
/// installs the version its name carries, and a guard that waits for the
/// other one would run the installer on every apply.
fn same_version(r: &mut Reader, at: &At, url_key: &str, version: Option<&str>, url: Option<&str>) {
    let (Some(version), Some(url)) = (version, url) else {
        return;
    };
    if let Some(named) = crate::gpu::runfile_version(url).filter(|n| *n != version) {
        r.push(
            &at.key(url_key),
            show_str(url),
            format!("the runfile of driver {version}, the version given beside it (this file name is driver {named}'s)"),
        );
    }
}

/// `nvidia_driver_version`, `nvidia_repo_url`, `nvidia_runfile_url` at `at`.
pub fn keys(r: &mut Reader, at: &At, [version, repo, runfile]: [Option<Scalar>; 3]) -> NvidiaKeys {
    let k = keys_read(r, at, [version, repo, runfile]);
    same_version(
        r,
        at,
        "nvidia_runfile_url",
        k.driver_version.as_deref(),
        k.runfile_url.as_deref(),
    );
    k
}

fn keys_read(r: &mut Reader, at: &At, [version, repo, runfile]: [Option<Scalar>; 3]) -> NvidiaKeys {
    NvidiaKeys {
        driver_version: r.opt(at, "nvidia_driver_version", version, |r, at, v| {
            r.token(at, v, is_driver_version, DRIVER_VERSION)
        }),
        repo_url: r.opt(at, "nvidia_repo_url", repo, |r, at, v| {
            r.token(at, v, is_repo_url, REPO_URL)
        }),
        runfile_url: r.opt(at, "nvidia_runfile_url", runfile, |r, at, v| {
            r.token(at, v, is_file_url, URL)
        }),
    }
}

/// A vLLM engine argument's name as the file gives it (`max_model_len`):
/// it becomes a `--kebab-case` flag on the server's command line.
fn is_arg_name(s: &str) -> bool {
    s.len() <= 64
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

const ARG_VALUE: &str = "a string, number, boolean or null, or a list of those";

fn arg_value(r: &mut Reader, at: &At, v: Scalar) -> Option<ArgValue> {
    match v {
        Scalar::Bool(b) => Some(ArgValue::Bool(b)),
        Scalar::Num(n) => Some(ArgValue::Num(n)),
        Scalar::Other(t) if t == "null" => Some(ArgValue::Null),
        Scalar::Str(_) => r.str(at, v).map(ArgValue::Str),
        other => {
            r.bad(at, &other, ARG_VALUE);
            None
        }
    }
}

type RawEngine = Entries<Entries<List<Scalar>>>;

pub fn engine_config(r: &mut Reader, at: &At, v: RawEngine) -> Option<EngineConfig> {
    let before = r.problems.count();
    let mut sections = Vec::new();
    let mut names: Vec<String> = Vec::new();
    r.entries(at, v, |r, at, section, keys| {
        let mut args = Vec::new();
        r.entries(at, keys, |r, at, key, value| {
            if !is_arg_name(&key) {
                r.push(at, show_str(&key), "an engine argument's name: a letter, then letters, digits, '_' or '-' (at most 64)");
                return;
            }
            let flag = key.replace('_', "-");
            if names.contains(&flag) {
                // Two sections giving one flag: vLLM would take whichever came last.
                r.push(at, show_str(&key), "each engine argument once in vllm_engine_config (another section gives it)");
                return;
            }
            names.push(flag);
            let value = match value {
                List::One(s) => arg_value(r, at, s),
                List::Items(items) => {
                    let n = items.len();
                    let vals: Vec<_> = items
                        .into_iter()
                        .enumerate()
                        .filter_map(|(i, x)| arg_value(r, &at.index(i), x))
                        .collect();
                    (vals.len() == n).then_some(ArgValue::List(vals))
                }
            };
            // Where phx-verify and the recipes find the server.
            let port_ok = |v: &ArgValue| matches!(v, ArgValue::Num(n) if n.as_u64().is_some_and(|p| (1..=65535).contains(&p)));
            match value {
                Some(v) if key == "port" && !port_ok(&v) => {
                    r.push(at, v.to_string(), "a port number 1-65535");
                }
                Some(v) => args.push((key, v)),
                None => {}
            }
        });
        sections.push((section, args));
    });
    (r.problems.count() == before).then_some(EngineConfig { sections })
}
