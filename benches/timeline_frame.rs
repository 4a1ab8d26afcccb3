//! The UI thread's time per frame with the Timeline tab on a big session:
//! 1,000 processes (with restarts and a minute of samples each) and a pool
//! of 100,000 inputs on 16 workers. Each frame is egui's whole CPU work on
//! the UI thread: layout and painting (`run_ui`) and tessellation into
//! triangles, as eframe does before handing them to the GPU.
//!
//! `cargo bench --bench timeline_frame` (a release build); the figure is
//! the UI thread's CPU time per frame (CLOCK_THREAD_CPUTIME_ID, so a busy
//! machine does not inflate it), the median of 60 frames after 10 warm-up
//! frames, at 1400x900 points.

use chrono::TimeZone;
use proctor::event::{Event, EventKind, ProcSample};
use proctor::gui::TimelineView;
use proctor::model::SessionModel;

fn at(ms: i64, kind: EventKind) -> Event {
    let mut e = Event::now(kind);
    e.time = chrono::FixedOffset::east_opt(0)
        .unwrap()
        .timestamp_millis_opt(1_764_000_000_000 + ms)
        .unwrap();
    e
}

fn session(tasks: u32) -> SessionModel {
    let mut m = SessionModel::default();
    m.apply(&at(
        0,
        EventKind::SessionStarted {
            message: String::new(),
            format: Some(2),
        },
    ));
    for i in 0..tasks {
        let name = format!("task-{i}");
        m.apply(&at(i as i64, EventKind::Spawned { command: "x".into() }).process(&name, Some(10_000 + i)));
        if i % 3 == 0 {
            m.apply(
                &at(
                    20_000 + i as i64,
                    EventKind::Exited {
                        exit_code: 1,
                        runtime: 20.0,
                        restart_in: Some(1.0),
                        usage: None,
                        stopped: false,
                    },
                )
                .process(&name, Some(10_000 + i)),
            );
            m.apply(
                &at(21_000 + i as i64, EventKind::Spawned { command: "x".into() })
                    .process(&name, Some(20_000 + i)),
            );
        }
    }
    for s in 1..=60i64 {
        let procs = (0..tasks)
            .map(|i| {
                ProcSample(
                    if i % 3 == 0 && s > 21 {
                        20_000 + i
                    } else {
                        10_000 + i
                    },
                    5.0,
                    10_000 + u64::from(i),
                )
            })
            .collect();
        m.apply(&at(s * 1000, EventKind::Samples { procs, trees: vec![] }));
    }
    m.apply(
        &at(
            0,
            EventKind::PoolState {
                paused: false,
                workers: 16,
            },
        )
        .pool("big", None),
    );
    for i in 0..100_000u64 {
        let w = format!("big/worker-{}", i % 16 + 1);
        let t = (i / 16) as i64 * 9;
        m.apply(
            &at(
                t,
                EventKind::TaskStarted {
                    input_text: i.to_string(),
                },
            )
            .process(&w, Some(1))
            .pool("big", Some(i)),
        );
        m.apply(
            &at(
                t + 8,
                EventKind::TaskDone {
                    exit_code: 0,
                    result: String::new(),
                    duration: 0.008,
                    result_bytes: None,
                },
            )
            .process(&w, Some(1))
            .pool("big", Some(i)),
        );
    }
    m
}

/// CPU time of the calling thread, in milliseconds (what the frame cost the
/// UI thread, whatever else the machine was doing).
fn thread_cpu_ms() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 * 1e3 + ts.tv_nsec as f64 / 1e6
}

/// Median and worst thread-CPU milliseconds of 60 frames (after 10), and
/// the bars drawn; `live`: an event arrived before every frame.
fn frames(m: &mut SessionModel, live: bool) -> (f64, f64, usize, usize) {
    let ctx = egui::Context::default();
    let mut view = TimelineView::default();
    let now = m.pictures.last;
    let mut times = Vec::new();
    for frame in 0..70 {
        if live {
            m.pictures.version += 1;
        }
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1400.0, 900.0),
            )),
            ..Default::default()
        };
        let t0 = thread_cpu_ms();
        let mut out = ctx.run_ui(input, |ui| {
            view.ui(ui, &m.pictures, now, true);
        });
        // No GPU here: the font atlas updates are dropped.
        out.textures_delta.clear();
        let prims = ctx.tessellate(out.shapes, out.pixels_per_point);
        if frame >= 10 {
            times.push(thread_cpu_ms() - t0);
        }
        std::hint::black_box(prims);
    }
    times.sort_by(f64::total_cmp);
    let bars = view.drawn.iter().map(|l| l.bars.len()).sum::<usize>();
    (
        times[times.len() / 2],
        times[times.len() - 1],
        view.drawn.len(),
        bars,
    )
}

fn main() {
    for (what, tasks) in [
        ("1,000 processes (and the pool below them)", 1000),
        ("the pool's 16 worker lanes, 100,000 inputs", 0),
    ] {
        let mut m = session(tasks);
        for live in [false, true] {
            let (median, worst, lanes, bars) = frames(&mut m, live);
            println!(
                "timeline frame, {what}{}: median {median:.2} ms, worst {worst:.2} ms of UI-thread CPU ({lanes} lanes drawn, {bars} bars)",
                if live { ", an event before each frame" } else { "" }
            );
        }
    }
}
