//! STUB until the lead's model lands (model27.md): dropped at the merge.
pub const RUNFILE_DIR: &str = "/var/lib/phoenix/nvidia";
pub fn runfile_path(url: &str) -> String {
    let name = url.split(['?', '#']).next().unwrap_or(url);
    format!("{RUNFILE_DIR}/{}", name.rsplit('/').next().unwrap_or(name))
}
