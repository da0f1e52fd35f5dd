//! The shell scripts phx-apply runs inside guests (`pct exec <ct> -- sh -c
//! SCRIPT name args…`). Content, and what it must hash to, travel on stdin
//! only: a header line `<size> <sha256>` and then the bytes. The expected
//! digest is not an argument because arguments are visible to every user of
//! the host (`ps`), and the SHA-256 of a low-entropy secret (a password in
//! a guest_file marked secret) can be searched for; on stdin the rule needs
//! no exception for secrets.
//!
//! Every writer installs a temp file only after checking that what it
//! received has the announced size and SHA-256: when phx-apply dies (SIGKILL,
//! or SIGHUP from a lost SSH session) the in-guest `cat` sees an early EOF,
//! and the prefix it got must never become the file. HUP, PIPE, TERM and
//! INT make the script exit (and its EXIT trap remove the temp file) rather
//! than carry on; a SIGKILL of the script itself can leave a temp file,
//! which the next write to the same path removes (runs are serialised by
//! the host's lock).

/// Cleanup on any exit and no carrying on after a hangup, broken pipe, or
/// termination. `t` is the temp file once there is one.
macro_rules! guarded {
    () => {
        r#"t=; trap '[ -z "$t" ] || rm -f -- "$t"' EXIT
trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 141' PIPE; trap 'exit 143' TERM
"#
    };
}

/// Checks the temp file `$t` against `$want_size` and `$want_sum` (from the
/// stdin header): a short or altered copy fails the script before any rename.
macro_rules! verified {
    () => {
        r#"got=$(stat -c %s -- "$t")
if [ "$got" != "$want_size" ]; then echo "received $got of $want_size bytes; $p is left as it was" >&2; exit 1; fi
got=$(sha256sum < "$t"); got=${got%% *}
if [ "$got" != "$want_sum" ]; then echo "the received bytes do not match their SHA-256; $p is left as it was" >&2; exit 1; fi
"#
    };
}

/// Reads the header, clears dead runs' temp files beside `$p`, then stdin →
/// a new temp file, verified.
macro_rules! receive {
    () => {
        concat!(
            r#"IFS=' ' read -r want_size want_sum
for s in "$p".phx-??????; do if [ -f "$s" ] && [ ! -L "$s" ]; then rm -f -- "$s"; fi; done
t=$(mktemp -- "$p.phx-XXXXXX")
cat > "$t"
"#,
            verified!()
        )
    };
}

/// Prints mode, owner and group, then the content's digest; or `absent`.
pub const PROBE: &str =
    r#"if [ -e "$1" ]; then stat -c '%a %U %G' -- "$1" && sha256sum < "$1"; else echo absent; fi"#;

/// `$1` path, `$2` mode, `$3` owner, `$4` group: header + content on stdin →
/// verified temp file beside the target → owner, mode → fsync → rename.
pub const WRITE: &str = concat!(
    "set -e; p=$1\n",
    guarded!(),
    "umask 022; mkdir -p -- \"$(dirname -- \"$p\")\"; umask 077\n",
    receive!(),
    r#"chown -- "$3:$4" "$t"; chmod -- "$2" "$t"; sync -- "$t"; mv -f -- "$t" "$p"; t="#
);

/// Like WRITE, keeping the existing file's owner and mode.
pub const REWRITE: &str = concat!(
    "set -e; umask 077; p=$1\n",
    guarded!(),
    receive!(),
    r#"chown --reference="$p" -- "$t"; chmod --reference="$p" -- "$t"; sync -- "$t"; mv -f -- "$t" "$p"; t="#
);

pub const META: &str = r#"chown -- "$3:$4" "$1" && chmod -- "$2" "$1""#;

/// The secret is made and stays inside the guest; only its length is an
/// argument. A pipeline reports only its last command, so the length of
/// what arrived is checked: a killed `head` must not leave a short secret.
pub const SECRET: &str = concat!(
    "set -e; p=$1\n",
    guarded!(),
    "umask 022; mkdir -p -- \"$(dirname -- \"$p\")\"; umask 077\n",
    r#"t=$(mktemp -- "$p.phx-XXXXXX")
head -c "$2" /dev/urandom | od -An -v -tx1 | tr -d ' \n' > "$t"
if [ "$(stat -c %s -- "$t")" != "$(($2 * 2))" ]; then echo "the secret came out short; $p is not made" >&2; exit 1; fi
chmod -- "$3" "$t"; sync -- "$t"; mv -f -- "$t" "$p"; t="#
);

/// The directories missing above `$1`, deepest first, one a line: what a
/// write's `mkdir -p` is about to make, for the manifest to list first.
/// A dangling link stops the walk (the `mkdir -p` then fails on it).
pub const MISSING_DIRS: &str = r#"d=$(dirname -- "$1"); while [ ! -e "$d" ] && [ ! -L "$d" ]; do printf '%s\n' "$d"; d=$(dirname -- "$d"); done"#;

