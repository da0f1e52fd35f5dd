//! Schemas of single values, one per check the loader makes
//! (`phx_common::config::reader::Reader` and `parse/tokens.rs`). Each says
//! what that check accepts, leniencies included: integers may be numeric
//! strings, booleans may be 0 or 1, a list of strings may be one string.

use crate::range;
use phx_common::config::parse::tokens::{MAX_ID, MIN_ID};
use serde_json::{json, Value};

/// No C0/C1 control, DEL, U+2028/2029, and no format character (bidi
/// controls, zero-width ones, the BOM): `reader::line_safe`. Said as "none
/// anywhere" rather than `^[^…]*$`: Python's `$` also matches before a
/// final line feed, ECMAScript's does not. The loader also refuses the
/// format characters past U+FFFF (Unicode tags U+E0020-E007F and a few
/// others); no escape names them alike in Python and ECMAScript without
/// its `u` flag, so the pattern leaves them to the loader.
pub const LINE_SAFE: &str = "^(?![\\s\\S]*[\\u0000-\\u001f\\u007f-\\u009f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb])";

/// One RFC 1123 label (`names::is_label`).
const LABEL: &str = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const OCTET: &str = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IFACE: &str = "[A-Za-z0-9_.-]{1,15}";

fn described(mut v: Value, description: &str) -> Value {
    v["description"] = json!(description);
    v
}

/// `Reader::str`: a single-line string.
pub fn string(description: &str) -> Value {
    described(json!({"type": "string", "pattern": LINE_SAFE}), description)
}

/// `Reader::text`: a string or a number written as given (firewall fields).
pub fn text(description: &str) -> Value {
    json!({"description": description, "anyOf": [{"type": "number"}, {"type": "string", "pattern": LINE_SAFE}]})
}

/// A single-line string that `pattern` accepts. Line safety is asked for
/// beside it even when `pattern` is ASCII only: its final `$` lets a line
/// feed through in Python's engine.
pub fn token(pattern: String, description: &str) -> Value {
    spaced(pattern, description)
}

/// The same, for a pattern that may use `\s` (the loader trims or splits
/// on white space before checking).
pub fn spaced(pattern: String, description: &str) -> Value {
    described(
        json!({"type": "string", "allOf": [{"pattern": LINE_SAFE}, {"pattern": pattern}]}),
        description,
    )
}

/// What `str::parse::<u64>` takes for `min..=max` after the loader's trim:
/// an optional `+`, any leading zeros.
fn decimal(min: u64, max: u64) -> String {
    format!("\\+?0*({})", range::alternatives(min, max))
}

/// `Reader::int`: a number, or a numeric string, from `min` to `max`.
pub fn int(min: u64, max: u64) -> Value {
    json!({
        "description": format!("an integer from {min} to {max} (a number, or a string of one)"),
        "anyOf": [
            {"type": "integer", "minimum": min, "maximum": max},
            {"type": "string", "pattern": format!("^\\s*{}\\s*$", decimal(min, max))},
        ]
    })
}

/// `tokens::guest_id`.
pub fn guest_id() -> Value {
    int(MIN_ID, MAX_ID)
}

/// A CTID as an `lxc_configs` key: what `key.parse::<u64>()` takes, no leading zero.
pub fn ctid_key() -> String {
    format!("^(\\+0*)?({})$", range::alternatives(MIN_ID, MAX_ID))
}

/// `Reader::bool`.
pub fn boolean(description: &str) -> Value {
    json!({"description": description, "anyOf": [{"type": "boolean"}, {"enum": [0, 1]}]})
}

pub fn dns_name_pattern() -> String {
    format!("(?=.{{1,253}}$){LABEL}(\\.{LABEL})*")
}

/// `tokens::dns_name`.
pub fn dns_name(description: &str) -> Value {
    token(format!("^{}$", dns_name_pattern()), description)
}

/// `names::is_label`: a host name without dots.
pub fn label(description: &str) -> Value {
    token(format!("^{LABEL}$"), description)
}

pub fn ipv4_pattern() -> String {
    format!("{OCTET}(\\.{OCTET}){{3}}")
}

