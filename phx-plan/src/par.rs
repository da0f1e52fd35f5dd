//! The one place that decides whether Phoenix works on a second thread.
//! Every site that runs two pieces of work side by side goes through here,
//! so `PHX_THREADS=1` keeps a whole run on the calling thread: no thread is
//! spawned, the plan writer's included. Plans are the same bytes either way;
//! only the time differs (docs/tools.md, Environment).
//!
//! Phoenix needs two threads at most sites: each pairs two parts of one job
//! that took about as long (docs/benchmarks.md), so any count above one
//! means "side by side". One site spreads several whole jobs (phoenix-cli
//! planning every subsystem of a run, [`spread`]): it takes the count.

use std::sync::OnceLock;

/// The environment variable read, once, at the first site.
pub const ENV: &str = "PHX_THREADS";

/// Whether work may go to a second thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Threads {
    /// Everything on the calling thread, one part after the other.
    Serial,
    /// The second part of each site on a thread of its own.
    Parallel,
}

impl Threads {
    /// The choice for `PHX_THREADS` = `value` on a machine of `available`
    /// cores; `Err` names what was expected of a value that is not a count.
    pub fn choose(value: Option<&str>, available: usize) -> Result<Threads, String> {
        let count = match value.map(str::trim) {
            None | Some("") => available,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(format!(
                        "{ENV}={v:?}: expected a whole number of threads, at least 1 (1 = serial)"
                    ))
                }
            },
        };
        Ok(if count > 1 {
            Threads::Parallel
        } else {
            Threads::Serial
        })
    }

    /// Runs `a` and `b`, `b` on a thread of its own when parallel, and gives
    /// back both results. A panic in either goes on in the caller.
    pub fn join<A, B, RA, RB>(self, a: A, b: B) -> (RA, RB)
    where
        A: FnOnce() -> RA,
        B: FnOnce() -> RB + Send,
        RB: Send,
    {
        match self {
            Threads::Serial => {
                let ra = a();
                (ra, b())
            }
            Threads::Parallel => std::thread::scope(|s| {
                let beside = s.spawn(b);
                let ra = a();
                let rb = beside
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (ra, rb)
            }),
        }
    }

    /// `consume` given `make(item)` of each of `items`, in order. When
    /// parallel the values are made ahead on a thread of their own, in
    /// batches of `batch` (one message per value would wake the consumer for
    /// each), at most `ahead` batches in flight.
    pub fn ahead<'s, I, T, R>(
        self,
        items: &'s [I],
        (batch, ahead): (usize, usize),
        make: impl Fn(&I) -> T + Sync + 's,
        consume: impl FnOnce(Box<dyn Iterator<Item = T> + 's>) -> R,
    ) -> R
    where
        I: Sync,
        T: Send + 's,
    {
        match self {
            Threads::Serial => consume(Box::new(items.iter().map(make))),
            Threads::Parallel => std::thread::scope(|s| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<T>>(ahead);
                let make = &make;
                s.spawn(move || {
                    for chunk in items.chunks(batch.max(1)) {
                        // The consumer stopped (it panicked): nothing is waited for.
                        if tx.send(chunk.iter().map(make).collect()).is_err() {
                            return;
                        }
                    }
                });
                consume(Box::new(rx.into_iter().flatten()))
            }),
        }
    }
}

/// The process's choice, made at the first call: `PHX_THREADS`, else the
/// machine's available parallelism. A value that is not a count is warned
/// about on stderr once, and the machine's choice stands.
pub fn threads() -> Threads {
    count().0
}

/// The choice and the count it came from.
fn count() -> (Threads, usize) {
    static CHOSEN: OnceLock<(Threads, usize)> = OnceLock::new();
    *CHOSEN.get_or_init(|| {
        let available = std::thread::available_parallelism().map_or(1, |n| n.get());
        let value = std::env::var(ENV).ok();
        match Threads::choose(value.as_deref(), available) {
            Ok(t) => (
                t,
                value
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(available),
            ),
            Err(e) => {
                eprintln!("phoenix: warning: {e}; using {available}");
                let t = Threads::choose(None, available).expect("no value is always a choice");
                (t, available)
            }
        }
    })
}