/// Removes the directories given, in order (deepest first), each only when
/// it is an empty directory (not a link); prints `removed <dir>` for each.
/// One still there, empty, that would not go is an error.
pub const REMOVE_DIRS: &str = r#"rc=0
for d; do
  if [ -L "$d" ] || [ ! -d "$d" ]; then continue; fi
  if rmdir -- "$d" 2>/dev/null; then printf 'removed %s\n' "$d"
  elif [ -z "$(ls -A -- "$d")" ]; then rmdir -- "$d" || rc=1; fi
done
exit $rc"#;

/// `$1` the guest file, `$2` where its backup goes: a copy with its mode and
/// owner (`cp -p`), durable before it is renamed into place; then prints
/// `mode uid gid size` and the digest of what was saved, for the manifest.
/// A symlink is refused, not followed: the write would replace the link by
/// a regular file, and a rollback could only put a regular file back. `-P`
/// and the check of the copy keep a link swapped in meanwhile from being
/// saved as what it points to.
pub const SAVE: &str = concat!(
    "set -e; umask 077; p=$2\n",
    guarded!(),
    r#"if [ -L "$1" ]; then echo "$1 is a symbolic link; Phoenix does not write over a link in a guest (a rollback could not put it back)" >&2; exit 1; fi
if [ ! -f "$1" ]; then echo "$1 is not a regular file; it cannot be backed up" >&2; exit 1; fi
mkdir -p -- "$(dirname -- "$p")"
t=$(mktemp -- "$p.phx-XXXXXX")
cp -P -p -- "$1" "$t"
if [ -L "$t" ] || [ ! -f "$t" ]; then echo "$1 became a symbolic link while it was backed up; it is left as it was" >&2; exit 1; fi
sync -- "$t"; mv -f -- "$t" "$p"; t=
sync -- "$(dirname -- "$p")"
stat -c '%a %u %g %s' -- "$p"; sha256sum < "$p""#
);

/// A backup as it is now: `size` and digest, or `absent` (also for anything
/// that is not a regular file).
pub const CHECK_BACKUP: &str = r#"if [ -f "$1" ] && [ ! -L "$1" ]; then stat -c %s -- "$1" && sha256sum < "$1"; else echo absent; fi"#;

/// Exit status of RESTORE and REMOVE_CREATED when the file no longer holds
/// what the run left there (a later run or a person changed it): kept.
pub const CHANGED_SINCE: i32 = 3;

/// Sets `now` to what `$p` holds: its digest, or `link`, `other`, `absent`.
macro_rules! now_state {
    () => {
        r#"if [ -L "$p" ]; then now=link; elif [ -f "$p" ]; then now=$(sha256sum < "$p"); now=${now%% *}; elif [ -e "$p" ]; then now=other; else now=absent; fi
"#
    };
}

/// `$1` path, `$2` its backup, `$3` mode, `$4` uid, `$5` gid; the header on
/// stdin is the size and digest the manifest gives, then the digest the run
/// left there: a file holding neither is kept (exit CHANGED_SINCE). The copy
/// is verified, not the backup, so what is renamed is what was checked.
pub const RESTORE: &str = concat!(
    "set -e; p=$1\n",
    guarded!(),
    r#"IFS=' ' read -r want_size want_sum left_sum
"#,
    now_state!(),
    r#"if [ "$now" != "$left_sum" ] && [ "$now" != "$want_sum" ]; then echo "$p changed since this run wrote it (a later run, or by hand); not restored" >&2; exit 3; fi
umask 022; mkdir -p -- "$(dirname -- "$p")"; umask 077
t=$(mktemp -- "$p.phx-XXXXXX")
cp -- "$2" "$t"
"#,
    verified!(),
    r#"chown -- "$4:$5" "$t"; chmod -- "$3" "$t"; sync -- "$t"; mv -f -- "$t" "$p"; t="#
);

/// `$1` a file the run created; stdin the digest the run left there. Removed
/// only while it still holds that (exit CHANGED_SINCE otherwise).
pub const REMOVE_CREATED: &str = concat!(
    "p=$1; IFS=' ' read -r left_sum\n",
    now_state!(),
    r#"if [ "$now" = absent ]; then exit 0; fi
if [ "$now" != "$left_sum" ]; then echo "$p changed since this run wrote it (a later run, or by hand); not removed" >&2; exit 3; fi
rm -f -- "$p""#
);

/// The header that goes ahead of `content` on a writer's stdin.
pub fn framed(content: &[u8]) -> Vec<u8> {
    let header = format!("{} {}\n", content.len(), phx_plan::sha256::hex(content));
    let mut out = Vec::with_capacity(header.len() + content.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(content);
    out
}
