//! Download steps: a file fetched with curl into a temp file beside its
//! target, its digest checked here, then renamed into place — the order of
//! pve-common's `PVE::Tools::download_file_from_url` (src/PVE/Tools.pm:1486):
//! an existing file is hashed and kept when it matches, and a mismatch is an
//! error, never a silent replacement; a failed download or a wrong digest
//! leaves nothing behind (no temp file, no target).

use crate::atomic::{self, Mode};
use crate::outcome::{outcome, Outcome, Status};
use crate::{run, Run};
use anyhow::Context;
use phx_plan::download::{sums_lookup, url_file_name, Algo};
use phx_plan::{Checksum, DownloadStep, Step};
use sha2::Digest;
use std::path::Path;

/// The most a checksum file may hold: a SUMS file lists a few dozen lines.
const SUMS_LIMIT: &str = "4194304";

/// curl that fails on an HTTP error, follows redirects only to http(s),
/// and takes the URL as the value of `--url`, never as an option.
fn curl(url: &str, out: Option<&Path>, max: Option<&str>) -> Vec<String> {
    let mut a: Vec<String> = [
        "curl",
        "--fail",
        "--silent",
        "--show-error",
        "--location",
        "--proto",
        "=http,https",
        "--proto-redir",
        "=http,https",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(m) = max {
        a.extend(["--max-filesize".to_string(), m.to_string()]);
    }
    if let Some(o) = out {
        a.extend(["--output".to_string(), o.display().to_string()]);
    }
    a.extend(["--url".to_string(), url.to_string()]);
    a
}

/// The digest of the file at `path`, read in 1 MiB pieces (a cloud image is
/// hundreds of megabytes): `(digest in algo, sha256)` — the second for the
/// backup manifest, which records every written file by its SHA-256.
fn file_digests(path: &Path, algo: Algo) -> std::io::Result<(String, String)> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut s256 = sha2::Sha256::new();
    let mut s512 = sha2::Sha512::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        s256.update(&buf[..n]);
        if algo == Algo::Sha512 {
            s512.update(&buf[..n]);
        }
    }
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let sha256 = hex(&s256.finalize());
    let wanted = match algo {
        Algo::Sha256 => sha256.clone(),
        Algo::Sha512 => hex(&s512.finalize()),
    };
    Ok((wanted, sha256))
}

