//! Is a Debian package installed? The rule is shared with the other host
//! tools' install guards (phx_common::pkg): `dpkg-query -W` succeeds for a
//! package that was removed but left its config files behind, so the guard
//! (`phx-dns pkg-installed dnsmasq`) reads the status word itself.

pub use phx_common::pkg::{installed, status_is_installed};
