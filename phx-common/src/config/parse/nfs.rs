//! `nfs.exports[]`: what the node exports over NFS, one `/etc/exports`
//! line per entry (exports(5)).

use super::super::model::NfsExport;
use super::super::raw::Obj;
use super::super::reader::{At, Reader};
use super::host::RawExport;
use super::tokens::abs_path;

const CLIENT: &str = "an exports(5) client: a host name, an IPv4 address or CIDR, a wildcard (*.example.com) or @netgroup";
const OPTION: &str = "an exports(5) option (rw, sync, no_subtree_check, fsid=1, sec=krb5p…)";

fn is_client(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.*?/:@[]".contains(&b))
}

fn is_option(s: &str) -> bool {
    let (k, v) = s.split_once('=').unwrap_or((s, "x"));
    !k.is_empty()
        && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        && !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:/".contains(&b))
}

pub fn export(r: &mut Reader, at: &At, e: Obj<RawExport>) -> Option<NfsExport> {
    r.obj(at, e, |r, e| {
        let path = r.req(
            at,
            "path",
            e.path,
            "the exported directory (required)",
            abs_path,
        );
        let clients = r.req(
            at,
            "clients",
            e.clients,
            "who may mount it (required)",
            |r, at, c| {
                let items = r.str_items(at, c, &[], |r, at, s| {
                    if is_client(&s) {
                        Some(s)
                    } else {
                        r.push(at, format!("\"{s}\""), CLIENT);
                        None
                    }
                });
                if items.is_empty() {
                    r.push(at, "[]", "at least one client");
                    return None;
                }
                Some(items)
            },
        );
        let options = e
            .options
            .map(|o| {
                r.str_items(&at.key("options"), o, &[], |r, at, s| {
                    if is_option(&s) {
                        Some(s)
                    } else {
                        r.push(at, format!("\"{s}\""), OPTION);
                        None
                    }
                })
            })
            .unwrap_or_default();
        Some(NfsExport {
            path: path?,
            clients: clients?,
            options,
        })
    })
    .flatten()
}
