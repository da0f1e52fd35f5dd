//! The migrated 260ca13 files served by a real dnsmasq: phx-dns's plan for
//! them is applied under a temporary root, dnsmasq runs its config on a
//! loopback address and a free port (the only lines changed, as in phx-dns's
//! own live test), and `dig` asks it for the CA's name the original used.

use crate::cli::migrate;
use phx_apply::{apply, Options};
use phx_testkit::{load_dir, upstream_dir, which};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn find(prog: &str) -> Option<PathBuf> {
    which(prog).or_else(|| {
        ["/usr/sbin", "/sbin"]
            .map(|d| Path::new(d).join(prog))
            .into_iter()
            .find(|f| f.is_file())
    })
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `dig +short` of one A query: the addresses answered.
fn ask(dig: &Path, addr: &str, port: u16, name: &str) -> Vec<String> {
    let out = Command::new(dig)
        .args([&format!("@{addr}"), "-p", &port.to_string()])
        .args(["+tries=1", "+time=2", "+short", name, "A"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// phx-dns's config with the listen address, port, records path and
/// upstreams changed for a run under `root` (upstreams: none reachable).
fn test_conf(generated: &str, addr: &str, port: u16, root: &Path) -> String {
    let mut out = String::new();
    for line in generated.lines() {
        if line.starts_with("listen-address=") {
            out.push_str(&format!("listen-address={addr}\nport={port}\n"));
        } else if let Some(path) = line.strip_prefix("addn-hosts=") {
            let p = root.join(path.trim_start_matches('/'));
            out.push_str(&format!("addn-hosts={}\n", p.display()));
        } else if !line.starts_with("server=") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[test]
fn dnsmasq_answers_the_originals_ca_name_with_ct_103s_address_after_migration() {
    let (dnsmasq, dig) = (find("dnsmasq"), find("dig"));
    let missing = match (&dnsmasq, &dig) {
        (Some(_), Some(_)) => None,
        _ => Some("dnsmasq (dnsmasq-base) and dig (bind9-dnsutils)".to_string()),
    };
    let test = "dnsmasq_answers_the_originals_ca_name_with_ct_103s_address_after_migration";
    if !phx_testkit::real_component(test, "dnsmasq", missing) {
        return;
    }
    let (dnsmasq, dig) = (dnsmasq.unwrap(), dig.unwrap());

    let out = tempfile::tempdir().unwrap();
    let r = migrate(&upstream_dir(), out.path());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let plan = phx_dns::build(&load_dir(out.path()), &Default::default())
        .unwrap_or_else(|p| panic!("{p}"))
        .plan;
    let root = tempfile::tempdir().unwrap();
    let report = apply(
        &plan.steps,
        &Options {
            root: root.path().to_path_buf(),
            run_commands: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(report.failed().is_none(), "{:?}", report.failed());

    let addr = "127.0.0.1";
    let port = std::net::UdpSocket::bind((addr, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let generated =
        std::fs::read_to_string(root.path().join(phx_dns::CONF_PATH.trim_start_matches('/')))
            .unwrap();
    let conf = root.path().join("test-dnsmasq.conf");
    std::fs::write(&conf, test_conf(&generated, addr, port, root.path())).unwrap();
    let mut cmd = Command::new(dnsmasq);
    cmd.arg("--keep-in-foreground")
        .arg(format!("--conf-file={}", conf.display()))
        .arg("--pid-file=")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
        // Otherwise dnsmasq drops to a user that cannot read the temp root.
        cmd.arg("--user=root").arg("--group=root");
    }
    let _server = Server(cmd.spawn().expect("start dnsmasq"));

    let mut got = Vec::new();
    for _ in 0..50 {
        got = ask(&dig, addr, port, "ca.internal.thinkheads.ai");
        if !got.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        got,
        vec!["10.0.0.10"],
        "CT 103 (Step-CA) is 10.0.0.10/24 in the fixture"
    );
    // The routes the migration added resolve to Traefik (CT 102, 10.0.0.12).
    for name in ["granite-embedding", "granite-3b", "ollama", "llamacpp"] {
        let fqdn = format!("{name}.phoenix.thinkheads.ai");
        assert_eq!(ask(&dig, addr, port, &fqdn), vec!["10.0.0.12"], "{fqdn}");
    }
}
