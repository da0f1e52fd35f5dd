//! How the executor talks to a guest: `pct exec <ctid> -- …` with fixed
//! shell scripts whose only inputs are positional arguments (paths, modes,
//! names) and stdin (content), and the parsing of what they print.

use anyhow::Context;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Prints mode, owner and group, then the content's digest; or `absent`.
pub const PROBE: &str =
    r#"if [ -e "$1" ]; then stat -c '%a %U %G' -- "$1" && sha256sum < "$1"; else echo absent; fi"#;
/// stdin → temp file beside the target → owner, mode → rename.
pub const WRITE: &str = r#"set -e; umask 022; mkdir -p -- "$(dirname -- "$1")"
t=$(mktemp -- "$1.phx-XXXXXX"); trap 'rm -f -- "$t"' EXIT
cat > "$t"; chown -- "$3:$4" "$t"; chmod -- "$2" "$t"; mv -f -- "$t" "$1"; trap - EXIT"#;
/// Like WRITE, keeping the existing file's owner and mode.
pub const REWRITE: &str = r#"set -e; t=$(mktemp -- "$1.phx-XXXXXX"); trap 'rm -f -- "$t"' EXIT
cat > "$t"; chown --reference="$1" -- "$t"; chmod --reference="$1" -- "$t"; mv -f -- "$t" "$1"; trap - EXIT"#;
pub const META: &str = r#"chown -- "$3:$4" "$1" && chmod -- "$2" "$1""#;
/// The secret is made and stays inside the guest; only its length is an argument.
pub const SECRET: &str = r#"set -e; umask 077; mkdir -p -- "$(dirname -- "$1")"
t=$(mktemp -- "$1.phx-XXXXXX"); trap 'rm -f -- "$t"' EXIT
head -c "$2" /dev/urandom | od -An -v -tx1 | tr -d ' \n' > "$t"; chmod -- "$3" "$t"; mv -f -- "$t" "$1"; trap - EXIT"#;

/// `pct exec <ctid> -- argv…`
pub fn in_guest(ctid: u32, argv: &[String]) -> Vec<String> {
    let mut v = vec![
        "pct".to_string(),
        "exec".to_string(),
        ctid.to_string(),
        "--".to_string(),
    ];
    v.extend(argv.iter().cloned());
    v
}

pub fn script(ctid: u32, name: &str, body: &str, args: &[&str]) -> Vec<String> {
    let mut v = vec![
        "sh".to_string(),
        "-c".to_string(),
        body.to_string(),
        name.to_string(),
    ];
    v.extend(args.iter().map(|s| s.to_string()));
    in_guest(ctid, &v)
}

pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
    pub fn said(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
            .trim_end()
            .to_string()
    }
}

/// Runs argv with `input` on stdin (written from a thread, so a chatty child
/// cannot deadlock against us); stdout and stderr are kept apart.
pub fn exec(argv: &[String], root: &Path, input: Option<&[u8]>) -> anyhow::Result<Out> {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if root != Path::new("/") {
        cmd.env("PHX_ROOT", root);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("could not run {}", argv[0]))?;
    let writer = match (input, child.stdin.take()) {
        (Some(data), Some(mut stdin)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || stdin.write_all(&data)))
        }
        _ => None,
    };
    let out = child.wait_with_output()?;
    if let Some(w) = writer {
        // A child that exits without reading (e.g. the CT is not running) breaks the pipe.
        let _ = w.join();
    }
    Ok(Out {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// What a guest file is now.
pub struct Meta {
    pub mode: u32,
    pub owner: String,
    pub group: String,
    pub sha256: String,
}

pub fn parse_probe(stdout: &str) -> Option<Option<Meta>> {
    let mut lines = stdout.lines();
    let first = lines.next()?;
    if first == "absent" {
        return Some(None);
    }
    let mut f = first.split_whitespace();
    let mode = u32::from_str_radix(f.next()?, 8).ok()?;
    let (owner, group) = (f.next()?.to_string(), f.next()?.to_string());
    let sha256 = lines.next()?.split_whitespace().next()?.to_string();
    Some(Some(Meta {
        mode,
        owner,
        group,
        sha256,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_output() {
        let m = parse_probe("600 root ssl-cert\nabc123  -\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                m.mode,
                m.owner.as_str(),
                m.group.as_str(),
                m.sha256.as_str()
            ),
            (0o600, "root", "ssl-cert", "abc123")
        );
        assert!(parse_probe("absent\n").unwrap().is_none());
        assert!(parse_probe("garbage").is_none());
    }
}
