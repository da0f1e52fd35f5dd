use clap::Parser;
use phx_common::cli::EXIT_INVALID;
use phx_schema::File;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Print the JSON Schema of a Phoenix configuration file, or write all three.
/// Point an editor at them to check the files as you type (see the README).
#[derive(Parser)]
#[command(
    name = "phx-schema",
    version,
    after_help = "Examples:
  phx-schema lxc > phoenix_lxc_configs.schema.json
  phx-schema --out /usr/share/phoenix/schemas

Exit status: 0 ok, 1 runtime error, 2 usage."
)]
struct Args {
    /// Which file: hypervisor, lxc or vm (or the configuration file's name).
    #[arg(value_name = "FILE", required_unless_present = "out")]
    file: Option<String>,
    /// Write the three schemas into DIR (created if needed) as
    /// phoenix_hypervisor_config.schema.json, phoenix_lxc_configs.schema.json
    /// and phoenix_vm_configs.schema.json.
    #[arg(long, value_name = "DIR", conflicts_with = "file")]
    out: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Some(dir) = args.out {
        let written = std::fs::create_dir_all(&dir).and_then(|()| {
            File::ALL
                .into_iter()
                .try_for_each(|f| std::fs::write(dir.join(f.schema_name()), phx_schema::text(f)))
        });
        return match written {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("phx-schema: {}: {e}", dir.display());
                ExitCode::from(1)
            }
        };
    }
    let name = args.file.unwrap_or_default();
    let Some(file) = File::parse(&name) else {
        eprintln!("phx-schema: {name:?}: expected hypervisor, lxc or vm");
        return ExitCode::from(EXIT_INVALID);
    };
    match std::io::stdout()
        .lock()
        .write_all(phx_schema::text(file).as_bytes())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("phx-schema: {e}");
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}
