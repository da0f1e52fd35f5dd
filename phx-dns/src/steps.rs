//! The plan: install dnsmasq, write the config and the records, and the
//! handlers that make dnsmasq pick them up — a restart only when the config
//! changed, a reload (SIGHUP) when only records did, nothing when nothing did.

use crate::{CONF_PATH, RECORDS_PATH};
use phx_plan::{argv, AbsentStep, Action, CommandStep, FileStep, HandlerStep, Plan};

pub const RELOAD: &str = "dns:reload";
pub const RESTART: &str = "dns:restart";

/// dnsmasq serves the generated files.
pub fn enabled(conf: String, hosts: String, phx_dns: &str) -> Plan {
    let mut p = Plan::new(crate::TOOL);
    p.push(
        "dns:install",
        Action::Command(CommandStep {
            argv: argv(&["apt-get", "install", "-y", "dnsmasq"]),
            // dpkg-query alone exits 0 for a removed package whose config files remain.
            unless: Some(argv(&[phx_dns, "pkg-installed", "dnsmasq"])),
            desc: "install dnsmasq (the internal DNS server)".into(),
            ..Default::default()
        }),
    );
    p.push(
        "dns:conf",
        Action::File(FileStep {
            path: CONF_PATH.into(),
            content: conf,
            mode: Some("0644".into()),
            // Checked as the Debian service reads it (Debian's dnsmasq service, which reads /etc/dnsmasq.d): with every
            // other file in /etc/dnsmasq.d, so a clash with one of them is caught
            // before the restart. The temp file starts with '.', which -7 skips;
            // the old phoenix.conf it replaces is skipped by suffix (dnsmasq 2.90
            // skips a file only when the suffix is shorter than the whole name,
            // hence "hoenix.conf").
            validate: Some(argv(&[
                "dnsmasq",
                "--test",
                "-C",
                "/dev/null",
                "-7",
                "%r/etc/dnsmasq.d,.dpkg-dist,.dpkg-old,.dpkg-new,hoenix.conf",
                "--conf-file=%s",
            ])),
            validate_desc: Some(format!(
                "dnsmasq --test of the new {CONF_PATH} with every other file the service reads in /etc/dnsmasq.d"
            )),
            notify: vec![RESTART.into()],
            ..Default::default()
        }),
    );
    p.push(
        "dns:records",
        Action::File(FileStep {
            path: RECORDS_PATH.into(),
            content: hosts,
            mode: Some("0644".into()),
            notify: vec![RELOAD.into()],
            ..Default::default()
        }),
    );
    p.push(
        RELOAD,
        Action::Handler(HandlerStep {
            // A restart re-reads the records too.
            superseded_by: vec![RESTART.into()],
            confirm: false,
            only_if: None,
            // SIGHUP when running (re-reads addn-hosts, keeps the PID); starts it when stopped.
            argv: argv(&["systemctl", "reload-or-restart", "dnsmasq"]),
            desc: "reload dnsmasq: re-read the records (SIGHUP)".into(),
        }),
    );
    p.push(
        RESTART,
        Action::Handler(HandlerStep {
            superseded_by: vec![],
            confirm: false,
            only_if: None,
            argv: argv(&["systemctl", "restart", "dnsmasq"]),
            desc: "restart dnsmasq: SIGHUP does not re-read its config".into(),
        }),
    );
    p.push(
        "dns:enable",
        Action::Command(CommandStep {
            argv: argv(&["systemctl", "enable", "dnsmasq"]),
            unless: Some(argv(&["systemctl", "is-enabled", "--quiet", "dnsmasq"])),
            desc: "start dnsmasq at boot".into(),
            ..Default::default()
        }),
    );
    p.push(
        "dns:start",
        Action::Command(CommandStep {
            argv: argv(&["systemctl", "start", "dnsmasq"]),
            unless: Some(argv(&["systemctl", "is-active", "--quiet", "dnsmasq"])),
            desc: "start dnsmasq if it is not running".into(),
            ..Default::default()
        }),
    );
    p
}

/// `dns_server.enabled: false`: our files go; dnsmasq itself stays installed
/// and, if it is running, is restarted without them.
pub fn disabled() -> Plan {
    let mut p = Plan::new(crate::TOOL);
    for (id, path) in [("dns:conf", CONF_PATH), ("dns:records", RECORDS_PATH)] {
        p.push(
            id,
            Action::Absent(AbsentStep {
                path: path.into(),
                notify: vec![RESTART.into()],
                ..Default::default()
            }),
        );
    }
    p.push(
        RESTART,
        Action::Handler(HandlerStep {
            superseded_by: vec![],
            confirm: false,
            only_if: None,
            argv: argv(&["systemctl", "try-restart", "dnsmasq"]),
            desc: "restart dnsmasq (if running) without Phoenix's config and records".into(),
        }),
    );
    p
}
