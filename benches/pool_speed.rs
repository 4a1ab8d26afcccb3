//! Pool throughput beside the alternatives, on this machine, in one run.
//!
//! `cargo bench --bench pool_speed` (release build). Every contender of a
//! section runs once per round, rounds interleaved (the machine's speed
//! drifts over minutes, and a contender measured in a slow minute would
//! lose); each row reports the median, min and max of its runs, and the
//! ratios compare medians. Contenders that are not installed (GNU
//! parallel, pueue, a C compiler, python3) say so.
//!
//! Environment: PROCTOR_BENCH_RUNS (default 5), PROCTOR_BENCH_SPAWN (5000),
//! PROCTOR_BENCH_LINES (100000), PROCTOR_BENCH_PUEUE_RUNS (1: a pueue run of
//! 5,000 tasks takes over ten minutes here).

#[path = "pool_speed/peers.rs"]
mod peers;

use peers::{have, pueue_run, rust_cat_loop, shell, timed, write, VFORK_C};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn proctor_run(session: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proctor"));
    c.arg("run").arg("-q").arg(session);
    c
}

type Run<'a> = Box<dyn FnMut() -> Option<Duration> + 'a>;

/// One contender: what it is, how many jobs a run does, its runs' times.
struct Contender<'a> {
    what: String,
    jobs: usize,
    run: Run<'a>,
    /// Why it has no times, when it was not run.
    missing: Option<String>,
    /// Fewer runs than the others (a contender that takes many minutes).
    max_runs: Option<usize>,
    times: Vec<Duration>,
}

impl<'a> Contender<'a> {
    fn new(what: &str, jobs: usize, missing: Option<String>, run: Run<'a>) -> Self {
        Self {
            what: what.to_string(),
            jobs,
            run,
            missing,
            max_runs: None,
            times: Vec::new(),
        }
    }

    fn median(&self) -> Option<Duration> {
        let mut t = self.times.clone();
        t.sort();
        t.get(t.len() / 2).copied()
    }

    fn rate(&self) -> Option<f64> {
        self.median().map(|t| self.jobs as f64 / t.as_secs_f64())
    }
}

/// Runs every contender once per round, `runs` rounds (a contender with
/// `max_runs` set at most that many).
fn interleaved(contenders: &mut [Contender], runs: usize) {
    for round in 0..runs {
        for c in contenders.iter_mut() {
            if c.missing.is_some() || c.max_runs.is_some_and(|m| round >= m) {
                continue;
            }
            match (c.run)() {
                Some(t) => c.times.push(t),
                None => eprintln!("  round {}: {} failed", round + 1, c.what),
            }
        }
    }
}

fn print_rows(contenders: &[Contender]) {
    println!("| contender | jobs | median | min – max | jobs/s (median) | runs |");
    println!("|---|---:|---:|---:|---:|---:|");
    for c in contenders {
        let (Some(med), Some(min), Some(max)) = (c.median(), c.times.iter().min(), c.times.iter().max())
        else {
            let why = c.missing.as_deref().unwrap_or("failed");
            println!("| {} | {} | {why} | | | 0 |", c.what, c.jobs);
            continue;
        };
        println!(
            "| {} | {} | {:.3} s | {:.3} – {:.3} s | {:.0} | {} |",
            c.what,
            c.jobs,
            med.as_secs_f64(),
            min.as_secs_f64(),
            max.as_secs_f64(),
            c.rate().unwrap_or(0.0),
            c.times.len()
        );
    }
}

