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
    let before = listing(&man)?;
    clap_mangen::generate_to(cmd.clone(), &man)?;
    for f in listing(&man)?.into_iter().filter(|f| !before.contains(f)) {
        written.push(PathBuf::from("man/man1").join(f));
    }

    for shell in SHELLS {
        let rel = completion_path(shell, &name);
        let path = share.join(&rel);
        std::fs::create_dir_all(path.parent().expect("a completion has a directory"))?;
        let mut out = std::fs::File::create(&path)?;
        clap_complete::generate(shell, &mut cmd.clone(), &name, &mut out);
        written.push(rel);
    }
    Ok(written)
}

fn listing(dir: &Path) -> io::Result<Vec<std::ffi::OsString>> {
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    names.sort();
    Ok(names)
}
