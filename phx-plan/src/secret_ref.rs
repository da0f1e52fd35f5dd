//! A secret file's secret value, read from the JSON file a plan names
//! (`secret_from`), so no plan ever holds it: `phx-apply` fills it in when it
//! writes the file, and a planner may fill it in to tell whether the file on
//! the host is already right (and print nothing about it). What goes wrong
//! is said without the value: messages end up in logs.

use crate::safe_text::line_safe;
use crate::SecretRef;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where a plan's `secret_from.file` is read: under `--root`, phx-apply's
/// resolution of the path inside the root, as for every other path it reads.
pub type Resolve = Box<dyn Fn(&str) -> std::io::Result<PathBuf>>;

/// The files secrets are read from, each read and parsed once however many
/// steps name it (every VM with a password names the same VM file).
#[derive(Default)]
pub struct SecretFiles {
    docs: HashMap<String, Result<Value, String>>,
    /// `None`: the path is read as written (a planner reading its own input).
    resolve: Option<Resolve>,
}

impl SecretFiles {
    /// Secret files read where `resolve` puts the plan's paths.
    pub fn inside(resolve: Resolve) -> Self {
        SecretFiles {
            docs: HashMap::new(),
            resolve: Some(resolve),
        }
    }

    /// `content` with the placeholder replaced by the value as a JSON
    /// string (which YAML reads as the same double-quoted string).
    pub fn fill(&mut self, content: &str, r: &SecretRef) -> Result<String, String> {
        self.fill_over(content, r, None)
    }

    /// [`Self::fill`] for a file whose text is now `current`: with
    /// `sha512_crypt`, the crypt `current` holds in the placeholder's place
    /// is kept when it is one of the value, so a converged file is not
    /// rewritten with a fresh salt.
    pub fn fill_over(
        &mut self,
        content: &str,
        r: &SecretRef,
        current: Option<&str>,
    ) -> Result<String, String> {
        let resolve = &self.resolve;
        let doc = self
            .docs
            .entry(r.file.clone())
            .or_insert_with(|| {
                let at = match resolve {
                    Some(resolve) => resolve(&r.file)
                        .map_err(|e| format!("cannot resolve the secret's file {}: {e}", r.file))?,
                    None => PathBuf::from(&r.file),
                };
                parse(&r.file, &at)
            })
            .as_ref()
            .map_err(Clone::clone)?;
        fill_from(doc, content, r, current)
    }
}

/// What `current` holds where `content` has the placeholder, when the rest
/// of the two is the same.
fn value_in(content: &str, placeholder: &str, current: &str) -> Option<String> {
    let (before, after) = content.split_once(placeholder)?;
    let middle = current
        .strip_prefix(before)?
        .strip_suffix(after)
        .filter(|_| current.len() >= before.len() + after.len())?;
    serde_json::from_str(middle).ok()
}

/// The value as it goes into the file: itself, or with `sha512_crypt` its
/// crypt (the one `current` holds when that one matches, else a new salt's).
fn encoded(
    value: &str,
    r: &SecretRef,
    content: &str,
    current: Option<&str>,
) -> Result<String, String> {
    if !r.sha512_crypt || crate::crypt::is_crypt(value) {
        return Ok(value.to_string());
    }
    if let Some(kept) = current
        .and_then(|c| value_in(content, &r.placeholder, c))
        .filter(|old| crate::crypt::sha512_matches(value, old))
    {
        return Ok(kept);
    }
    let salt = crate::crypt::new_salt()
        .map_err(|e| format!("cannot read /dev/urandom for a salt: {e}"))?;
    Ok(crate::crypt::sha512(value, &salt))
}

/// The file `file` names, read at `at` (itself, or inside the root).
fn parse(file: &str, at: &Path) -> Result<Value, String> {
    let bytes = read_bounded(file, at)?;
    serde_json::from_slice(&bytes).map_err(|e| format!("the secret's file {file} is not JSON: {e}"))
}