/// A ratio row: Proctor's median rate over the reference's, and the goal.
fn ratio_row(row: &str, proctor: &Contender, reference: &Contender, goal: Option<f64>) {
    let (ratio, met) = match (proctor.rate(), reference.rate()) {
        (Some(p), Some(r)) => {
            let x = p / r;
            let met = goal.map_or(
                "—".to_string(),
                |g| if x >= g { "yes".into() } else { "no".into() },
            );
            (format!("{x:.2}×"), met)
        }
        _ => ("n/a".into(), "—".into()),
    };
    let goal = goal.map_or("—".into(), |g| format!("≥ {g}×"));
    println!("| {row} | {ratio} | {goal} | {met} |");
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
    let c_loop = |with_arg: bool| -> Run {
        let c_bin = c_bin.clone();
        Box::new(move || {
            let mut c = Command::new(&c_bin);
            c.arg(n_spawn.to_string());
            if with_arg {
                c.arg("arg");
            }
            timed(c)
        })
    };
    let not_installed = |cmd: &str| (!have(cmd)).then(|| format!("not installed ({cmd})"));
    let no_cc = (!c_ok).then(|| "not installed (cc)".to_string());
    let mut spawn = vec![
        Contender::new(
            "proctor pool, spawn mode, 2 workers (runs `true K`)",
            n_spawn,
            None,
            Box::new(|| timed(proctor_run(&spawn_session))),
        ),
        Contender::new(
            "`seq N | xargs -P2 -n1 true` (runs `true K`)",
            n_spawn,
            None,
            Box::new(|| timed(shell(&format!("seq {n_spawn} | xargs -P2 -n1 true")))),
        ),
        Contender::new(
            "C loop, posix_spawn (vfork) `true K`, 2 in flight",
            n_spawn,
            no_cc.clone(),
            c_loop(true),
        ),
        Contender::new(
            "C loop, posix_spawn (vfork) `true`, 2 in flight",
            n_spawn,
            no_cc,
            c_loop(false),
        ),
        Contender::new(
            "GNU parallel -j2 true (runs `true K`)",
            n_spawn,
            not_installed("parallel"),
            Box::new(|| timed(shell(&format!("seq {n_spawn} | parallel -j2 true")))),
        ),
        Contender {
            // About 7 tasks a second here, and 150 s to add 5,000: one run
            // takes over ten minutes.
            max_runs: Some(env_usize("PROCTOR_BENCH_PUEUE_RUNS", 1)),
            ..Contender::new(
                "pueue, 2 parallel, N × `pueue add -- true K` queued paused, then `pueue start` → `pueue wait`",
                n_spawn,
                not_installed("pueued"),
                Box::new(|| pueue_run(&dir, n_spawn)),
            )
        },
    ];
    eprintln!("spawn mode: {n_spawn} jobs, 2 at a time, {runs} interleaved rounds");
    interleaved(&mut spawn, runs);

    let py = format!(
        "import multiprocessing as m\ndef f(x): return x\nif __name__ == '__main__':\n    with m.Pool(2) as p: p.map(f, range({n_lines}), chunksize=1)\n"
    );
    let py_file = write(&dir, "pool.py", &py);
    let mut persistent = vec![
        Contender::new(
            "proctor pool, persistent mode, 2 `cat` workers",
            n_lines,
            None,
            Box::new(|| timed(proctor_run(&persistent_session))),
        ),
        Contender::new(
            "Rust loop: write a line to `cat`, read it back",
            n_lines,
            None,
            Box::new(|| rust_cat_loop(n_lines)),
        ),
        Contender::new(
            "Python `Pool(2).map(f, range(N), chunksize=1)`",
            n_lines,
            not_installed("python3"),
            Box::new(|| {
                let mut c = Command::new("python3");
                c.arg(&py_file);
                timed(c)
            }),
        ),
    ];
    eprintln!("persistent mode: {n_lines} lines through 2 workers, {runs} interleaved rounds");
    interleaved(&mut persistent, runs);

    print_rows(&spawn);
    println!();
    print_rows(&persistent);
    println!();
    println!("| ratio of median rates | ratio | goal | met |");
    println!("|---|---:|---:|---|");
    ratio_row("spawn: Proctor / xargs -P2", &spawn[0], &spawn[1], Some(1.0));
    ratio_row(
        "spawn: Proctor / C loop `true K`",
        &spawn[0],
        &spawn[2],
        Some(0.8),
    );
    ratio_row("spawn: Proctor / C loop `true`", &spawn[0], &spawn[3], None);
    ratio_row("spawn: Proctor / GNU parallel", &spawn[0], &spawn[4], Some(3.0));
    ratio_row(
        "spawn: Proctor / pueue (execution only)",
        &spawn[0],
        &spawn[5],
        None,
    );
    ratio_row(
        "persistent: Proctor / Rust `cat` loop",
        &persistent[0],
        &persistent[1],
        Some(0.8),
    );
    ratio_row(
        "persistent: Proctor / Python Pool",
        &persistent[0],
        &persistent[2],
        Some(2.0),
    );
    drop(spawn);
    drop(persistent);
    let _ = std::fs::remove_dir_all(&dir);
}
