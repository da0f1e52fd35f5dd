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

#[derive(Debug, Default, Clone)]
pub struct Problems {
    pub list: Vec<Problem>,
    /// Things that are legal but probably not meant (printed, exit status unaffected).
    pub warnings: Vec<String>,
}

impl Problems {
    pub fn push(
        &mut self,
        file: &str,
        path: &str,
        value: impl Into<String>,
        expected: impl Into<String>,
    ) {
        self.list.push(Problem {
            file: file.to_string(),
            path: path.to_string(),
            value: value.into(),
            expected: expected.into(),
        });
    }

    pub fn warn(&mut self, msg: impl Into<String>) {
        self.warnings.push(msg.into());
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn extend(&mut self, other: Problems) {
        self.list.extend(other.list);
        self.warnings.extend(other.warnings);
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.list {
            writeln!(f, "{p}")?;
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