fn fill_from(
    doc: &Value,
    content: &str,
    r: &SecretRef,
    current: Option<&str>,
) -> Result<String, String> {
    if let Some((at, want)) = &r.guard {
        if !same_scalar(doc.pointer(at), want) {
            return Err(format!(
                "{} changed since the plan was made: {at} is no longer {want}; plan again",
                r.file
            ));
        }
    }
    let value = match doc.pointer(&r.pointer) {
        Some(Value::String(s)) if !s.is_empty() && line_safe(s) => s,
        Some(Value::String(_)) => {
            return Err(format!(
                "the secret at {} in {} is empty or holds control characters",
                r.pointer, r.file
            ))
        }
        Some(_) => {
            return Err(format!(
                "the secret at {} in {} is not a string",
                r.pointer, r.file
            ))
        }
        None => {
            return Err(format!(
                "{} has nothing at {}; plan again",
                r.file, r.pointer
            ))
        }
    };
    let value = encoded(value, r, content, current)?;
    let quoted = serde_json::to_string(&value).expect("a string serialises");
    Ok(content.replacen(&r.placeholder, &quoted, 1))
}

/// The file's bytes, if it is a regular file no larger than a configuration
/// document may be: a plan naming /dev/zero or a FIFO must not hang the run
/// or exhaust its memory (`fsutil::read_regular`).
fn read_bounded(file: &str, at: &Path) -> Result<Vec<u8>, String> {
    let max = crate::fsutil::MAX_DOCUMENT;
    match crate::fsutil::read_regular(at, max) {
        Ok(Some(bytes)) => Ok(bytes),
        Ok(None) => Err(format!(
            "cannot read the secret's file {file}: it does not exist"
        )),
        Err(e) => Err(format!("cannot read the secret's file {file}: {e}")),
    }
}

