//! The generated files served by a real dnsmasq on a loopback address and a
//! high port, queried with `dig`: every record answers A, addresses answer
//! PTR, outside names go upstream (a fake upstream on loopback that refuses
//! everything and records what it was asked), internal names without a
//! record get NXDOMAIN without going upstream. Then a record changes, the
//! plan is applied, dnsmasq gets SIGHUP and answers the new address while
//! still being the same process.
//!
//! Needs dnsmasq (dnsmasq-base) and dig (bind9-dnsutils). Without them the
//! test is skipped with a loud message, except under CI=true where it fails.

use crate::common;
use common::*;
use phx_apply::{apply, Options, Status};
use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// On PATH, else in the sbin directories a non-root PATH may lack.
fn find(prog: &str) -> Option<PathBuf> {
    which(prog).or_else(|| {
        ["/usr/sbin", "/sbin"]
            .map(|d| Path::new(d).join(prog))
            .into_iter()
            .find(|f| f.is_file())
    })
}

/// dnsmasq and dig; without them the test fails, unless `PHX_SKIP_E2E`
/// names `dnsmasq` (then `None`: skipped, and counted).
fn tools(test: &str) -> Option<(PathBuf, PathBuf)> {
    let (d, g) = (find("dnsmasq"), find("dig"));
    let missing: Vec<&str> = [
        ("dnsmasq (apt-get install dnsmasq-base)", d.is_none()),
        ("dig (apt-get install bind9-dnsutils)", g.is_none()),
    ]
    .iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| *n)
    .collect();
    let missing = (!missing.is_empty()).then(|| missing.join(" and "));
    phx_testkit::real_component(test, "dnsmasq", missing).then(|| (d.unwrap(), g.unwrap()))
}

/// The dnsmasq child; killed when the test ends, also on panic.
struct Dnsmasq {
    child: Child,
    log: PathBuf,
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Dnsmasq {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// A fake upstream resolver on 127.0.0.1: answers REFUSED to everything and
/// records the names it was asked, so the test can see what was forwarded
/// without sending anything off this machine.
struct Upstream {
    port: u16,
    asked: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Upstream {
    fn start() -> Upstream {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let port = sock.local_addr().unwrap().port();
        let asked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (asked.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 1500];
            while !s.load(Ordering::Relaxed) {
                let Ok((n, from)) = sock.recv_from(&mut buf) else {
                    continue;
                };
                if n < 12 {
                    continue;
                }
                a.lock().unwrap().push(qname(&buf[..n]));
                let mut reply = buf[..n].to_vec();
                reply[2] |= 0x80; // QR: a response
                reply[3] = (reply[3] & 0xF0) | 5; // RCODE 5: REFUSED
                let _ = sock.send_to(&reply, from);
            }
        });
        Upstream {
            port,
            asked,
            stop,
            thread: Some(thread),
        }
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The question name of a DNS query (RFC 1035 §4.1.2), lower-cased.
fn qname(msg: &[u8]) -> String {
    let mut labels = Vec::new();
    let mut i = 12;
    while i < msg.len() && msg[i] != 0 && msg[i] < 64 {
        let len = msg[i] as usize;
        let end = (i + 1 + len).min(msg.len());
        labels.push(String::from_utf8_lossy(&msg[i + 1..end]).to_ascii_lowercase());
        i = end;
    }
    labels.join(".")
}

struct Answer {
    status: String,
    /// `(type, data)` of the answer section, data without the trailing dot.
    records: Vec<(String, String)>,
}

fn dig(dig: &Path, addr: &str, port: u16, query: &[&str]) -> Answer {
    let out = Command::new(dig)
        .arg(format!("@{addr}"))
        .args([
            "-p",
            &port.to_string(),
            "+tries=1",
            "+time=3",
            "+noall",
            "+comments",
            "+answer",
        ])
        .args(query)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    if out.status.code() == Some(9) {
        return Answer {
            status: "NO-REPLY".into(),
            records: Vec::new(),
        };
    }
    let status = text
        .lines()
        .find_map(|l| l.split("status: ").nth(1))
        .map(|s| s.split(',').next().unwrap().to_string())
        .unwrap_or_else(|| format!("UNPARSED({text})"));
    let records = text
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 5).then(|| (f[3].to_string(), f[4].trim_end_matches('.').to_string()))
        })
        .collect();
    Answer { status, records }
}

