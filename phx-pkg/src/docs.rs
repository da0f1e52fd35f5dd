//! Man pages and completions, laid out as they go under /usr/share:
//! `man/man1/NAME.1` (and `NAME-SUBCOMMAND.1`), and the directories
//! bash-completion, zsh and fish read vendor completions from.

use clap_complete::Shell;
use std::io;
use std::path::{Path, PathBuf};

/// Where each shell looks for a program's completion, under /usr/share,
/// and the file name it expects for program NAME.
pub fn completion_path(shell: Shell, name: &str) -> PathBuf {
    match shell {
        Shell::Bash => PathBuf::from("bash-completion/completions").join(name),
        Shell::Zsh => PathBuf::from("zsh/vendor-completions").join(format!("_{name}")),
        Shell::Fish => PathBuf::from("fish/vendor_completions.d").join(format!("{name}.fish")),
        other => PathBuf::from(other.to_string()).join(name),
    }
}

/// The shells the package ships completions for.
pub const SHELLS: [Shell; 3] = [Shell::Bash, Shell::Zsh, Shell::Fish];

/// Writes every man page and completion of `cmd` under `share` (the
/// package's /usr/share); returns the files written, relative to `share`.
pub fn write_all(cmd: &clap::Command, share: &Path) -> io::Result<Vec<PathBuf>> {
    let name = cmd.get_name().to_string();
    let mut written = Vec::new();

    let man = share.join("man/man1");
    std::fs::create_dir_all(&man)?;
    let mut page_cmd = cmd.clone().disable_help_subcommand(true);
    page_cmd.build();
    write_pages(&page_cmd, &man, &mut written)?;

    let complete_cmd = crate::complete::with_passed_programs(cmd);
    for shell in SHELLS {
        let rel = completion_path(shell, &name);
        let path = share.join(&rel);
        std::fs::create_dir_all(path.parent().expect("a completion has a directory"))?;
        std::fs::write(&path, crate::complete::script(shell, &complete_cmd))?;
        written.push(rel);
    }
    Ok(written)
}

/// One page per command and subcommand (`phx-fw-simulate.1`), as
/// clap_mangen lays them out; the help's closing text (examples, exit
/// status) goes under EXAMPLES, not clap_mangen's generic "EXTRA".
fn write_pages(cmd: &clap::Command, man: &Path, written: &mut Vec<PathBuf>) -> io::Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, man, written)?;
    }
    let page = clap_mangen::Man::new(cmd.clone());
    let mut roff = Vec::new();
    page.render(&mut roff)?;
    let mut roff = examples_section(&String::from_utf8_lossy(&roff));
    roff.push_str(&crate::manual::section1_tail(cmd.get_name()));
    let name = page.get_filename();
    std::fs::write(man.join(&name), roff)?;
    written.push(PathBuf::from("man/man1").join(name));
    Ok(())
}

/// clap_mangen puts the help's closing text under "EXTRA", filled as prose;
/// ours is examples and the exit status, which read as written: titled
/// EXAMPLES, set without filling (`.nf`/`.fi`) so each example keeps its line.
fn examples_section(roff: &str) -> String {
    let Some(start) = roff.find("\n.SH EXTRA\n") else {
        return roff.to_string();
    };
    let body_at = start + "\n.SH EXTRA\n".len();
    let end = roff[body_at..]
        .find("\n.SH ")
        .map_or(roff.len(), |i| body_at + i);
    let body = roff[body_at..end].trim_end();
    let body = body.strip_prefix("Examples:\n").unwrap_or(body);
    format!(
        "{}\n.SH EXAMPLES\n.nf\n{body}\n.fi{}",
        &roff[..start],
        &roff[end..]
    )
}
