//! Validation problems: collected, never thrown, so an operator sees every
//! mistake in one run instead of fixing them one at a time.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub path: String,
    /// The offending value as JSON text (or `(missing)`).
    pub value: String,
    pub expected: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: {}: {}",
            self.file, self.path, self.value, self.expected
        )
    }
}

/// How many problems are kept and shown: past this, a broken or hostile
/// input (a million bad entries) costs a counter, not memory.
pub const MAX_SHOWN: usize = 100;

#[derive(Debug, Default, Clone)]
pub struct Problems {
    /// The first `MAX_SHOWN` problems.
    pub list: Vec<Problem>,
    /// Problems found past the first `MAX_SHOWN`, counted only.
    pub omitted: usize,
    /// Things that are legal but probably not meant (printed, exit status
    /// unaffected): the first `MAX_SHOWN`, then a last line counting the rest.
    pub warnings: Vec<String>,
    omitted_warnings: usize,
}

impl Problems {
    pub fn push(
        &mut self,
        file: &str,
        path: &str,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.add(Problem {
            file: file.to_string(),
            path: path.to_string(),
            value: value.into(),
            expected: expected.into(),
        });
    }

    fn add(&mut self, p: Problem) {
        if self.list.len() < MAX_SHOWN {
            self.list.push(p);
        } else {
            self.omitted += 1;
        }
    }

    pub fn warn(&mut self, msg: impl Into<String>) {
        if self.warnings.len() < MAX_SHOWN {
            self.warnings.push(msg.into());
        } else {
            self.omitted_warnings += 1;
        }
    }

    /// The warnings to print, `… and N more warnings` last when some were not kept.
    pub fn take_warnings(&mut self) -> Vec<String> {
        let mut w = std::mem::take(&mut self.warnings);
        if self.omitted_warnings > 0 {
            w.push(format!("… and {} more warnings", self.omitted_warnings));
            self.omitted_warnings = 0;
        }
        w
    }

    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Every problem found, the omitted ones included.
    pub fn count(&self) -> usize {
        self.list.len() + self.omitted
    }

    pub fn extend(&mut self, other: Problems) {
        for p in other.list {
            self.add(p);
        }
        self.omitted += other.omitted;
        for w in other.warnings {
            self.warn(w);
        }
        self.omitted_warnings += other.omitted_warnings;
    }

    /// The line that closes a shown list: `… and N more`, when some were not shown.
    pub fn more(&self) -> Option<String> {
        (self.omitted > 0).then(|| format!("… and {} more", self.omitted))
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.list {
            writeln!(f, "{p}")?;
        }
        if let Some(more) = self.more() {
            writeln!(f, "{more}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Renders a JSON value for a message, short enough to read on one line.
pub fn show(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}
