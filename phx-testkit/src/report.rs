//! What an executor run did, as the tests check it.

use phx_apply::{Report, Status};

/// The ids of the steps the run changed, in plan order.
pub fn changed(report: &Report) -> Vec<&str> {
    report
        .outcomes
        .iter()
        .filter(|o| o.status == Status::Changed)
        .map(|o| o.id.as_str())
        .collect()
}
