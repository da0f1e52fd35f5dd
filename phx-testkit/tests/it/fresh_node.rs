//! Issue 25's proof, end to end: a freshly installed node (examples/state)
//! and the original system's files unchanged reach a working estate through
//! `phoenix-cli setup`, `confirm` and `LetsGo --run-commands` against the
//! doubles, every guest disk on a storage whose content allows it; a second
//! setup and LetsGo change nothing and call nothing that changes anything.

use crate::phoenix_cli::cli;
use phx_testkit::*;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

/// What changes a guest, for pct and qm alike.
const GUEST_VERBS: [&str; 11] = [
    "create", "clone", "set", "start", "stop", "shutdown", "reboot", "resize", "snapshot",
    "destroy", "rollback",
];

/// Per double, the subcommands (second word of its log line) that change
/// something besides [`GUEST_VERBS`] for pct and qm; guards and reads (`pct
/// exec` of a guard, `zfs get`, `qm status`…) are not counted. The apt-get
/// and systemctl doubles log only what changes something, in one log.
const MUTATING: [(&str, &[&str]); 10] = [
    ("zpool", &["create"]),
    ("zfs", &["create", "set", "destroy"]),
    ("wipefs", &["-a"]),
    ("pvesm", &["add", "set", "remove"]),
    ("pveam", &["update", "download"]),
    ("exportfs", &["-ra"]),
    ("ifreload", &["-a"]),
    ("hostnamectl", &["set-hostname"]),
    ("pct", &["push", "move-volume"]),
    ("qm", &["disk", "template", "importdisk"]),
];

/// `phoenix-cli VERB … --run-commands [more]`, which must succeed; its stdout.
fn phoenix(verb: &str, root: &Path, path: &OsString, more: &[&str]) -> Vec<u8> {
    let mut cmd = cli();
    cmd.arg(verb).args(more);
    if verb != "confirm" {
        cmd.arg("--config-dir").arg(upstream_dir());
    }
    let out = cmd
        .arg("--root")
        .arg(root)
        .arg("--run-commands")
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "phoenix-cli {verb}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The steps `--json`'s report of every phase says changed something.
fn changed_steps(json: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(json).expect("one JSON document");
    let mut out = Vec::new();
    for (phase, report) in v.as_object().unwrap() {
        for o in report["outcomes"].as_array().into_iter().flatten() {
            if o["status"] != "ok" && o["status"] != "skipped" {
                out.push(format!("{phase}: {o}"));
            }
        }
    }
    out
}

/// Every call the doubles logged that changes something: the per-program
/// logs, the apt-get and systemctl doubles' shared log on the host, and the
/// guest-program doubles' log inside every container.
/// Calls the shared doubles log that only ask (phx-gpu's observation and
/// its driver guard).
const ASKING: [&str; 2] = [
    "lspci -mm -n",
    "nvidia-smi --query-gpu=driver_version --format=csv,noheader",
];

fn mutating_calls(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for (prog, verbs) in MUTATING {
        let guest = ["pct", "qm"].contains(&prog);
        out.extend(double_log(root, prog).into_iter().filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|v| verbs.contains(&v) || guest && GUEST_VERBS.contains(&v))
        }));
    }
    let logs = [
        root.join("doubles/calls.log"),
        root.join("var/log/phx-doubles.log"),
    ];
    let cts = std::fs::read_dir(root.join("var/lib/pct-double/ct")).unwrap();
    let guest_logs = cts.map(|e| e.unwrap().path().join("rootfs/var/log/phx-doubles.log"));
    for log in logs.into_iter().chain(guest_logs) {
        out.extend(
            std::fs::read_to_string(&log)
                .unwrap_or_default()
                .lines()
                .filter(|l| !ASKING.contains(l))
                .map(|l| format!("{}: {l}", log.display())),
        );
    }
    out
}

pub(crate) fn clear_logs(root: &Path) {
    for (prog, _) in MUTATING {
        let _ = std::fs::remove_file(root.join(format!("{prog}.log")));
    }
    let _ = std::fs::remove_file(root.join("doubles/calls.log"));
    let _ = std::fs::remove_file(root.join("var/log/phx-doubles.log"));
    for e in std::fs::read_dir(root.join("var/lib/pct-double/ct")).unwrap() {
        let _ = std::fs::remove_file(e.unwrap().path().join("rootfs/var/log/phx-doubles.log"));
    }
}

/// storage.cfg's storages → their `content` list, read as pve-storage
/// writes the file (`type: id`, tab-indented `key value` lines).
fn contents(root: &Path) -> BTreeMap<String, Vec<String>> {
    let text = std::fs::read_to_string(root.join("etc/pve/storage.cfg")).unwrap();
    let mut out = BTreeMap::new();
    let mut id = None;
    for line in text.lines() {
        if let Some((_, name)) = line.split_once(": ").filter(|_| !line.starts_with('\t')) {
            id = Some(name.to_string());
            out.insert(name.to_string(), Vec::new());
        } else if let (Some(id), Some(list)) = (&id, line.strip_prefix("\tcontent ")) {
            out.insert(id.clone(), list.split(',').map(String::from).collect());
        }
    }
    out
}