impl Run<'_> {
    pub(crate) fn download(&mut self, step: &Step, d: &DownloadStep) -> anyhow::Result<Outcome> {
        let dest = self.dest(&d.path)?;
        let exists = match std::fs::symlink_metadata(&dest) {
            Ok(m) if m.file_type().is_file() => true,
            Ok(_) => {
                return Ok(outcome(
                    step,
                    Status::Failed,
                    format!(
                        "{} exists and is not a regular file; it is left as it is",
                        d.path
                    ),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(e).with_context(|| format!("looking at {}", dest.display())),
        };
        let needs_network = matches!(d.checksum, Checksum::ChecksumUrl(_));
        if !self.opts.may_run() && (!exists || needs_network) {
            // A preview never touches the network, as it runs no command.
            let (status, what) = if self.opts.check {
                (Status::NotEvaluated, "not evaluated under --root")
            } else {
                (Status::Skipped, "not downloaded under --root")
            };
            return Ok(outcome(
                step,
                status,
                format!("{what}: {} from {}", d.path, d.url),
            ));
        }
        if !exists && self.opts.check {
            return Ok(outcome(
                step,
                Status::Changed,
                format!("would download {} to {}", d.url, d.path),
            ));
        }
        let wanted = match self.wanted_digest(d) {
            Ok(w) => w,
            Err(e) => return Ok(outcome(step, Status::Failed, e)),
        };
        if exists && wanted.is_none() {
            return Ok(outcome(
                step,
                Status::Ok,
                format!("{} (present; no checksum to verify it against)", d.path),
            ));
        }
        if let (true, Some((algo, want))) = (exists, &wanted) {
            let (algo, want) = (*algo, want.as_str());
            let (got, _) =
                file_digests(&dest, algo).with_context(|| format!("reading {}", dest.display()))?;
            return Ok(if got == want {
                outcome(
                    step,
                    Status::Ok,
                    format!("{} (present, {} verified)", d.path, algo.name()),
                )
            } else {
                outcome(
                    step,
                    Status::Failed,
                    format!(
                        "{} exists but its {} is {got}, not {want} as {} says; it is left as it is (remove it to download it again)",
                        d.path,
                        algo.name(),
                        checksum_source(d)
                    ),
                )
            });
        }
        self.prepare_parent(&d.path)?;
        let tmp = atomic::write_temp(&dest, b"", Mode::Exact(0o644))
            .with_context(|| format!("making a temp file beside {}", dest.display()))?;
        let result = self.fetch_into(d, &tmp, wanted.as_ref());
        let sha256 = match result {
            Ok(s) => s,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                let mut o = outcome(step, Status::Failed, e);
                o.ran = true;
                return Ok(o);
            }
        };
        let committed = self
            .record_created(&d.path)
            .and_then(|()| self.record_wrote_digest(&d.path, sha256))
            .and_then(|()| {
                atomic::commit(&tmp, &dest)
                    .with_context(|| format!("renaming into {}", dest.display()))
            });
        if let Err(e) = committed {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        let mut o = outcome(
            step,
            Status::Changed,
            match &wanted {
                Some((algo, _)) => format!("{} ({} verified)", d.desc, algo.name()),
                None => format!("{} (not verified: no checksum given)", d.desc),
            },
        );
        o.ran = true;
        Ok(o)
    }

    /// curl `d.url` into `tmp` and check its digest (when there is one to
    /// check); the SHA-256 for the manifest, or why the download is refused.
    fn fetch_into(
        &self,
        d: &DownloadStep,
        tmp: &Path,
        wanted: Option<&(Algo, String)>,
    ) -> Result<String, String> {
        let (algo, want) = match wanted {
            Some((a, w)) => (*a, w.as_str()),
            None => (Algo::Sha256, ""),
        };
        let argv = curl(&d.url, Some(tmp), None);
        let shown = run::show(&argv);
        match run::run_within(&argv, self.opts, None, self.opts.command_timeout) {
            Ok(r) if r.ok() => {}
            Ok(r) => {
                return Err(format!(
                    "ran {shown}; it exited with {}; output:\n{}\nnothing was kept",
                    r.code
                        .map_or("a signal".to_string(), |c| format!("status {c}")),
                    r.output()
                ))
            }
            Err(e) => return Err(format!("could not run {shown}: {e}; nothing was kept")),
        }
        let (got, sha256) =
            file_digests(tmp, algo).map_err(|e| format!("reading {}: {e}", tmp.display()))?;
        if wanted.is_some() && got != want {
            return Err(format!(
                "checksum mismatch: {} has {} {got}, but {} says {want}; nothing was kept",
                d.url,
                algo.name(),
                checksum_source(d)
            ));
        }
        Ok(sha256)
    }

    /// The algorithm and digest `d` must match: given in the step, or read
    /// from its checksum file (fetched with curl, at most 4 MiB); `None`
    /// for an unverified download.
    fn wanted_digest(&self, d: &DownloadStep) -> Result<Option<(Algo, String)>, String> {
        match &d.checksum {
            Checksum::Unverified => Ok(None),
            Checksum::Sha256(h) => Ok(Some((Algo::Sha256, h.to_ascii_lowercase()))),
            Checksum::Sha512(h) => Ok(Some((Algo::Sha512, h.to_ascii_lowercase()))),
            Checksum::ChecksumUrl(u) => {
                let name = url_file_name(&d.url)
                    .ok_or_else(|| format!("{} names no file to look up in {u}", d.url))?;
                let argv = curl(u, None, Some(SUMS_LIMIT));
                let r = run::run(&argv, self.opts)
                    .map_err(|e| format!("could not run {}: {e}", run::show(&argv)))?;
                if !r.ok() {
                    return Err(format!(
                        "fetching the checksum file: {} failed: {}",
                        run::show(&argv),
                        r.output()
                    ));
                }
                sums_lookup(&r.stdout, name)
                    .map(Some)
                    .map_err(|e| format!("{u}: {e}"))
            }
        }
    }
}

/// Where the expected digest came from, for messages.
fn checksum_source(d: &DownloadStep) -> String {
    match &d.checksum {
        Checksum::Sha256(_) | Checksum::Sha512(_) | Checksum::Unverified => "the plan".to_string(),
        Checksum::ChecksumUrl(u) => u.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_takes_the_url_as_a_value() {
        let a = curl("https://h/x", Some(Path::new("/t")), None);
        assert_eq!(&a[a.len() - 2..], ["--url", "https://h/x"]);
        assert!(a.windows(2).any(|w| w == ["--output", "/t"]));
        assert!(a.contains(&"--fail".to_string()));
    }

    #[test]
    fn digests_of_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"abc").unwrap();
        let (d, s) = file_digests(&p, Algo::Sha512).unwrap();
        // FIPS 180-2 test vectors.
        assert!(d.starts_with("ddaf35a193617aba"), "{d}");
        assert_eq!(
            s,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
