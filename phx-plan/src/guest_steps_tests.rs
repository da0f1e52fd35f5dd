//! The in-guest builders: what each step does and when it is skipped.

use super::*;
use crate::{Plan, Step};

fn guest_command(s: &Step) -> &CommandStep {
    match &s.action {
        Action::GuestCommand(g) => &g.command,
        other => panic!("{}: not a guest command: {other:?}", s.id),
    }
}

#[test]
fn packages_are_fetched_and_installed_only_while_one_is_missing() {
    let mut plan = Plan::new("phx-x");
    let named = |id, desc| Named { id, desc };
    let (update, install) = (named("x-update", "refresh"), named("x-install", "install"));
    apt_install(&mut plan, 120, &["curl", "jq"], update, install);
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["x-update", "x-install"]);
    let (update, install) = (guest_command(&plan.steps[0]), guest_command(&plan.steps[1]));
    assert_eq!(update.argv, ["apt-get", "update"]);
    assert_eq!(install.argv[4..], ["-y", "curl", "jq"]);
    assert_eq!(install.argv[..2], ["env", "DEBIAN_FRONTEND=noninteractive"]);
    for step in [update, install] {
        assert_eq!(step.unless.as_ref(), Some(&installed(&["curl", "jq"])));
        assert_eq!(step.only_if, None);
    }
}

#[test]
fn a_service_is_written_then_reloaded_restarted_if_running_enabled_and_started() {
    let svc = Service {
        prefix: "web",
        guest: 7.into(),
        unit: "nginx",
    };
    let mut plan = Plan::new("phx-x");
    svc.unit_file(&mut plan, "[Unit]\n".into());
    svc.finish(&mut plan);
    let ids: Vec<&str> = plan.steps.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "web-unit",
            "web-daemon-reload",
            "web-restart",
            "web-enable",
            "web-start"
        ]
    );
    let Action::GuestFile(unit) = &plan.steps[0].action else {
        panic!("the unit is a guest file")
    };
    assert_eq!(unit.path, "/etc/systemd/system/nginx.service");
    assert_eq!(unit.notify, ["web-daemon-reload", "web-restart"]);
    let Action::Handler(restart) = &plan.steps[2].action else {
        panic!("restart is a handler")
    };
    assert_eq!(
        restart.argv,
        ["pct", "exec", "7", "--", "systemctl", "restart", "nginx"]
    );
    assert_eq!(
        restart.only_if.as_deref(),
        Some(
            &argv(&[
                "pct",
                "exec",
                "7",
                "--",
                "systemctl",
                "is-active",
                "--quiet",
                "nginx"
            ])[..]
        )
    );
}

#[test]
fn a_guarded_removal_and_a_secret_made_in_the_guest() {
    let mut plan = Plan::new("phx-x");
    let gone = argv(&["test", "-e", "x"]);
    command_only_if(&mut plan, "rm", 3, argv(&["rm", "x"]), gone.clone(), "rm");
    secret(&mut plan, "pw", 3, "/etc/pw", 32);
    let rm = guest_command(&plan.steps[0]);
    assert_eq!(
        (rm.unless.as_ref(), rm.only_if.as_ref()),
        (None, Some(&gone))
    );
    let Action::GuestSecret(pw) = &plan.steps[1].action else {
        panic!("a guest secret")
    };
    assert_eq!(
        (pw.guest.id(), pw.path.as_str(), pw.bytes, pw.mode.as_str()),
        (3, "/etc/pw", 32, "0600")
    );
}

#[test]
fn a_vm_gets_the_same_steps_with_its_vmid_and_its_handlers_as_guest_handler_steps() {
    let mut plan = Plan::new("phx-x");
    command(&mut plan, "c", Guest::vm(1001), argv(&["true"]), None, "t");
    copy_of(&mut plan, "f", Guest::vm(1001), "/etc/x", "/host/x", &["h"]);
    handler(
        &mut plan,
        "h",
        Guest::vm(1001),
        &["update-ca-certificates"],
        Some(&["test", "-x", "/usr/sbin/update-ca-certificates"]),
    );
    handler(&mut plan, "hc", 102, &["update-ca-certificates"], None);
    for s in &plan.steps[..3] {
        assert_eq!(s.action.guest(), Some(Guest::Vm(1001)), "{}", s.id);
    }
    let Action::GuestHandler(h) = &plan.steps[2].action else {
        panic!("{:?}", plan.steps[2])
    };
    // Inside the VM: no pct, no qm in its argv; the executor reaches the guest.
    assert_eq!(h.handler.argv, ["update-ca-certificates"]);
    assert_eq!(h.handler.only_if.as_ref().unwrap()[0], "test");
    let line = serde_json::to_string(&plan.steps[2]).unwrap();
    assert!(
        line.contains(r#""kind":"guest_handler","vmid":1001,"argv":["update-ca-certificates"]"#),
        "{line}"
    );
    // A container's handler is the host argv it always was.
    let Action::Handler(c) = &plan.steps[3].action else {
        panic!("{:?}", plan.steps[3])
    };
    assert_eq!(c.argv[..4], ["pct", "exec", "102", "--"]);
    assert!(plan.steps[3].action.handler().is_some() && plan.steps[2].action.handler().is_some());
}
