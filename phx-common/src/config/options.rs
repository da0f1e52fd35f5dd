//! How the input is read, chosen once by the caller of the loader and
//! handed down as one value: every document's `Reader` is made from it
//! (`Reader::of`), whether `digest` reads the document or `stream` reads
//! its rules early. It depends on nothing, so nothing here goes round.

/// What becomes of the firewall rules (of the cluster, its groups and
/// hosts, and every guest) once each is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Rules {
    /// Kept in the model: phx-fw plans from them.
    #[default]
    Keep,
    /// Checked exactly as when kept, then dropped: `Firewall::rules` and the
    /// rule lists of `groups` stay empty. For the tools that never read
    /// them (all but phx-fw): at 10,000 guests they are half the model.
    CheckOnly,
}

/// How strictly the input is read, and what of it is kept.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Unknown keys are problems (exit 2), not warnings.
    pub strict: bool,
    pub rules: Rules,
}
