//! A cursor over a JSON document that knows its file and JSON path, so every
//! typed read can report `FILE: PATH: VALUE: expected` and carry on.

use super::problems::{show, Problems};
use ipnet::Ipv4Net;
use serde_json::Value;
use std::net::{IpAddr, Ipv4Addr};

#[derive(Clone)]
pub struct Node<'a> {
    pub value: &'a Value,
    pub file: &'a str,
    path: String,
}

/// Appends a key to a JSON path, quoting keys that are not plain identifiers
/// (`lxc_configs."102".network_config`).
pub fn join_key(path: &str, key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let k = if plain {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if path.is_empty() {
        k
    } else {
        format!("{path}.{k}")
    }
}

/// True when a string cannot break out of its line in a generated file.
pub fn line_safe(s: &str) -> bool {
    !s.chars().any(|c| c == '\n' || c == '\r' || c == '\0')
}

impl<'a> Node<'a> {
    pub fn root(file: &'a str, value: &'a Value) -> Self {
        Node {
            value,
            file,
            path: String::new(),
        }
    }

    pub fn path(&self) -> &str {
        if self.path.is_empty() {
            "(document)"
        } else {
            &self.path
        }
    }

    /// Path of a key below this node, for problems about keys that are missing.
    pub fn path_of(&self, key: &str) -> String {
        join_key(&self.path, key)
    }

    /// A present, non-null child.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let v = self.value.get(key)?;
        (!v.is_null()).then(|| Node {
            value: v,
            file: self.file,
            path: join_key(&self.path, key),
        })
    }

    pub fn items(&self) -> Vec<Node<'a>> {
        match self.value {
            Value::Array(a) => a
                .iter()
                .enumerate()
                .map(|(i, v)| Node {
                    value: v,
                    file: self.file,
                    path: format!("{}[{i}]", self.path),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn entries(&self) -> Vec<(&'a str, Node<'a>)> {
        match self.value {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str(),
                        Node {
                            value: v,
                            file: self.file,
                            path: join_key(&self.path, k),
                        },
                    )
                })
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Typed reads that record a problem instead of failing.
pub struct Reader<'p> {
    pub problems: &'p mut Problems,
}

impl Reader<'_> {
    pub fn bad(&mut self, n: &Node<'_>, expected: impl Into<String>) {
        self.problems
            .push(n.file, n.path(), show(n.value), expected);
    }

    pub fn str(&mut self, n: &Node<'_>) -> Option<String> {
        match n.value.as_str() {
            Some(s) if line_safe(s) => Some(s.to_string()),
            Some(_) => {
                self.bad(n, "a single-line string (newline, carriage return or NUL would inject lines into generated files)");
                None
            }
            None => {
                self.bad(n, "a string");
                None
            }
        }
    }

    /// Integers may be numbers or numeric strings (`"900"` and `9000` both occur in real files).
    pub fn int(&mut self, n: &Node<'_>, min: u64, max: u64) -> Option<u64> {
        let got = match n.value {
            Value::Number(x) => x.as_u64(),
            Value::String(s) if !s.trim().is_empty() => s.trim().parse::<u64>().ok(),
            _ => None,
        };
        match got {
            Some(x) if (min..=max).contains(&x) => Some(x),
            _ => {
                self.bad(n, format!("an integer from {min} to {max}"));
                None
            }
        }
    }

    pub fn bool(&mut self, n: &Node<'_>) -> Option<bool> {
        match n.value {
            Value::Bool(b) => Some(*b),
            Value::Number(x) if x.as_u64() == Some(0) => Some(false),
            Value::Number(x) if x.as_u64() == Some(1) => Some(true),
            _ => {
                self.bad(n, "true or false");
                None
            }
        }
    }

    pub fn ipv4(&mut self, n: &Node<'_>) -> Option<Ipv4Addr> {
        let s = self.str(n)?;
        let ip = s.parse::<Ipv4Addr>().ok();
        if ip.is_none() {
            self.bad(n, "an IPv4 address");
        }
        ip
    }

    pub fn ip(&mut self, n: &Node<'_>) -> Option<IpAddr> {
        let s = self.str(n)?;
        let ip = s.parse::<IpAddr>().ok();
        if ip.is_none() {
            self.bad(n, "an IP address");
        }
        ip
    }

    /// An address with its prefix length (`10.0.0.13/24`); host bits allowed.
    pub fn ipv4_cidr(&mut self, n: &Node<'_>) -> Option<Ipv4Net> {
        let s = self.str(n)?;
        let net = parse_ipv4_cidr(&s);
        if net.is_none() {
            self.bad(n, "an IPv4 CIDR (address/prefix, prefix 0-32)");
        }
        net
    }

    /// A list of strings. A single string is read as a list split on `seps`
    /// (`"nameservers": "8.8.8.8"` in the real files). Each item keeps its node.
    pub fn str_list<'a>(&mut self, n: &Node<'a>, seps: &[char]) -> Vec<(String, Node<'a>)> {
        match n.value {
            Value::Array(_) => n
                .items()
                .into_iter()
                .filter_map(|c| self.str(&c).map(|s| (s, c)))
                .collect(),
            Value::String(_) => match self.str(n) {
                Some(s) => s
                    .split(|c| seps.contains(&c))
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .map(|p| (p.to_string(), n.clone()))
                    .collect(),
                None => Vec::new(),
            },
            _ => {
                self.bad(n, "a list of strings");
                Vec::new()
            }
        }
    }

    pub fn expect_object(&mut self, n: &Node<'_>) -> bool {
        let ok = n.value.is_object();
        if !ok {
            self.bad(n, "an object");
        }
        ok
    }

    pub fn expect_array(&mut self, n: &Node<'_>) -> bool {
        let ok = n.value.is_array();
        if !ok {
            self.bad(n, "an array");
        }
        ok
    }

    // ---- shorthands: read a child key ------------------------------------

    pub fn opt_str(&mut self, n: &Node<'_>, key: &str) -> Option<String> {
        n.get(key).and_then(|c| self.str(&c))
    }

    pub fn req_str(&mut self, n: &Node<'_>, key: &str) -> Option<String> {
        match n.get(key) {
            Some(c) => self.str(&c),
            None => {
                self.problems
                    .push(n.file, &n.path_of(key), "(missing)", "a string (required)");
                None
            }
        }
    }

    pub fn opt_int(&mut self, n: &Node<'_>, key: &str, min: u64, max: u64) -> Option<u64> {
        n.get(key).and_then(|c| self.int(&c, min, max))
    }

    pub fn opt_bool(&mut self, n: &Node<'_>, key: &str) -> Option<bool> {
        n.get(key).and_then(|c| self.bool(&c))
    }
}

pub fn parse_ipv4_cidr(s: &str) -> Option<Ipv4Net> {
    let (addr, prefix) = s.split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Ipv4Net::new(addr, prefix.parse().ok()?).ok()
}
