//! Where the programs phoenix-cli runs are: $PHX_BIN_DIR, else beside
//! phoenix-cli itself when phx-apply is there too (/usr/bin from the
//! package, target/<profile> in a checkout), else PATH.

use std::path::PathBuf;
use std::process::Command;

pub struct Bins {
    dir: Option<PathBuf>,
}

impl Bins {
    pub fn find() -> Bins {
        if let Some(dir) = std::env::var_os("PHX_BIN_DIR").filter(|d| !d.is_empty()) {
            return Bins {
                dir: Some(dir.into()),
            };
        }
        let beside = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .filter(|dir| dir.join("phx-apply").is_file());
        Bins { dir: beside }
    }

    pub fn command(&self, binary: &str) -> Command {
        match &self.dir {
            Some(dir) => Command::new(dir.join(binary)),
            None => Command::new(binary),
        }
    }

    /// Where `binary` is, as [`Self::command`] would run it, by the path the
    /// program would find for itself (`/proc/self/exe`: links resolved).
    pub fn path(&self, binary: &str) -> Option<PathBuf> {
        let found = match &self.dir {
            Some(dir) => Some(dir.join(binary)),
            None => std::env::var_os("PATH").and_then(|path| {
                std::env::split_paths(&path)
                    .map(|d| d.join(binary))
                    .find(|p| p.is_file())
            }),
        };
        std::fs::canonicalize(found?).ok()
    }
}
