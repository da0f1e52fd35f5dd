//! Ollama served from the JSON: installed once by its install script,
//! OLLAMA_HOST from `ports` in a drop-in that the real systemd-analyze
//! accepts on the install script's unit, restarted only when the drop-in
//! changes, and each of `ollama_models` pulled once.

use crate::common::*;
use crate::serve::{systemctl_state, upstream_with};
use serde_json::json;

/// The drop-in, beside the unit Ollama's install.sh writes
/// (ollama/scripts/install.sh, `configure_systemd`: ExecStart=BINDIR/ollama
/// serve as the `ollama` user, Restart=always, WantedBy=default.target):
/// the real systemd-analyze reads both and accepts them.
#[test]
fn ollama_s_drop_in_is_one_systemd_accepts_on_the_install_scripts_unit() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    let units = r.join("etc/systemd/system");
    std::fs::create_dir_all(units.join("ollama.service.d")).unwrap();
    std::fs::write(
        units.join("ollama.service"),
        "[Unit]\nDescription=Ollama Service\nAfter=network-online.target\n\n\
         [Service]\nExecStart=/usr/local/bin/ollama serve\nUser=ollama\nGroup=ollama\n\
         Restart=always\nRestartSec=3\nEnvironment=\"PATH=/usr/local/bin:/usr/bin:/bin\"\n\n\
         [Install]\nWantedBy=default.target\n",
    )
    .unwrap();
    let bin = r.join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("ollama"), "#!/bin/sh\n").unwrap();
    let mut perm = std::fs::metadata(bin.join("ollama")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(bin.join("ollama"), perm).unwrap();
    std::fs::write(
        r.join(phx_recipes::ollama::DROP_IN.trim_start_matches('/')),
        phx_recipes::ollama::drop_in(11434),
    )
    .unwrap();
    phx_testkit::systemd_verify(r, "ollama.service");
}

#[test]
fn ollama_is_installed_once_and_listens_where_ports_say() {
    let keep = ["900", "901", "914"];
    let models = json!(["llama3", "nomic-embed-text:v1.5"]);
    let dir = upstream_with(&keep, |d| {
        d["lxc_configs"]["914"]["ollama_models"] = models.clone();
    });
    let node = node();
    let root = node.path();
    running(root, 914);
    standard_template_packages(root, 914);
    let steps = plan(dir.path());
    run(&steps, root);
    let r = rootfs(root, 914);
    assert_eq!(
        read(r.join("etc/systemd/system/ollama.service.d/phoenix.conf")),
        "# Written by Phoenix (phx-features) from the container's ports: edits are replaced.\n[Service]\nEnvironment=\"OLLAMA_HOST=0.0.0.0:11434\"\n"
    );
    let log = guest_log(root, 914);
    assert_eq!(log.matches("ollama install.sh").count(), 1, "{log}");
    assert!(log.contains("curl https://ollama.com/install.sh"), "{log}");
    assert!(r.join("usr/local/bin/ollama").is_file());
    assert_eq!(systemctl_state(root, 914, "ollama"), (true, true));
    // The install script started it before the drop-in: restarted after,
    // then the models pulled (the server answers pulls).
    assert!(
        log.ends_with("systemctl daemon-reload\nsystemctl restart ollama\nollama pull llama3\nollama pull nomic-embed-text:v1.5\n"),
        "{log}"
    );
    for m in ["llama3:latest", "nomic-embed-text:v1.5"] {
        assert!(
            r.join("var/lib/ollama-double/models").join(m).exists(),
            "{m}"
        );
    }

    clear_guest_log(root, 914);
    let again = run(&steps, root);
    assert_eq!(phx_testkit::changed(&again), Vec::<&str>::new());
    assert_eq!(guest_log(root, 914), "");

    // The guest side moves: the drop-in and one restart, no reinstall.
    let dir = upstream_with(&keep, |d| {
        d["lxc_configs"]["914"]["ports"] = json!(["8080:11500"]);
        d["lxc_configs"]["914"]["ollama_models"] = models.clone();
    });
    let steps = plan(dir.path());
    let third = run(&steps, root);
    assert_eq!(
        phx_testkit::changed(&third),
        [
            "features-914-ollama-host",
            "features-914-ollama-daemon-reload",
            "features-914-ollama-restart"
        ]
    );
    assert!(
        read(r.join("etc/systemd/system/ollama.service.d/phoenix.conf"))
            .contains("OLLAMA_HOST=0.0.0.0:11500")
    );
    assert_eq!(
        guest_log(root, 914),
        "systemctl daemon-reload\nsystemctl restart ollama\n"
    );
}
