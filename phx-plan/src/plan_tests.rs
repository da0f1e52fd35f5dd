//! A streaming plan against a kept one.

use super::*;
use crate::par::Threads::{Parallel, Serial};
use crate::{argv, read_jsonl, Action, CommandStep, FileStep, PlanWriter};
use std::sync::{Arc, Mutex};

/// A writer the test can read back after the plan (its writer thread) took it.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn fill(p: &mut impl StepSink) {
    p.push(
        "a",
        Action::Command(CommandStep {
            argv: argv(&["pct", "start", "101"]),
            desc: "start".into(),
            ..Default::default()
        }),
    );
    p.push(
        "b",
        Action::File(FileStep {
            path: "/etc/x".into(),
            content: "line\n\"quoted\"\n".into(),
            mode: Some("0644".into()),
            ..Default::default()
        }),
    );
}

#[test]
fn a_streaming_plan_writes_what_a_kept_one_writes_and_keeps_nothing() {
    let mut kept = Plan::new("phx-lxc");
    fill(&mut kept);
    let mut want = Vec::new();
    kept.write_jsonl(&mut want).unwrap();

    let out = Shared::default();
    let mut streaming = PlanWriter::new("phx-lxc", Box::new(out.clone()));
    fill(&mut streaming);
    assert_eq!(streaming.len(), 2);
    streaming.finish().unwrap();
    assert_eq!(out.text(), String::from_utf8(want.clone()).unwrap());
    let back = read_jsonl(want.as_slice()).unwrap();
    assert_eq!(back, kept.steps);
}

/// Steps numbered 0..n, so a lost or reordered one shows.
fn numbered(p: &mut impl StepSink, n: usize) {
    for i in 0..n {
        p.push(
            format!("s{i}"),
            Action::Command(CommandStep {
                argv: argv(&["pct", "start", &i.to_string()]),
                desc: "start".into(),
                ..Default::default()
            }),
        );
    }
}

#[test]
fn steps_of_many_batches_and_a_partial_one_arrive_whole_and_in_order() {
    // The writer takes steps in batches: a full one, several, and what is
    // left over at the end (or at a drop) must all be written, in order.
    // Serial, each is written as it comes: the same lines.
    for (n, threads) in [1, 127, 128, 129, 1000, 2049]
        .into_iter()
        .flat_map(|n| [(n, Serial), (n, Parallel)])
    {
        let mut kept = Plan::new("phx-lxc");
        numbered(&mut kept, n);
        let mut want = Vec::new();
        kept.write_jsonl(&mut want).unwrap();
        let want = String::from_utf8(want).unwrap();

        let out = Shared::default();
        let mut ended = PlanWriter::with_threads("phx-lxc", Box::new(out.clone()), threads);
        numbered(&mut ended, n);
        assert_eq!(ended.len(), n);
        ended.finish().unwrap();
        assert_eq!(out.text(), want, "{n} steps, {threads:?}, ended");

        let mut dropped = PlanWriter::with_threads("phx-lxc", Box::new(out.clone()), threads);
        numbered(&mut dropped, n);
        drop(dropped);
        let steps: String = want.lines().take(n).map(|l| format!("{l}\n")).collect();
        assert_eq!(
            out.text(),
            steps,
            "{n} steps, {threads:?}, dropped: every step, no trailer"
        );
    }
}

#[test]
fn a_long_plan_written_by_two_threads_is_its_steps_in_order() {
    // Plans of SPLIT_AT steps or more are written in two halves of about
    // equal text; a large file step first (phx-fw's cluster.fw) moves the
    // split.
    // (steps after the first file, its size, where the plan splits). A
    // command step weighs 200, the small file 17 bytes: half the text is
    // reached at the 256th and 1,500th command; a 700 KB file before 3,000
    // commands (600 KB) is more than half alone, as phx-fw's cluster.fw is.
    for (n, big, split) in [
        (SPLIT_AT - 2, 0, SPLIT_AT - 1),
        (SPLIT_AT - 1, 0, 257),
        (3000, 0, 1501),
        (3000, 700_000, 1),
    ] {
        let mut p = Plan::new("phx-fw");
        p.push(
            "cluster",
            Action::File(FileStep {
                path: "/etc/pve/firewall/cluster.fw".into(),
                content: "IN ACCEPT -p tcp\n".repeat(big / 17 + 1),
                ..Default::default()
            }),
        );
        numbered(&mut p, n);
        assert_eq!(p.halfway(), split, "{n} steps, a first file of {big} bytes");
        let mut want = Vec::new();
        for step in &p.steps {
            write_line(&mut want, step).unwrap();
        }
        write_line(&mut want, &Trailer::new("phx-fw", n + 1)).unwrap();
        for threads in [Serial, Parallel] {
            let mut got = Vec::new();
            p.write_jsonl_with(&mut got, threads).unwrap();
            assert!(
                got == want,
                "{n} steps, a first file of {big} bytes, {threads:?}"
            );
        }
    }
}

/// Fails every write, as a closed or full output does.
struct Broken(std::io::ErrorKind);

impl Write for Broken {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(self.0.into())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_write_error_is_reported_at_the_end_but_a_closed_reader_is_not_one() {
    for threads in [Serial, Parallel] {
        let broken = |kind| Box::new(Broken(kind));
        let full = broken(std::io::ErrorKind::StorageFull);
        let mut p = PlanWriter::with_threads("phx-vm", full, threads);
        fill(&mut p);
        assert_eq!(p.len(), 2);
        let e = p.finish().unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::StorageFull, "{threads:?}");
        let closed = broken(std::io::ErrorKind::BrokenPipe);
        let mut p = PlanWriter::with_threads("phx-vm", closed, threads);
        fill(&mut p);
        p.finish().unwrap();
    }
}

#[test]
fn a_streaming_plan_dropped_without_its_end_has_no_trailer() {
    let out = Shared::default();
    let mut p = PlanWriter::new("phx-lxc", Box::new(out.clone()));
    fill(&mut p);
    drop(p);
    let text = out.text();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(read_jsonl(text.as_bytes()).is_err(), "no trailer: refused");
}

#[test]
fn a_dead_output_never_holds_the_planner_back() {
    // More steps than the writer takes in flight: after its first error the
    // writer still takes every step, so pushing never blocks.
    let mut p = PlanWriter::new("phx-lxc", Box::new(Broken(std::io::ErrorKind::StorageFull)));
    for _ in 0..3000 {
        fill(&mut p);
    }
    assert_eq!(p.len(), 6000);
    let e = p.finish().unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::StorageFull);
}

/// Panics on the first write: a bug in the writer's output.
struct Panics;

impl Write for Panics {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        panic!("the output panicked");
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
#[should_panic(expected = "the output panicked")]
fn a_panic_writing_the_plan_reaches_finish() {
    let mut p = PlanWriter::new("phx-lxc", Box::new(Panics));
    fill(&mut p);
    let _ = p.finish();
}
