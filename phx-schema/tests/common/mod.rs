//! What the schema tests share: the example and the upstream fixture as
//! JSON, the loader run on edited copies, and the independent validator
//! (python3-jsonschema) run on many documents at once.

#![allow(dead_code)]

use phx_common::config::load::{load_with, Options};
use phx_common::config::reader::join_key;
use phx_common::config::{Input, Inventory, Problems};
use phx_schema::File;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn repo(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join(p)
}

/// The three documents of a configuration directory, in `File::ALL` order.
pub fn documents(dir: &str) -> [Value; 3] {
    File::ALL.map(|f| {
        let text = std::fs::read_to_string(repo(dir).join(f.config_name())).unwrap();
        serde_json::from_str(&text).unwrap()
    })
}

pub fn example() -> [Value; 3] {
    documents("examples/etc")
}

pub fn index(f: File) -> usize {
    File::ALL.iter().position(|x| *x == f).unwrap()
}

/// The loader on these three documents, written as a configuration directory.
pub fn load(docs: &[Value; 3], strict: bool) -> Result<Inventory, Problems> {
    let dir = tempfile::tempdir().unwrap();
    for (f, d) in File::ALL.iter().zip(docs) {
        std::fs::write(
            dir.path().join(f.config_name()),
            serde_json::to_vec(d).unwrap(),
        )
        .unwrap();
    }
    let opts = Options {
        strict,
        ..Options::default()
    };
    load_with(&Input::Dir(dir.path().to_path_buf()), opts)
}

/// The loader, then phx-fw's checks, on these documents: every problem.
pub fn refusals(docs: &[Value; 3], strict: bool) -> Vec<phx_common::config::Problem> {
    match load(docs, strict) {
        Err(p) => p.list,
        Ok(inv) => match phx_fw::planner::validate(&inv) {
            Err(p) => p.list,
            Ok(_) => Vec::new(),
        },
    }
}

/// One schema violation, its path rendered as the loader renders paths.
#[derive(Debug, Clone)]
pub struct Violation {
    pub path: String,
    pub message: String,
}

const PYTHON: &str = "/usr/bin/python3";

/// The violations of each document, by python3-jsonschema; `None` when it is
/// not installed outside CI (.ci/run installs it; under CI its absence fails).
pub fn validate(docs: &[(File, Value)]) -> Option<Vec<Vec<Violation>>> {
    let available = Path::new(PYTHON).exists()
        && Command::new(PYTHON)
            .args(["-c", "import jsonschema"])
            .output()
            .is_ok_and(|o| o.status.success());
    if !available {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3-jsonschema is missing under CI: .ci/run installs it"
        );
        eprintln!("skipped: python3-jsonschema is not installed");
        return None;
    }
    let schemas: serde_json::Map<String, Value> = File::ALL
        .iter()
        .map(|f| (f.short().to_string(), phx_schema::schema(*f)))
        .collect();
    let request = json!({
        "schemas": schemas,
        "docs": docs.iter().map(|(f, d)| json!([f.short(), d])).collect::<Vec<_>>(),
    });
    let mut child = Command::new(PYTHON)
        .arg(repo("phx-schema/tests/validate.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(&request).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "validate.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Vec<Vec<Value>> = serde_json::from_slice(&out.stdout).unwrap();
    Some(
        result
            .into_iter()
            .map(|errors| {
                errors
                    .into_iter()
                    .map(|e| Violation {
                        path: render(e["path"].as_array().unwrap()),
                        message: e["message"].as_str().unwrap().to_string(),
                    })
                    .collect()
            })
            .collect(),
    )
}

/// A JSON path as the loader's messages write it: `lxc_configs."110".ports[0]`.
pub fn render(path: &[Value]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Value::Number(i) => out.push_str(&format!("[{i}]")),
            Value::String(k) => out = join_key(&out, k),
            other => panic!("a path segment {other}"),
        }
    }
    out
}

/// A JSON pointer (`/lxc_configs/110/ip`) as the loader writes the path.
pub fn pointer_path(doc: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut at = doc;
    for raw in pointer.split('/').skip(1) {
        let seg = raw.replace("~1", "/").replace("~0", "~");
        match at {
            Value::Array(items) => {
                let i: usize = seg.parse().unwrap();
                out.push_str(&format!("[{i}]"));
                at = items.get(i).unwrap_or(&Value::Null);
            }
            _ => {
                out = join_key(&out, &seg);
                at = at.get(&seg).unwrap_or(&Value::Null);
            }
        }
    }
    out
}

/// Sets `pointer` in `doc` to `value`, creating the last key.
pub fn set(doc: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *doc = value;
        return;
    }
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    let last = last.replace("~1", "/").replace("~0", "~");
    let target = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent} in the example"));
    match target {
        Value::Array(items) => match last.parse::<usize>().unwrap() {
            // One past the end appends, as `-` does in JSON Patch.
            i if i == items.len() => items.push(value),
            i => items[i] = value,
        },
        Value::Object(map) => {
            map.insert(last, value);
        }
        other => panic!("{parent} is {other}, not a container"),
    }
}

