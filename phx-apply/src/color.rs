//! When to colour, and the few ANSI styles the report uses. `auto` colours a
//! stream only when it is a terminal, `NO_COLOR` is unset or empty
//! (no-color.org) and `TERM` is not `dumb`; `always` and `never` are the
//! operator's word and override both.

use std::ffi::OsStr;
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// The decision itself, with the environment passed in (so it is testable).
    pub fn decide(self, terminal: bool, no_color: Option<&OsStr>, term: Option<&OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal
                    && no_color.is_none_or(|v| v.is_empty())
                    && term.is_none_or(|t| t != "dumb")
            }
        }
    }

    /// Whether to colour `stream` in this process's environment.
    pub fn for_stream(self, stream: &impl IsTerminal) -> Paint {
        Paint(self.decide(
            stream.is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
            std::env::var_os("TERM").as_deref(),
        ))
    }
}

/// SGR codes the report uses.
pub const BOLD: &str = "1";
pub const RED: &str = "31";
pub const GREEN: &str = "32";
pub const YELLOW: &str = "33";
pub const CYAN: &str = "36";
pub const DIM: &str = "2";

/// Colours text, or passes it through when colour is off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paint(pub bool);

impl Paint {
    pub fn on(self) -> bool {
        self.0
    }
    pub fn paint(self, sgr: &str, text: &str) -> String {
        if self.0 && !text.is_empty() {
            format!("\x1b[{sgr}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ColorChoice::*;
    use std::ffi::OsStr;

    #[test]
    fn auto_colours_a_terminal_unless_no_color_or_a_dumb_term() {
        let os = |s: &'static str| Some(OsStr::new(s));
        assert!(Auto.decide(true, None, os("xterm")));
        assert!(!Auto.decide(false, None, os("xterm")), "a pipe");
        assert!(!Auto.decide(true, os("1"), os("xterm")), "NO_COLOR set");
        assert!(Auto.decide(true, os(""), os("xterm")), "NO_COLOR empty");
        assert!(!Auto.decide(true, None, os("dumb")));
        assert!(Always.decide(false, os("1"), os("dumb")), "the flag wins");
        assert!(!Never.decide(true, None, os("xterm")));
    }
}
