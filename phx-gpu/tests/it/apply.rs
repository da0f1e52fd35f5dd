//! The plan through the real executor, commands against the doubles: the
//! first run installs and says a reboot is needed, a second run changes
//! nothing and calls only the guards, a new version installs again, a wrong
//! checksum stops before the runfile runs, and nothing ever reboots.

use crate::common::*;
use phx_apply::Status;
use phx_gpu::observe::Observed;
use phx_gpu::steps::REBOOT_REQUIRED;

const FLAGS: &str =
    "--silent --no-x-check --no-nouveau-check --no-opengl-files --accept-license --dkms";

#[test]
fn first_run_installs_the_driver_and_says_reboot_required_without_rebooting() {
    let srv = http::Server::start();
    let (url, sha) = serve(&srv, VERSION);
    let root = node(NVIDIA_VGA);
    let r = run(
        &plan(&wanted(&url, VERSION, Some(sha)), &seen_gpu()),
        root.path(),
    );
    assert!(r.failed().is_none(), "{:?}", r.failed());
    assert_eq!(
        changed(&r),
        [
            "gpu:blacklist",
            "gpu:initramfs",
            "gpu:build-deps",
            "gpu:runfile",
            "gpu:driver",
            "gpu:unit",
            "gpu:daemon-reload",
            "gpu:enable",
            REBOOT_REQUIRED,
        ]
    );
    let blacklist =
        std::fs::read_to_string(root.path().join("etc/modprobe.d/blacklist-nouveau.conf")).unwrap();
    assert!(blacklist.contains("\nblacklist nouveau\noptions nouveau modeset=0\n"));
    let runfile = root.path().join(format!(
        "var/cache/phoenix/nvidia/NVIDIA-Linux-x86_64-{VERSION}.run"
    ));
    assert_eq!(
        std::fs::read(&runfile).unwrap(),
        crate::common::runfile(VERSION)
    );
    // The plan ends with what it says, and the last outcome says it.
    let last = r.outcomes.last().unwrap();
    assert_eq!(last.id, REBOOT_REQUIRED);
    assert!(last.detail.contains("reboot required"), "{}", last.detail);
    let calls = calls(root.path());
    assert_eq!(
        calls,
        [
            "update-initramfs -u -k all".to_string(),
            format!("apt-get install -y proxmox-headers-{RELEASE} proxmox-default-headers build-essential dkms pkg-config"),
            "nvidia-smi --query-gpu=driver_version --format=csv,noheader".to_string(),
            "modinfo -F version nvidia".to_string(),
            format!("runfile {VERSION} {FLAGS}"),
            "systemctl daemon-reload".to_string(),
            "systemctl enable nvidia-gpu-init.service".to_string(),
        ]
    );
    assert!(!calls.iter().any(|c| c.starts_with("reboot")), "{calls:?}");
}

#[test]
fn a_converged_host_changes_nothing_and_runs_only_the_guards() {
    let srv = http::Server::start();
    let (url, sha) = serve(&srv, VERSION);
    let root = node(NVIDIA_VGA);
    let steps = plan(&wanted(&url, VERSION, Some(sha)), &seen_gpu());
    run(&steps, root.path());
    let before = calls(root.path()).len();
    let fetched = srv.requests().len();

    let again = run(&steps, root.path());
    assert!(again.failed().is_none(), "{:?}", again.failed());
    assert!(changed(&again).is_empty(), "{:?}", changed(&again));
    assert!(again.handlers_fired().is_empty());
    // The runfile is verified where it is, not fetched again; the only
    // program the doubles log is the driver's guard (dpkg-query and
    // systemctl is-enabled log nothing: they only read).
    assert_eq!(srv.requests().len(), fetched);
    assert_eq!(status(&again, "gpu:runfile"), Status::Ok);
    assert_eq!(
        calls(root.path())[before..],
        ["nvidia-smi --query-gpu=driver_version --format=csv,noheader".to_string()]
    );
}