pub fn remove(doc: &mut Value, pointer: &str) {
    let (parent, last) = pointer.rsplit_once('/').unwrap();
    let map = doc.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    assert!(map.remove(last).is_some(), "no {pointer} to remove");
}

/// True when `a` is `b` or lies above or below it (`x` and `x.y[0]`).
pub fn related(a: &str, b: &str) -> bool {
    let under = |long: &str, short: &str| {
        short.is_empty()
            || long == short
            || long
                .strip_prefix(short)
                .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
    };
    under(a, b) || under(b, a)
}

/// Values that probe a check's edges: padding, signs, bounds, separators,
/// case, IPv6 forms, control characters, lengths, wrong types.
pub fn candidates() -> Vec<Value> {
    let strings = [
        "",
        " ",
        "0",
        "00",
        "1",
        "+5",
        "-1",
        "15",
        "16",
        "100",
        "0100",
        " 2048 ",
        "2048\n",
        "65535",
        "65536",
        "4294967295",
        "4294967296",
        "99999999999999999999",
        "abc",
        "ABC",
        "a b",
        "a,b",
        "a-b",
        "-ab",
        "ab-",
        "a_b",
        "a.b",
        "a..b",
        "current",
        "1st",
        "ab",
        "/",
        "/x",
        "/x/../y",
        "/x/./y",
        "/x/.y",
        "/x,y",
        "/x y",
        "x/y",
        "..",
        "lxc.a=b",
        "lxc.a: b",
        " lxc.a.b-c = d e ",
        "lxc.A=b",
        "lxc.a=",
        "lxc=b",
        "none",
        "NONE",
        " none ",
        "0,1",
        "0, 1",
        "1,x",
        "nesting=1",
        "nesting=yes,keyctl=0",
        " fuse = off ",
        "mount=nfs;cifs",
        "nesting=maybe",
        "mount=",
        "BC:24:11:00:AA:01",
        "bc:24:11:00:aa:01",
        "BD:24:11:00:AA:01",
        "BC:24:11:00:AA",
        "10.0.0.5",
        "10.0.0.5/24",
        "10.0.0.5/7",
        "10.0.0.5/08",
        "10.0.0.5/33",
        "10.0.0.256",
        "010.0.0.5",
        "::1",
        "fe80::1",
        "::ffff:1.2.3.4",
        "64:ff9b::1.2.3.4",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1::2::3",
        "8.8.8.8, 1.1.1.1",
        "8.8.8.8;;::1",
        "dhcp",
        "manual",
        "DHCP",
        "ACCEPT",
        "accept",
        "Drop",
        "in",
        "IN",
        "sideways",
        "24h",
        "90m",
        "0h",
        "1d",
        "+24h",
        "024h",
        "local:vztmpl/x.tar.zst",
        "local:",
        "local:a,b",
        "/srv/t.tar.zst",
        "vmbr0",
        "eth0 eth1",
        "eth-0",
        "eth0.10",
        "a23456789012345",
        "a234567890123456",
        "80:8080",
        " 80 : 8080 ",
        "0:80",
        "80:",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA me",
        "ssh-rsa short",
        "Grüße",
        "ok\u{2028}x",
        "tab\tx",
        "nul\u{0}x",
        "esc\u{1b}x",
        "*.apps",
        "apps.example",
        "xn--bcher-kva.example",
        // Issue 21's input holes and issue 24's lxc_options keys.
        "/x/",
        "//x",
        "local:vztmpl/a/b.tar",
        "2562047h",
        "2562048h",
        "lxc.cap.drop: sys_admin",
        "lxc.apparmor.profile: a b",
        "lxc.hook.start: /x",
        "docker",
        "tursted_ca",
        "a\u{202e}b",
        "10.0.0.0/24",
    ];
    let mut out: Vec<Value> = strings.iter().map(|s| json!(s)).collect();
    out.push(json!("a".repeat(63)));
    out.push(json!("a".repeat(64)));
    out.push(json!(format!("{}.x", vec!["a".repeat(63); 4].join("."))));
    out.push(json!("n".repeat(41)));
    out.push(json!("n".repeat(40)));
    out.push(json!(format!("N{}", "x".repeat(63))));
    out.push(json!(format!("N{}", "x".repeat(64))));
    for n in [
        json!(0),
        json!(1),
        json!(2),
        json!(15),
        json!(16),
        json!(100),
        json!(8192),
        json!(8193),
        json!(65535),
        json!(65536),
        json!(-1),
        json!(4294967295u64),
        json!(4294967296u64),
        json!(1.5),
    ] {
        out.push(n);
    }
    out.extend([
        json!(true),
        json!(false),
        json!([]),
        json!(["10.0.0.1"]),
        json!(["x"]),
        json!([1]),
        json!(["nesting=1", "fuse=0"]),
        json!(["80:8080", "x"]),
        json!(["lxc.a=b"]),
        json!({}),
        json!({"a": 1}),
        json!({"username": "ops"}),
        json!({"username": "Ops"}),
        json!({"ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA me"]}),
        json!({"ssh_keys": "ssh-rsa x"}),
    ]);
    out
}
