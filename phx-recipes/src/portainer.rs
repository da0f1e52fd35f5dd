//! `portainer`: Portainer's server or its agent, per the container's
//! `portainer_role`, as one Docker container each, the way the original
//! runs them (bin/lxc_setup/phoenix_hypervisor_feature_install_portainer.sh):
//!   - `server` (the VM file's `primary` means the same): `portainer` from
//!     `portainer/portainer-ce:latest`, restart always, HTTPS on 9443, the
//!     Docker socket and the `portainer_data` volume mounted;
//!   - `agent`: `portainer_agent` from `portainer/agent:latest`, restart
//!     always, port 9001, the Docker socket and /var/lib/docker/volumes;
//!   - `none` (or no role): nothing, with a warning (the feature is listed).
//!
//! `docker run`, guarded by `docker inspect`, rather than a compose file:
//! one container per role, and its whole definition is the run's argv. The
//! argv's SHA-256 is put on the container as the label `phoenix.spec`; the
//! guard passes only when the container runs with this very label, so a
//! converged container is left alone, and a stopped one or one made from
//! other arguments is replaced (`docker rm -f`, then `docker run`: the data
//! lives in the volume, not in the container).
//!
//! The server's admin password: a random secret made inside the guest
//! (`/etc/phoenix/portainer/admin-password`, hex, mode 0600; it never leaves
//! the guest, never in a plan, argv or log), handed to Portainer with
//! `--admin-password-file` (read on first start, when the data volume is
//! new). The admin user is `admin`; read the password inside the guest.
//!
//! Defects of the original avoided:
//!   - It started the server with `--ssl --sslcert /certs/portainer.<domain>.crt`
//!     (the name differs between 260ca13 and HEAD) from a /certs that no
//!     step of its container path fills: the server exits at start. Here
//!     Portainer serves its own certificate on 9443, and Traefik, with
//!     phx-ca's certificate, is what clients reach.
//!   - It published 9001 on the server too, where Portainer listens on
//!     nothing (9001 is the agent's port): not published.
//!   - It gave the agent `AGENT_CLUSTER_ADDR=tcp://<ip>:<port>` from keys it
//!     read in the container's entry, where they are not (`tcp://null:null`);
//!     that variable names a Swarm agent cluster, not the server, and a
//!     standalone agent needs none: not set.
//!   - Without an admin password Portainer stops itself five minutes after
//!     its first start unless someone creates the admin in the web UI; the
//!     password file prevents it.
//!   - Its guard (`docker ps | grep NAME`) kept a running container made
//!     with other arguments forever; an unknown role was a warning and a
//!     success. Here the spec label decides, and an unknown role is refused.

use crate::ancestor_with;
use crate::subject::Subject;
use phx_common::config::{Inventory, Problems};
use phx_plan::guest_steps as guest;
use phx_plan::{argv, Guest, StepSink};

pub const SERVER_IMAGE: &str = "portainer/portainer-ce:latest";
pub const AGENT_IMAGE: &str = "portainer/agent:latest";
pub const SERVER_NAME: &str = "portainer";
pub const AGENT_NAME: &str = "portainer_agent";
/// The admin password, made inside the guest.
pub const PASSWORD: &str = "/etc/phoenix/portainer/admin-password";
/// Where the server container reads it.
const PASSWORD_IN_CONTAINER: &str = "/run/portainer/admin-password";
/// 16 random bytes: 32 hex characters (Portainer wants at least 12).
const PASSWORD_BYTES: usize = 16;
pub const LABEL: &str = "phoenix.spec";
/// What the guard asks `docker inspect` for.
pub const INSPECT_FORMAT: &str = r#"{{.State.Running}} {{index .Config.Labels "phoenix.spec"}}"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Agent,
}

const EXPECTED_ROLES: &str =
    "\"server\" (or \"primary\", the VM file's word for it), \"agent\" or \"none\"";

