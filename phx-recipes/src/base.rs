//! `base_setup`: the original's essential packages
//! (bin/lxc_setup/phoenix_hypervisor_feature_install_base_setup.sh) and the
//! en_US.UTF-8 locale, generated and made the default. The original also
//! set LC_ALL there; Debian's locale(7) advice is to leave LC_ALL unset in
//! /etc/default/locale, and LANG alone gives every category.

use phx_plan::argv;
use phx_plan::guest_steps as guest;
use phx_plan::{Guest, StepSink};

/// The original's `essential_packages`, in its order.
pub const PACKAGES: [&str; 10] = [
    "curl", "wget", "vim", "htop", "jq", "git", "rsync", "s-tui", "gnupg", "locales",
];

pub const LOCALE: &str = "en_US.UTF-8";
pub const LOCALE_GEN: &str = "/etc/locale.gen";
pub const DEFAULT_LOCALE: &str = "/etc/default/locale";

/// What /etc/default/locale holds (what `update-locale LANG=en_US.UTF-8` writes).
pub fn default_locale() -> String {
    format!("LANG={LOCALE}\n")
}

/// The locale enabled in /etc/locale.gen and generated. Debian's locale-gen
/// takes no locale argument: it builds what /etc/locale.gen lists, so the
/// line is uncommented (or added) first, as the original's sed did. A fixed
/// script; the guard passes once the line is there and `locale -a` lists it.
pub fn locale(plan: &mut impl StepSink, prefix: &str, ct: Guest) {
    let line = format!("{LOCALE} UTF-8");
    let mut gen = argv(&[
        "sh",
        "-c",
        r#"{ [ ! -e "$2" ] || sed -i "s/^# *$1\$/$1/" "$2"; } && { grep -qxF "$1" "$2" 2>/dev/null || printf '%s\n' "$1" >> "$2"; } && locale-gen"#,
        "phx-locale-gen",
    ]);
    gen.extend([line.clone(), LOCALE_GEN.to_string()]);
    let mut done = argv(&[
        "sh",
        "-c",
        r#"grep -qxF "$1" "$2" && locale -a | grep -qix "$3""#,
        "phx-locale-present",
    ]);
    // `locale -a` spells it en_US.utf8; some systems en_US.UTF-8.
    done.extend([line, LOCALE_GEN.to_string(), "en_US\\.utf-\\?8".to_string()]);
    guest::command(
        plan,
        &format!("{prefix}-locale-gen"),
        ct,
        gen,
        Some(done),
        &format!("generate the {LOCALE} locale"),
    );
    guest::file(
        plan,
        &format!("{prefix}-locale-default"),
        ct,
        DEFAULT_LOCALE,
        default_locale(),
        &[],
    );
}
