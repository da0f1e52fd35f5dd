//! Interrupts while phoenix-cli waits for a program. Ctrl-C reaches the
//! whole foreground process group: the planner or phx-apply gets it too and
//! stops (phx-apply cleanly, as its safety model says). phoenix-cli must not
//! die before it: it notes the signal, lets the program finish, then stops
//! with 128+signal — no later phase starts, and its scratch directory of
//! plans is removed (dying at once left `/tmp/phoenix-cli.PID.N` behind).

use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
use std::sync::atomic::{AtomicI32, Ordering};

static CAUGHT: AtomicI32 = AtomicI32::new(0);

extern "C" fn note(sig: i32) {
    CAUGHT.store(sig, Ordering::SeqCst);
}

/// Installs the handler for SIGINT, SIGTERM and SIGHUP. A handler, not
/// SIG_IGN: an ignored signal stays ignored in the programs phoenix-cli
/// runs, a caught one is reset to the default by exec.
pub fn catch() {
    let action = SigAction::new(
        SigHandler::Handler(note),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: `note` only stores into an atomic, which is
        // async-signal-safe.
        let _ = unsafe { sigaction(sig, &action) };
    }
}

/// The signal caught since the start, if any: the caller stops with
/// 128 + it.
pub fn caught() -> Option<u8> {
    match CAUGHT.load(Ordering::SeqCst) {
        0 => None,
        sig => u8::try_from(128 + sig).ok(),
    }
}
