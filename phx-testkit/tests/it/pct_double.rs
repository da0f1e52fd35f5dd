//! The pct TEST DOUBLE itself, against pct's conf writer (proxmox/pve-container
//! src/PVE/LXC/Config.pm, write_pct_config) and its refusals:
//! how it writes confs and how it fails. The LetsGo tests are only as good
//! as this double.

use phx_testkit::double;
use std::path::Path;
use std::process::Command;

pub(crate) fn pct(root: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(double("pct"))
        .args(args)
        .env("PHX_ROOT", root)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

pub(crate) fn ok(root: &Path, args: &[&str]) -> String {
    let (code, out, err) = pct(root, args);
    assert_eq!(code, 0, "pct {args:?}: {err}");
    out
}

pub(crate) fn fails(root: &Path, args: &[&str], msg: &str) {
    let (code, _, err) = pct(root, args);
    assert_eq!(code, 255, "pct {args:?} must exit 255");
    assert!(
        err.contains(msg),
        "pct {args:?}: {err:?} should say {msg:?}"
    );
}

fn conf(root: &Path, id: u32) -> String {
    std::fs::read_to_string(root.join(format!("etc/pve/lxc/{id}.conf"))).unwrap()
}

#[test]
fn create_writes_the_conf_the_way_pct_does() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(
        r,
        &[
            "create",
            "101",
            "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            "--hostname",
            "dns01",
            "--memory",
            "1024",
            "--net0",
            "ip=10.10.5.21/16,gw=10.10.0.1,bridge=vmbr0,name=eth0,firewall=yes",
            "--rootfs",
            "local-lvm:8",
            "--mp2",
            "tank:4,mp=/b",
            "--mp10",
            "/srv/x,mp=/x,ro=true",
            "--mp1",
            "/srv/y,mp=/y",
            "--nameserver",
            "10.0.0.1,10.0.0.2",
            "--onboot",
            "on",
        ],
    );
    let text = conf(r, 101);
    let keys: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
    // Plain string sort: mp0, mp1, mp10, mp2.
    assert_eq!(
        keys,
        vec![
            "arch",
            "hostname",
            "memory",
            "mp1",
            "mp10",
            "mp2",
            "nameserver",
            "net0",
            "onboot",
            "ostype",
            "rootfs",
            "swap",
            "unprivileged"
        ]
    );
    let net0 = text.lines().find(|l| l.starts_with("net0: ")).unwrap();
    let re = regex_like_net0(net0);
    assert!(
        re,
        "name first, then alphabetical, firewall=1, hwaddr and type=veth added: {net0}"
    );
    assert!(text.contains("\nrootfs: local-lvm:vm-101-disk-0,size=8G\n"));
    // Numbered per storage (pve-storage Plugin.pm:970 over the storage's
    // own images): the first volume on tank is disk-0.
    assert!(text.contains("\nmp2: tank:vm-101-disk-0,mp=/b,size=4G\n"));
    assert!(text.contains("\nmp10: /srv/x,mp=/x,ro=1\n"));
    assert!(text.contains("\nnameserver: 10.0.0.1 10.0.0.2\n"));
    assert!(text.contains("\nonboot: 1\n"));
    assert!(
        text.contains("\nunprivileged: 1\n"),
        "unprivileged defaults to 1 for pct create"
    );
    assert_eq!(
        ok(r, &["list"]),
        format!(
            "{:<10} {:<10} {:<12} {:<20}\n{:<10} {:<10} {:<12} {:<20}\n",
            "VMID", "Status", "Lock", "Name", "101", "stopped", "", "dns01"
        )
    );
}

fn regex_like_net0(line: &str) -> bool {
    let v = line.strip_prefix("net0: ").unwrap();
    let parts: Vec<&str> = v.split(',').collect();
    let keys: Vec<&str> = parts.iter().map(|p| p.split('=').next().unwrap()).collect();
    let hw = parts
        .iter()
        .find(|p| p.starts_with("hwaddr="))
        .map(|p| &p[7..])
        .unwrap_or("");
    keys == ["name", "bridge", "firewall", "gw", "hwaddr", "ip", "type"]
        && parts.contains(&"firewall=1")
        && parts.contains(&"type=veth")
        && hw.len() == 17
        && hw == hw.to_ascii_uppercase()
}

