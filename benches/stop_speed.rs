//! How fast Proctor stops many children while the machine is busy with
//! many unrelated processes.
//!
//! `cargo bench --bench stop_speed` (release build). It starts
//! PROCTOR_BENCH_NOISE (default 5000) unrelated `sleep`s first, then for
//! each tracking path (cgroup v2 where usable, and the fallback forced with
//! `PROCTOR_CGROUP=off`):
//! - Ctrl-C (SIGINT) of `proctor run` with N `sleep 300` children that obey
//!   SIGTERM, N in PROCTOR_BENCH_STOP (default "1000,4000"): the time from
//!   the signal to the exit of `proctor run`;
//! - *Terminate all* of 1,000 through the engine API: the supervisor
//!   thread's CPU time (user + system, from `/proc/self/task/TID/stat`)
//!   from the command until every child has exited, and the wall time.
//!
//! Each case runs PROCTOR_BENCH_RUNS times (default 5); the Markdown table
//! gives the median, min and max. The unrelated processes are killed at the
//! end.
//! PROCTOR_BENCH_API (default 1000): children of the engine API case;
//! PROCTOR_BENCH_PATHS (default "cgroup,fallback"); PROCTOR_BENCH_LIMIT
//! (default 600): seconds after which a case counts as not done.

use proctor::engine::{Command as EngineCommand, Engine, EngineConfig, StopHow};
use proctor::event::EventKind;
use proctor::session::{RunSpec, TaskSpec};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Unrelated processes, killed when dropped.
struct Noise(Vec<Child>);

impl Noise {
    fn start(n: usize) -> Noise {
        let mut kids = Vec::with_capacity(n);
        for _ in 0..n {
            match Command::new("sleep")
                .arg("3600")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            {
                Ok(c) => kids.push(c),
                Err(e) => {
                    eprintln!("could start only {} unrelated processes: {e}", kids.len());
                    break;
                }
            }
        }
        Noise(kids)
    }
}

impl Drop for Noise {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
        }
        for c in &mut self.0 {
            let _ = c.wait();
        }
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// Children of `pid` (all its threads), from `/proc/PID/task/*/children`.
fn child_count(pid: u32) -> usize {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .map(|s| s.split_whitespace().count())
        .sum()
}

