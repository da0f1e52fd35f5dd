use clap::Parser;
use phx_common::cli::{finish, Failure};
use phx_plan::exit::EXIT_OK;
use phx_schema::cli::Args;
use phx_schema::File;
use std::io::Write;
use std::process::ExitCode;

// This program's allocator, chosen here and not in a library (why mimalloc:
// the workspace Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    finish("phx-schema", run(Args::parse()))
}

fn run(args: Args) -> Result<u8, Failure> {
    if let Some(dir) = args.out {
        std::fs::create_dir_all(&dir)
            .and_then(|()| {
                File::ALL.into_iter().try_for_each(|f| {
                    std::fs::write(dir.join(f.schema_name()), phx_schema::text(f))
                })
            })
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        return Ok(EXIT_OK);
    }
    // No file: what phoenix-cli schema / phx-schema can print, not clap's
    // "<FILE> required" (a question answered, so exit 0).
    let text = match args.file {
        None => phx_schema::listing(),
        Some(name) => {
            let file = File::parse(&name).ok_or_else(|| {
                Failure::Usage(format!("{name:?}: expected hypervisor, lxc or vm"))
            })?;
            phx_schema::text(file)
        }
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(EXIT_OK),
    }
}
