//! phx-plan: the contract between Phoenix's planners and its executor — the
//! steps, how a plan is written and read back (each tool's segment closed
//! by its trailer), the pure text edits and secret references both sides
//! agree on, and the few file and digest helpers phx-apply needs. It knows
//! nothing of the configuration files: phx-apply links this, not the loader.

pub mod armed;
pub mod crypt;
pub mod download;
pub mod edit;
pub mod exit;
pub mod fsutil;
mod guest;
mod guest_step;
pub mod guest_steps;
pub mod par;
mod plan;
mod read;
pub mod safe_text;
pub mod secret_ref;
pub mod sha256;
mod step;
mod trailer;
pub mod utc;
mod writer;

pub use download::{Checksum, DownloadStep};
pub use guest::Guest;
pub use guest_step::{
    FromGuestStep, GuestCommandStep, GuestFileStep, GuestHandlerStep, GuestJsonStep,
    GuestSecretStep, JsonSet, JsonUpsert,
};
pub use plan::{Plan, StepSink};
pub use read::{read_jsonl, MAX_STREAM_BYTES};
pub use step::{
    argv, AbsentStep, Action, BlockStep, CommandStep, ConfLock, FileStep, GuestKind, HandlerStep,
    LinesStep, SecretRef, SecretStep, StartRank, Step, LONG_STEP_S, VERSION,
};
pub use trailer::{Trailer, TrailerKind};
pub use writer::PlanWriter;
