//! Reading plans back: one or more tools' segments, each checked against
//! its trailer.

use crate::step::{Step, VERSION};
use crate::trailer::Trailer;
use std::io::BufRead;

/// The most one plan stream may hold. The largest plan of the 100,000-guest
/// bench (phx-features') is about 120 MB (it was 64 MiB until
/// `scripts/bench --whole-run` ran that estate); past this bound the input
/// is not a plan.
pub const MAX_STREAM_BYTES: u64 = 256 << 20;

const INCOMPLETE: &str = "the plan is incomplete: its planner failed or the stream was cut";

/// Reads a plan stream: one or more tools' segments, each closed by its
/// trailer. A bad line is an error naming its line number; a stream without a
/// trailer, with steps after the last one, or with a count that does not
/// match, is refused whole.
pub fn read_jsonl(input: impl BufRead) -> anyhow::Result<Vec<Step>> {
    let mut input = input.take(MAX_STREAM_BYTES + 1);
    let mut steps = Vec::new();
    let mut segment = 0usize;
    let mut trailers = 0usize;
    let mut line = String::new();
    let mut n = 0usize;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            break;
        }
        n += 1;
        if input.limit() == 0 {
            anyhow::bail!(
                "the plan stream is larger than {} MiB; refused",
                MAX_STREAM_BYTES >> 20
            );
        }
        if line.trim().is_empty() {
            continue;
        }
        let step: Step = match serde_json::from_str(&line) {
            Ok(s) => s,
            Err(e) => match serde_json::from_str::<Trailer>(&line) {
                Ok(t) => {
                    if t.steps != segment {
                        anyhow::bail!(
                            "{INCOMPLETE}: line {n}: {}'s trailer counts {} steps, the stream holds {segment} before it",
                            t.tool, t.steps
                        );
                    }
                    trailers += 1;
                    segment = 0;
                    continue;
                }
                Err(_) => anyhow::bail!("plan line {n}: {e}"),
            },
        };
        if step.v != VERSION {
            anyhow::bail!("plan line {n}: step {:?} has plan version {}, this phx-apply reads version {VERSION}", step.id, step.v);
        }
        segment += 1;
        steps.push(step);
    }
    if trailers == 0 {
        anyhow::bail!("{INCOMPLETE}: no trailer line (a tool's plan ends with {{\"kind\":\"end\",\"steps\":N}})");
    }
    if segment > 0 {
        anyhow::bail!("{INCOMPLETE}: {segment} step(s) after the last trailer");
    }
    let mut ids = std::collections::HashSet::new();
    for s in &steps {
        if !ids.insert(s.id.as_str()) {
            anyhow::bail!("plan: step id {:?} appears twice; ids must be unique", s.id);
        }
    }
    Ok(steps)
}
