//! The guest a recipe works in: a container or a VM, with what the
//! recipes and their messages read of its entry (its file and JSON path,
//! whether it is unprivileged, its clone chain). A container's steps go
//! through `pct exec`, a VM's through its guest agent (`qm guest exec`):
//! the step kinds are the same, only their `Guest` differs.

use phx_common::config::{GuestCommon, Inventory, Lxc, Vm};
use phx_plan::Guest;

/// Which kind of entry.
#[derive(Debug, Clone, Copy)]
pub enum Of<'a> {
    Ct(&'a Lxc),
    Vm(&'a Vm),
}

#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub of: Of<'a>,
    /// The JSON file the entry is in, for messages.
    pub file: &'a str,
}

impl<'a> Subject<'a> {
    pub fn ct(inv: &'a Inventory, c: &'a Lxc) -> Self {
        Subject {
            of: Of::Ct(c),
            file: &inv.sources.lxc,
        }
    }

    pub fn vm(inv: &'a Inventory, v: &'a Vm) -> Self {
        Subject {
            of: Of::Vm(v),
            file: &inv.sources.vm,
        }
    }

    pub fn common(&self) -> &'a GuestCommon {
        match self.of {
            Of::Ct(c) => &c.guest,
            Of::Vm(v) => &v.guest,
        }
    }

    pub fn id(&self) -> u32 {
        self.common().id
    }

    /// Where its steps run: `pct exec` for a container, the guest agent for a VM.
    pub fn guest(&self) -> Guest {
        match self.of {
            Of::Ct(c) => Guest::Ct(c.id),
            Of::Vm(v) => Guest::vm(v.id),
        }
    }

    /// `CT 101` or `VM 1001`, as messages name it.
    pub fn label(&self) -> String {
        self.guest().to_string()
    }

    /// Its JSON path (`lxc_configs."101"`, `vms[1]`).
    pub fn path(&self) -> &'a str {
        &self.common().path
    }

    /// A VM is a full kernel: never "unprivileged" in pct's sense.
    pub fn unprivileged(&self) -> bool {
        match self.of {
            Of::Ct(c) => c.unprivileged,
            Of::Vm(_) => false,
        }
    }

    /// A golden container template (its snapshot is what clones start
    /// from), or a VM template (`is_template`).
    pub fn is_template(&self) -> bool {
        match self.of {
            Of::Ct(c) => c.template_snapshot_name.is_some(),
            Of::Vm(v) => v.is_template,
        }
    }

    pub fn lxc(&self) -> Option<&'a Lxc> {
        match self.of {
            Of::Ct(c) => Some(c),
            Of::Vm(_) => None,
        }
    }

    pub fn as_vm(&self) -> Option<&'a Vm> {
        match self.of {
            Of::Vm(v) => Some(v),
            Of::Ct(_) => None,
        }
    }

    pub fn has_feature(&self, f: &str) -> bool {
        self.common().has_feature(f)
    }

    /// Its clone source, of the same kind.
    pub fn parent(&self, inv: &'a Inventory) -> Option<Subject<'a>> {
        let from = self.common().clone_from?;
        match self.of {
            Of::Ct(_) => inv.lxcs.get(&from).map(|c| Subject::ct(inv, c)),
            Of::Vm(_) => inv
                .vms
                .iter()
                .find(|v| v.id == from)
                .map(|v| Subject::vm(inv, v)),
        }
    }
}