/// The configuration takes `"vmid": 9001` and `"vmid": "9001"` alike.
fn same_scalar(have: Option<&Value>, want: &Value) -> bool {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    have.is_some_and(|h| h == want || (text(h).is_some() && text(h) == text(want)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(content: &str, r: &SecretRef) -> Result<String, String> {
        SecretFiles::default().fill(content, r)
    }

    #[test]
    fn a_file_named_by_many_steps_is_read_once() {
        let f = file_with(r#"{"vms":[{"vmid":9001,"user_config":{"password":"pw"}}]}"#);
        let mut files = SecretFiles::default();
        let r = reference(f.path());
        assert_eq!(files.fill("@SECRET@", &r).unwrap(), "\"pw\"");
        std::fs::remove_file(f.path()).unwrap();
        assert_eq!(files.fill("@SECRET@", &r).unwrap(), "\"pw\"");
    }

    fn reference(file: &std::path::Path) -> SecretRef {
        SecretRef {
            file: file.display().to_string(),
            pointer: "/vms/0/user_config/password".into(),
            placeholder: "@SECRET@".into(),
            guard: Some(("/vms/0/vmid".into(), 9001.into())),
            sha512_crypt: false,
        }
    }

    fn file_with(json: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), json).unwrap();
        f
    }

    #[test]
    fn the_value_replaces_the_placeholder_as_a_quoted_string() {
        let f = file_with(r#"{"vms":[{"vmid":9001,"user_config":{"password":"p\"w: #x"}}]}"#);
        let out = fill("password: @SECRET@\n", &reference(f.path())).unwrap();
        assert_eq!(out, "password: \"p\\\"w: #x\"\n");
    }

    #[test]
    fn a_file_that_is_not_a_regular_file_is_refused_unread() {
        // /dev/zero would be read until memory runs out; a FIFO for ever.
        let mut r = reference(std::path::Path::new("/dev/zero"));
        r.guard = None;
        let err = fill("@SECRET@", &r).unwrap_err();
        assert!(err.contains("not a regular file"), "{err}");
    }

    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("vms.json");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
        let r = reference(&fifo);
        // On a thread: a regression fails the test instead of hanging it.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(fill("@SECRET@", &r)).unwrap());
        let got = rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("opening the FIFO blocked");
        let err = got.unwrap_err();
        assert!(err.contains("is a FIFO, not a regular file"), "{err}");
    }

    #[test]
    fn a_file_is_read_where_the_resolver_puts_it() {
        // phx-apply under --root: the plan's path inside the root, never the host's.
        let root = tempfile::tempdir().unwrap();
        let inside = root.path().join("etc/vms.json");
        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
        let json = r#"{"vms":[{"vmid":9001,"user_config":{"password":"inside"}}]}"#;
        std::fs::write(&inside, json).unwrap();
        let host = file_with(r#"{"vms":[{"vmid":9001,"user_config":{"password":"host"}}]}"#);
        let mut r = reference(host.path());
        r.file = "/etc/vms.json".into();
        let under = root.path().to_path_buf();
        let mut files = SecretFiles::inside(Box::new(move |p: &str| {
            Ok(under.join(p.trim_start_matches('/')))
        }));
        assert_eq!(files.fill("@SECRET@", &r).unwrap(), "\"inside\"");
        // And a path that exists only on the host is not found inside.
        let mut files = SecretFiles::inside(Box::new({
            let under = root.path().to_path_buf();
            move |p: &str| Ok(under.join(p.trim_start_matches('/')))
        }));
        let err = files.fill("@SECRET@", &reference(host.path())).unwrap_err();
        assert!(err.contains("does not exist"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_json_is_refused_without_its_content() {
        // A plan pointing at /etc/shadow: the error says where, not what.
        for text in [
            "root:$6$salt$hash-of-root:19000:0:99999:7:::\n",
            "{\"k\": \"v1-secret\" x",
        ] {
            let f = file_with(text);
            let err = fill("@SECRET@", &reference(f.path())).unwrap_err();
            assert!(err.contains("is not JSON"), "{err}");
            assert!(
                !err.contains("hash-of-root") && !err.contains("v1-secret"),
                "{err}"
            );
        }
    }

    /// Proxmox's form of a cloud-init password (qemu-server
    /// src/PVE/API2/Qemu.pm:2533: `encrypt_pw` unless it already is a crypt).
    #[test]
    fn sha512_crypt_writes_the_crypt_and_keeps_a_matching_one() {
        let f = file_with(r#"{"vms":[{"vmid":9001,"user_config":{"password":"pw"}}]}"#);
        let r = SecretRef {
            sha512_crypt: true,
            ..reference(f.path())
        };
        let content = "a: 1\npassword: @SECRET@\nb: 2\n";
        let first = fill(content, &r).unwrap();
        assert!(!first.contains("\"pw\""), "{first}");
        let hash: String = serde_json::from_str(
            first
                .strip_prefix("a: 1\npassword: ")
                .unwrap()
                .strip_suffix("\nb: 2\n")
                .unwrap(),
        )
        .unwrap();
        assert!(crate::crypt::sha512_matches("pw", &hash), "{hash}");
        // Another salt each time from nothing; the same crypt over a file holding it.
        assert_ne!(fill(content, &r).unwrap(), first);
        let mut files = SecretFiles::default();
        assert_eq!(files.fill_over(content, &r, Some(&first)).unwrap(), first);
        // A crypt of another password, or another text around it: a new one.
        let other = first.replace(&hash, &crate::crypt::sha512("old", "salt"));
        let redone = files.fill_over(content, &r, Some(&other)).unwrap();
        assert!(redone != other && redone != first);
        // A value that already is a crypt goes in as it is.
        let g = file_with(r#"{"vms":[{"vmid":9001,"user_config":{"password":"$6$s$h"}}]}"#);
        let r = SecretRef {
            sha512_crypt: true,
            ..reference(g.path())
        };
        assert_eq!(fill("@SECRET@", &r).unwrap(), "\"$6$s$h\"");
    }

    #[test]
    fn a_guard_number_matches_the_same_number_written_as_a_string() {
        let f = file_with(r#"{"vms":[{"vmid":"9001","user_config":{"password":"pw"}}]}"#);
        assert_eq!(fill("@SECRET@", &reference(f.path())).unwrap(), "\"pw\"");
    }

    #[test]
    fn a_moved_entry_is_refused_without_showing_any_secret() {
        let f =
            file_with(r#"{"vms":[{"vmid":9002,"user_config":{"password":"other-vms-secret"}}]}"#);
        let err = fill("@SECRET@", &reference(f.path())).unwrap_err();
        assert!(err.contains("/vms/0/vmid is no longer 9001"), "{err}");
        assert!(!err.contains("other-vms-secret"));
    }

    #[test]
    fn a_missing_or_non_string_or_empty_value_is_refused() {
        for (json, says) in [
            (r#"{"vms":[{"vmid":9001}]}"#, "has nothing at"),
            (
                r#"{"vms":[{"vmid":9001,"user_config":{"password":7}}]}"#,
                "not a string",
            ),
            (
                r#"{"vms":[{"vmid":9001,"user_config":{"password":""}}]}"#,
                "empty",
            ),
        ] {
            let f = file_with(json);
            let err = fill("@SECRET@", &reference(f.path())).unwrap_err();
            assert!(err.contains(says), "{json}: {err}");
        }
    }
}
