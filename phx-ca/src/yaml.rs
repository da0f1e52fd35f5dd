//! A small YAML writer for Traefik's files: block mappings and sequences,
//! every string double-quoted with JSON escapes (valid YAML 1.2 flow
//! scalars), so no value can start a new key, a comment or a document.
//! Hand-written because the two files use a handful of shapes; a YAML crate
//! would add a dependency for what fifty lines do.

#[derive(Debug, Clone)]
pub enum Yaml {
    Str(String),
    Int(i64),
    Bool(bool),
    /// Keys in the order given (Traefik does not care; readers do).
    Map(Vec<(String, Yaml)>),
    List(Vec<Yaml>),
}

pub fn s(v: impl Into<String>) -> Yaml {
    Yaml::Str(v.into())
}

pub fn map(entries: Vec<(&str, Yaml)>) -> Yaml {
    Yaml::Map(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        // serde_json's string form is a valid YAML double-quoted scalar.
        Yaml::Str(x) => Some(serde_json::to_string(x).expect("strings serialise")),
        Yaml::Int(i) => Some(i.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        Yaml::Map(m) if m.is_empty() => Some("{}".into()),
        Yaml::List(l) if l.is_empty() => Some("[]".into()),
        _ => None,
    }
}

fn key(k: &str) -> String {
    let plain = !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && k.as_bytes()[0].is_ascii_alphabetic();
    if plain {
        k.to_string()
    } else {
        serde_json::to_string(k).expect("strings serialise")
    }
}

fn write(v: &Yaml, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Yaml::Map(m) => {
            for (k, val) in m {
                match scalar(val) {
                    Some(sc) => out.push_str(&format!("{pad}{}: {sc}\n", key(k))),
                    None => {
                        out.push_str(&format!("{pad}{}:\n", key(k)));
                        write(val, indent + 2, out);
                    }
                }
            }
        }
        Yaml::List(l) => {
            for item in l {
                match (scalar(item), item) {
                    (Some(sc), _) => out.push_str(&format!("{pad}- {sc}\n")),
                    (None, Yaml::Map(_)) => {
                        // The first key shares the dash's line.
                        let mut inner = String::new();
                        write(item, indent + 2, &mut inner);
                        out.push_str(&format!("{pad}- {}", &inner[indent + 2..]));
                    }
                    (None, _) => {
                        out.push_str(&format!("{pad}-\n"));
                        write(item, indent + 2, out);
                    }
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other).unwrap_or_default())),
    }
}

/// The document, ending in a newline.
pub fn to_string(v: &Yaml) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_quoting() {
        let doc = map(vec![
            ("a", map(vec![("b", s("x: y # z")), ("n", Yaml::Int(24))])),
            (
                "list",
                Yaml::List(vec![map(vec![
                    ("url", s("http://1.2.3.4:80")),
                    ("w", Yaml::Int(1)),
                ])]),
            ),
            ("strs", Yaml::List(vec![s("one"), s("two\"quote")])),
            ("empty", map(vec![])),
            ("odd key.x", Yaml::Bool(true)),
        ]);
        assert_eq!(
            to_string(&doc),
            "a:\n  b: \"x: y # z\"\n  n: 24\nlist:\n  - url: \"http://1.2.3.4:80\"\n    w: 1\nstrs:\n  - \"one\"\n  - \"two\\\"quote\"\nempty: {}\n\"odd key.x\": true\n"
        );
    }
}
