//! How fast events become journal records: 1,000,000 events (mostly output
//! lines, as in a chatty session, with the other kinds mixed in) written as
//! JSON Lines the way the journal and the `.jsonl` export write them, and
//! read back.
//!
//! `cargo bench --bench event_json` (release build). Prints the best of
//! PROCTOR_BENCH_RUNS (default 5) runs of each. The persistent-pool row of
//! `pool_speed` is bound by this serialisation.

use proctor::event::{Event, EventKind, PoolTotals, Usage};
use proctor::journal::export::{write_event, Format};
use std::time::{Duration, Instant};

const EVENTS: usize = 1_000_000;

fn sample(i: usize) -> Event {
    let kind = match i % 10 {
        0 => EventKind::Exited {
            exit_code: 0,
            runtime: 0.25,
            restart_in: None,
            usage: Some(Usage {
                peak_rss_kb: Some(2048),
                user_cpu: 0.01,
                sys_cpu: 0.02,
            }),
            stopped: false,
        },
        1 => EventKind::TaskDone {
            exit_code: 0,
            result: format!("{}", i * i),
            duration: 0.125,
            result_bytes: None,
        },
        2 => EventKind::TaskStarted {
            input_text: i.to_string(),
        },
        3 if i % 1000 == 3 => EventKind::PoolDone {
            totals: PoolTotals {
                inputs: 10,
                done: 9,
                failed: 1,
                cancelled: 0,
                wall: 1.0,
                busy: 1.5,
            },
        },
        _ => EventKind::Stdout {
            line: format!("line {i} of some output, with \"quotes\""),
            bytes: None,
        },
    };
    let mut e = Event::now(kind)
        .process("pool/worker-1", Some(4242))
        .pool("pool", Some(i as u64));
    e.seq = i as u64 + 1;
    e
}

fn best(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    (0..runs).map(|_| f()).min().unwrap_or_default()
}

fn main() {
    let runs = std::env::var("PROCTOR_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let events: Vec<Event> = (0..EVENTS).map(sample).collect();
    let mut out = Vec::with_capacity(256 << 20);
    let write = best(runs, || {
        out.clear();
        let t = Instant::now();
        for e in &events {
            write_event(&mut out, Format::JsonLines, e).unwrap();
        }
        t.elapsed()
    });
    let bytes = out.len();
    let text = String::from_utf8(out).unwrap();
    let read = best(runs, || {
        let t = Instant::now();
        let mut n = 0;
        for l in text.lines() {
            proctor::event::parse_json_line(l).unwrap();
            n += 1;
        }
        assert_eq!(n, EVENTS);
        t.elapsed()
    });
    let rate = |d: Duration| EVENTS as f64 / d.as_secs_f64() / 1e6;
    println!("| what | best of {runs} | M events/s |");
    println!("|---|---:|---:|");
    println!(
        "| serialise {EVENTS} events to JSON Lines ({:.0} B/event) | {:.3} s | {:.2} |",
        bytes as f64 / EVENTS as f64,
        write.as_secs_f64(),
        rate(write)
    );
    println!(
        "| parse them back | {:.3} s | {:.2} |",
        read.as_secs_f64(),
        rate(read)
    );
}
