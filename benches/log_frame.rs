//! The UI thread's time per frame of the real app (egui_kittest, no GPU)
//! with 1,000 processes and 1,000,000 lines in the event log: idle, while
//! a search is typed (a key a frame, then until the matches are all in),
//! and while 100,000 lines a second stream in (the lines of a 60 Hz frame
//! are folded in before it, as the app does at the start of a frame, and
//! that is counted in the frame). Also the process's resident memory once
//! loaded.
//!
//! `cargo bench --bench log_frame` (a release build). Each frame's figure
//! is the UI thread's CPU time (CLOCK_THREAD_CPUTIME_ID, so a busy machine
//! does not inflate it); p50 and p99 of the frames of each phase.

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use proctor::event::{Event, EventKind};
use proctor::gui::{AppDirs, ProctorApp};
use proctor::session::{RunSpec, Session, TaskSpec};

const PROCESSES: u32 = 1000;
const LINES: usize = 1_000_000;
/// Lines an output event carries (lines read together are one event).
const BATCH: usize = 10;

struct State {
    app: Option<ProctorApp>,
    session: Option<Session>,
    dirs: AppDirs,
}

fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn name(i: u32) -> String {
    format!("task-{i}")
}

/// `n` lines of output of process `i`, read together.
fn output(i: u32, from: usize, n: usize) -> Event {
    let text: Vec<String> = (from..from + n)
        .map(|k| format!("{k} request served in {} ms", k % 97))
        .collect();
    Event::now(EventKind::stdout(text.join("\n"))).process(&name(i), Some(4_000_000 + i))
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or(0.0)
}

fn report(what: &str, v: &mut [f64]) {
    let n = v.len();
    let (p50, p99) = (pct(v, 0.5), pct(v, 0.99));
    let max = pct(v, 1.0);
    println!("log frame, {what}: p50 {p50:.2} ms, p99 {p99:.2} ms, max {max:.2} ms ({n} frames)");
}

fn main() {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = AppDirs::under(root.path());
    let tasks = (0..PROCESSES)
        .map(|i| {
            let mut t = TaskSpec::new(name(i), RunSpec::Line(format!("sleep {}", 100 + i)));
            t.base_dir = std::env::temp_dir();
            t
        })
        .collect();
    let session = Session {
        path: None,
        tasks,
        pools: Vec::new(),
    };
    let state = State {
        app: None,
        session: Some(session),
        dirs,
    };
    let mut h = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_accessibility_check(false)
        .build_ui_state(
            |ui, t: &mut State| {
                if t.app.is_none() {
                    let s = t.session.take();
                    t.app = Some(ProctorApp::new(ui.ctx(), s, false, t.dirs.clone()).expect("engine starts"));
                }
                if let Some(app) = t.app.as_mut() {
                    app.show(ui);
                }
            },
            state,
        );
    h.step();
    let rss0 = rss_mb();
    {
        let app = h.state_mut().app.as_mut().expect("built");
        for i in 0..PROCESSES {
            app.ingest(
                Event::now(EventKind::Spawned {
                    command: format!("sleep {}", 100 + i),
                })
                .process(&name(i), Some(4_000_000 + i)),
            );
        }
        let mut k = 0;
        while k < LINES - PROCESSES as usize {
            let n = BATCH.min(LINES - PROCESSES as usize - k);
            app.ingest(output((k / BATCH) as u32 % PROCESSES, k, n));
            k += n;
        }
        assert_eq!(app.log().len(), LINES);
    }
    for _ in 0..10 {
        h.step();
    }
    println!(
        "load: {PROCESSES} processes, {} lines in the log; RSS {:.0} MB once loaded ({:.0} MB before the events)",
        LINES,
        rss_mb(),
        rss0
    );

    let frame = |h: &mut Harness<'_, State>| {
        let t0 = thread_cpu_ms();
        h.step();
        thread_cpu_ms() - t0
    };

    let mut idle: Vec<f64> = (0..200).map(|_| frame(&mut h)).collect();
    report("idle", &mut idle);

    h.get_by_label("Search the log").focus();
    h.step();
    let mut typing = Vec::new();
    for c in "served in 42".chars() {
        h.input_mut().events.push(egui::Event::Text(c.to_string()));
        typing.push(frame(&mut h));
    }
    let mut settling = 0;
    while h.query_all_by_label_contains("matching").next().is_some() && settling < 1000 {
        typing.push(frame(&mut h));
        settling += 1;
    }
    let shown = h.state().app.as_ref().map_or(0, |a| a.log().shown_len());
    report(
        &format!(
            "typing a 12-key search, a key a frame, then {settling} frames until all {shown} matches are in"
        ),
        &mut typing,
    );
    // Back to the whole log for the stream.
    h.input_mut().events.push(egui::Event::Key {
        key: egui::Key::A,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::COMMAND,
    });
    h.step();
    h.input_mut().events.push(egui::Event::Key {
        key: egui::Key::Backspace,
        physical_key: None,
        pressed: true,
        repeat: false,
        modifiers: egui::Modifiers::NONE,
    });
    for _ in 0..200 {
        h.step();
    }

    // 100,000 lines a second at 60 frames a second.
    let per_frame = 100_000 / 60;
    let mut streaming = Vec::new();
    let mut k = LINES;
    for f in 0..300u32 {
        let t0 = thread_cpu_ms();
        {
            let app = h.state_mut().app.as_mut().expect("built");
            let mut left = per_frame;
            let mut p = f;
            while left > 0 {
                let n = BATCH.min(left);
                app.ingest(output(p % PROCESSES, k, n));
                k += n;
                left -= n;
                p += 7;
            }
        }
        h.step();
        streaming.push(thread_cpu_ms() - t0);
    }
    report(
        "100,000 lines/s streaming in (1,667 a frame, folded in within it)",
        &mut streaming,
    );
    println!("RSS at the end {:.0} MB", rss_mb());
}
