//! Object schemas built from the loader's own section declarations: the
//! keys a section reads and the keys it skips quietly come from
//! `phx_common`'s `section!` constants, and every section built is recorded
//! so a test can hold the schema to the loader key by key.

use phx_common::config::declared_flow::RawFlow;
use phx_common::config::parse::document::Document;
use phx_common::config::parse::firewall::{
    RawAlias, RawFirewall, RawGroup, RawIpset, RawRule, RawSetEntry,
};
use phx_common::config::parse::guest::{RawGuestCommon, RawGuestNet};
use phx_common::config::parse::host::{
    RawDataset, RawDnsServer, RawExport, RawHostNetwork, RawInterfaces, RawLxcDefaults, RawNfs,
    RawPool, RawProxmoxDefaults, RawSharedVolume, RawSharedVolumes, RawStepCa, RawZfs,
};
use phx_common::config::parse::lxc::{RawLxc, RawMountPoint, RawZfsVolume};
use phx_common::config::parse::nvidia::RawNvidiaDriver;
use phx_common::config::parse::records::{RawDnsRecord, RawTraefikService};
use phx_common::config::parse::vm::{RawUserConfig, RawVm, RawVmDefaults, RawVmVolume};
use serde_json::{json, Map, Value};

/// What the loader knows about a section's keys.
pub trait LoaderSection {
    const NAME: &'static str;
    /// The keys it reads (shared ones included).
    fn keys() -> Vec<&'static str>;
    /// The keys it skips without a warning.
    fn quiet() -> Vec<&'static str>;
}

macro_rules! loader_sections {
    ($($t:ident $(+ $shared:ident)?),* $(,)?) => {$(
        impl LoaderSection for $t {
            const NAME: &'static str = stringify!($t);
            fn keys() -> Vec<&'static str> {
                $t::known_keys()
            }
            fn quiet() -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut q = $t::QUIET.to_vec();
                $(q.extend($shared::QUIET);)?
                q
            }
        }
    )*};
}

loader_sections!(
    Document,
    RawHostNetwork,
    RawInterfaces,
    RawSharedVolumes,
    RawSharedVolume,
    RawDnsServer,
    RawStepCa,
    RawZfs,
    RawDataset,
    RawPool,
    RawNfs,
    RawExport,
    RawProxmoxDefaults,
    RawLxcDefaults,
    RawGuestCommon,
    RawGuestNet,
    RawDnsRecord,
    RawTraefikService,
    RawLxc + RawGuestCommon,
    RawZfsVolume,
    RawMountPoint,
    RawVm + RawGuestCommon,
    RawUserConfig,
    RawVmVolume,
    RawVmDefaults,
    RawFirewall,
    RawIpset,
    RawSetEntry,
    RawGroup,
    RawAlias,
    RawRule,
    RawFlow,
    RawNvidiaDriver,
);

/// One key of an object schema.
pub struct Prop {
    key: &'static str,
    schema: Value,
    required: bool,
}

/// An optional key. `null` reads as absent (`raw::read`), so it is allowed.
pub fn opt(key: &'static str, mut schema: Value) -> Prop {
    let schema = match schema.get_mut("anyOf").and_then(Value::as_array_mut) {
        Some(alts) => {
            alts.push(json!({"type": "null"}));
            schema
        }
        None => {
            let description = schema.as_object_mut().and_then(|o| o.remove("description"));
            let mut wrapped = json!({"anyOf": [schema, {"type": "null"}]});
            if let Some(d) = description {
                wrapped["description"] = d;
            }
            wrapped
        }
    };
    Prop {
        key,
        schema,
        required: false,
    }
}

/// A required key (absent or `null`: the loader's "(missing)").
pub fn req(key: &'static str, schema: Value) -> Prop {
    Prop {
        key,
        schema,
        required: true,
    }
}

/// "`key` is there and not null" (`null` reads as absent), for rules
/// between the keys of one object.
pub fn present(key: &str) -> Value {
    json!({"required": [key], "properties": {key: {"not": {"type": "null"}}}})
}

/// A section as the schema and the loader each see it.
pub struct Seen {
    pub section: &'static str,
    pub schema_keys: Vec<String>,
    pub loader_keys: Vec<&'static str>,
    pub quiet: Vec<&'static str>,
}

#[derive(Default)]
pub struct Builder {
    definitions: Map<String, Value>,
    pub seen: Vec<Seen>,
}

impl Builder {
    /// The object schema of section `T`: `props` are the keys it reads,
    /// its quiet keys accept anything, and any other key is refused — what
    /// `--strict` does (without it the loader warns and ignores the key).
    pub fn object<T: LoaderSection>(&mut self, description: &str, props: Vec<Prop>) -> Value {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for p in &props {
            properties.insert(p.key.to_string(), p.schema.clone());
            if p.required {
                required.push(p.key);
            }
        }
        let quiet = T::quiet();
        for q in &quiet {
            properties.insert(
                q.to_string(),
                json!({"description": "carried by the original system's files; Phoenix does not read it"}),
            );
        }
        self.seen.push(Seen {
            section: T::NAME,
            schema_keys: props.iter().map(|p| p.key.to_string()).collect(),
            loader_keys: T::keys(),
            quiet,
        });
        let mut o = json!({
            "type": "object",
            "description": description,
            "properties": properties,
            "additionalProperties": false,
        });
        if !required.is_empty() {
            o["required"] = json!(required);
        }
        o
    }

    /// A reference to the definition `name`, built by `make` the first time
    /// (a definition may refer to itself: a firewall's `host`).
    pub fn def(&mut self, name: &str, make: impl FnOnce(&mut Builder) -> Value) -> Value {
        if !self.definitions.contains_key(name) {
            self.definitions.insert(name.to_string(), Value::Null);
            let schema = make(self);
            self.definitions.insert(name.to_string(), schema);
        }
        json!({"$ref": format!("#/definitions/{name}")})
    }

    /// The definitions built so far, taken for one document's schema.
    pub fn take_definitions(&mut self) -> Map<String, Value> {
        std::mem::take(&mut self.definitions)
    }
}
