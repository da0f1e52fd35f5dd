//! Steps for work inside a guest, for any tool that plans some (phx-ca,
//! phx-features): a command guarded inside the guest, a file written there (its
//! content given, or a host file's read when the step runs), a file brought
//! out, a secret made there, apt packages installed, a systemd unit with its
//! handlers. The guards keep a converged guest untouched. Each builder takes
//! any [`StepSink`], so a streaming tool can use them as a kept plan does,
//! and its guest as `impl Into<Guest>`: a bare `u32` is a container (as
//! before VMs), `Guest::vm(id)` a VM reached through its guest agent.

use crate::plan::StepSink;
use crate::{
    argv, Action, CommandStep, FromGuestStep, Guest, GuestCommandStep, GuestFileStep,
    GuestHandlerStep, GuestSecretStep, HandlerStep,
};

/// Exit 0 only when every package is fully installed (`install|hold ok
/// installed`): `dpkg-query -W` alone succeeds for a removed package that
/// left its config files. A fixed script; the package names are arguments.
pub fn installed(packages: &[&str]) -> Vec<String> {
    let mut v = argv(&[
        "sh",
        "-c",
        r#"for p in "$@"; do dpkg-query -W -f='${Status}\n' -- "$p" 2>/dev/null | grep -Eqx '(install|hold) ok installed' || exit 1; done"#,
        "phx-installed",
    ]);
    v.extend(packages.iter().map(|p| p.to_string()));
    v
}

/// A step's id and description.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub id: &'a str,
    pub desc: &'a str,
}

/// `packages` installed in guest `ctid` from its apt sources: the index
/// refreshed (`update`) and the packages installed (`install`) only while
/// any of them is missing, so a converged guest is never touched.
pub fn apt_install(
    plan: &mut impl StepSink,
    ctid: impl Into<Guest>,
    packages: &[&str],
    update: Named,
    install: Named,
) {
    let ctid = ctid.into();
    let missing = installed(packages);
    command(
        plan,
        update.id,
        ctid,
        argv(&["apt-get", "update"]),
        Some(missing.clone()),
        update.desc,
    );
    let get = apt_get_install(packages);
    command(plan, install.id, ctid, get, Some(missing), install.desc);
}

/// `apt-get install -y PACKAGES…`, never asking (DEBIAN_FRONTEND).
pub fn apt_get_install(packages: &[&str]) -> Vec<String> {
    let mut get = argv(&[
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
    ]);
    get.extend(packages.iter().map(|p| p.to_string()));
    get
}

/// `cmd` run in guest `ctid`, unless the `unless` guard succeeds there.
pub fn command(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    cmd: Vec<String>,
    unless: Option<Vec<String>>,
    desc: &str,
) {
    guarded(plan, id, ctid.into(), cmd, (unless, None), desc, None);
}

/// `command` for a step that downloads or builds gigabytes: it gets at
/// least [`LONG_STEP_S`](crate::LONG_STEP_S) seconds, whatever
/// phx-apply's --command-timeout (whose 600 s a vLLM install outlasts).
pub fn long_command(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    cmd: Vec<String>,
    unless: Option<Vec<String>>,
    desc: &str,
) {
    let long = Some(crate::step::LONG_STEP_S);
    guarded(plan, id, ctid.into(), cmd, (unless, None), desc, long);
}

/// `cmd` run in guest `ctid` only if the `only_if` guard succeeds there.
pub fn command_only_if(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    cmd: Vec<String>,
    only_if: Vec<String>,
    desc: &str,
) {
    guarded(
        plan,
        id,
        ctid.into(),
        cmd,
        (None, Some(only_if)),
        desc,
        None,
    );
}

type Guards = (Option<Vec<String>>, Option<Vec<String>>);

fn guarded(
    plan: &mut impl StepSink,
    id: &str,
    guest: Guest,
    cmd: Vec<String>,
    (unless, only_if): Guards,
    desc: &str,
    timeout_s: Option<u64>,
) {
    plan.push(
        id,
        Action::GuestCommand(GuestCommandStep {
            guest,
            command: CommandStep {
                show_output: false,
                argv: cmd,
                unless,
                only_if,
                desc: desc.to_string(),
                notify: Vec::new(),
                timeout_s,
            },
        }),
    );
}

/// A root-owned 0644 file at `path` in guest `ctid`, holding `content`.
pub fn file(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    path: &str,
    content: String,
    notify: &[&str],
) {
    root_file(plan, id, ctid.into(), path, (Some(content), None), notify);
}

/// A file whose content is a host file read when the step runs.
pub fn copy_of(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    path: &str,
    host: &str,
    notify: &[&str],
) {
    root_file(
        plan,
        id,
        ctid.into(),
        path,
        (None, Some(host.to_string())),
        notify,
    );
}