#[test]
fn snapshots_clones_and_raw_lines() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(
        r,
        &[
            "create",
            "900",
            "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst",
            "--net0",
            "name=eth0,bridge=vmbr0,ip=10.0.0.200/24,hwaddr=52:54:00:AA:BB:CC",
            "--rootfs",
            "local-lvm:16",
        ],
    );
    // A hand-added description and raw line survive pct's rewrites.
    let p = r.join("etc/pve/lxc/900.conf");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(
        &p,
        format!("#base image: v1\n{text}lxc.apparmor.profile = unconfined\n"),
    )
    .unwrap();
    ok(r, &["snapshot", "900", "final-form"]);
    ok(r, &["set", "900", "--memory", "4096"]);
    let text = conf(r, 900);
    assert!(
        text.starts_with("#base image%3A v1\narch: amd64\n"),
        "description first, ':' encoded: {text}"
    );
    assert!(text.contains("\nparent: final-form\n"));
    assert!(
        text.contains("\nlxc.apparmor.profile: unconfined\n\n[final-form]\n"),
        "raw line as `k: v`, then the snapshot: {text}"
    );
    assert!(text.contains("\nmemory: 4096\n"));
    let snap = &text[text.find("[final-form]").unwrap()..];
    assert!(
        snap.contains("\nmemory: 512\n") && snap.contains("\nsnaptime: "),
        "{snap}"
    );
    ok(r, &["config", "900", "--snapshot", "final-form"]);
    fails(
        r,
        &["config", "900", "--snapshot", "nope"],
        "snapshot 'nope' does not exist",
    );

    ok(
        r,
        &[
            "clone",
            "900",
            "901",
            "--snapname",
            "final-form",
            "--hostname",
            "copy",
            "--storage",
            "tank",
        ],
    );
    let c = conf(r, 901);
    assert!(c.contains("\nhostname: copy\n"));
    assert!(
        c.contains("\nmemory: 512\n"),
        "from the snapshot, not the current config"
    );
    assert!(c.contains("ip=10.0.0.200/24"), "ip= copied unchanged");
    assert!(!c.contains("52:54:00:AA:BB:CC"), "MAC regenerated");
    assert!(c.contains("\nrootfs: tank:vm-901-disk-0,size=16G\n"));
    assert!(c.contains("\nlxc.apparmor.profile: unconfined\n"));
    assert!(!c.contains("parent:") && !c.contains('['));
}

#[test]
fn it_fails_like_pct() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let t = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    fails(
        r,
        &["set", "555", "--memory", "1"],
        "Configuration file 'nodes/pve/lxc/555.conf' does not exist",
    );
    fails(r, &["status", "555"], "does not exist");
    fails(
        r,
        &["create", "101", "debian.tar.zst"],
        "unable to parse volume ID",
    );
    ok(r, &["create", "101", t]);
    fails(r, &["create", "101", t], "CT 101 already exists");
    fails(
        r,
        &["clone", "101", "102", "--snapname", "golden"],
        "snapshot 'golden' does not exist",
    );
    fails(r, &["clone", "555", "102"], "555.conf' does not exist");
    fails(
        r,
        &["set", "101", "--bogus", "1"],
        "bogus: property is not defined in schema",
    );
    fails(
        r,
        &["set", "101", "--memory", "lots"],
        "memory: type check ('integer') failed",
    );
    fails(
        r,
        &["set", "101", "--onboot", "maybe"],
        "onboot: type check ('boolean') failed",
    );
    fails(
        r,
        &["set", "101", "--net0", "bridge=vmbr0"],
        "property 'name' is missing",
    );
    fails(
        r,
        &["set", "101", "--net0", "name=eth0,name=eth1"],
        "duplicate key",
    );
    fails(
        r,
        &["set", "101", "--unprivileged", "0"],
        "unable to modify read-only option: 'unprivileged'",
    );
    fails(
        r,
        &["resize", "101", "rootfs", "1G"],
        "unable to shrink disk size",
    );
    ok(r, &["resize", "101", "rootfs", "+1G"]);
    assert!(
        conf(r, 101).contains("rootfs: local:vm-101-disk-0,size=5G"),
        "default rootfs local:4, grown by 1G"
    );
    ok(r, &["start", "101"]);
    fails(r, &["start", "101"], "CT 101 already running");
    assert_eq!(ok(r, &["status", "101"]), "status: running\n");
    fails(r, &["clone", "101", "103"], "without a snapshot");
    fails(
        r,
        &["snapshot", "101", "current"],
        "invalid configuration ID",
    );
    fails(r, &["frobnicate"], "unknown command");
    // Every call is logged, failed ones included.
    let log = std::fs::read_to_string(r.join("pct.log")).unwrap();
    assert_eq!(log.lines().count(), 21);
    assert!(log.lines().any(|l| l == "pct set 101 --bogus 1"));
}

