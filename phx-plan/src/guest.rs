//! Which guest an in-guest step acts in: an LXC container (reached through
//! `pct exec`) or a QEMU VM (reached through its guest agent, `qm guest
//! exec`). In a step it is one member, `"ctid": N` or `"vmid": N`, so every
//! plan written before VMs existed reads the same.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "GuestId", into = "GuestId")]
pub enum Guest {
    /// An LXC container, by CTID.
    Ct(u32),
    /// A QEMU VM, by VMID; it needs the guest agent (`agent: 1`, running).
    Vm(u32),
}

impl Guest {
    /// The VM `vmid` (a bare number means a container: `From<u32>`).
    pub fn vm(vmid: u32) -> Guest {
        Guest::Vm(vmid)
    }
    pub fn id(self) -> u32 {
        match self {
            Guest::Ct(id) | Guest::Vm(id) => id,
        }
    }
    pub fn is_vm(self) -> bool {
        matches!(self, Guest::Vm(_))
    }
    /// How file labels name a guest file: `ct101:/etc/x`, `vm1001:/etc/x`.
    pub fn tag(self) -> String {
        match self {
            Guest::Ct(id) => format!("ct{id}"),
            Guest::Vm(id) => format!("vm{id}"),
        }
    }
}

/// A bare ID is a container's: every guest step before VMs named a CTID,
/// and the builders in `guest_steps` keep taking one.
impl From<u32> for Guest {
    fn from(ctid: u32) -> Guest {
        Guest::Ct(ctid)
    }
}

/// An invalid guest on purpose: 0 is no ID Proxmox accepts, so a step built
/// from `Default` without its guest is refused by the executor's plan check.
impl Default for Guest {
    fn default() -> Guest {
        Guest::Ct(0)
    }
}

/// `CT 101` / `VM 1001`, as messages and pct/qm name them.
impl fmt::Display for Guest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Guest::Ct(id) => write!(f, "CT {id}"),
            Guest::Vm(id) => write!(f, "VM {id}"),
        }
    }
}

/// The JSON shape: exactly one of the two members.
#[derive(Serialize, Deserialize)]
struct GuestId {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ctid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vmid: Option<u32>,
}

impl TryFrom<GuestId> for Guest {
    type Error = String;
    fn try_from(g: GuestId) -> Result<Guest, String> {
        match (g.ctid, g.vmid) {
            (Some(id), None) => Ok(Guest::Ct(id)),
            (None, Some(id)) => Ok(Guest::Vm(id)),
            (Some(c), Some(v)) => Err(format!(
                "a guest step names one guest: ctid {c} (a container) or vmid {v} (a VM), not both"
            )),
            (None, None) => {
                Err("a guest step needs its guest: ctid (a container) or vmid (a VM)".into())
            }
        }
    }
}

impl From<Guest> for GuestId {
    fn from(g: Guest) -> GuestId {
        match g {
            Guest::Ct(id) => GuestId {
                ctid: Some(id),
                vmid: None,
            },
            Guest::Vm(id) => GuestId {
                ctid: None,
                vmid: Some(id),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Guest;
    use crate::{Action, GuestFileStep, Step};

    fn line(guest: &str) -> String {
        format!(
            r#"{{"v":1,"tool":"t","id":"f","kind":"guest_file",{guest}"path":"/x","content":"y"}}"#
        )
    }

    #[test]
    fn a_container_step_is_the_json_it_always_was_and_a_vm_step_names_its_vmid() {
        for (member, guest) in [
            (r#""ctid":101,"#, Guest::Ct(101)),
            (r#""vmid":1001,"#, Guest::Vm(1001)),
        ] {
            let text = line(member);
            let step: Step = serde_json::from_str(&text).unwrap();
            let Action::GuestFile(f) = &step.action else {
                panic!("{step:?}")
            };
            assert_eq!(f.guest, guest);
            assert_eq!(step.action.guest(), Some(guest));
            assert_eq!(serde_json::to_string(&step).unwrap(), text);
        }
        let built = GuestFileStep {
            guest: 101.into(),
            ..Default::default()
        };
        assert_eq!(built.guest, Guest::Ct(101));
    }

    #[test]
    fn a_guest_step_names_exactly_one_guest() {
        let both = serde_json::from_str::<Step>(&line(r#""ctid":101,"vmid":1001,"#)).unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
        let none = serde_json::from_str::<Step>(&line("")).unwrap_err();
        assert!(none.to_string().contains("needs its guest"), "{none}");
    }

    #[test]
    fn guests_are_named_as_pct_and_qm_name_them() {
        assert_eq!(Guest::Ct(101).to_string(), "CT 101");
        assert_eq!(Guest::vm(1001).to_string(), "VM 1001");
        assert_eq!(Guest::vm(1001).tag(), "vm1001");
        assert!(Guest::vm(1001).is_vm() && !Guest::Ct(1).is_vm());
    }
}