/// The role of a container that lists `portainer` (or of a VM with a
/// role: the VM file names no such feature, the original's
/// portainer-manager.sh deployed per `portainer_role`). An unknown role, or
/// a role without the `docker` feature (its own or a clone ancestor's), is
/// a problem; `none` or no role is a warning, and nothing is installed.
pub fn check(
    inv: &Inventory,
    s: Subject,
    p: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<Role> {
    let file = s.file;
    let c = s.common();
    let at = format!("{}.portainer_role", c.path);
    let role = match c.portainer_role.as_deref() {
        Some("server" | "primary") => Role::Server,
        Some("agent") => Role::Agent,
        None | Some("none") => {
            warnings.push(format!(
                "{file}: {at}: {} lists the \"portainer\" feature but its portainer_role is {}: nothing is installed for it (say \"server\" or \"agent\")",
                s.label(),
                c.portainer_role
                    .as_deref()
                    .map(|r| format!("{r:?}"))
                    .unwrap_or_else(|| "not given".into())
            ));
            return None;
        }
        Some(other) => {
            p.push(
                file,
                &at,
                format!("{other:?}"),
                format!(
                    "{EXPECTED_ROLES} for the \"portainer\" feature of {}",
                    s.label()
                ),
            );
            return None;
        }
    };
    if !c.has_feature("docker") && ancestor_with(inv, s, "docker").is_none() {
        p.push(
            file,
            &format!("{}.features", c.path),
            format!("{:?}", c.features),
            format!(
                "\"docker\" beside \"portainer\" for {} (its {at} {:?} runs Portainer as a Docker container)",
                s.label(),
                c.portainer_role.as_deref().unwrap_or_default()
            ),
        );
        return None;
    }
    Some(role)
}

/// The `docker run` argv (after `docker run`), without the label.
pub fn run_args(role: Role) -> Vec<String> {
    let sock = "/var/run/docker.sock:/var/run/docker.sock";
    match role {
        Role::Server => {
            let secret = format!("{PASSWORD}:{PASSWORD_IN_CONTAINER}:ro");
            let mut a = argv(&[
                "-d",
                "--name",
                SERVER_NAME,
                "--restart=always",
                "-p",
                "9443:9443",
                "-v",
                sock,
                "-v",
                "portainer_data:/data",
                "-v",
                &secret,
                SERVER_IMAGE,
            ]);
            a.extend(argv(&["--admin-password-file", PASSWORD_IN_CONTAINER]));
            a
        }
        Role::Agent => argv(&[
            "-d",
            "--name",
            AGENT_NAME,
            "--restart=always",
            "-p",
            "9001:9001",
            "-v",
            sock,
            "-v",
            "/var/lib/docker/volumes:/var/lib/docker/volumes",
            AGENT_IMAGE,
        ]),
    }
}

/// The container's steps: the server's password (once), then the
/// container, replaced unless it runs with this spec.
pub fn plan(plan: &mut impl StepSink, prefix: &str, ct: Guest, role: Role) {
    let name = match role {
        Role::Server => SERVER_NAME,
        Role::Agent => AGENT_NAME,
    };
    if role == Role::Server {
        guest::secret(
            plan,
            &format!("{prefix}-admin-password"),
            ct,
            PASSWORD,
            PASSWORD_BYTES,
        );
    }
    let args = run_args(role);
    let spec = phx_plan::sha256::hex(args.join("\0").as_bytes());
    let spec = &spec[..16];
    let mut run = argv(&[
        "sh",
        "-c",
        r#"n=$1; shift; docker rm -f "$n" >/dev/null 2>&1 || true; exec docker run "$@""#,
        "phx-portainer",
        name,
        "--label",
        &format!("{LABEL}={spec}"),
    ]);
    run.extend(args);
    let mut done = argv(&[
        "sh",
        "-c",
        // --type container: a bare name would also match an image or a volume.
        r#"[ "$(docker inspect --type container --format "$2" "$1" 2>/dev/null)" = "true $3" ]"#,
        "phx-portainer-running",
        name,
        INSPECT_FORMAT,
    ]);
    done.push(spec.to_string());
    let what = match role {
        Role::Server => "Portainer's server",
        Role::Agent => "Portainer's agent",
    };
    guest::command(
        plan,
        &format!("{prefix}-{}", name.replace('_', "-")),
        ct,
        run,
        Some(done),
        &format!("run {what} ({name}, spec {spec})"),
    );
}