/// Ctrl-C of `proctor run` with `n` `sleep 300` children: seconds to exit.
fn ctrl_c(dir: &Path, n: usize, cgroup_off: bool) -> Option<f64> {
    let session = dir.join(format!("stop{n}.toml"));
    std::fs::write(
        &session,
        format!("[[task]]\nname = \"s\"\nrun = \"sleep 300\"\ninstances = {n}\nstop_timeout = 30\n"),
    )
    .ok()?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proctor"));
    cmd.args(["run", "-q", "--no-journal"])
        .arg(&session)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if cgroup_off {
        cmd.env("PROCTOR_CGROUP", "off");
    }
    let mut child = cmd.spawn().ok()?;
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(120);
    // Every child started (the crash guard is one more).
    while child_count(pid) < n + 1 {
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            eprintln!("  only {} of {n} children started", child_count(pid));
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid as i32, libc::SIGINT) };
    let secs = env_usize("PROCTOR_BENCH_LIMIT", 600) as u64;
    let limit = Instant::now() + Duration::from_secs(secs);
    loop {
        if child.try_wait().ok().flatten().is_some() {
            return Some(t.elapsed().as_secs_f64());
        }
        if Instant::now() > limit {
            eprintln!("  still running after {secs} s; killed");
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// CPU seconds (user + system) of thread `tid` of this process.
fn thread_cpu(tid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of stat; `after` starts at field 3.
    let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    // SAFETY: sysconf has no preconditions.
    ticks / unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64
}

fn supervisor_tid() -> Option<String> {
    std::fs::read_dir("/proc/self/task")
        .ok()?
        .flatten()
        .find_map(|t| {
            let comm = std::fs::read_to_string(t.path().join("comm")).ok()?;
            comm.trim()
                .starts_with("proctor-supervi")
                .then(|| t.file_name().to_string_lossy().into_owned())
        })
}

/// Terminate all of `n` children through the engine API: (supervisor CPU
/// seconds, wall seconds).
fn terminate_all(n: usize) -> Option<(f64, f64)> {
    let engine = Engine::start(EngineConfig::default()).ok()?;
    let mut task = TaskSpec::new("s", RunSpec::Args(vec!["sleep".into(), "300".into()]));
    task.instances = proctor::session::Instances::new(n as u64).expect("at most 10,000");
    engine.send(EngineCommand::Start { task }).ok()?;
    let mut started = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while started < n && Instant::now() < deadline {
        if let Ok(e) = engine.events().recv_timeout(Duration::from_millis(100)) {
            if matches!(e.kind, EventKind::Spawned { .. }) {
                started += 1;
            }
        }
    }
    let tid = supervisor_tid()?;
    std::thread::sleep(Duration::from_millis(300));
    while engine.events().try_recv().is_ok() {}
    let cpu0 = thread_cpu(&tid);
    let t = Instant::now();
    engine
        .send(EngineCommand::StopAll {
            how: StopHow::Terminate,
        })
        .ok()?;
    let mut exited = 0;
    let limit = env_usize("PROCTOR_BENCH_LIMIT", 600) as u64;
    let deadline = Instant::now() + Duration::from_secs(limit);
    while exited < started && Instant::now() < deadline {
        if let Ok(e) = engine.events().recv_timeout(Duration::from_millis(100)) {
            if matches!(e.kind, EventKind::Exited { .. }) {
                exited += 1;
            }
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let cpu = thread_cpu(&tid) - cpu0;
    engine.shutdown(|_| {});
    (exited == started).then_some((cpu, wall))
}

/// "median (min – max)" of the runs that finished, with how many did
/// not; and the median.
fn stats(runs: &[Option<f64>], show: impl Fn(f64) -> String) -> (String, Option<f64>) {
    let mut done: Vec<f64> = runs.iter().flatten().copied().collect();
    done.sort_by(f64::total_cmp);
    let failed = runs.len() - done.len();
    let Some(&median) = done.get(done.len() / 2) else {
        return ("not done in the limit".into(), None);
    };
    let mut text = format!(
        "{} ({} – {})",
        show(median),
        show(done[0]),
        show(done[done.len() - 1])
    );
    if failed > 0 {
        text.push_str(&format!(", {failed} not done in the limit"));
    }
    (text, Some(median))
}

fn main() {
    let noise_n = env_usize("PROCTOR_BENCH_NOISE", 5000);
    let sizes: Vec<usize> = std::env::var("PROCTOR_BENCH_STOP")
        .unwrap_or_else(|_| "1000,4000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let api_n = env_usize("PROCTOR_BENCH_API", 1000);
    let only = std::env::var("PROCTOR_BENCH_PATHS").unwrap_or_else(|_| "cgroup,fallback".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "load before the unrelated processes: {}", load());
    let noise = Noise::start(noise_n);
    // Let them settle: they started before any engine below.
    std::thread::sleep(Duration::from_secs(2));
    let _ = writeln!(
        out,
        "{} unrelated processes running; load {}\n",
        noise.0.len(),
        load()
    );
    let runs = env_usize("PROCTOR_BENCH_RUNS", 5).max(1);
    let _ = writeln!(
        out,
        "| what | path | children | median (min – max) of {runs} runs | goal | met |\n|---|---|---:|---:|---:|---|"
    );
    for path in ["cgroup", "fallback"] {
        if !only.contains(path) {
            continue;
        }
        let off = path == "fallback";
        for &n in &sizes {
            let times: Vec<Option<f64>> = (0..runs).map(|_| ctrl_c(dir.path(), n, off)).collect();
            let (text, median) = stats(&times, |s| format!("{s:.3} s"));
            let (goal, met) = if n == 1000 {
                (
                    "≤ 1 s",
                    median.map_or("no", |m| if m <= 1.0 { "yes" } else { "no" }),
                )
            } else {
                ("—", "—")
            };
            let _ = writeln!(
                out,
                "| Ctrl-C of `proctor run`: time to exit | {path} | {n} | {text} | {goal} | {met} |"
            );
            let _ = out.flush();
        }
        if off {
            std::env::set_var("PROCTOR_CGROUP", "off");
        } else {
            std::env::remove_var("PROCTOR_CGROUP");
        }
        let both: Vec<Option<(f64, f64)>> = (0..runs).map(|_| terminate_all(api_n)).collect();
        let cpu: Vec<Option<f64>> = both.iter().map(|r| r.map(|(c, _)| c)).collect();
        let wall: Vec<Option<f64>> = both.iter().map(|r| r.map(|(_, w)| w)).collect();
        let (cpu, _) = stats(&cpu, |s| format!("{s:.3} s"));
        let (wall, _) = stats(&wall, |s| format!("{s:.3} s"));
        let _ = writeln!(
            out,
            "| Terminate all (engine API): supervisor CPU; wall | {path} | {api_n} | {cpu}; {wall} | — | — |"
        );
        let _ = out.flush();
    }
    drop(noise);
    let _ = writeln!(out, "\nload after: {}", load());
}
