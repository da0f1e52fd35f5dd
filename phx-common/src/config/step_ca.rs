//! The hypervisor file's optional `step_ca` object beyond `dns_name`: what
//! `step ca init` and Phoenix's part of `ca.json` are made from.

use super::model::{defaults, StepCa};
use super::raw::Scalar;
use super::reader::{At, Reader};

/// `step_ca` fields as read; defaults are filled in by `finish`.
#[derive(Debug, Default)]
pub struct Read {
    pub dns_name: Option<String>,
    pub ca_name: Option<String>,
    pub provisioner_name: Option<String>,
    pub default_tls_cert_duration: Option<String>,
    pub port: Option<u16>,
}

fn is_ca_label(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.trim() == s
}

/// A name step-ca puts into certificates and ca.json: printable, at most 64
/// characters (X.509's CN limit), no leading or trailing spaces.
pub fn ca_label(r: &mut Reader, at: &At, v: Scalar) -> Option<String> {
    r.token(
        at,
        v,
        is_ca_label,
        "1-64 printable characters without leading or trailing spaces",
    )
}

/// The longest duration Go's `time.Duration` holds (int64 nanoseconds),
/// in whole minutes: 2562047h47m. Past it `time.ParseDuration` fails and
/// step-ca does not start.
pub const GO_MAX_MINUTES: u64 = i64::MAX as u64 / 60_000_000_000;

/// `24h`, `90m`: what Go's time.ParseDuration reads, limited to whole hours
/// or minutes and to what a `time.Duration` holds.
pub fn duration_minutes(s: &str) -> Option<u64> {
    let (num, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: u64 = num
        .parse()
        .ok()
        .filter(|n| *n > 0 && !num.starts_with('0'))?;
    let minutes = match unit {
        "h" => n.checked_mul(60)?,
        "m" => n,
        _ => return None,
    };
    (minutes <= GO_MAX_MINUTES).then_some(minutes)
}

pub fn cert_duration(r: &mut Reader, at: &At, v: Scalar) -> Option<String> {
    r.token(
        at,
        v,
        |s| duration_minutes(s).is_some(),
        "a certificate lifetime in whole hours or minutes (\"24h\", \"90m\"), at most 2562047h (Go's time.Duration)",
    )
}

impl Read {
    pub fn finish(self, domain: &str) -> StepCa {
        StepCa {
            dns_name: self
                .dns_name
                .unwrap_or_else(|| format!("{}.{domain}", defaults::CA_LABEL)),
            ca_name: self
                .ca_name
                .unwrap_or_else(|| defaults::CA_NAME.to_string()),
            provisioner_name: self
                .provisioner_name
                .unwrap_or_else(|| format!("admin@{domain}")),
            default_tls_cert_duration: self
                .default_tls_cert_duration
                .unwrap_or_else(|| defaults::TLS_CERT_DURATION.to_string()),
            port: self.port.unwrap_or(defaults::CA_PORT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duration_minutes;

    #[test]
    fn durations() {
        assert_eq!(duration_minutes("24h"), Some(1440));
        assert_eq!(duration_minutes("90m"), Some(90));
        assert_eq!(duration_minutes("2562047h"), Some(2562047 * 60));
        assert_eq!(duration_minutes("153722867m"), Some(153722867));
        // One past what an int64 of nanoseconds holds: Go refuses it.
        for bad in [
            "",
            "h",
            "0h",
            "024h",
            "1d",
            "1.5h",
            "-1h",
            "24",
            "2562048h",
            "153722868m",
            "999999999999h",
        ] {
            assert_eq!(duration_minutes(bad), None, "{bad}");
        }
    }
}
