//! Download steps (docs/plan.md): a missing file fetched from a local HTTP
//! server and verified before it is renamed into place, nothing left behind
//! on a wrong checksum or a failed fetch, an existing file checked and never
//! replaced, and odd URLs refused before anything runs.

use crate::common::{opts, step};
use crate::http::Server;
use phx_apply::{apply, Status};
use phx_plan::download::DownloadStep;
use phx_plan::{Action, Checksum, Step};
use sha2::Digest;
use std::path::Path;

const IMAGE: &[u8] = b"QFI\xfb a cloud image, or as much of one as a test needs\n";
const TARGET: &str = "/var/lib/vz/template/iso/noble-server-cloudimg-amd64.img";

fn sha256(b: &[u8]) -> String {
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn sha512(b: &[u8]) -> String {
    sha2::Sha512::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn dl(url: &str, checksum: Checksum) -> Step {
    step(
        "image",
        Action::Download(DownloadStep {
            path: TARGET.into(),
            url: url.into(),
            checksum,
            desc: format!("download {url}"),
        }),
    )
}

/// Every name in the target's directory (temp files included).
fn dir_names(root: &Path) -> Vec<String> {
    let dir = root.join("var/lib/vz/template/iso");
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn a_missing_image_is_downloaded_verified_and_kept_on_the_second_run() {
    let srv = Server::start();
    let url = srv.put("/noble/current/noble-server-cloudimg-amd64.img", IMAGE);
    let root = tempfile::tempdir().unwrap();
    let plan = [dl(&url, Checksum::Sha256(sha256(IMAGE)))];
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Changed, "{:?}", r.outcomes);
    let got = std::fs::read(root.path().join(&TARGET[1..])).unwrap();
    assert_eq!(got, IMAGE);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(root.path().join(&TARGET[1..]))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644);
    assert_eq!(dir_names(root.path()), ["noble-server-cloudimg-amd64.img"]);
    assert_eq!(srv.requests().len(), 1);
    let again = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(again.outcomes[0].status, Status::Ok, "{:?}", again.outcomes);
    assert_eq!(again.changed(), 0);
    assert_eq!(
        srv.requests().len(),
        1,
        "a present, verified image is not fetched again"
    );
}

#[test]
fn an_unverified_download_is_fetched_once_and_kept_as_it_is() {
    let srv = Server::start();
    let url = srv.put("/noble/current/noble-server-cloudimg-amd64.img", IMAGE);
    let root = tempfile::tempdir().unwrap();
    let plan = [dl(&url, Checksum::Unverified)];
    // The step as a plan carries it: `"checksum":"unverified"`.
    let line = serde_json::to_string(&plan[0]).unwrap();
    assert!(line.contains("\"checksum\":\"unverified\""), "{line}");
    let r = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Changed, "{:?}", r.outcomes);
    assert!(
        r.outcomes[0].detail.contains("not verified"),
        "{:?}",
        r.outcomes
    );
    assert_eq!(
        std::fs::read(root.path().join(&TARGET[1..])).unwrap(),
        IMAGE
    );
    assert_eq!(dir_names(root.path()), ["noble-server-cloudimg-amd64.img"]);
    // Present: kept, whatever it holds, and not fetched again.
    std::fs::write(root.path().join(&TARGET[1..]), b"edited").unwrap();
    let again = apply(&plan, &opts(root.path())).unwrap();
    assert_eq!(again.outcomes[0].status, Status::Ok, "{:?}", again.outcomes);
    assert_eq!(srv.requests().len(), 1);
}

#[test]
fn a_checksum_file_in_binary_mode_and_sha512_both_verify() {
    let srv = Server::start();
    let url = srv.put("/noble/current/noble-server-cloudimg-amd64.img", IMAGE);
    let sums = srv.put(
        "/noble/current/SHA256SUMS",
        format!(
            "{}  other.img\n{} *noble-server-cloudimg-amd64.img\n",
            "0".repeat(64),
            sha256(IMAGE)
        )
        .as_bytes(),
    );
    let root = tempfile::tempdir().unwrap();
    let r = apply(&[dl(&url, Checksum::ChecksumUrl(sums))], &opts(root.path())).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Changed, "{:?}", r.outcomes);
    assert!(
        r.outcomes[0].detail.contains("sha256 verified"),
        "{}",
        r.outcomes[0].detail
    );
    let other = tempfile::tempdir().unwrap();
    let r = apply(
        &[dl(&url, Checksum::Sha512(sha512(IMAGE)))],
        &opts(other.path()),
    )
    .unwrap();
    assert_eq!(r.outcomes[0].status, Status::Changed, "{:?}", r.outcomes);
    assert!(r.outcomes[0].detail.contains("sha512 verified"));
}

#[test]
fn a_wrong_checksum_fails_with_nothing_left_behind() {
    let srv = Server::start();
    let url = srv.put("/x/noble-server-cloudimg-amd64.img", IMAGE);
    let root = tempfile::tempdir().unwrap();
    let wrong = sha256(b"another image");
    let r = apply(
        &[dl(&url, Checksum::Sha256(wrong.clone()))],
        &opts(root.path()),
    )
    .unwrap();
    let o = &r.outcomes[0];
    assert_eq!(o.status, Status::Failed);
    assert!(o.detail.contains("checksum mismatch"), "{}", o.detail);
    assert!(
        o.detail.contains(&wrong) && o.detail.contains(&sha256(IMAGE)),
        "{}",
        o.detail
    );
    assert!(
        dir_names(root.path()).is_empty(),
        "no target, no temp file: {:?}",
        dir_names(root.path())
    );
}

