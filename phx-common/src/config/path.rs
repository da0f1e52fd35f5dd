//! JSON paths as problems name them (`lxc_configs."102".network_config`):
//! a chain of borrowed segments built on the stack as the checks descend,
//! turned into text only for a problem or for the few model values that
//! keep it.

/// A JSON path, built on the stack as the checks descend.
#[derive(Clone, Copy)]
pub struct At<'a> {
    up: Option<&'a At<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
    /// A whole path rendered once for the items of a list below it.
    Rendered(&'a str),
}

impl<'a> At<'a> {
    pub const ROOT: At<'static> = At {
        up: None,
        seg: Seg::Root,
    };

    pub fn key<'b>(&'b self, key: &'b str) -> At<'b> {
        At {
            up: Some(self),
            seg: Seg::Key(key),
        }
    }

    /// `path` (this one, rendered) as a root: items of a long list render
    /// their paths from it instead of walking up every time.
    pub const fn rendered(path: &'a str) -> At<'a> {
        At {
            up: None,
            seg: Seg::Rendered(path),
        }
    }

    pub fn index(&self, i: usize) -> At<'_> {
        At {
            up: Some(self),
            seg: Seg::Index(i),
        }
    }

    /// The path as text (`lxc_configs."102".network_config`); empty at the root.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(48);
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        if let Some(up) = self.up {
            up.render_into(out);
        }
        match self.seg {
            Seg::Root => {}
            Seg::Rendered(p) => out.push_str(p),
            Seg::Key(k) => push_key(out, k),
            Seg::Index(i) => {
                use std::fmt::Write;
                let _ = write!(out, "[{i}]");
            }
        }
    }

    /// The path as a problem names it: `(document)` at the root.
    pub fn path(&self) -> String {
        let p = self.render();
        if p.is_empty() {
            "(document)".into()
        } else {
            p
        }
    }
}

/// Appends a key to a JSON path, quoting keys that are not plain identifiers
/// (`lxc_configs."102".network_config`).
pub fn join_key(path: &str, key: &str) -> String {
    let mut out = String::with_capacity(path.len() + key.len() + 3);
    out.push_str(path);
    push_key(&mut out, key);
    out
}

fn push_key(out: &mut String, key: &str) {
    let plain = key
        .bytes()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
    if !out.is_empty() {
        out.push('.');
    }
    if plain {
        out.push_str(key);
    } else {
        use std::fmt::Write;
        let _ = write!(out, "{key:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_the_json_they_name() {
        let root = At::ROOT;
        let lxcs = root.key("lxc_configs");
        let ct = lxcs.key("102");
        let rules = ct.key("rules");
        assert_eq!(rules.index(3).render(), "lxc_configs.\"102\".rules[3]");
        assert_eq!(root.path(), "(document)");
    }
}
