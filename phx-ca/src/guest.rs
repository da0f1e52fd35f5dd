//! Step constructors for work inside a guest, and the in-guest guards that
//! keep a converged guest untouched.

use phx_plan::{argv, Action, CommandStep, GuestCommandStep, GuestFileStep, HandlerStep, Plan};

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

pub fn command(
    plan: &mut Plan,
    id: &str,
    ctid: u32,
    cmd: Vec<String>,
    unless: Option<Vec<String>>,
    desc: &str,
) {
    plan.push(
        id,
        Action::GuestCommand(GuestCommandStep {
            ctid,
            command: CommandStep {
                argv: cmd,
                unless,
                only_if: None,
                desc: desc.to_string(),
                notify: Vec::new(),
            },
        }),
    );
}

pub fn file(plan: &mut Plan, id: &str, ctid: u32, path: &str, content: String, notify: &[&str]) {
    plan.push(
        id,
        Action::GuestFile(GuestFileStep {
            ctid,
            path: path.to_string(),
            content: Some(content),
            mode: Some("0644".into()),
            owner: Some("root".into()),
            group: Some("root".into()),
            notify: notify.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }),
    );
}

/// A file whose content is a host file read when the step runs.
pub fn copy_of(plan: &mut Plan, id: &str, ctid: u32, path: &str, host: &str, notify: &[&str]) {
    plan.push(
        id,
        Action::GuestFile(GuestFileStep {
            ctid,
            path: path.to_string(),
            content_from: Some(host.to_string()),
            mode: Some("0644".into()),
            owner: Some("root".into()),
            group: Some("root".into()),
            notify: notify.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }),
    );
}

fn pct(ctid: u32, rest: &[&str]) -> Vec<String> {
    let mut v = argv(&["pct", "exec", &ctid.to_string(), "--"]);
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

/// A handler that runs inside the guest (plan handlers are host argv).
pub fn handler(plan: &mut Plan, id: &str, ctid: u32, cmd: &[&str], only_if: Option<&[&str]>) {
    plan.push(
        id,
        Action::Handler(HandlerStep {
            argv: pct(ctid, cmd),
            desc: format!("CT {ctid}: {}", cmd.join(" ")),
            only_if: only_if.map(|g| pct(ctid, g)),
            superseded_by: Vec::new(),
            confirm: false,
        }),
    );
}

/// A systemd unit: written, daemon-reload and restart on change (restart
/// only when it is running: the start step below starts it the first time),
/// enabled, started.
pub struct Service<'a> {
    pub prefix: &'a str,
    pub ctid: u32,
    pub unit: &'a str,
}

impl Service<'_> {
    pub fn restart_id(&self) -> String {
        format!("{}-restart", self.prefix)
    }
    pub fn reload_id(&self) -> String {
        format!("{}-daemon-reload", self.prefix)
    }
    pub fn unit_file(&self, plan: &mut Plan, content: String) {
        let path = format!("/etc/systemd/system/{}.service", self.unit);
        let (r, d) = (self.restart_id(), self.reload_id());
        file(
            plan,
            &format!("{}-unit", self.prefix),
            self.ctid,
            &path,
            content,
            &[&d, &r],
        );
    }
    /// The handlers, then enable and start; call after every step that notifies a restart.
    pub fn finish(&self, plan: &mut Plan) {
        let u = self.unit;
        handler(
            plan,
            &self.reload_id(),
            self.ctid,
            &["systemctl", "daemon-reload"],
            None,
        );
        handler(
            plan,
            &self.restart_id(),
            self.ctid,
            &["systemctl", "restart", u],
            Some(&["systemctl", "is-active", "--quiet", u]),
        );
        command(
            plan,
            &format!("{}-enable", self.prefix),
            self.ctid,
            argv(&["systemctl", "enable", u]),
            Some(argv(&["systemctl", "is-enabled", "--quiet", u])),
            &format!("enable {u}"),
        );
        command(
            plan,
            &format!("{}-start", self.prefix),
            self.ctid,
            argv(&["systemctl", "start", u]),
            Some(argv(&["systemctl", "is-active", "--quiet", u])),
            &format!("start {u}"),
        );
    }
}