#[test]
fn a_failed_fetch_fails_with_nothing_left_behind() {
    let srv = Server::start();
    let root = tempfile::tempdir().unwrap();
    let url = format!("{}/missing.img", srv.base);
    let r = apply(
        &[dl(&url, Checksum::Sha256(sha256(IMAGE)))],
        &opts(root.path()),
    )
    .unwrap();
    assert_eq!(r.outcomes[0].status, Status::Failed);
    assert!(
        r.outcomes[0].detail.contains("404"),
        "{}",
        r.outcomes[0].detail
    );
    assert!(
        dir_names(root.path()).is_empty(),
        "{:?}",
        dir_names(root.path())
    );
}

#[test]
fn an_existing_file_with_another_checksum_is_an_error_and_untouched() {
    let srv = Server::start();
    let url = srv.put("/x/noble-server-cloudimg-amd64.img", IMAGE);
    let root = tempfile::tempdir().unwrap();
    let at = root.path().join(&TARGET[1..]);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::fs::write(&at, b"an image the operator put here").unwrap();
    let r = apply(
        &[dl(&url, Checksum::Sha256(sha256(IMAGE)))],
        &opts(root.path()),
    )
    .unwrap();
    let o = &r.outcomes[0];
    assert_eq!(o.status, Status::Failed);
    for part in [
        TARGET,
        &sha256(IMAGE),
        &sha256(b"an image the operator put here"),
    ] {
        assert!(o.detail.contains(part), "{part} in {}", o.detail);
    }
    assert_eq!(
        std::fs::read(&at).unwrap(),
        b"an image the operator put here"
    );
    assert!(srv.requests().is_empty(), "nothing fetched");
}

#[test]
fn under_a_root_without_run_commands_nothing_is_fetched() {
    let srv = Server::start();
    let url = srv.put("/x/a.img", IMAGE);
    let root = tempfile::tempdir().unwrap();
    let mut o = opts(root.path());
    o.run_commands = false;
    let r = apply(&[dl(&url, Checksum::Sha256(sha256(IMAGE)))], &o).unwrap();
    assert_eq!(r.outcomes[0].status, Status::Skipped, "{:?}", r.outcomes);
    o.check = true;
    let r = apply(&[dl(&url, Checksum::Sha256(sha256(IMAGE)))], &o).unwrap();
    assert_eq!(r.outcomes[0].status, Status::NotEvaluated);
    assert!(srv.requests().is_empty());
    assert!(dir_names(root.path()).is_empty());
}

#[test]
fn odd_urls_digests_and_paths_are_refused_before_anything_runs() {
    let root = tempfile::tempdir().unwrap();
    let good = sha256(IMAGE);
    for (url, sum, what) in [
        (
            "file:///etc/shadow",
            Checksum::Sha256(good.clone()),
            "http:// or https://",
        ),
        (
            "ftp://h/x.img",
            Checksum::Sha256(good.clone()),
            "http:// or https://",
        ),
        (
            "https://h/x\0.img",
            Checksum::Sha256(good.clone()),
            "control",
        ),
        (
            "https://h/x.img",
            Checksum::Sha256("abc".into()),
            "64 hexadecimal",
        ),
        (
            "https://h/x.img",
            Checksum::Sha512(good.clone()),
            "128 hexadecimal",
        ),
        (
            "https://h/x.img",
            Checksum::ChecksumUrl("gopher://h/S".into()),
            "checksum_url",
        ),
        (
            "https://h/",
            Checksum::ChecksumUrl("https://h/S".into()),
            "names no file",
        ),
    ] {
        let err = apply(&[dl(url, sum)], &opts(root.path())).unwrap_err();
        assert!(format!("{err:#}").contains(what), "{url}: {err:#}");
    }
    let mut relative = dl("https://h/x.img", Checksum::Sha256(good));
    if let Action::Download(d) = &mut relative.action {
        d.path = "var/x.img".into();
    }
    assert!(apply(&[relative], &opts(root.path())).is_err());
    assert!(dir_names(root.path()).is_empty());
}

#[test]
fn a_rollback_removes_a_downloaded_image_and_its_new_directories() {
    let srv = Server::start();
    let url = srv.put("/x/noble-server-cloudimg-amd64.img", IMAGE);
    let root = tempfile::tempdir().unwrap();
    let r = apply(
        &[dl(&url, Checksum::Sha256(sha256(IMAGE)))],
        &opts(root.path()),
    )
    .unwrap();
    assert_eq!(r.changed(), 1);
    phx_apply::rollback::rollback(root.path(), &r.backup_dir.unwrap()).unwrap();
    assert!(!root.path().join(&TARGET[1..]).exists());
    assert!(
        !root.path().join("var/lib/vz").exists(),
        "its new directories too"
    );
}