#[test]
fn set_on_a_running_container_keeps_pending_keys_until_start() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(
        r,
        &[
            "create",
            "101",
            "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            "--mp0",
            "/srv/a,mp=/a",
        ],
    );
    ok(r, &["start", "101"]);
    ok(
        r,
        &[
            "set",
            "101",
            "--memory",
            "2048",
            "--features",
            "nesting=1",
            "--mp0",
            "/srv/b,mp=/a",
            "--mp1",
            "/srv/c,mp=/c",
        ],
    );
    let text = conf(r, 101);
    let (main, pending) = text
        .split_once("\n[pve:pending]\n")
        .expect("a pending section");
    assert!(main.contains("\nmemory: 2048\n"), "memory is hot-plugged");
    assert!(
        main.contains("\nmp1: /srv/c,mp=/c\n"),
        "a new mount is hot-plugged"
    );
    assert!(
        main.contains("\nmp0: /srv/a,mp=/a\n"),
        "an existing mount's edit waits"
    );
    assert!(
        pending.contains("features: nesting=1\n") && pending.contains("mp0: /srv/b,mp=/a\n"),
        "{pending}"
    );
    ok(r, &["reboot", "101"]);
    let text = conf(r, 101);
    assert!(
        !text.contains("[pve:pending]")
            && text.contains("\nfeatures: nesting=1\n")
            && text.contains("\nmp0: /srv/b,mp=/a\n"),
        "{text}"
    );
}

#[test]
fn it_refuses_to_run_without_phx_root() {
    let out = Command::new(double("pct"))
        .arg("list")
        .env_remove("PHX_ROOT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(255));
    assert!(String::from_utf8_lossy(&out.stderr).contains("PHX_ROOT is not set"));
}

/// pve-container src/PVE/API2/LXC/Config.pm:174 update_vm runs check_lock: a
/// CT in a backup, migration or snapshot refuses `pct set`.
#[test]
fn set_refuses_a_locked_ct() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    ok(
        r,
        &[
            "create",
            "101",
            "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst",
            "--rootfs",
            "local-lvm:8",
        ],
    );
    let path = r.join("etc/pve/lxc/101.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("lock: backup\n{text}")).unwrap();
    fails(
        r,
        &["set", "101", "--memory", "1024"],
        "CT is locked (backup)",
    );
    assert!(!conf(r, 101).contains("memory: 1024"));
}

/// pve-container src/PVE/CLI/pct.pm:88 param_mapping: `--ssh-public-keys` is
/// a file path on pct's command line; keys given inline fail.
#[test]
fn create_reads_ssh_public_keys_from_a_file() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    let tmpl = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    fails(
        r,
        &[
            "create",
            "101",
            tmpl,
            "--ssh-public-keys",
            "ssh-ed25519 AAAA k@h",
        ],
        "can't open 'ssh-ed25519 AAAA k@h' - No such file or directory",
    );
    std::fs::write(r.join("keys.pub"), "ssh-ed25519 AAAA k@h\n").unwrap();
    ok(
        r,
        &["create", "101", tmpl, "--ssh-public-keys", "/keys.pub"],
    );
}

/// A fresh install's storage.cfg: `local` holds no container volumes.
const INSTALLED_CFG: &str = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\nzfspool: tank-vm\n\tpool tank/vm\n\tcontent images\n";

/// A fresh install's storage.cfg, with the Debian template downloaded to
/// `local` (pct create needs the file).
fn installed(r: &Path) {
    std::fs::create_dir_all(r.join("etc/pve")).unwrap();
    std::fs::write(r.join("etc/pve/storage.cfg"), INSTALLED_CFG).unwrap();
    let cache = r.join("var/lib/vz/template/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("debian-12-standard_12.7-1_amd64.tar.zst"), "t").unwrap();
}

#[test]
fn volumes_on_a_storage_without_rootdir_content_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    installed(r);
    let tmpl = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    // pve-container src/PVE/API2/LXC.pm:352-354.
    fails(
        r,
        &["create", "101", tmpl, "--rootfs", "local:8"],
        "storage: storage 'local' does not support container directories",
    );
    // pct's default storage is `local` too.
    fails(
        r,
        &["create", "101", tmpl],
        "does not support container directories",
    );
    assert!(!r.join("etc/pve/lxc/101.conf").exists());
    ok(r, &["create", "101", tmpl, "--rootfs", "local-lvm:8"]);
    // src/PVE/LXC/Config.pm:1336.
    fails(
        r,
        &["set", "101", "--mp0", "tank-vm:1,mp=/data"],
        "storage 'tank-vm' does not allow content type 'rootdir' (Container)",
    );
    assert!(!conf(r, 101).contains("mp0"));
}

