//! SHA-512 crypt(3) (`$6$<salt>$<hash>`), the form in which Proxmox hands a
//! cloud-init password to the guest: `qm set --cipassword` stores
//! `PVE::Tools::encrypt_pw` of it (qemu-server src/PVE/API2/Qemu.pm:2533), and
//! `cloudinit_userdata` (src/PVE/QemuServer/Cloudinit.pm:157-165) writes that into
//! user-data. Phoenix writes the same, so the clear value never reaches the
//! host or the config drive.

use sha_crypt::{sha512_crypt_b64, Sha512Params};
use std::io::Read;

/// The characters crypt(3) takes in a salt.
const SALT_CHARS: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// glibc's longest SHA-512 salt.
const SALT_LEN: usize = 16;

/// Whether `value` already is a crypt(3) hash, which Proxmox passes through
/// unchanged: the regex qemu-server applies before `encrypt_pw`
/// (`^\$(?:[156]|2[ay])(\$.+){2}`, src/PVE/API2/Qemu.pm:2533 update_vm).
pub fn is_crypt(value: &str) -> bool {
    let Some(rest) = value.strip_prefix('$') else {
        return false;
    };
    let Some(after_id) = ["1$", "5$", "6$", "2a$", "2y$"]
        .iter()
        .find_map(|id| rest.strip_prefix(id))
    else {
        return false;
    };
    // `(\$.+){2}` after the id's own `$`: a non-empty part, then `$` and one more.
    after_id
        .split_once('$')
        .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
}

/// `$6$<salt>$<hash>` of `password` with 5,000 rounds (glibc's default, so
/// the rounds are not written), `salt` as given.
pub fn sha512(password: &str, salt: &str) -> String {
    let params = Sha512Params::default();
    let hash = sha512_crypt_b64(password.as_bytes(), salt.as_bytes(), &params)
        .expect("5,000 rounds and a UTF-8 hash cannot fail");
    format!("$6${salt}${hash}")
}

/// A fresh salt from the kernel's random source.
pub fn new_salt() -> std::io::Result<String> {
    let mut bytes = [0u8; SALT_LEN];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    // 256 is a multiple of 64: every character is as likely.
    Ok(bytes
        .iter()
        .map(|b| char::from(SALT_CHARS[usize::from(b % 64)]))
        .collect())
}

/// Whether `hash` is a `$6$<salt>$…` hash (default rounds) of `password`:
/// then it is kept, so a converged file is not rewritten with a new salt.
pub fn sha512_matches(password: &str, hash: &str) -> bool {
    let Some(salt) = hash
        .strip_prefix("$6$")
        .and_then(|r| r.split_once('$'))
        .map(|(salt, _)| salt)
    else {
        return false;
    };
    !salt.starts_with("rounds=") && sha512(password, salt) == hash
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA-512 vectors of Ulrich Drepper's "Unix crypt using SHA-256
    /// and SHA-512" (the specification glibc implements), default rounds.
    #[test]
    fn glibc_vectors() {
        assert_eq!(
            sha512("Hello world!", "saltstring"),
            "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
        );
        assert_eq!(sha512("", "saltstring").len(), "$6$saltstring$".len() + 86);
    }

    /// `openssl passwd -6 -salt S PW` makes the same string, when openssl is
    /// installed (it is on every Proxmox node).
    #[test]
    fn openssl_agrees() {
        let Ok(out) = std::process::Command::new("openssl")
            .args(["passwd", "-6", "-salt", "phxSalt.123/xyz", "pa$$ word ü"])
            .output()
        else {
            panic!("openssl is not installed: the cross-check cannot run");
        };
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().trim_end(),
            sha512("pa$$ word ü", "phxSalt.123/xyz")
        );
    }

    #[test]
    fn crypt_forms_proxmox_passes_through() {
        for h in ["$6$s$h", "$5$s$h", "$1$s$h", "$2y$10$h", "$2a$s$h"] {
            assert!(is_crypt(h), "{h}");
        }
        for p in ["secret", "$6$", "$6$s", "$6$$h", "$7$s$h", "6$s$h"] {
            assert!(!is_crypt(p), "{p}");
        }
    }

    #[test]
    fn salts_are_fresh_and_hashes_verify() {
        let (a, b) = (new_salt().unwrap(), new_salt().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), SALT_LEN);
        assert!(a.bytes().all(|c| SALT_CHARS.contains(&c)));
        let h = sha512("pw", &a);
        assert!(sha512_matches("pw", &h));
        assert!(!sha512_matches("pw2", &h));
        assert!(!sha512_matches("pw", "$6$rounds=5000$x$y"));
        assert!(!sha512_matches("pw", "pw"));
    }
}
