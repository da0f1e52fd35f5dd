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

/// `resolve` and `resolve_parent` for one run, each directory resolved once:
/// a plan of 5,000 files in one directory walked that directory's ancestors
/// 10,000 times (20 `statx` a file). The last component is still looked at
/// every time (it is what steps replace), and a directory found to be a
/// symbolic link is resolved by the full walk, so the answers are the
/// uncached functions' answers while the tree keeps its directories.
/// Whatever may change them (a command, a handler, a guest step, a removal)
/// must call `forget` after it ran.
#[derive(Debug)]
pub struct Resolver {
    root: PathBuf,
    /// Host directory (`/etc/pve/firewall`) to where it is under the root.
    dirs: std::cell::RefCell<std::collections::HashMap<PathBuf, PathBuf>>,
}

impl Resolver {
    pub fn new(root: &Path) -> Resolver {
        Resolver {
            root: root.to_path_buf(),
            dirs: Default::default(),
        }
    }

    /// Drops every directory resolved so far.
    pub fn forget(&self) {
        self.dirs.borrow_mut().clear();
    }

    /// As `resolve`.
    pub fn resolve(&self, path: &Path) -> std::io::Result<PathBuf> {
        Ok(self.resolve_lstat(path)?.0)
    }

    /// As `resolve`, with what `lstat` said of the result when its last
    /// component was looked at and is no link (`None`: it does not exist,
    /// or the last component was a link, or the root is `/`, where
    /// nothing is looked at).
    pub fn resolve_lstat(
        &self,
        path: &Path,
    ) -> std::io::Result<(PathBuf, Option<std::fs::Metadata>)> {
        if self.root == Path::new("/") {
            return Ok((path.to_path_buf(), None));
        }
        let Some((dir, last)) = self.split(path) else {
            return Ok((resolve(&self.root, path)?, None));
        };
        let at = self.dir(dir)?.join(last);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => Ok((resolve(&self.root, path)?, None)),
            Ok(m) => Ok((at, Some(m))),
            Err(_) => Ok((at, None)),
        }
    }

    /// As `resolve_parent`.
    pub fn resolve_parent(&self, path: &Path) -> std::io::Result<PathBuf> {
        if self.root == Path::new("/") {
            return Ok(path.to_path_buf());
        }
        match self.split(path) {
            Some((dir, last)) => Ok(self.dir(dir)?.join(last)),
            None => resolve_parent(&self.root, path),
        }
    }

    /// A plain absolute path's directory and last name; `None` for what
    /// the cache does not take (`..`, `.`, no last name): the full walk.
    fn split<'p>(&self, path: &'p Path) -> Option<(&'p Path, &'p std::ffi::OsStr)> {
        let plain = path.is_absolute()
            && path
                .components()
                .skip(1)
                .all(|c| matches!(c, Component::Normal(_)));
        if !plain {
            return None;
        }
        Some((path.parent()?, path.file_name()?))
    }

    /// Host directory `dir` (absolute, plain) under the root, from its
    /// parent's entry and one `lstat` of its own name.
    fn dir(&self, dir: &Path) -> std::io::Result<PathBuf> {
        if let Some(known) = self.dirs.borrow().get(dir) {
            return Ok(known.clone());
        }
        let real = match (dir.parent(), dir.file_name()) {
            (Some(parent), Some(name)) => {
                let at = self.dir(parent)?.join(name);
                match std::fs::symlink_metadata(&at) {
                    Ok(m) if m.file_type().is_symlink() => resolve(&self.root, dir)?,
                    _ => at,
                }
            }
            _ => self.root.clone(),
        };
        self.dirs
            .borrow_mut()
            .insert(dir.to_path_buf(), real.clone());
        Ok(real)
    }
}