/// storage.cfg with a zfspool for container volumes and an LVM-thin pool.
const CLONE_CFG: &str = "lvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\nzfspool: fast\n\tpool fast/ct\n\tcontent rootdir,images\n\nzfspool: persist\n\tpool tank/persist\n\tcontent rootdir\n";

/// CT 900 on local-lvm with a persistent volume on `persist`, snapshotted.
fn source_with_a_volume(r: &Path) {
    std::fs::create_dir_all(r.join("etc/pve")).unwrap();
    std::fs::write(r.join("etc/pve/storage.cfg"), CLONE_CFG).unwrap();
    let tmpl = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    ok(
        r,
        &[
            "create",
            "900",
            tmpl,
            "--rootfs",
            "local-lvm:8",
            "--mp0",
            "persist:1,mp=/data",
        ],
    );
    ok(r, &["snapshot", "900", "golden"]);
}

#[test]
fn volumes_are_named_per_storage_as_its_type_has_them() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    source_with_a_volume(r);
    // pve-container LXC.pm:2581 alloc_disk: subvol on a zfspool; numbers
    // per storage (pve-storage Plugin.pm:970).
    let c = conf(r, 900);
    assert!(
        c.contains("\nrootfs: local-lvm:vm-900-disk-0,size=8G\n"),
        "{c}"
    );
    assert!(
        c.contains("\nmp0: persist:subvol-900-disk-0,mp=/data,size=1G\n"),
        "{c}"
    );
    ok(r, &["set", "900", "--mp1", "persist:2,mp=/more"]);
    assert!(conf(r, 900).contains("\nmp1: persist:subvol-900-disk-1,mp=/more,size=2G\n"));
}

#[test]
fn clone_with_storage_moves_every_volume_and_without_keeps_each_on_its_own() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    source_with_a_volume(r);
    // pve-container src/PVE/API2/LXC.pm:2201: `$storage // $source_storage`.
    ok(
        r,
        &[
            "clone",
            "900",
            "901",
            "--snapname",
            "golden",
            "--storage",
            "fast",
        ],
    );
    // Which copy gets disk-0 is Perl's hash order (`keys %$mountpoints`).
    let c = conf(r, 901);
    let root = c.lines().find(|l| l.starts_with("rootfs: ")).unwrap();
    let mp0 = c.lines().find(|l| l.starts_with("mp0: ")).unwrap();
    assert!(root.starts_with("rootfs: fast:subvol-901-disk-"), "{c}");
    assert!(
        mp0.starts_with("mp0: fast:subvol-901-disk-") && mp0.ends_with(",mp=/data,size=1G"),
        "the volume mount went to --storage too: {c}"
    );
    assert_ne!(root[8..].split(',').next(), mp0[5..].split(',').next());
    ok(r, &["clone", "900", "902", "--snapname", "golden"]);
    let c = conf(r, 902);
    assert!(
        c.contains("\nrootfs: local-lvm:vm-902-disk-0,size=8G\n"),
        "{c}"
    );
    assert!(
        c.contains("\nmp0: persist:subvol-902-disk-0,mp=/data,size=1G\n"),
        "{c}"
    );
}

#[test]
fn move_volume_moves_one_volume_of_a_stopped_container() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    source_with_a_volume(r);
    ok(r, &["clone", "900", "902", "--snapname", "golden"]);
    ok(
        r,
        &["move-volume", "902", "rootfs", "fast", "--delete", "1"],
    );
    let c = conf(r, 902);
    assert!(
        c.contains("\nrootfs: fast:subvol-902-disk-0,size=8G\n"),
        "{c}"
    );
    assert!(c.contains("\nmp0: persist:subvol-902-disk-0,mp=/data,size=1G\n"));
    assert!(
        !c.contains("unused"),
        "--delete 1 frees the old volume: {c}"
    );
    // Without --delete the old one stays as unusedN.
    ok(r, &["move-volume", "902", "mp0", "fast"]);
    let c = conf(r, 902);
    assert!(
        c.contains("\nmp0: fast:subvol-902-disk-1,mp=/data,size=1G\n"),
        "{c}"
    );
    assert!(c.contains("\nunused0: persist:subvol-902-disk-0\n"), "{c}");
    let log = std::fs::read_to_string(r.join("pct.log")).unwrap();
    assert!(log.contains("pct move-volume 902 rootfs fast --delete 1\n"));
}

