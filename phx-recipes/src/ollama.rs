//! `ollama` in a container, as the original's
//! phoenix_hypervisor_feature_install_ollama.sh set it up: Ollama's
//! official install script, fetched and run inside the guest once (the
//! binary answering `ollama --version` is the guard, as the original's
//! is_command_available was), then the API on every address at the port
//! the entry's first `ports` gives the guest side of (`"11434:11434"`;
//! 11434, Ollama's own, when none), and the service enabled and running.
//!
//! The original overwrote ollama.service with its own copy; the install
//! script already writes one (ExecStart=…/ollama serve, its own `ollama`
//! user), so here only the address is added, by a drop-in, as Ollama's
//! FAQ says to set its environment on Linux ("Setting environment
//! variables on Linux": `systemctl edit ollama.service`, `[Service]
//! Environment="OLLAMA_HOST=…"`). The install script is not versioned
//! (ollama.com serves the current one, which fetches the current release
//! over HTTPS): there is no checksum to hold it to.
//!
//! Models the entry lists (`ollama_models`) are pulled once each, after the
//! service runs (`ollama pull` asks the server); `ollama list` is the guard.

use phx_common::config::Lxc;
use phx_plan::guest_steps::{self as guest, Service};
use phx_plan::{argv, Guest, StepSink};

pub const INSTALL_URL: &str = "https://ollama.com/install.sh";
/// Where the fetched script is kept (the application scripts' directory).
pub const INSTALL_SCRIPT: &str = "/var/lib/phoenix/ollama-install.sh";
pub const DROP_IN: &str = "/etc/systemd/system/ollama.service.d/phoenix.conf";
pub const UNIT: &str = "ollama";
/// What fetching and running the script needs: curl for it, and zstd,
/// which it requires (exit 1, "This version requires zstd for
/// extraction") whenever ollama.com serves the release as `.tar.zst`, as it
/// does for current ones (ollama/ollama scripts/install.sh,
/// download_and_extract) — Debian's standard template has no zstd.
pub const PACKAGES: [&str; 3] = ["ca-certificates", "curl", "zstd"];

/// The port Ollama listens on: the guest side of the first `ports`
/// entry, else 11434 (phx_common's rule, which phx-verify asks it on too).
pub fn port_of(c: &Lxc) -> u16 {
    phx_common::config::serve::ollama_port(c)
}

/// The models to pull (`ollama_models`).
pub fn models(c: &Lxc) -> &[String] {
    &c.ollama_models
}

/// The drop-in: OLLAMA_HOST on every address at `port`.
pub fn drop_in(port: u16) -> String {
    format!(
        "# Written by Phoenix (phx-features) from the container's ports: edits are replaced.\n\
         [Service]\n\
         Environment=\"OLLAMA_HOST=0.0.0.0:{port}\"\n"
    )
}

/// The steps: the install script (once), the drop-in (restarting Ollama
/// only when it changed), the service enabled and started, the models.
pub fn plan(plan: &mut impl StepSink, prefix: &str, ct: Guest, port: u16, models: &[String]) {
    guest::long_command(
        plan,
        // Not `-install`: that is the feature's packages' step.
        &format!("{prefix}-script"),
        ct,
        argv(&[
            "sh",
            "-c",
            r#"mkdir -p "$(dirname "$1")" && curl -fsSL -o "$1" "$2" && sh "$1""#,
            "phx-ollama-install",
            INSTALL_SCRIPT,
            INSTALL_URL,
        ]),
        Some(argv(&["ollama", "--version"])),
        "install Ollama with its install script (ollama.com/install.sh)",
    );
    let svc = Service {
        prefix,
        guest: ct,
        unit: UNIT,
    };
    guest::file(
        plan,
        &format!("{prefix}-host"),
        ct,
        DROP_IN,
        drop_in(port),
        &[&svc.reload_id(), &svc.restart_id()],
    );
    svc.finish(plan);
    for m in models {
        guest::command(
            plan,
            &format!("{prefix}-pull-{m}"),
            ct,
            argv(&["ollama", "pull", m]),
            Some(pulled(m)),
            &format!("pull the Ollama model {m}"),
        );
    }
}

/// Exit 0 only when `ollama list` shows `model` (a name without a tag is
/// listed as `<name>:latest`).
fn pulled(model: &str) -> Vec<String> {
    argv(&[
        "sh",
        "-c",
        // The shell alone (awk is a Debian alternative, not a path every
        // root has): skip the header, compare each row's first column.
        r#"m=$1; case $m in *:*) ;; *) m=$m:latest ;; esac; ollama list | { read -r _ || exit 1; while read -r name _; do [ "$name" = "$m" ] && exit 0; done; exit 1; }"#,
        "phx-ollama-pulled",
        model,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drop_in_sets_the_host_at_the_port() {
        assert_eq!(
            drop_in(11500),
            "# Written by Phoenix (phx-features) from the container's ports: edits are replaced.\n[Service]\nEnvironment=\"OLLAMA_HOST=0.0.0.0:11500\"\n"
        );
    }
}
