//! Paths under `--root` that cannot leave it. Each component is looked at
//! in turn and a symlink is followed the way the kernel would if the root
//! were `/` (what `openat2(RESOLVE_IN_ROOT)` does): an absolute target
//! starts again at the root and `..` stops there. So `root/etc -> /elsewhere`
//! means `root/elsewhere`, never the host's `/elsewhere`. On the live host
//! (root `/`) paths are used as they are.
//!
//! The tree is trusted not to change while a run resolves it (the lock
//! keeps other phx-apply runs out); the defence is against what a tree
//! holds, not against a concurrent attacker.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// How many links one resolution may follow, as the kernel's ELOOP bound.
const MAX_LINKS: usize = 40;

/// `path` under `root`, every component resolved inside the root.
pub fn resolve(root: &Path, path: &Path) -> std::io::Result<PathBuf> {
    if root == Path::new("/") {
        return Ok(path.to_path_buf());
    }
    walk(root, components(path))
}

/// `path` under `root` with its directories resolved inside the root and
/// its last component kept as a name: a rename over it or a removal acts on
/// a symlink itself, as on the live host, never on what it points to.
pub fn resolve_parent(root: &Path, path: &Path) -> std::io::Result<PathBuf> {
    if root == Path::new("/") {
        return Ok(path.to_path_buf());
    }
    let mut comps = components(path);
    let Some(last) = comps.pop_back() else {
        return Ok(root.to_path_buf());
    };
    if last == ".." {
        return Err(std::io::Error::other(format!(
            "{}: a path may not end in '..'",
            path.display()
        )));
    }
    Ok(walk(root, comps)?.join(last))
}

fn components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

fn walk(root: &Path, mut todo: VecDeque<OsString>) -> std::io::Result<PathBuf> {
    let mut cur = root.to_path_buf();
    let mut depth = 0usize;
    let mut links = 0usize;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            if depth > 0 {
                cur.pop();
                depth -= 1;
            }
            continue;
        }
        let next = cur.join(&c);
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(std::io::Error::other(format!(
                        "{}: too many levels of symbolic links",
                        next.display()
                    )));
                }
                let target = std::fs::read_link(&next)?;
                if target.is_absolute() {
                    cur = root.to_path_buf();
                    depth = 0;
                }
                for t in components(&target).into_iter().rev() {
                    todo.push_front(t);
                }
            }
            _ => {
                cur = next;
                depth += 1;
            }
        }
    }
    Ok(cur)
}
