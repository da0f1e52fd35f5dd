//! The "Every key" section of docs/configuration.md, generated from the JSON
//! Schemas phx-schema builds from the loader's own declarations: the
//! reference lists exactly the keys the loader reads, each with what it
//! accepts. A test keeps the page equal to this; `phx-gen-docs
//! --config-keys` prints it.

use phx_schema::File;
use serde_json::Value;

/// What the schemas say of a key Phoenix accepts and does not read.
const QUIET: &str = "carried by the original system's files; Phoenix does not read it";

/// The generated section, as markdown, from its heading on.
pub fn markdown() -> String {
    let mut out = String::from(
        "## Every key\n\nGenerated from the loader's declarations (`phx-gen-docs --config-keys`); `<id>` stands for a\nguest's ID and `[]` for an array's items.\n",
    );
    for file in File::ALL {
        let schema = phx_schema::schema(file);
        out.push_str(&format!("\n### {}\n\n", file.config_name()));
        let mut quiet = Vec::new();
        let mut lines = Vec::new();
        let mut expanded = Vec::new();
        walk(&schema, &schema, "", &mut lines, &mut quiet, &mut expanded);
        // Alternatives of one value may declare the same keys.
        let mut seen = std::collections::HashSet::new();
        lines.retain(|l| seen.insert(l.clone()));
        quiet.retain(|q| seen.insert(q.clone()));
        for line in lines {
            out.push_str(&line);
        }
        if !quiet.is_empty() {
            out.push_str(&format!(
                "\nAccepted and not read (the original system's keys): {}.\n",
                quiet.join(", ")
            ));
        }
    }
    out
}

/// Lists the keys of `node` (an object's schema) under `path`, then walks
/// into the objects they hold.
fn walk<'a>(
    root: &'a Value,
    node: &'a Value,
    path: &str,
    out: &mut Vec<String>,
    quiet: &mut Vec<String>,
    expanded: &mut Vec<(&'a Value, String)>,
) {
    let node = resolve(root, node);
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (key, value) in props {
            let at = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            let value = resolve(root, value);
            let what = value.get("description").and_then(Value::as_str);
            if what == Some(QUIET) {
                quiet.push(format!("`{at}`"));
                continue;
            }
            let what = what.unwrap_or("an object");
            // A shape met before (every firewall's rules, each node's
            // host.fw) is named once, then pointed to.
            let inner = children(root, value);
            if let Some((_, first)) = expanded.iter().find(|(seen, _)| *seen == value) {
                out.push(format!("- `{at}`: {what}; its keys as under `{first}`\n"));
                continue;
            }
            out.push(format!("- `{at}`: {what}\n"));
            if !inner.is_empty() {
                expanded.push((value, at.clone()));
            }
            for (suffix, schema) in inner {
                walk(root, schema, &format!("{at}{suffix}"), out, quiet, expanded);
            }
        }
    }
}

/// The object schemas a value holds, with the path suffix leading to each:
/// a map's values (`.<id>`), an array's items (`[]`), each alternative.
fn children<'a>(root: &'a Value, value: &'a Value) -> Vec<(&'static str, &'a Value)> {
    let mut found = Vec::new();
    let value = resolve(root, value);
    if value.get("properties").is_some() {
        found.push(("", value));
    }
    if let Some(inner) = value.get("additionalProperties").filter(|v| v.is_object()) {
        found.push((".<id>", resolve(root, inner)));
    }
    if let Some(inner) = value.get("items").filter(|v| v.is_object()) {
        found.push(("[]", resolve(root, inner)));
    }
    for alt in value
        .get("anyOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        found.extend(children(root, alt));
    }
    found
}

/// Follows a `$ref` into the schema's definitions.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix("#/")
            .and_then(|p| root.pointer(&format!("/{p}")))
            .unwrap_or(node),
        None => node,
    }
}
