//! Tests that need a real program (step-ca, dnsmasq, python3-jsonschema, …)
//! fail when it is missing, unless `PHX_SKIP_E2E` names its component
//! (`PHX_SKIP_E2E=ca,schema`): a test that did not run must not look green.
//! Each skip prints a line at once, and the test binary ends with a line
//! counting them (`.ci/run` never sets the switch).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;

/// The switch naming the components whose tests may be skipped.
pub const SKIP_VAR: &str = "PHX_SKIP_E2E";

static RAN: AtomicUsize = AtomicUsize::new(0);
static SKIPPED: AtomicUsize = AtomicUsize::new(0);
static MISSING: AtomicUsize = AtomicUsize::new(0);
static SUMMARY: Once = Once::new();

/// Whether `component` is named in a `PHX_SKIP_E2E` value (comma- or
/// space-separated names).
pub fn skip_listed(switch: &str, component: &str) -> bool {
    switch
        .split([',', ' '])
        .map(str::trim)
        .any(|c| c == component)
}

/// `missing`: what is absent for `component`'s real-program test, or `None`.
/// Returns whether the test may run; panics when something is missing and
/// the switch does not name the component.
#[track_caller]
pub fn real_component(test: &str, component: &str, missing: Option<String>) -> bool {
    // This module's own tests exercise the failing path on purpose: their
    // binary prints no count, which would report a missing component.
    if !cfg!(test) {
        SUMMARY.call_once(register_summary);
    }
    let Some(missing) = missing else {
        RAN.fetch_add(1, Ordering::Relaxed);
        return true;
    };
    let switch = std::env::var(SKIP_VAR).unwrap_or_default();
    if !skip_listed(&switch, component) {
        MISSING.fetch_add(1, Ordering::Relaxed);
    }
    assert!(
        skip_listed(&switch, component),
        "{test}: {missing} is missing, so this test cannot run: install it \
         (.ci/run does) or skip it explicitly with {SKIP_VAR}={component}"
    );
    SKIPPED.fetch_add(1, Ordering::Relaxed);
    // Straight to fd 2: the harness captures eprintln! of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {missing} is missing ({SKIP_VAR}={switch})"
    );
    false
}

extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

/// At the test binary's exit (libtest ends with `process::exit`, which runs
/// the C atexit handlers), one line counting the real-component tests.
fn register_summary() {
    // SAFETY: atexit only stores the function pointer; `summary` touches
    // nothing but two atomics and stderr.
    unsafe { atexit(summary) };
}

extern "C" fn summary() {
    let [ran, skipped, missing] = [&RAN, &SKIPPED, &MISSING].map(|n| n.load(Ordering::Relaxed));
    let _ = writeln!(
        std::io::stderr(),
        "real-component tests: {ran} ran, {skipped} skipped by {SKIP_VAR}, {missing} failed for a missing component"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_names_components_exactly() {
        assert!(skip_listed("ca,schema", "schema"));
        assert!(skip_listed(" ca , dnsmasq", "dnsmasq"));
        assert!(!skip_listed("", "ca"));
        assert!(!skip_listed("cas", "ca"));
        assert!(!skip_listed("schema", "ca"));
    }

    #[test]
    #[should_panic(expected = "install it (.ci/run does) or skip it explicitly with PHX_SKIP_E2E=")]
    fn a_missing_component_fails_unless_named() {
        // A component name no one sets, so the process's switch cannot name it.
        real_component("t", "phx-no-such-component", Some("a program".into()));
    }

    #[test]
    fn a_present_component_runs() {
        assert!(real_component("t", "phx-no-such-component", None));
    }
}
