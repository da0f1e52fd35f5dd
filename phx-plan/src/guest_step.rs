//! Plan steps that act inside a guest: an LXC container (`"ctid"`) or a VM
//! (`"vmid"`, see [`Guest`]). The executor reaches a container only through
//! `pct exec` and a VM only through its guest agent (`qm guest exec`), for
//! read-back, guards and writes alike, with content on stdin, so content
//! never appears in a process's arguments.

use crate::guest::Guest;
use crate::step::{is_false, CommandStep, HandlerStep};
use serde::{Deserialize, Serialize};

/// A whole file inside the guest. Exactly one of `content` and
/// `content_from` (a host path, read when the step runs: e.g. a certificate
/// an earlier step of the same run exported).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuestFileStep {
    /// `"ctid": N` or `"vmid": N` in the JSON.
    #[serde(flatten)]
    pub guest: Guest,
    /// Absolute path inside the guest.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_from: Option<String>,
    /// Octal; a new file without one gets 0644, an existing one keeps its mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Names as the guest knows them; default root / kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
    /// Content is never printed (diffs show `<secret>`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub secret: bool,
}

/// A command step run inside the guest: its `argv` and its guards run
/// there. Its fields follow the guest's in the JSON, as one object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuestCommandStep {
    /// `"ctid": N` or `"vmid": N` in the JSON.
    #[serde(flatten)]
    pub guest: Guest,
    #[serde(flatten)]
    pub command: CommandStep,
}

/// A handler run inside a VM, through its guest agent: `argv` and
/// `only_if` run there, with their own exit status (`qm guest exec` itself
/// exits 0 whatever the command did, so a VM's handler cannot be host argv
/// as a container's `pct exec …` handler is). Its fields follow the guest's
/// in the JSON, as one object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuestHandlerStep {
    /// `"vmid": N` (or `"ctid": N`) in the JSON.
    #[serde(flatten)]
    pub guest: Guest,
    #[serde(flatten)]
    pub handler: HandlerStep,
}

/// A random secret created inside the guest, once; it never leaves the guest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuestSecretStep {
    /// `"ctid": N` or `"vmid": N` in the JSON.
    #[serde(flatten)]
    pub guest: Guest,
    pub path: String,
    pub bytes: usize,
    pub mode: String,
}

/// Sets values in a JSON file the guest owns and keeps everything else
/// (step-ca's ca.json holds key material Phoenix must never replace).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GuestJsonStep {
    /// `"ctid": N` or `"vmid": N` in the JSON.
    #[serde(flatten)]
    pub guest: Guest,
    pub path: String,
    /// Each value is put at its JSON pointer; missing objects on the way are created.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set: Vec<JsonSet>,
    /// Array elements found by matching fields, then updated or appended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upsert: Vec<JsonUpsert>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonSet {
    pub pointer: String,
    pub value: serde_json::Value,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonUpsert {
    /// Pointer to the array.
    pub array: String,
    /// The first element whose fields equal all of these is the one.
    pub matching: serde_json::Map<String, serde_json::Value>,
    /// Fields set on that element (the others are kept), or the new element.
    pub value: serde_json::Map<String, serde_json::Value>,
    /// When no element matches: append `value` (true) or fail (false: the
    /// element holds material only its creator can make, e.g. a JWK key).
    #[serde(default)]
    pub append: bool,
}

/// A host file whose content is a file inside the guest (public material
/// only, e.g. a root certificate): backed up and replaced like a `file` step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FromGuestStep {
    /// `"ctid": N` or `"vmid": N` in the JSON.
    #[serde(flatten)]
    pub guest: Guest,
    /// Path inside the guest.
    pub from: String,
    /// Path on the host.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notify: Vec<String>,
}

#[cfg(test)]
mod tests {
    use crate::{Action, CommandStep, GuestCommandStep, Plan};

    #[test]
    fn a_guest_command_is_one_json_object_in_the_order_it_always_had() {
        let mut plan = Plan::new("phx-ca");
        plan.push(
            "rm",
            Action::GuestCommand(GuestCommandStep {
                guest: 102.into(),
                command: CommandStep {
                    show_output: false,
                    argv: vec!["rm".into(), "x".into()],
                    unless: None,
                    only_if: Some(vec!["test".into(), "-e".into(), "x".into()]),
                    desc: "remove x".into(),
                    notify: vec!["h".into()],
                    timeout_s: None,
                },
            }),
        );
        let line = serde_json::to_string(&plan.steps[0]).unwrap();
        assert_eq!(
            line,
            r#"{"v":1,"tool":"phx-ca","id":"rm","kind":"guest_command","ctid":102,"argv":["rm","x"],"only_if":["test","-e","x"],"desc":"remove x","notify":["h"]}"#
        );
        let back: crate::Step = serde_json::from_str(&line).unwrap();
        assert_eq!(back, plan.steps[0]);
        let missing = line.replace(r#""argv":["rm","x"],"#, "");
        let err = serde_json::from_str::<crate::Step>(&missing).unwrap_err();
        assert!(err.to_string().contains("argv"), "{err}");
    }
}
