//! `python_api_service`: the Python toolchain an API service is built on,
//! as the original installs it
//! (bin/lxc_setup/phoenix_hypervisor_feature_install_python_api_service.sh):
//! python3, pip and the venv module from the distribution. Only packages:
//! the service itself is the application script's (the original's feature
//! made no unit either).
//!
//! Defects of the original avoided: its guard looked for the `python3` and
//! `pip3` commands only, so a container without `python3-venv` was never
//! completed; here the guard is every package installed (dpkg's status),
//! and the apt index is refreshed with the other features' packages, only
//! while one is missing (the original ran `apt-get update` every time the
//! guard failed, on its own).

/// The original's packages, in its order.
pub const PACKAGES: [&str; 3] = ["python3", "python3-pip", "python3-venv"];
