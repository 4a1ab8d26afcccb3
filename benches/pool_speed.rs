//! Pool throughput beside the alternatives, on this machine, in one run.
//!
//! `cargo bench --bench pool_speed` (release build). It runs each contender
//! a few times and prints a Markdown table with the best run of each; the
//! numbers in README's table come from here. Contenders that are not
//! installed (GNU parallel, a C compiler, python3) are reported as skipped.
//!
//! Environment: PROCTOR_BENCH_RUNS (default 5), PROCTOR_BENCH_SPAWN (5000),
//! PROCTOR_BENCH_LINES (100000).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Best wall time of `runs` runs of `f` (None: skipped or failed).
fn best(runs: usize, mut f: impl FnMut() -> Option<Duration>) -> Option<Duration> {
    (0..runs).filter_map(|_| f()).min()
}

fn timed(mut cmd: Command) -> Option<Duration> {
    let t = Instant::now();
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().ok()?;
    let d = t.elapsed();
    if !out.status.success() {
        eprintln!("  failed: {:?}: {}", cmd, String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(d)
}

fn shell(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    c
}

fn proctor_run(session: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proctor"));
    c.arg("run").arg("-q").arg(session);
    c
}

/// `vfork_loop N` runs `true` N times, 2 at a time; `vfork_loop N arg`
/// runs `true K` instead (K = 1..N), the same exec as xargs and a
/// spawn-mode pool make: given one argument, coreutils' `true` sets up
/// the locale (it checks for --help), which costs about a fifth more.
const VFORK_C: &str = r#"
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv) {
    int n = atoi(argv[1]), inflight = 0, started = 0;
    char num[32];
    char *args[] = {"true", argc > 2 ? num : NULL, NULL};
    posix_spawnattr_t a; posix_spawnattr_init(&a);
    posix_spawnattr_setflags(&a, POSIX_SPAWN_USEVFORK);
    while (started < n || inflight > 0) {
        while (inflight < 2 && started < n) {
            pid_t pid;
            snprintf(num, sizeof num, "%d", started + 1);
            if (posix_spawnp(&pid, "true", NULL, &a, args, environ) != 0) return 1;
            inflight++; started++;
        }
        int st; if (wait(&st) > 0) inflight--;
    }
    return 0;
}
"#;

fn rust_cat_loop(n: usize) -> Option<Duration> {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut input = child.stdin.take()?;
    let mut output = BufReader::new(child.stdout.take()?);
    let mut line = String::new();
    let t = Instant::now();
    for i in 0..n {
        writeln!(input, "{i}").ok()?;
        input.flush().ok()?;
        line.clear();
        output.read_line(&mut line).ok()?;
    }
    let d = t.elapsed();
    drop(input);
    let _ = child.wait();
    Some(d)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write bench file");
    p
}

struct Row {
    what: String,
    jobs: usize,
    time: Option<Duration>,
}

fn main() {
    let runs = env_usize("PROCTOR_BENCH_RUNS", 5);
    let n_spawn = env_usize("PROCTOR_BENCH_SPAWN", 5000);
    let n_lines = env_usize("PROCTOR_BENCH_LINES", 100_000);
    let dir = std::env::temp_dir().join(format!("proctor-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let inputs: String = (0..n_spawn).map(|i| format!("{i}\n")).collect();
    write(&dir, "spawn_inputs.txt", &inputs);
    let lines: String = (0..n_lines).map(|i| format!("{i}\n")).collect();
    write(&dir, "line_inputs.txt", &lines);
    let spawn_session = write(
        &dir,
        "spawn.toml",
        "[[pool]]\nname = \"t\"\nworkers = 2\nrun = [\"true\"]\ninputs_file = \"spawn_inputs.txt\"\n",
    );
    let persistent_session = write(
        &dir,
        "persistent.toml",
        "[[pool]]\nname = \"cat\"\nworkers = 2\nmode = \"persistent\"\nrun = [\"cat\"]\ninputs_file = \"line_inputs.txt\"\n",
    );

    let c_bin = dir.join("vfork_loop");
    let c_ok = have("cc") && {
        let src = write(&dir, "vfork_loop.c", VFORK_C);
        Command::new("cc")
            .args(["-O2", "-o"])
            .arg(&c_bin)
            .arg(&src)
            .status()
            .is_ok_and(|s| s.success())
    };
    let c_loop = |with_arg: bool| {
        let c_bin = c_bin.clone();
        move || {
            if !c_ok {
                return None;
            }
            let mut c = Command::new(&c_bin);
            c.arg(n_spawn.to_string());
            if with_arg {
                c.arg("arg");
            }
            timed(c)
        }
    };
    let have_parallel = have("parallel");
    let mut parallel_runs = 0;
    type Contender<'a> = (&'a str, Box<dyn FnMut() -> Option<Duration> + 'a>);
    let mut spawn_contenders: Vec<Contender> = vec![
        (
            "proctor pool, spawn mode, 2 workers (runs `true K`)",
            Box::new(|| timed(proctor_run(&spawn_session))),
        ),
        (
            "`seq N | xargs -P2 -n1 true` (runs `true K`)",
            Box::new(|| timed(shell(&format!("seq {n_spawn} | xargs -P2 -n1 true")))),
        ),
        (
            "C loop, posix_spawn (vfork) `true`, 2 in flight",
            Box::new(c_loop(false)),
        ),
        (
            "C loop, posix_spawn (vfork) `true K`, 2 in flight",
            Box::new(c_loop(true)),
        ),
        (
            "GNU parallel -j2 true (runs `true K`)",
            Box::new(|| {
                // Slow: once is enough.
                parallel_runs += 1;
                if !have_parallel || parallel_runs > 1 {
                    return None;
                }
                timed(shell(&format!("seq {n_spawn} | parallel -j2 true")))
            }),
        ),
    ];
    eprintln!("spawn mode: {n_spawn} x `true`, 2 at a time, {runs} interleaved rounds");
    // Interleaved rounds, best of each: the machine's speed drifts over
    // minutes, and a contender measured in a slow minute would lose.
    let mut best_times: Vec<Option<Duration>> = vec![None; spawn_contenders.len()];
    for _ in 0..runs {
        for (i, (_, f)) in spawn_contenders.iter_mut().enumerate() {
            if let Some(t) = f() {
                best_times[i] = Some(best_times[i].map_or(t, |b| b.min(t)));
            }
        }
    }
    let mut rows: Vec<Row> = spawn_contenders
        .iter()
        .zip(&best_times)
        .map(|((what, _), time)| Row {
            what: what.to_string(),
            jobs: n_spawn,
            time: *time,
        })
        .collect();
    drop(spawn_contenders);

    eprintln!("persistent mode: {n_lines} lines through 2 line-echo workers");
    rows.push(Row {
        what: "proctor pool, persistent mode, 2 `cat` workers".into(),
        jobs: n_lines,
        time: best(runs, || timed(proctor_run(&persistent_session))),
    });
    rows.push(Row {
        what: "Rust loop: write a line to `cat`, read it back".into(),
        jobs: n_lines,
        time: best(runs, || rust_cat_loop(n_lines)),
    });
    let py = format!(
        "import multiprocessing as m\ndef f(x): return x\nif __name__ == '__main__':\n    with m.Pool(2) as p: p.map(f, range({n_lines}), chunksize=1)\n"
    );
    let py_file = write(&dir, "pool.py", &py);
    rows.push(Row {
        what: "Python `Pool(2).map(f, range(N), chunksize=1)`".into(),
        jobs: n_lines,
        time: if have("python3") {
            best(runs, || {
                let mut c = Command::new("python3");
                c.arg(&py_file);
                timed(c)
            })
        } else {
            None
        },
    });

    println!("| contender | jobs | best time | jobs/s |");
    println!("|---|---:|---:|---:|");
    for r in &rows {
        match r.time {
            Some(t) => println!(
                "| {} | {} | {:.3} s | {:.0} |",
                r.what,
                r.jobs,
                t.as_secs_f64(),
                r.jobs as f64 / t.as_secs_f64()
            ),
            None => println!("| {} | {} | skipped | - |", r.what, r.jobs),
        }
    }
    let rate = |i: usize| rows[i].time.map(|t| rows[i].jobs as f64 / t.as_secs_f64());
    let ratio = |a: usize, b: usize| match (rate(a), rate(b)) {
        (Some(x), Some(y)) => format!("{:.2}x", x / y),
        _ => "n/a".into(),
    };
    println!();
    println!(
        "spawn: proctor / xargs = {} (goal >= 1.0), / C loop `true` = {} and / C loop `true K` = {} (goal >= 0.8), / parallel = {} (goal >= 3)",
        ratio(0, 1),
        ratio(0, 2),
        ratio(0, 3),
        ratio(0, 4)
    );
    println!(
        "persistent: proctor / Rust cat loop = {} (goal >= 0.8), / Python Pool = {} (goal >= 2)",
        ratio(5, 6),
        ratio(5, 7)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