/// `(guest, key, storage)` of every volume in the guests' confs under
/// `dir` whose key starts with one of `keys` (bind mounts and `none` skipped).
fn volumes(root: &Path, dir: &str, keys: &[&str]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(root.join(dir)).unwrap() {
        let path = e.unwrap().path();
        let guest = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        for line in text.lines().take_while(|l| !l.starts_with('[')) {
            let Some((key, value)) = line.split_once(": ") else {
                continue;
            };
            if !keys.iter().any(|k| key.starts_with(k)) || value.contains("media=cdrom") {
                continue;
            }
            let vol = value.split(',').next().unwrap();
            if let Some((storage, _)) = vol.split_once(':').filter(|_| !vol.starts_with('/')) {
                out.push((guest.clone(), key.to_string(), storage.to_string()));
            }
        }
    }
    out
}

#[test]
fn a_fresh_node_reaches_the_estate_and_a_second_run_changes_nothing() {
    let root = fresh_node();
    let root = root.path();
    install_guest_doubles(root);
    put_images(&upstream_dir(), root);
    // Two NVIDIA GPUs (a VGA card and a 3D controller) and the driver's
    // runfile, fetched once before (phx-gpu keeps it, and verifies what is
    // there instead of fetching it again).
    std::fs::create_dir_all(root.join("doubles/lspci")).unwrap();
    std::fs::write(
        root.join("doubles/lspci/devices"),
        "01:00.0 \"0300\" \"10de\" \"2204\" -ra1 \"1458\" \"403b\"\n\
         02:00.0 \"0302\" \"10de\" \"2330\" -ra1 \"10de\" \"16c1\"\n",
    )
    .unwrap();
    let hyp = read_json(&upstream_dir().join(HYP));
    let runfile = hyp["nvidia_driver"]["runfile_url"].as_str().unwrap();
    host_runfile(root, runfile);
    let path = node_path();

    let first = phoenix("setup", root, &path, &["--json"]);
    assert!(!changed_steps(&first).is_empty(), "a fresh node changes");
    // The host's driver, from the runfile phx-gpu keeps; said, not rebooted.
    assert_eq!(
        std::fs::read_to_string(root.join("doubles/nvidia/driver_version")).unwrap(),
        "580.76.05\n"
    );
    assert!(
        changed_steps(&first)
            .iter()
            .any(|s| s.contains("\"id\":\"gpu:reboot-required\"")),
        "{:?}",
        changed_steps(&first)
    );
    let host_calls = std::fs::read_to_string(root.join("doubles/calls.log")).unwrap();
    assert!(
        host_calls
            .lines()
            .any(|l| l.starts_with("runfile 580.76.05 "))
            && !host_calls.lines().any(|l| l.starts_with("reboot")),
        "{host_calls}"
    );
    phoenix("confirm", root, &path, &[]);
    phoenix("LetsGo", root, &path, &[]);
    // The GPU guests: the userspace pushed from the host's copy into the
    // template 901 and found in its clones' images, vLLM's unit in 801,
    // Ollama in 914.
    for ct in [901, 914, 917] {
        let v = root.join(format!(
            "var/lib/pct-double/ct/{ct}/rootfs/var/lib/phx-doubles/nvidia-version"
        ));
        assert_eq!(
            std::fs::read_to_string(&v).unwrap_or_default(),
            "580.76.05\n",
            "CT {ct}"
        );
    }
    let unit = std::fs::read_to_string(
        root.join("var/lib/pct-double/ct/801/rootfs/etc/systemd/system/vllm_model_server.service"),
    )
    .unwrap();
    assert!(
        unit.contains("--served-model-name ibm-granite/granite-embedding-english-r2"),
        "{unit}"
    );
    let dropin =
        std::fs::read_to_string(root.join(
            "var/lib/pct-double/ct/914/rootfs/etc/systemd/system/ollama.service.d/phoenix.conf",
        ))
        .unwrap();
    assert!(dropin.contains("OLLAMA_HOST=0.0.0.0:11434"), "{dropin}");

    // Both pools, every dataset, one storage per storage dataset.
    let hyp = read_json(&upstream_dir().join(HYP));
    let zfs = read_json(&root.join("var/lib/zfs-double/state.json"));
    for pool in hyp["zfs"]["pools"].as_array().unwrap() {
        let name = pool["name"].as_str().unwrap();
        assert!(zfs["pools"][name].is_object(), "pool {name}: {zfs}");
    }
    let storages = contents(root);
    let nfs = std::fs::read_to_string(root.join("etc/pve/storage.cfg"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("nfs: "))
        .count();
    assert_eq!(
        nfs,
        hyp["nfs"]["exports"].as_array().unwrap().len(),
        "one NFS storage per export"
    );
    for d in hyp["zfs"]["datasets"].as_array().unwrap() {
        let (pool, name) = (d["pool"].as_str().unwrap(), d["name"].as_str().unwrap());
        assert!(
            zfs["datasets"][format!("{pool}/{name}")].is_object(),
            "{pool}/{name}"
        );
        assert!(
            storages.contains_key(&format!("{pool}-{name}")),
            "{pool}-{name}: {storages:?}"
        );
    }
    // Every bind source (mount_points, and shared volumes a container of
    // the file mounts) exists with the owner the guests see: every fixture
    // container is unprivileged.
    use std::os::unix::fs::MetadataExt;
    let lxcs = read_json(&upstream_dir().join(LXC))["lxc_configs"].clone();
    let mut sources: Vec<&str> = lxcs
        .as_object()
        .unwrap()
        .values()
        .flat_map(|c| c["mount_points"].as_array().into_iter().flatten())
        .map(|m| m["host_path"].as_str().unwrap())
        .collect();
    let shared = hyp["shared_volumes"].as_object().unwrap();
    sources.extend(
        shared
            .values()
            .filter(|v| {
                v["mounts"]
                    .as_object()
                    .is_some_and(|m| m.keys().any(|ct| lxcs.get(ct).is_some()))
            })
            .map(|v| v["host_path"].as_str().unwrap()),
    );
    assert!(
        sources.contains(&"/mnt/pve/quickOS/shared-prod-data/ssl"),
        "CT 910's shared ssl_certs: {sources:?}"
    );
    for src in sources {
        let src = root.join(src.trim_start_matches('/'));
        let meta = std::fs::metadata(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        assert_eq!(
            (meta.uid(), meta.gid()),
            (100_000, 100_000),
            "{}",
            src.display()
        );
    }
    // Every guest exists, each disk on a storage whose content allows it.
    let lxc = volumes(root, "etc/pve/lxc", &["rootfs", "mp"]);
    let vm = volumes(
        root,
        "etc/pve/qemu-server",
        &["scsi", "virtio", "sata", "ide"],
    );
    let cts = read_json(&upstream_dir().join(LXC))["lxc_configs"]
        .as_object()
        .unwrap()
        .len();
    let vms = hyp_vms();
    assert_eq!(
        lxc.iter().filter(|v| v.1 == "rootfs").count(),
        cts,
        "{lxc:?}"
    );
    assert_eq!(vm.iter().filter(|v| v.1 == "scsi0").count(), vms, "{vm:?}");
    for (guests, need) in [(&lxc, "rootdir"), (&vm, "images")] {
        for (guest, key, storage) in guests {
            let content = storages
                .get(storage)
                .unwrap_or_else(|| panic!("{guest} {key}: no storage {storage}"));
            assert!(
                content.iter().any(|c| c == need),
                "{guest} {key} on {storage} ({content:?}) needs {need}"
            );
        }
    }

    // phx-features ran inside the running containers: base_setup in CT
    // 101, 102 and 103, and CT 101's application script (the fixture's
    // scripts/ stand-in) once.
    for ct in [101, 102, 103] {
        let r = root.join(format!("var/lib/pct-double/ct/{ct}/rootfs"));
        let status = std::fs::read_to_string(r.join("var/lib/dpkg/status")).unwrap();
        assert!(status.contains("Package: s-tui\n"), "CT {ct}: {status}");
        let locale = std::fs::read_to_string(r.join("etc/default/locale")).unwrap();
        assert_eq!(locale, "LANG=en_US.UTF-8\n", "CT {ct}");
    }
    let nginx = root.join("var/lib/pct-double/ct/101/rootfs/etc/nginx");
    let site = std::fs::read_to_string(nginx.join("sites-available/default")).unwrap();
    assert!(site.contains("Gateway configuration pending"), "{site}");
    assert_eq!(
        std::fs::read_link(nginx.join("sites-enabled/default")).unwrap(),
        Path::new("/etc/nginx/sites-available/default")
    );

    clear_logs(root);
    // Every step of every phase ok or skipped (a host file rewritten each
    // run shows here, not in a double's log), and no call that changes.
    let setup = phoenix("setup", root, &path, &["--json"]);
    let letsgo = phoenix("LetsGo", root, &path, &["--json"]);
    assert_eq!(changed_steps(&setup), Vec::<String>::new());
    assert_eq!(changed_steps(&letsgo), Vec::<String>::new());
    assert_eq!(mutating_calls(root), Vec::<String>::new());
}

fn hyp_vms() -> usize {
    read_json(&upstream_dir().join(VM))["vms"]
        .as_array()
        .unwrap()
        .len()
}
