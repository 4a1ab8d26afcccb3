//! Output ingestion and latency, each row beside its reference measured in
//! the same interleaved run (this machine's speed drifts).
//!
//! `cargo bench --bench ingest` (release build). Rows:
//! - `seq N` through `proctor run -q` with the journal on, against a bare
//!   Rust reader (`BufReader::lines`) of the same child: lines per second;
//! - the journal's bytes per line of that output, against the text itself;
//! - child exit -> `exited` event, over many exits (median, p99);
//! - Terminate -> the child's group gone, for a child that obeys SIGTERM.
//!
//! Environment: PROCTOR_BENCH_RUNS (default 5), PROCTOR_BENCH_LINES
//! (10,000,000), PROCTOR_BENCH_EXITS (1,000).
//!
//! As the child of the exit row, this binary prints the time and exits
//! (`PROCTOR_BENCH_CHILD=exit`).

use proctor::engine::{Command as EngineCommand, Engine, EngineConfig, StopHow};
use proctor::event::EventKind;
use proctor::session::{RunSpec, TaskSpec};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Median, min, max of a sample.
fn stats(v: &mut [f64]) -> (f64, f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() - 1) as f64 * p).round() as usize;
    v[i.min(v.len() - 1)]
}

/// The bare reader: every line of `seq n` read with `BufReader::lines`.
fn bare_reader(n: usize) -> f64 {
    let t = Instant::now();
    let mut child = Command::new("seq")
        .arg(n.to_string())
        .stdout(Stdio::piped())
        .spawn()
        .expect("seq runs");
    let out = BufReader::new(child.stdout.take().expect("piped"));
    let mut lines = 0usize;
    for l in out.lines() {
        let l = l.expect("text");
        std::hint::black_box(&l);
        lines += 1;
    }
    child.wait().expect("waited");
    assert_eq!(lines, n, "the bare reader read every line");
    n as f64 / t.elapsed().as_secs_f64()
}

/// `proctor run -q` of a session whose one task is `seq n`, journal on:
/// (lines per second, journal bytes).
fn proctor_run(n: usize) -> (f64, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let session = dir.path().join("s.toml");
    std::fs::write(
        &session,
        format!("[[task]]\nname = \"seq\"\nrun = [\"seq\", \"{n}\"]\n"),
    )
    .expect("session written");
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(["run", "-q"])
        .arg(&session)
        .env("XDG_STATE_HOME", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("proctor runs");
    let rate = n as f64 / t.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let journal: u64 = std::fs::read_dir(dir.path().join("proctor/sessions"))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    (rate, journal)
}

fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Exit latency: children that print the time and exit at once; the time
/// from that print to the `exited` event reaching the reader, in ms.
fn exit_latencies(n: usize) -> Vec<f64> {
    let engine = Engine::start(EngineConfig::default()).expect("engine");
    let me = std::env::current_exe().expect("own path");
    let mut out = Vec::new();
    for i in 0..n {
        let mut task = TaskSpec::new(
            format!("x{i}"),
            RunSpec::Args(vec![me.to_string_lossy().into_owned()]),
        );
        task.env.insert("PROCTOR_BENCH_CHILD".into(), "exit".into());
        engine.send(EngineCommand::Start { task }).expect("sent");
        let mut printed: Option<u128> = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Ok(e) = engine.events().recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            let received = now_ns();
            match &e.kind {
                EventKind::Stdout { line, .. } => printed = line.trim().parse().ok(),
                EventKind::Exited { .. } => {
                    if let Some(p) = printed {
                        out.push(received.saturating_sub(p) as f64 / 1e6);
                    }
                    break;
                }
                _ => {}
            }
        }
    }
    drop(engine);
    out
}

/// Terminate latency: a `sleep` that obeys SIGTERM; from the command to
/// its `exited` event (sent once its whole group is gone), in ms.
fn terminate_latencies(n: usize) -> Vec<f64> {
    let engine = Engine::start(EngineConfig::default()).expect("engine");
    let mut out = Vec::new();
    for i in 0..n {
        let name = format!("t{i}");
        let task = TaskSpec::new(name.clone(), RunSpec::Args(vec!["sleep".into(), "300".into()]));
        engine.send(EngineCommand::Start { task }).expect("sent");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(e) = engine.events().recv_timeout(Duration::from_millis(100)) {
                if matches!(e.kind, EventKind::Spawned { .. }) {
                    break;
                }
            }
        }
        // Let the child reach its exec'd `sleep`.
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        engine
            .send(EngineCommand::Stop {
                process: name,
                how: StopHow::Terminate,
            })
            .expect("sent");
        while Instant::now() < deadline {
            if let Ok(e) = engine.events().recv_timeout(Duration::from_millis(100)) {
                if matches!(e.kind, EventKind::Exited { .. }) {
                    out.push(t.elapsed().as_secs_f64() * 1e3);
                    break;
                }
            }
        }
    }
    drop(engine);
    out
}

