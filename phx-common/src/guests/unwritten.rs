//! A value the entry did not write (`name`, `ip`) takes its default
//! (`CT<id>`, DHCP). The loader says so; on a guest that exists with another
//! value, the default would also rename or readdress it — a removed key
//! must not do that silently. The live value is kept and a warning says
//! how to change it: write the key, or pass `--allow-rename`.

use super::Kind;
use crate::config::model::GuestCommon;

/// Whether guest `g`'s live `live` is kept instead of the default
/// `default` its entry leaves `key` (`name` or `ip`, as the JSON names
/// it) to. A kept value is warned about in `warnings`.
pub fn keep_live(
    kind: Kind,
    g: &GuestCommon,
    key: &str,
    live: &str,
    default: &str,
    allow_rename: bool,
    warnings: &mut Vec<String>,
) -> bool {
    if live == default || allow_rename {
        return false;
    }
    let what = if key == "ip" { "address" } else { "name" };
    warnings.push(format!(
        "{} {}: {}: no \"{key}\", so its default {default} would replace the live {what} {live}; kept {live}: write \"{key}\" to change it, or pass --allow-rename to take the default",
        kind.noun, g.id, g.path
    ));
    true
}