fn free_port(addr: &str) -> u16 {
    UdpSocket::bind((addr, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The generated config with only what a test run must change: the listen
/// address and port, the records path (the files live under a temp root), and
/// the upstreams (the real ones are not reachable from here).
fn test_conf(generated: &str, addr: &str, port: u16, root: &Path, upstream: u16) -> String {
    let mut out = String::new();
    let (mut listen, mut hosts, mut servers) = (0, 0, 0);
    for line in generated.lines() {
        if line.starts_with("listen-address=") {
            listen += 1;
            out.push_str(&format!("listen-address={addr}\nport={port}\n"));
        } else if let Some(path) = line.strip_prefix("addn-hosts=") {
            hosts += 1;
            out.push_str(&format!("addn-hosts={}\n", under(root, path).display()));
        } else if line.starts_with("server=") {
            servers += 1;
            if servers == 1 {
                out.push_str(&format!("server=127.0.0.1#{upstream}\n"));
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert_eq!(
        (listen, hosts),
        (1, 1),
        "one listen-address and one addn-hosts line:\n{generated}"
    );
    assert!(
        servers >= 1,
        "the generated config names upstream servers:\n{generated}"
    );
    out
}

fn under(root: &Path, path: &str) -> PathBuf {
    root.join(path.trim_start_matches('/'))
}

fn apply_into(cfg: &Path, root: &Path) -> phx_apply::Report {
    let plan = phx_dns::build(&load_dir(cfg), &Default::default())
        .unwrap_or_else(|p| panic!("{p}"))
        .plan;
    let r = apply(
        &plan.steps,
        &Options {
            root: root.to_path_buf(),
            run_commands: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(r.failed().is_none(), "{:?}", r.failed());
    r
}

struct Case {
    src: PathBuf,
    addr: &'static str,
    domain: &'static str,
    expected: Expected,
    /// Names answered by a wildcard record: `(name, address)`.
    wildcard: Vec<(String, &'static str)>,
    /// The record to change: file, edit, name, new address.
    change: (
        &'static str,
        fn(&mut serde_json::Value),
        String,
        &'static str,
    ),
}

fn live(test: &str, case: Case) {
    let Some((dnsmasq_bin, dig_bin)) = tools(test) else {
        return;
    };
    let cfg = copy_config(&case.src);
    let root = tempfile::tempdir().unwrap();
    apply_into(cfg.path(), root.path());

    let upstream = Upstream::start();
    let port = free_port(case.addr);
    let generated = std::fs::read_to_string(under(root.path(), phx_dns::CONF_PATH)).unwrap();
    let conf_path = root.path().join("test-dnsmasq.conf");
    std::fs::write(
        &conf_path,
        test_conf(&generated, case.addr, port, root.path(), upstream.port),
    )
    .unwrap();

    let log = root.path().join("dnsmasq.log");
    let mut cmd = Command::new(&dnsmasq_bin);
    cmd.arg("--keep-in-foreground")
        .arg(format!("--conf-file={}", conf_path.display()))
        .arg("--pid-file=")
        .arg("--log-queries")
        .arg(format!("--log-facility={}", log.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if nix::unistd::geteuid().is_root() {
        // Otherwise dnsmasq drops to an unprivileged user that cannot read the temp root.
        cmd.arg("--user=root").arg("--group=root");
    }
    let mut server = Dnsmasq {
        child: cmd.spawn().expect("start dnsmasq"),
        log,
    };
    let pid = server.child.id();

    let (fwd, ptr) = &case.expected;
    let probe = &fwd[0].0;
    let mut ready = false;
    for _ in 0..100 {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("dnsmasq exited with {status}:\n{}", server.log());
        }
        if dig(&dig_bin, case.addr, port, &[probe, "A"]).status == "NOERROR" {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ready, "dnsmasq never answered {probe}:\n{}", server.log());

    for (name, ip) in fwd {
        let a = dig(&dig_bin, case.addr, port, &[name, "A"]);
        assert_eq!(a.status, "NOERROR", "{name}\n{}", server.log());
        assert_eq!(a.records, vec![("A".to_string(), ip.to_string())], "{name}");
    }
    for (ip, name) in ptr {
        let a = dig(&dig_bin, case.addr, port, &["-x", ip]);
        assert_eq!(a.status, "NOERROR", "PTR {ip}");
        assert_eq!(
            a.records,
            vec![("PTR".to_string(), name.clone())],
            "PTR {ip}"
        );
    }
    for (name, ip) in &case.wildcard {
        let a = dig(&dig_bin, case.addr, port, &[name, "A"]);
        assert_eq!(
            a.records,
            vec![("A".to_string(), ip.to_string())],
            "wildcard {name}"
        );
    }

    // Inside the domain, no record: NXDOMAIN from dnsmasq itself.
    let missing = format!("no-such-guest.{}", case.domain);
    let a = dig(&dig_bin, case.addr, port, &[&missing, "A"]);
    assert_eq!(a.status, "NXDOMAIN", "{missing}");
    assert!(a.records.is_empty());
    // Outside the domain: not answered from the local records, forwarded upstream.
    let outside = "www.phoenix-outside-test.org";
    let a = dig(&dig_bin, case.addr, port, &[outside, "A"]);
    assert!(
        a.records.is_empty(),
        "{outside} answered locally: {:?}",
        a.records
    );
    assert_ne!(a.status, "NOERROR", "{outside}");
    let asked = upstream.asked();
    assert!(
        asked.iter().any(|n| n == outside),
        "{outside} was not forwarded; upstream saw {asked:?}\n{}",
        server.log()
    );
    let leaked: Vec<&String> = asked.iter().filter(|n| n.ends_with(case.domain)).collect();
    assert!(
        leaked.is_empty(),
        "internal names went upstream: {leaked:?}"
    );

    // Change one record, apply, reload (SIGHUP, what `systemctl reload` sends): new answer, same process.
    let (file, edit, name, new_ip) = &case.change;
    edit_json(&cfg.path().join(file), *edit);
    let r = apply_into(cfg.path(), root.path());
    assert_eq!(
        r.handlers_fired(),
        vec!["dns:reload"],
        "a record change needs a reload, not a restart"
    );
    assert!(r
        .outcomes
        .iter()
        .any(|o| o.id == "dns:conf" && o.status == Status::Ok));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGHUP,
    )
    .unwrap();
    let mut got = Vec::new();
    for _ in 0..100 {
        got = dig(&dig_bin, case.addr, port, &[name, "A"]).records;
        if got == vec![("A".to_string(), new_ip.to_string())] {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        got,
        vec![("A".to_string(), new_ip.to_string())],
        "{name} after SIGHUP\n{}",
        server.log()
    );
    let a = dig(&dig_bin, case.addr, port, &["-x", new_ip]);
    assert!(
        a.records.contains(&("PTR".to_string(), name.clone())),
        "PTR {new_ip}: {:?}",
        a.records
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "dnsmasq must still be running"
    );
    assert_eq!(server.child.id(), pid);
    assert!(
        server.log().contains("read ")
            && server
                .log()
                .matches(&format!("dnsmasq[{pid}]: started"))
                .count()
                == 1,
        "{}",
        server.log()
    );
}

#[test]
fn live_dnsmasq_serves_the_upstream_fixture() {
    live(
        "live_dnsmasq_serves_the_upstream_fixture",
        Case {
            src: upstream_dir(),
            addr: "127.0.0.71",
            domain: "phoenix.thinkheads.ai",
            expected: upstream_expected(),
            wildcard: Vec::new(),
            // drphoenix (VM 1002) moves to 10.0.0.103, an address nobody else has.
            change: (
                VM,
                |v| v["vms"][2]["dns_records"][0]["ip"] = "10.0.0.103".into(),
                "drphoenix.phoenix.thinkheads.ai".into(),
                "10.0.0.103",
            ),
        },
    );
}

#[test]
fn live_dnsmasq_serves_the_example() {
    live(
        "live_dnsmasq_serves_the_example",
        Case {
            src: example_dir(),
            addr: "127.0.0.72",
            domain: "internal.thinkheads.ai",
            expected: example_expected(),
            wildcard: vec![
                ("anything.apps.internal.thinkheads.ai".into(), "10.0.0.12"),
                ("a.b.apps.internal.thinkheads.ai".into(), "10.0.0.12"),
                ("apps.internal.thinkheads.ai".into(), "10.0.0.12"),
            ],
            // portainer (VM 1001's explicit record) moves to the VM's own address.
            change: (
                VM,
                |v| v["vms"][1]["dns_records"][0]["ip"] = "10.0.0.101".into(),
                "portainer.internal.thinkheads.ai".into(),
                "10.0.0.101",
            ),
        },
    );
}
