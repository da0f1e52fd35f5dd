//! phx-gpu's integration tests: the plan through the real executor against
//! the TEST DOUBLES of lspci, nvidia-smi, the runfile, update-initramfs,
//! apt-get, dpkg-query, systemctl and reboot; the unit through the real
//! systemd-analyze; the binary and phoenix-cli on fixtures.

mod apply;
mod cli;
mod common;
mod unit;