fn root_file(
    plan: &mut impl StepSink,
    id: &str,
    guest: Guest,
    path: &str,
    (content, content_from): (Option<String>, Option<String>),
    notify: &[&str],
) {
    plan.push(
        id,
        Action::GuestFile(GuestFileStep {
            guest,
            path: path.to_string(),
            content,
            content_from,
            mode: Some("0644".into()),
            owner: Some("root".into()),
            group: Some("root".into()),
            notify: notify.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }),
    );
}

/// File `from` of guest `ctid` copied to host path `to`, mode 0644.
pub fn from_guest(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    (from, to): (&str, &str),
    notify: Vec<String>,
) {
    plan.push(
        id,
        Action::FromGuest(FromGuestStep {
            guest: ctid.into(),
            from: from.to_string(),
            path: to.to_string(),
            mode: Some("0644".into()),
            notify,
        }),
    );
}

/// A random secret of `bytes` bytes made at `path` in guest `ctid`, once,
/// mode 0600; it never leaves the guest.
pub fn secret(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    path: &str,
    bytes: usize,
) {
    plan.push(
        id,
        Action::GuestSecret(GuestSecretStep {
            guest: ctid.into(),
            path: path.to_string(),
            bytes,
            mode: "0600".into(),
        }),
    );
}

fn pct(ctid: u32, rest: &[&str]) -> Vec<String> {
    let mut v = argv(&["pct", "exec", &ctid.to_string(), "--"]);
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

/// A handler that runs inside the guest. A container's is host argv
/// (`pct exec <ctid> -- …`, whose status is the command's); a VM's is a
/// `guest_handler` step, run through the guest agent.
pub fn handler(
    plan: &mut impl StepSink,
    id: &str,
    ctid: impl Into<Guest>,
    cmd: &[&str],
    only_if: Option<&[&str]>,
) {
    let guest = ctid.into();
    let action = match guest {
        Guest::Ct(ctid) => Action::Handler(HandlerStep {
            argv: pct(ctid, cmd),
            desc: format!("CT {ctid}: {}", cmd.join(" ")),
            only_if: only_if.map(|g| pct(ctid, g)),
            superseded_by: Vec::new(),
            confirm: false,
        }),
        Guest::Vm(_) => Action::GuestHandler(GuestHandlerStep {
            guest,
            handler: HandlerStep {
                argv: argv(cmd),
                desc: format!("{guest}: {}", cmd.join(" ")),
                only_if: only_if.map(argv),
                superseded_by: Vec::new(),
                confirm: false,
            },
        }),
    };
    plan.push(id, action);
}

/// A systemd unit: written, daemon-reload and restart on change (restart
/// only when it is running: the start step below starts it the first time),
/// enabled, started.
pub struct Service<'a> {
    pub prefix: &'a str,
    /// A container (`102.into()`) or a VM (`Guest::vm(1001)`).
    pub guest: Guest,
    pub unit: &'a str,
}

impl Service<'_> {
    pub fn restart_id(&self) -> String {
        format!("{}-restart", self.prefix)
    }
    pub fn reload_id(&self) -> String {
        format!("{}-daemon-reload", self.prefix)
    }
    pub fn unit_file(&self, plan: &mut impl StepSink, content: String) {
        let path = format!("/etc/systemd/system/{}.service", self.unit);
        let (r, d) = (self.restart_id(), self.reload_id());
        file(
            plan,
            &format!("{}-unit", self.prefix),
            self.guest,
            &path,
            content,
            &[&d, &r],
        );
    }
    /// The handlers, then enable and start; call after every step that notifies a restart.
    pub fn finish(&self, plan: &mut impl StepSink) {
        let u = self.unit;
        handler(
            plan,
            &self.reload_id(),
            self.guest,
            &["systemctl", "daemon-reload"],
            None,
        );
        handler(
            plan,
            &self.restart_id(),
            self.guest,
            &["systemctl", "restart", u],
            Some(&["systemctl", "is-active", "--quiet", u]),
        );
        command(
            plan,
            &format!("{}-enable", self.prefix),
            self.guest,
            argv(&["systemctl", "enable", u]),
            Some(argv(&["systemctl", "is-enabled", "--quiet", u])),
            &format!("enable {u}"),
        );
        command(
            plan,
            &format!("{}-start", self.prefix),
            self.guest,
            argv(&["systemctl", "start", u]),
            Some(argv(&["systemctl", "is-active", "--quiet", u])),
            &format!("start {u}"),
        );
    }
}

#[cfg(test)]
#[path = "guest_steps_tests.rs"]
mod tests;