fn main() {
    if std::env::var("PROCTOR_BENCH_CHILD").as_deref() == Ok("exit") {
        let mut o = std::io::stdout().lock();
        let _ = writeln!(o, "{}", now_ns());
        let _ = o.flush();
        std::process::exit(0);
    }
    let runs = env_usize("PROCTOR_BENCH_RUNS", 5).max(1);
    let lines = env_usize("PROCTOR_BENCH_LINES", 10_000_000).max(1);
    let exits = env_usize("PROCTOR_BENCH_EXITS", 1_000).max(1);
    let text_bytes: u64 = (1..=lines as u64).map(|n| n.to_string().len() as u64 + 1).sum();

    let (mut bare, mut ours, mut bytes) = (Vec::new(), Vec::new(), Vec::new());
    for r in 0..runs {
        // Interleaved, the reference first on odd runs.
        if r % 2 == 0 {
            bare.push(bare_reader(lines));
            let (rate, j) = proctor_run(lines);
            ours.push(rate);
            bytes.push(j as f64);
        } else {
            let (rate, j) = proctor_run(lines);
            ours.push(rate);
            bytes.push(j as f64);
            bare.push(bare_reader(lines));
        }
        eprintln!(
            "run {}: bare {:.2} M/s, proctor {:.2} M/s",
            r + 1,
            bare[r] / 1e6,
            ours[r] / 1e6
        );
    }
    let (bm, bmin, bmax) = stats(&mut bare);
    let (om, omin, omax) = stats(&mut ours);
    let (jm, _, _) = stats(&mut bytes);
    let exit_ms = exit_latencies(exits);
    let term_ms = terminate_latencies(exits.min(200));

    println!("| row | Proctor (median; min-max) | reference (median; min-max) | ratio | goal | met |");
    println!("|---|---:|---:|---:|---:|---|");
    let ratio = om / bm;
    println!(
        "| `seq {lines}` through `proctor run -q`, journal on, lines/s | {:.2} M ({:.2}-{:.2}) | bare `BufReader::lines` {:.2} M ({:.2}-{:.2}) | {ratio:.2}x | >= 0.5x | {} |",
        om / 1e6,
        omin / 1e6,
        omax / 1e6,
        bm / 1e6,
        bmin / 1e6,
        bmax / 1e6,
        if ratio >= 0.5 { "yes" } else { "no" }
    );
    let per_line = jm / lines as f64;
    let text_per_line = text_bytes as f64 / lines as f64;
    println!(
        "| journal bytes per line of that output | {per_line:.2} B | the text itself {text_per_line:.2} B | {:.2}x | <= 2x | {} |",
        per_line / text_per_line,
        if per_line <= 2.0 * text_per_line { "yes" } else { "no" }
    );
    let (mut e1, mut e2) = (exit_ms.clone(), exit_ms);
    let (med, p99) = (percentile(&mut e1, 0.5), percentile(&mut e2, 0.99));
    println!(
        "| child exit -> `exited` event, {} exits | median {med:.3} ms, p99 {p99:.3} ms | - | - | median <= 1 ms, p99 <= 5 ms | {} |",
        e1.len(),
        if med <= 1.0 && p99 <= 5.0 { "yes" } else { "no" }
    );
    let (mut t1, mut t2) = (term_ms.clone(), term_ms);
    let (tmed, tp99) = (percentile(&mut t1, 0.5), percentile(&mut t2, 0.99));
    println!(
        "| Terminate -> group gone (child obeys SIGTERM), {} stops | median {tmed:.3} ms, p99 {tp99:.3} ms | - | - | median <= 5 ms | {} |",
        t1.len(),
        if tmed <= 5.0 { "yes" } else { "no" }
    );
}
