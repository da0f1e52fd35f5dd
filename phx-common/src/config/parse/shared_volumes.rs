//! `shared_volumes` of the hypervisor file: named host directories, each
//! bind-mounted into the containers its `mounts` names
//! (`{"ssl_certs": {"host_path": "/mnt/pve/…/ssl", "mounts": {"910": "/certs"}}}`),
//! and, one key among them, the cluster firewall (where the original's
//! files keep it: `shared_volumes.firewall`).

use super::super::dup::{Duplicate, KeyLog, Unread};
use super::super::raw::{read, Entries, FromMap, Key, Obj, Scalar, Section};
use super::super::reader::{At, Reader};
use super::super::shared_volume::{SharedMount, SharedVolume};
use super::firewall::RawFirewall;
use super::lxc_options::dangerous;
use super::tokens::{abs_path, MAX_ID, MIN_ID};
use crate::section;
use serde::de::MapAccess;

/// The object: its `firewall`, and every other key a volume. Not a
/// `section!`: its keys are the operator's names.
#[derive(Debug, Default)]
pub struct RawSharedVolumes {
    pub firewall: Option<Obj<RawFirewall>>,
    pub volumes: Vec<(String, Obj<RawSharedVolume>)>,
    duplicates: Vec<Duplicate>,
}

section! {
    pub struct RawSharedVolume {
        "host_path" => host_path: Scalar,
        "mounts" => mounts: Entries<Scalar>,
        "mode" => mode: Scalar,
    }
}

impl RawSharedVolumes {
    /// The one key that is no volume (for the schema).
    pub const KEYS: &'static [&'static str] = &["firewall"];
    pub const QUIET: &'static [&'static str] = &[];

    pub fn known_keys() -> Vec<&'static str> {
        Self::KEYS.to_vec()
    }
}

impl Section for RawSharedVolumes {
    fn known_keys() -> Vec<&'static str> {
        RawSharedVolumes::known_keys()
    }
    fn take_unread(&mut self) -> Option<Box<Unread>> {
        if self.duplicates.is_empty() {
            return None;
        }
        let mut u = Unread::default();
        u.duplicates = std::mem::take(&mut self.duplicates);
        Some(Box::new(u))
    }
}

impl<'de> FromMap<'de> for RawSharedVolumes {
    fn from_map<A: MapAccess<'de>>(map: A) -> Result<Self, A::Error> {
        Self::read_map(map, |map| {
            let mut fw = None;
            read(map, &mut fw)?;
            Ok(fw)
        })
    }
}

impl RawSharedVolumes {
    /// The object, its `firewall` read by `firewall` (`config::stream`
    /// checks the cluster's rules as they are read, wherever the firewall
    /// sits), every other key a volume.
    pub fn read_map<'de, A: MapAccess<'de>>(
        mut map: A,
        mut firewall: impl FnMut(&mut A) -> Result<Option<Obj<RawFirewall>>, A::Error>,
    ) -> Result<Self, A::Error> {
        let mut s = Self::default();
        let mut keys = KeyLog::default();
        while let Some(Key(k)) = map.next_key::<Key>()? {
            if !keys.first(&k) {
                s.duplicates.push(Duplicate::key(&k));
            }
            if k == "firewall" {
                s.firewall = firewall(&mut map)?;
            } else {
                // A named entry: `null` is no volume (as in `lxc_configs`).
                let v: Obj<RawSharedVolume> = map.next_value()?;
                s.volumes.push((k.into_owned(), v));
            }
        }
        Ok(s)
    }
}

const CTID_KEY: &str = "a CTID as the key";
const GUEST_PATH: &str = "the path inside the container";

/// The volumes, in file order; the firewall is the caller's.
pub fn volumes(
    r: &mut Reader,
    at: &At,
    raw: Vec<(String, Obj<RawSharedVolume>)>,
) -> Vec<SharedVolume> {
    let mut out = Vec::new();
    for (name, v) in raw {
        r.entry(at, name, v, |r, at, name, v| {
            out.extend(r.obj(at, v, |r, v| volume(r, at, name, v)).flatten());
        });
    }
    out
}

fn volume(r: &mut Reader, at: &At, name: String, v: RawSharedVolume) -> Option<SharedVolume> {
    let host_path = r.req(
        at,
        "host_path",
        v.host_path,
        "the host directory to share (required)",
        abs_path,
    );
    if host_path.as_deref() == Some("/") {
        // No entry's allow_dangerous covers a volume of several containers.
        dangerous(
            r,
            &at.key("host_path"),
            "\"/\"",
            "mounts the host's / into containers",
            false,
        );
        return None;
    }
    let mode = r.opt(at, "mode", v.mode, super::tokens::dir_mode);
    let mut mounts = Vec::new();
    let m_at = at.key("mounts");
    r.req(
        at,
        "mounts",
        v.mounts,
        "the containers that mount it: {\"<ctid>\": \"<path inside>\"} (required)",
        |r, _, m| {
            r.entries(&m_at, m, |r, at, key, path| {
                let ctid = match key.parse::<u64>() {
                    Ok(id) if (MIN_ID..=MAX_ID).contains(&id) && !key.starts_with('0') => {
                        Some(id as u32)
                    }
                    _ => {
                        r.push(
                            at,
                            format!("{key:?}"),
                            format!("{CTID_KEY} ({MIN_ID} to {MAX_ID})"),
                        );
                        None
                    }
                };
                let guest_path = abs_path(r, at, path);
                if let (Some(ctid), Some(guest_path)) = (ctid, guest_path) {
                    if guest_path == "/" {
                        r.push(at, "\"/\"", format!("{GUEST_PATH}, not its root"));
                        return;
                    }
                    mounts.push(SharedMount {
                        ctid,
                        guest_path,
                        at: at.render(),
                    });
                }
            });
            Some(())
        },
    );
    Some(SharedVolume {
        name,
        host_path: host_path?,
        mounts,
        mode,
    })
}