/// `std::net::Ipv6Addr`'s syntax: eight groups, one run of them written
/// `::`, the last two as a dotted IPv4 address if wanted.
pub fn ipv6_pattern() -> String {
    let h = "[0-9A-Fa-f]{1,4}";
    let v4 = ipv4_pattern();
    let mut alts = vec![format!("({h}:){{6}}({h}:{h}|{v4})")];
    for left in 0..=7usize {
        let head = match left {
            0 => String::new(),
            n => format!("({h}:){{{}}}{h}", n - 1),
        };
        let room = 7 - left;
        let mut tails = vec![String::new()];
        if room >= 1 {
            tails.push(format!("({h}:){{0,{}}}{h}", room - 1));
        }
        if room >= 2 {
            tails.push(format!("({h}:){{0,{}}}{v4}", room - 2));
        }
        alts.push(format!("{head}::({})", tails.join("|")));
    }
    format!("({})", alts.join("|"))
}

/// `Reader::ipv4`.
pub fn ipv4(description: &str) -> Value {
    token(format!("^{}$", ipv4_pattern()), description)
}

fn prefix(min: u8) -> &'static str {
    // What parse_ipv4_cidr takes: one or two digits up to 32.
    match min {
        0 => "([0-2]?[0-9]|3[0-2])",
        8 => "(0?[89]|[12][0-9]|3[0-2])",
        _ => unreachable!("no other minimum prefix is read"),
    }
}

/// `Reader::ipv4_cidr`: address/prefix, host bits allowed.
pub fn ipv4_cidr(description: &str) -> Value {
    token(format!("^{}/{}$", ipv4_pattern(), prefix(0)), description)
}

/// A guest's `ip`: `dhcp`, `manual`, or a CIDR with a prefix of 8 to 32.
pub fn guest_ip() -> Value {
    token(
        format!("^(dhcp|manual|{}/{})$", ipv4_pattern(), prefix(8)),
        "\"dhcp\", \"manual\" or an IPv4 CIDR with a prefix of 8 to 32 (absent: DHCP, with a warning, and a live guest keeps its address unless --allow-rename)",
    )
}

/// A list of strings, or one string the loader splits on `seps` (a regex class).
fn list_or_string(item: Value, one: Value, description: &str) -> Value {
    json!({"description": description, "anyOf": [{"type": "array", "items": item}, one]})
}

/// `tokens::ip_list`: IP addresses, as a list or one string separated by
/// spaces, commas or semicolons.
pub fn ip_list(description: &str) -> Value {
    let ip = format!("({}|{})", ipv4_pattern(), ipv6_pattern());
    list_or_string(
        token(format!("^{ip}$"), "an IP address"),
        token(
            format!("^[ ,;]*({ip}([ ,;]+{ip})*)?[ ,;]*$"),
            "IP addresses separated by spaces, commas or semicolons",
        ),
        description,
    )
}

/// `Reader::strs`: strings as written, a list or one string split on commas.
pub fn strs(description: &str) -> Value {
    list_or_string(
        string("one item"),
        string("items separated by commas"),
        description,
    )
}

/// `tokens::features`: the original system's feature names, a list or one
/// string separated by commas.
pub fn features() -> Value {
    use phx_common::config::parse::tokens::FEATURES;
    let names = FEATURES.join("|");
    list_or_string(
        json!({"enum": FEATURES}),
        spaced(
            format!("^[\\s,]*(({names})\\s*(,[\\s,]*({names})\\s*)*)?[\\s,]*$"),
            "features separated by commas",
        ),
        &format!("what runs inside: {}", FEATURES.join(", ")),
    )
}

/// `tokens::pct_features`: `nesting=1`, `mount=nfs;cifs`; a list, and each
/// item (or one string) may hold several separated by commas.
pub fn pct_features(description: &str) -> Value {
    let yes_no =
        "(1|[Yy][Ee][Ss]|[Oo][Nn]|[Tt][Rr][Uu][Ee]|0|[Nn][Oo]|[Oo][Ff][Ff]|[Ff][Aa][Ll][Ss][Ee])";
    let feature = format!("((force_rw_sys|fuse|keyctl|mknod|nesting)={yes_no}|mount=[a-z0-9;]+)");
    let piece = format!("\\s*({feature})?\\s*");
    let items = spaced(
        format!("^{piece}(,{piece})*$"),
        "pct features separated by commas",
    );
    list_or_string(items.clone(), items, description)
}