#[test]
fn a_new_version_runs_the_new_runfile_and_nothing_else() {
    let srv = http::Server::start();
    let (url, sha) = serve(&srv, VERSION);
    let root = node(NVIDIA_VGA);
    run(
        &plan(&wanted(&url, VERSION, Some(sha)), &seen_gpu()),
        root.path(),
    );
    let before = calls(root.path()).len();

    // The old driver is loaded now (the runfile double loaded it) and held
    // by persistence mode and the guests: the installer must be told to
    // install over it, or its silent answer is abort.
    let next = "580.82.07";
    let (url2, sha2) = serve(&srv, next);
    let loaded = Observed {
        nvidia_loaded: true,
        ..seen_gpu()
    };
    let steps = plan(&wanted(&url2, next, Some(sha2)), &loaded);
    let r = run(&steps, root.path());
    assert!(r.failed().is_none(), "{:?}", r.failed());
    assert_eq!(changed(&r), ["gpu:runfile", "gpu:driver", REBOOT_REQUIRED]);
    let new_calls = calls(root.path())[before..].to_vec();
    assert_eq!(
        new_calls,
        [
            "nvidia-smi --query-gpu=driver_version --format=csv,noheader".to_string(),
            "modinfo -F version nvidia".to_string(),
            format!("runfile {next} {FLAGS} --allow-installation-with-running-driver"),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(root.path().join("doubles/nvidia/installed_version")).unwrap(),
        format!("{next}\n")
    );

    // Before the reboot the old module still answers (nvidia-smi fails:
    // the new userspace does not match it), but the installed module is the
    // new one: a second run installs nothing.
    let before = calls(root.path()).len();
    let again = run(&steps, root.path());
    assert!(again.failed().is_none(), "{:?}", again.failed());
    assert!(changed(&again).is_empty(), "{:?}", changed(&again));
    assert_eq!(
        calls(root.path())[before..],
        [
            "nvidia-smi --query-gpu=driver_version --format=csv,noheader".to_string(),
            "modinfo -F version nvidia".to_string(),
        ]
    );
}

#[test]
fn with_nouveau_loaded_the_driver_installs_for_the_reboot_and_a_second_run_changes_nothing() {
    let srv = http::Server::start();
    let (url, sha) = serve(&srv, VERSION);
    let root = node(NVIDIA_VGA);
    std::fs::create_dir_all(root.path().join("sys/module/nouveau")).unwrap();
    let seen = Observed {
        nouveau_loaded: true,
        ..seen_gpu()
    };
    let steps = plan(&wanted(&url, VERSION, Some(sha)), &seen);
    let r = run(&steps, root.path());
    // Without --skip-module-load the installer's test load of nvidia.ko
    // fails on the GPU nouveau holds, and the install aborts.
    assert!(r.failed().is_none(), "{:?}", r.failed());
    assert!(calls(root.path()).contains(&format!("runfile {VERSION} {FLAGS} --skip-module-load")));
    assert_eq!(r.outcomes.last().unwrap().id, REBOOT_REQUIRED);

    let before = calls(root.path()).len();
    let again = run(&steps, root.path());
    assert!(again.failed().is_none(), "{:?}", again.failed());
    assert!(changed(&again).is_empty(), "{:?}", changed(&again));
    assert_eq!(
        calls(root.path())[before..],
        [
            "nvidia-smi --query-gpu=driver_version --format=csv,noheader".to_string(),
            "modinfo -F version nvidia".to_string(),
        ]
    );
}

#[test]
fn a_checksum_mismatch_fails_the_fetch_and_runs_no_runfile() {
    let srv = http::Server::start();
    let (url, _) = serve(&srv, VERSION);
    let root = node(NVIDIA_VGA);
    let wrong = sha256(b"another file");
    let r = run(
        &plan(&wanted(&url, VERSION, Some(wrong)), &seen_gpu()),
        root.path(),
    );
    let failed = r.failed().expect("the download fails");
    assert_eq!(failed.id, "gpu:runfile");
    assert!(
        failed.detail.contains("checksum mismatch"),
        "{}",
        failed.detail
    );
    assert!(!root
        .path()
        .join("var/cache/phoenix/nvidia")
        .join(format!("NVIDIA-Linux-x86_64-{VERSION}.run"))
        .exists());
    assert!(
        !calls(root.path()).iter().any(|c| c.starts_with("runfile")),
        "{:?}",
        calls(root.path())
    );
    // What changed before still gets its handlers: the blacklist's
    // initramfs and the reboot it needs.
    assert_eq!(status(&r, "gpu:initramfs"), Status::Changed);
    assert_eq!(status(&r, REBOOT_REQUIRED), Status::Changed);
}

#[test]
fn without_a_checksum_the_runfile_is_fetched_unverified_with_a_warning() {
    let srv = http::Server::start();
    let (url, _) = serve(&srv, VERSION);
    let root = node(NVIDIA_VGA);
    let w = wanted(&url, VERSION, None);
    let out = phx_gpu::build(&w, &seen_gpu(), &options());
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("runfile_sha256 is not set")),
        "{:?}",
        out.warnings
    );
    let r = run(&out.plan.steps, root.path());
    assert!(r.failed().is_none(), "{:?}", r.failed());
    assert!(detail(&r, "gpu:runfile").contains("not verified"));
    let again = run(&out.plan.steps, root.path());
    assert!(changed(&again).is_empty(), "{:?}", changed(&again));
}