#[test]
fn move_volume_and_clone_refuse_as_pct_does() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    source_with_a_volume(r);
    // LXC.pm:2613: a volume a snapshot uses is not deleted.
    fails(
        r,
        &["move-volume", "900", "rootfs", "fast", "--delete", "1"],
        "you can't move a volume with snapshots and delete the source",
    );
    // LXC.pm:2601: never while running.
    ok(r, &["start", "900"]);
    fails(
        r,
        &["move-volume", "900", "mp0", "fast"],
        "cannot move volumes of a running container",
    );
    ok(r, &["stop", "900"]);
    // LXC.pm:2911: neither a storage nor a target container.
    fails(
        r,
        &["move-volume", "900", "mp0"],
        "both 'storage' and 'target-vmid' missing",
    );
    // alloc_disk, src/PVE/LXC.pm:2611: the target must hold container volumes.
    std::fs::write(
        r.join("etc/pve/storage.cfg"),
        format!("{CLONE_CFG}\nzfspool: vmonly\n\tpool tank/vm\n\tcontent images\n"),
    )
    .unwrap();
    fails(
        r,
        &["move-volume", "900", "mp0", "vmonly"],
        "content type 'rootdir' is not available or configured on storage 'vmonly'",
    );
    // A template is cloned linked unless --full: no --storage (LXC.pm:2050-2056).
    ok(r, &["set", "900", "--template", "1"]);
    fails(
        r,
        &["clone", "900", "903", "--storage", "fast"],
        "parameter 'storage' not allowed for linked clones",
    );
    ok(
        r,
        &["clone", "900", "903", "--storage", "fast", "--full", "1"],
    );
}

#[test]
fn a_container_may_mount_another_containers_volume() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    source_with_a_volume(r);
    let tmpl = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    // pct takes an existing volume ID as it is (no size, no allocation).
    ok(
        r,
        &[
            "create",
            "901",
            tmpl,
            "--rootfs",
            "local-lvm:8",
            "--mp0",
            "persist:subvol-900-disk-0,mp=/data",
        ],
    );
    assert!(conf(r, 901).contains("\nmp0: persist:subvol-900-disk-0,mp=/data\n"));
    // A new volume of CT 900 on that storage does not take the shared one's number.
    ok(r, &["set", "900", "--mp1", "persist:1,mp=/b"]);
    assert!(conf(r, 900).contains("\nmp1: persist:subvol-900-disk-1,mp=/b,size=1G\n"));
}

#[test]
fn a_left_over_dataset_on_a_zfspool_keeps_its_number() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    source_with_a_volume(r);
    // tank/persist mounts at /tank/persist (ZFSPoolPlugin.pm:185): a
    // subvol dataset there that no conf names is still listed by the
    // storage, and pct takes the next number.
    std::fs::create_dir_all(r.join("tank/persist/subvol-900-disk-1")).unwrap();
    ok(r, &["set", "900", "--mp1", "persist:1,mp=/b"]);
    assert!(conf(r, 900).contains("\nmp1: persist:subvol-900-disk-2,mp=/b,size=1G\n"));
}

#[test]
fn create_refuses_a_template_its_storage_does_not_hold() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("etc/pve")).unwrap();
    std::fs::write(
        r.join("etc/pve/storage.cfg"),
        "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n\nlvmthin: local-lvm\n\tthinpool data\n\tvgname pve\n\tcontent rootdir,images\n\ndir: tmpl\n\tpath /srv/t\n\tcontent vztmpl\n",
    )
    .unwrap();
    let args = |id: &'static str, t: &'static str| ["create", id, t, "--rootfs", "local-lvm:8"];
    let debian = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst";
    fails(
        r,
        &args("101", debian),
        &format!("unable to create CT 101 - can't find file '{debian}'"),
    );
    assert!(!r.join("etc/pve/lxc/101.conf").exists());
    let cache = r.join("var/lib/vz/template/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(cache.join("debian-12-standard_12.7-1_amd64.tar.zst"), "t").unwrap();
    ok(r, &args("101", debian));
    // A dir storage's own path.
    fails(
        r,
        &args("102", "tmpl:vztmpl/x.tar.zst"),
        "can't find file 'tmpl:vztmpl/x.tar.zst'",
    );
    std::fs::create_dir_all(r.join("srv/t/template/cache")).unwrap();
    std::fs::write(r.join("srv/t/template/cache/x.tar.zst"), "t").unwrap();
    ok(r, &args("102", "tmpl:vztmpl/x.tar.zst"));
}