/// Strings the loader checks one by one; one string is one item (trimmed:
/// a blank one is no item).
pub fn items(item: Value, description: &str) -> Value {
    let one = json!({"anyOf": [item.clone(), spaced("^\\s*$".into(), "no item")]});
    list_or_string(item, one, description)
}

/// An array only (a lone value is refused: `dependencies`, sections' lists).
pub fn array(item: Value, description: &str) -> Value {
    json!({"type": "array", "description": description, "items": item})
}

pub fn iface(description: &str) -> Value {
    token(format!("^{IFACE}$"), description)
}

pub fn bridge() -> Value {
    token(
        "^[A-Za-z0-9_.-]{1,10}$".into(),
        "a bridge name (letters, digits, '_', '.', '-', at most 10 characters)",
    )
}

pub fn bridge_ports() -> Value {
    spaced(
        format!("^\\s*{IFACE}(\\s+{IFACE})*\\s*$"),
        "interface names separated by spaces, or \"none\"",
    )
}

/// A path in normal form: `/`, or components that are neither empty nor
/// `.` or `..`, without ',' (`tokens::normal_path`).
const NORMAL_PATH: &str = "(/|(/(?!\\.\\.?(/|$))[^,/]+)+)";

/// `tokens::abs_path`: an absolute path in normal form, without ','.
pub fn abs_path(description: &str) -> Value {
    token(format!("^{NORMAL_PATH}$"), description)
}

/// [`abs_path`] but `/` (a shared volume's paths).
pub fn path_below_root(description: &str) -> Value {
    token("^(/(?!\\.\\.?(/|$))[^,/]+)+$".into(), description)
}

pub fn storage_id() -> Value {
    token(
        "^[A-Za-z][A-Za-z0-9._-]*$".into(),
        "a Proxmox storage ID (a letter, then letters, digits, '-', '_' or '.')",
    )
}

pub fn zfs_name() -> Value {
    token(
        "^(?!(.*/)?\\.\\.(/.*)?$)[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$".into(),
        "a ZFS dataset or volume name (letters, digits, '-', '_', '.', and '/' between parts)",
    )
}

/// `tokens::is_pool_name`: a letter first; not a vdev keyword (mirror,
/// raidz*, draid*, spare, log) nor c<digit>.
pub fn pool_name() -> Value {
    token(
        "^(?!(mirror|raidz|draid|spare|log|c[0-9]))[A-Za-z][A-Za-z0-9._:-]*$".into(),
        "a ZFS pool name (a letter, then letters, digits, '-', '_', '.' or ':'; not mirror, raidz*, draid*, spare, log or c[0-9]*)",
    )
}

/// `RaidLevel::parse`: the layouts, in any case.
pub fn raid_level() -> Value {
    let any_case = |w: &str| -> String {
        w.chars()
            .map(|c| match c.is_ascii_alphabetic() {
                true => format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase()),
                false => c.to_string(),
            })
            .collect()
    };
    let words: Vec<String> = [
        "single", "stripe", "mirror", "raidz", "raidz1", "raidz2", "raidz3",
    ]
    .iter()
    .map(|w| any_case(w))
    .collect();
    token(
        format!("^({})$", words.join("|")),
        "single, mirror, raidz1, raidz2 or raidz3 (the vdev layout; case does not matter)",
    )
}

/// `host::is_disk`: a device path under /dev/.
pub fn disk() -> Value {
    token(
        "^/dev/(?!(.*/)?\\.\\.(/|$))[A-Za-z0-9._:-]+(/[A-Za-z0-9._:-]+)*$".into(),
        "a block device path under /dev/ (letters, digits, '-', '_', '.', ':', '/')",
    )
}