#[test]
fn a_pve7_kernel_gets_pve_headers() {
    let mut seen = seen_gpu();
    seen.line = Some(phx_gpu::headers::Line::Pve);
    let steps = plan(&wanted("https://h/x.run", VERSION, None), &seen);
    let deps = steps.iter().find(|s| s.id == "gpu:build-deps").unwrap();
    let json = serde_json::to_value(deps).unwrap();
    assert_eq!(json["argv"][3], format!("pve-headers-{RELEASE}"));
    assert_eq!(json["unless"][2], format!("pve-headers-{RELEASE}"));
    // PVE 7's headers meta package: DKMS rebuilds for the next kernel.
    assert_eq!(json["argv"][4], "pve-headers");
    assert_eq!(json["unless"][3], "pve-headers");
}

#[test]
fn no_nvidia_gpu_plans_nothing_and_says_so() {
    let mut seen = seen_gpu();
    seen.gpus = phx_gpu::observe::Gpus::Found(vec![]);
    let out = phx_gpu::build(&wanted("https://h/x.run", VERSION, None), &seen, &options());
    assert!(out.plan.steps.is_empty());
    assert!(
        out.notes.iter().any(|n| n.contains("no NVIDIA GPU")),
        "{:?}",
        out.notes
    );
}

#[test]
fn gpu_guests_without_the_host_driver_are_warned_about_once() {
    let w = phx_gpu::Wanted {
        driver: None,
        source: "hyp.json".into(),
        gpu_guests: vec!["CT 901 (a)".into(), "CT 910 (b)".into()],
        highest_gpu: vec![("CT 901 (a)".into(), 1), ("CT 910 (b)".into(), 0)],
    };
    let out = phx_gpu::build(&w, &Default::default(), &options());
    assert!(out.plan.steps.is_empty());
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].contains("CT 901 (a), CT 910 (b)"));
}

/// GPU 1 on a node with one NVIDIA GPU: /dev/nvidia1 never exists, so the
/// container would never get it. Said, naming the container and index.
#[test]
fn a_gpu_index_the_node_does_not_have_is_warned_about() {
    let mut w = wanted(
        "https://example.org/NVIDIA-Linux-x86_64-580.76.05.run",
        "580.76.05",
        Some("a".repeat(64)),
    );
    w.highest_gpu = vec![("CT 901 (a)".into(), 1), ("CT 914 (b)".into(), 0)];
    let out = phx_gpu::build(&w, &seen_gpu(), &options());
    let said: Vec<&String> = out
        .warnings
        .iter()
        .filter(|x| x.contains("gpu_assignment names GPUs"))
        .collect();
    assert_eq!(said.len(), 1, "{:?}", out.warnings);
    assert!(
        said[0].ends_with("(lspci shows 1 NVIDIA GPU(s), numbered from 0): CT 901 (a): GPU 1"),
        "{}",
        said[0]
    );
}
