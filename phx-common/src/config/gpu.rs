//! The NVIDIA keys of the original's files: the host's driver
//! (`nvidia_driver` in the hypervisor file, phx-gpu), the driver userspace
//! and CUDA a container's `nvidia` feature installs (`nvidia_*` at the top
//! of the LXC file, overridden per entry), and a vLLM server's engine
//! arguments (`vllm_engine_config`).

/// The hypervisor file's `nvidia_driver`.
#[derive(Debug, Clone, Default)]
pub struct NvidiaDriver {
    /// `install`: whether phx-gpu installs the host's kernel driver.
    pub install: bool,
    /// `version` ("580.76.05"); the loader requires it when `install`.
    pub version: Option<String>,
    /// `runfile_url`; the loader requires it when `install`.
    pub runfile_url: Option<String>,
    /// `runfile_sha256`: what the fetched runfile is checked against.
    pub runfile_sha256: Option<String>,
    /// `cuda_version` ("12.8"): the CUDA toolkit GPU containers get.
    pub cuda_version: Option<String>,
}

impl NvidiaDriver {
    /// The driver the host runs, when phx-gpu installs one.
    pub fn installed_version(&self) -> Option<&str> {
        self.version.as_deref().filter(|_| self.install)
    }
}

/// `nvidia_driver_version`, `nvidia_repo_url`, `nvidia_runfile_url`: at
/// the top of the LXC file (every container's), or in an entry (its own).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NvidiaKeys {
    pub driver_version: Option<String>,
    pub repo_url: Option<String>,
    pub runfile_url: Option<String>,
}

impl NvidiaKeys {
    pub fn any(&self) -> bool {
        self.driver_version.is_some() || self.repo_url.is_some() || self.runfile_url.is_some()
    }
}

/// What a container's `nvidia` feature installs by: each value from the
/// entry, else the LXC file's top, else the hypervisor's `nvidia_driver`
/// (the original's `jq_get_value` looked in the entry, then at the top).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestNvidia<'a> {
    pub version: Option<&'a str>,
    pub runfile_url: Option<&'a str>,
    pub repo_url: Option<&'a str>,
    pub cuda_version: Option<&'a str>,
}

/// `vllm_engine_config`: its sections (`ModelConfig`, `ServerConfig`…) and
/// their keys in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineConfig {
    pub sections: Vec<(String, Vec<(String, ArgValue)>)>,
}

/// An engine argument's value: what a command-line flag can carry (the
/// loader refuses objects, and lists of lists).
#[derive(Debug, Clone, PartialEq)]
pub enum ArgValue {
    Str(String),
    /// As JSON writes it (`0.5`, `4096`).
    Num(serde_json::Number),
    Bool(bool),
    Null,
    List(Vec<ArgValue>),
}

impl EngineConfig {
    /// Every key of every section, in file order.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &ArgValue)> {
        self.sections
            .iter()
            .flat_map(|(_, keys)| keys.iter().map(|(k, v)| (k.as_str(), v)))
    }

    /// The value of `key` in whichever section holds it, however the file
    /// spells it: `served_model_name` and `served-model-name` are the one
    /// flag `--served-model-name` (the loader takes either, and refuses
    /// both at once), so `get("port")` and `get("served_model_name")` must
    /// find either spelling.
    pub fn get(&self, key: &str) -> Option<&ArgValue> {
        let flag = |s: &str| s.replace('-', "_");
        let want = flag(key);
        self.keys().find(|(k, _)| flag(k) == want).map(|(_, v)| v)
    }
}

fn first<'a>(
    own: &'a Option<String>,
    file: &'a Option<String>,
    hyp: Option<&'a Option<String>>,
) -> Option<&'a str> {
    own.as_deref()
        .or(file.as_deref())
        .or(hyp.and_then(|h| h.as_deref()))
}

impl<'a> GuestNvidia<'a> {
    /// From a container's own keys, the LXC file's, and the host's driver.
    pub fn resolve(
        own: &'a NvidiaKeys,
        top: &'a NvidiaKeys,
        host: Option<&'a NvidiaDriver>,
    ) -> Self {
        GuestNvidia {
            version: first(
                &own.driver_version,
                &top.driver_version,
                host.map(|h| &h.version),
            ),
            runfile_url: first(
                &own.runfile_url,
                &top.runfile_url,
                host.map(|h| &h.runfile_url),
            ),
            repo_url: first(&own.repo_url, &top.repo_url, None),
            cuda_version: host.and_then(|h| h.cuda_version.as_deref()),
        }
    }
}

/// As JSON writes it: a message shows the value as the file gave it.
impl std::fmt::Display for ArgValue {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            ArgValue::Str(s) => write!(f, "{}", super::raw::show_str(s)),
            ArgValue::Num(n) => write!(f, "{n}"),
            ArgValue::Bool(b) => write!(f, "{b}"),
            ArgValue::Null => f.write_str("null"),
            ArgValue::List(items) => {
                f.write_str("[")?;
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
        }
    }
}