/// `host::zfs_properties`: `key=value` items separated by commas (each key
/// once: a rule the schema cannot express).
pub fn zfs_properties(description: &str) -> Value {
    let item = "(\\s*([a-z0-9_:.]+=[^=,\\s]+)?\\s*)";
    spaced(format!("^{item}(,{item})*$"), description)
}

/// `nfs::is_client`.
pub fn nfs_client() -> Value {
    token(
        "^[A-Za-z0-9_.*?/:@\\[\\]-]+$".into(),
        "an exports(5) client: a host name, an IPv4 address or CIDR, a wildcard (*.example.com) or @netgroup",
    )
}

/// `nfs::is_option`.
pub fn nfs_option() -> Value {
    token(
        "^[a-z_]+(=[A-Za-z0-9_.:/-]+)?$".into(),
        "an exports(5) option (rw, sync, no_subtree_check, fsid=1, sec=krb5p…)",
    )
}

/// `tokens::is_template_ref`: a `vztmpl` volume ID as pve-storage parses
/// one, or an absolute path in normal form.
pub fn template_ref() -> Value {
    let ext = "\\.[Tt][Aa][Rr](\\.([Gg][Zz]|[Xx][Zz]|[Zz][Ss][Tt]|[Bb][Zz]2))?";
    spaced(
        format!(
            "^((/(?!\\.\\.?(/|$))[^,=\\s/]+)+|[A-Za-z][A-Za-z0-9._-]*:vztmpl/[^,=\\s/]+{ext})$"
        ),
        phx_common::config::parse::tokens::TEMPLATE,
    )
}

pub fn snapname() -> Value {
    token(
        "^(?!current$)[A-Za-z][A-Za-z0-9_-]{1,39}$".into(),
        "a snapshot name (a letter, then letters, digits, '-' or '_'; 2 to 40; not \"current\")",
    )
}

/// `application_script`: one file name under `<config-dir>/scripts/`
/// (phx_common's `is_script_name`).
pub fn script_name() -> Value {
    token(
        "^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$".into(),
        "a script's file name in <config-dir>/scripts/ (letters, digits, '.', '_', '-'; not starting with '.'), run inside the container by phx-features once per content",
    )
}

pub fn profile() -> Value {
    token(
        "^[A-Za-z0-9._-]+$".into(),
        "an AppArmor profile name (letters, digits, '-', '_', '.')",
    )
}

pub fn mac() -> Value {
    token(
        "^[0-9A-Fa-f][02468AaCcEe](:[0-9A-Fa-f]{2}){5}$".into(),
        "a unicast MAC address (six hex pairs separated by ':', first octet even)",
    )
}

/// `lxc::gpus`: "none", empty, or GPU indices separated by commas.
pub fn gpus() -> Value {
    let n = decimal(0, u32::MAX as u64);
    spaced(
        format!("^(\\s*([Nn][Oo][Nn][Ee])?\\s*|\\s*{n}\\s*(,\\s*{n}\\s*)*)$"),
        "\"none\" or GPU indices separated by commas (\"0,1\")",
    )
}

/// `lxc::ports`: HOST_PORT:GUEST_PORT.
pub fn port_map() -> Value {
    let p = decimal(1, 65535);
    spaced(
        format!("^\\s*{p}\\s*:\\s*{p}\\s*$"),
        "HOST_PORT:GUEST_PORT with ports 1-65535",
    )
}

/// `lxc_options` items (`parse::lxc_options`): `lxc.key=value` or
/// `lxc.key: value` with a key pve-container keeps, and a profile name as
/// `lxc.apparmor.profile`'s value.
pub fn raw_lxc_option() -> Value {
    use phx_common::config::parse::lxc_options::{KEPT, KEPT_PREFIXES};
    let escape = |k: &str| k.replace('.', "\\.");
    let exact: Vec<String> = KEPT
        .iter()
        .filter(|k| **k != "lxc.apparmor.profile")
        .map(|k| escape(k))
        .collect();
    let prefixes: Vec<String> = KEPT_PREFIXES.iter().map(|k| escape(k)).collect();
    let key = format!("({}|({})[a-z0-9._-]*)", exact.join("|"), prefixes.join("|"));
    spaced(
        format!(
            "^\\s*(lxc\\.apparmor\\.profile\\s*[=:]\\s*[A-Za-z0-9._-]+|{key}\\s*[=:].*\\S.*?)\\s*$"
        ),
        "a raw LXC option \"lxc.key=value\" or \"lxc.key: value\" whose key pve-container keeps",
    )
}

