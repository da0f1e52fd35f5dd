//! JSON Schemas (draft 7) of Phoenix's three configuration files, for
//! editors and for `phoenix-cli schema`. They are built from the loader:
//! every object's keys are checked against the `section!` declarations in
//! `phx_common::config::parse` (`tests/it/drift.rs`), and every value's schema
//! mirrors the check the loader makes on it (`leaf.rs`), leniencies
//! included. Rules that join several values (unique IDs, references,
//! gateways inside subnets…) are the loader's alone: a schema cannot say them.

pub mod builder;
pub mod cli;
mod firewall;
mod fwrule;
mod guest;
mod host;
pub mod leaf;
mod nvidia;
mod range;

use builder::{opt, req, Builder, Seen};
use phx_common::config::load::{HYPERVISOR_FILE, LXC_FILE, VM_FILE};
use phx_common::config::parse::document::Document;
use serde_json::{json, Value};

/// One of the three configuration files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum File {
    Hypervisor,
    Lxc,
    Vm,
}

impl File {
    pub const ALL: [File; 3] = [File::Hypervisor, File::Lxc, File::Vm];

    /// The configuration file the schema describes.
    pub fn config_name(self) -> &'static str {
        match self {
            File::Hypervisor => HYPERVISOR_FILE,
            File::Lxc => LXC_FILE,
            File::Vm => VM_FILE,
        }
    }

    /// The schema's own file name: `phoenix_lxc_configs.schema.json`.
    pub fn schema_name(self) -> String {
        self.config_name().replace(".json", ".schema.json")
    }

    /// The short name `phoenix-cli schema` takes.
    pub fn short(self) -> &'static str {
        match self {
            File::Hypervisor => "hypervisor",
            File::Lxc => "lxc",
            File::Vm => "vm",
        }
    }

    /// A short name or either file name.
    pub fn parse(s: &str) -> Option<File> {
        File::ALL
            .into_iter()
            .find(|f| s == f.short() || s == f.config_name() || s == f.schema_name())
    }
}

/// What `phx-schema` without FILE prints: each file's short name and the
/// configuration file it describes, then how to get a schema.
pub fn listing() -> String {
    let mut s = String::from("The configuration files phx-schema describes (FILE: either name):\n");
    for f in File::ALL {
        s.push_str(&format!("  {:<12}{}\n", f.short(), f.config_name()));
    }
    s.push_str("phx-schema FILE prints its JSON Schema; phx-schema --out DIR writes all three.\n");
    s
}

/// The schema of `file`.
pub fn schema(file: File) -> Value {
    build(file, &mut Builder::default())
}

/// The schema as shipped: pretty JSON with a final newline.
pub fn text(file: File) -> String {
    let mut s = serde_json::to_string_pretty(&schema(file)).expect("a schema serialises");
    s.push('\n');
    s
}

/// Every section the three schemas describe, with the loader's keys beside
/// the schema's, for the drift test.
pub fn coverage() -> Vec<Seen> {
    let mut b = Builder::default();
    for f in File::ALL {
        build(f, &mut b);
    }
    b.seen
}

fn build(file: File, b: &mut Builder) -> Value {
    let (description, props) = match file {
        File::Hypervisor => (
            "The host: domain, network, firewall, DNS server, CA, storages, ZFS, LXC defaults.",
            vec![
                req("domain_name", leaf::dns_name("the internal DNS domain (required)")),
                req("network", host::network(b)),
                opt("firewall", firewall::firewall(b)),
                opt("shared_volumes", host::shared_volumes(b)),
                opt("dns_server", host::dns_server(b)),
                opt("step_ca", host::step_ca(b)),
                opt("mount_point_base", leaf::abs_path("where persistent volumes live (default /mnt/pve)")),
                opt("proxmox_storage_ids", host::storage_ids()),
                opt("zfs", host::zfs(b)),
                opt("nfs", host::nfs(b)),
                opt("proxmox_defaults", host::proxmox_defaults(b)),
                opt("flows", host::flows(b)),
                opt("nvidia_driver", nvidia::nvidia_driver(b)),
                opt(
                    "vm_defaults",
                    json!({"description": "read from phoenix_vm_configs.json; the original system's hypervisor file carries a copy, not read"}),
                ),
            ],
        ),
        File::Lxc => (
            "The containers, keyed by CTID. An estate without containers says so: {\"lxc_configs\": {}}.",
            std::iter::once(req(
                "lxc_configs",
                json!({
                    "type": "object",
                    "description": "containers: CTID (100 to 999999999) → settings",
                    "propertyNames": {"pattern": leaf::ctid_key()},
                    "additionalProperties": guest::lxc(b),
                }),
            ))
            .chain(nvidia::keys("every GPU container's"))
            .collect(),
        ),
        File::Vm => (
            "The VMs, in file order. An estate without VMs says so: {\"vms\": []}.",
            vec![
                req("vms", leaf::array(guest::vm(b), "the VMs")),
                opt("vm_defaults", guest::vm_defaults(b)),
            ],
        ),
    };
    let mut root = b.object::<Document>(description, props);
    let root_obj = root.as_object_mut().expect("an object schema");
    root_obj.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    root_obj.insert("title".into(), json!(file.config_name()));
    let definitions = b.take_definitions();
    if !definitions.is_empty() {
        root_obj.insert("definitions".into(), Value::Object(definitions));
    }
    root
}