/// `work` of each of `items`, the results in the items' order: on as many
/// threads as the process's count (each takes the next item left), the
/// calling thread one of them; serial, one after the other on it.
pub fn spread<T: Send, R: Send>(items: Vec<T>, work: impl Fn(T) -> R + Sync) -> Vec<R> {
    spread_on(count().1, items, work)
}

fn spread_on<T: Send, R: Send>(
    threads: usize,
    items: Vec<T>,
    work: impl Fn(T) -> R + Sync,
) -> Vec<R> {
    let n = items.len();
    if threads <= 1 || n <= 1 {
        return items.into_iter().map(work).collect();
    }
    let next = std::sync::Mutex::new(items.into_iter().enumerate());
    let take = || next.lock().unwrap_or_else(|p| p.into_inner()).next();
    let run = || {
        let mut done = Vec::new();
        while let Some((i, item)) = take() {
            done.push((i, work(item)));
        }
        done
    };
    let mut all: Vec<(usize, R)> = std::thread::scope(|s| {
        let others: Vec<_> = (1..threads.min(n)).map(|_| s.spawn(run)).collect();
        let mut all = run();
        for o in others {
            all.extend(
                o.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        all
    });
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// [`Threads::join`] as the process chose.
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    threads().join(a, b)
}

#[cfg(test)]
mod tests {
    use super::spread_on;
    use super::Threads::{self, Parallel, Serial};

    #[test]
    fn spread_keeps_the_order_and_uses_the_threads_it_is_given() {
        let ids = |threads| {
            let items: Vec<u32> = (0..40).collect();
            spread_on(threads, items, |i| {
                // Long enough for every thread to take items.
                std::thread::sleep(std::time::Duration::from_millis(2));
                (i * 3, current().id())
            })
        };
        for threads in [1, 2, 3] {
            let done = ids(threads);
            let values: Vec<u32> = done.iter().map(|(v, _)| *v).collect();
            assert_eq!(values, (0..40).map(|i| i * 3).collect::<Vec<_>>());
            let used: std::collections::HashSet<ThreadId> = done.iter().map(|(_, t)| *t).collect();
            assert_eq!(used.len(), threads, "{threads} thread(s)");
            assert!(used.contains(&current().id()), "the caller is one of them");
        }
    }
    use std::thread::{current, ThreadId};

    #[test]
    fn the_count_decides() {
        assert_eq!(Threads::choose(Some("1"), 8), Ok(Serial));
        assert_eq!(Threads::choose(Some("2"), 1), Ok(Parallel));
        assert_eq!(Threads::choose(None, 1), Ok(Serial));
        assert_eq!(Threads::choose(None, 2), Ok(Parallel));
        assert_eq!(Threads::choose(Some(""), 4), Ok(Parallel));
        for bad in ["0", "two", "-1", "1.5"] {
            let e = Threads::choose(Some(bad), 4).unwrap_err();
            assert!(e.contains("PHX_THREADS") && e.contains(bad), "{e}");
        }
    }

    fn ids(t: Threads) -> (ThreadId, ThreadId) {
        t.join(|| current().id(), || current().id())
    }

    #[test]
    fn serial_stays_on_the_calling_thread() {
        let (a, b) = ids(Serial);
        assert_eq!((a, b), (current().id(), current().id()));
        let seen = Serial.ahead(
            &[1, 2, 3],
            (2, 1),
            |_| current().id(),
            |it| it.collect::<Vec<_>>(),
        );
        assert!(seen.iter().all(|id| *id == current().id()));
    }

    #[test]
    fn parallel_runs_the_second_part_beside() {
        let (a, b) = ids(Parallel);
        assert_eq!(a, current().id());
        assert_ne!(b, current().id());
        let seen = Parallel.ahead(
            &[1, 2, 3],
            (2, 1),
            |_| current().id(),
            |it| it.collect::<Vec<_>>(),
        );
        assert!(seen.iter().all(|id| *id != current().id()));
    }

    #[test]
    fn both_give_the_same_values_in_order() {
        let items: Vec<u32> = (0..1000).collect();
        let made = |t: Threads| t.ahead(&items, (64, 4), |i| i * 3, |it| it.collect::<Vec<_>>());
        assert_eq!(made(Serial), made(Parallel));
        assert_eq!(
            made(Serial),
            items.iter().map(|i| i * 3).collect::<Vec<_>>()
        );
        assert_eq!(Serial.join(|| 1, || 2), Parallel.join(|| 1, || 2));
    }
}