/// `lxc_options` items that need the entry's `allow_dangerous`: a hook, or
/// a mount entry whose source is the host's `/` (`//`, `/./..` and the
/// like too; the loader also resolves `/x/..`, which a pattern cannot).
pub fn dangerous_lxc_option() -> Value {
    json!({"type": "string", "pattern": "^\\s*(lxc\\.hook\\.[a-z0-9._-]*\\s*[=:]|lxc\\.mount\\.entry\\s*[=:]\\s*/(\\.{0,2}/)*\\.{0,2}(\\s|$))"})
}

/// `vm::is_image_ref`.
pub fn image_ref() -> Value {
    spaced(
        "^(?!(.*/)?\\.\\.(/.*)?$)(/[^,= \\t]*|[^,= \\t/]+)$".into(),
        "a cloud image file name (in /var/lib/vz/template/iso or /var/lib/vz/import) or an absolute path, without ',', '=', spaces or '..'",
    )
}

/// `phx_plan::download::url_problem`: http(s) with a host, printable ASCII
/// without spaces, at most 2048 characters.
pub fn http_url(description: &str) -> Value {
    let mut v = token("^https?://[!-.0-~][!-~]*$".into(), description);
    v["maxLength"] = json!(2048);
    v
}

/// `phx_plan::download::digest_problem`: `digits` hexadecimal digits.
pub fn hex_digest(digits: usize, description: &str) -> Value {
    token(format!("^[0-9a-fA-F]{{{digits}}}$"), description)
}

pub fn user() -> Value {
    token(
        "^[a-z_][a-z0-9_-]{0,31}$".into(),
        "a Linux user name (a lowercase letter or '_', then lowercase letters, digits, '_' or '-')",
    )
}

pub fn ssh_key() -> Value {
    spaced(
        "^\\s*(ssh-|ecdsa-|sk-)\\S*\\s+\\S{17,}(\\s.*)?$".into(),
        "an OpenSSH public key line (type, key, comment)",
    )
}

/// `step_ca::ca_label`: 1-64 characters, no leading or trailing spaces.
pub fn ca_label(description: &str) -> Value {
    spaced("^(?=.{1,64}$)\\S(.*\\S)?$".into(), description)
}

/// `step_ca::cert_duration`: whole hours or minutes that fit in Go's
/// time.Duration (2562047h47m).
pub fn cert_duration() -> Value {
    let max = phx_common::config::step_ca::GO_MAX_MINUTES;
    let hours = range::alternatives(1, max / 60);
    let minutes = range::alternatives(1, max);
    token(
        format!("^((\\+0*)?({hours})h|(\\+0*)?({minutes})m)$"),
        "a certificate lifetime in whole hours or minutes (\"24h\", \"90m\"), at most 2562047h (Go's time.Duration)",
    )
}

/// ACCEPT, DROP or REJECT in any case (a firewall's policy).
pub fn policy(description: &str) -> Value {
    token(
        "^([Aa][Cc][Cc][Ee][Pp][Tt]|[Dd][Rr][Oo][Pp]|[Rr][Ee][Jj][Ee][Cc][Tt])$".into(),
        description,
    )
}

/// A rule's `type`: in, out, forward or group in any case.
pub fn rule_type() -> Value {
    token(
        "^([Ii][Nn]|[Oo][Uu][Tt]|[Ff][Oo][Rr][Ww][Aa][Rr][Dd]|[Gg][Rr][Oo][Uu][Pp])$".into(),
        "in, out, forward or group",
    )
}

/// An object of named entries: keys without control characters.
pub fn entries(value: Value, description: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": LINE_SAFE},
        "additionalProperties": value,
    })
}
