//! Stopping through both tracking paths: the session's cgroup v2 subtree
//! and the fallback by tag. Real processes, real signals. Tests of the
//! cgroup path print why they are skipped where cgroup2 is not writable.

mod common;
use common::*;
use proctor::engine::{Command, Engine, EngineConfig, StopHow};
use proctor::event::EventKind;
use proctor::session::{Instances, Seconds, TaskSpec};
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

fn run_with(cgroups: bool) -> Run {
    Run {
        engine: Engine::start(EngineConfig {
            cgroups,
            ..Default::default()
        })
        .expect("engine starts"),
        events: Vec::new(),
    }
}

/// A run on the cgroup path, or None (with the reason printed).
fn cgroup_run(test: &str) -> Option<Run> {
    let run = run_with(true);
    match run.engine.cgroup() {
        Ok(dir) => {
            eprintln!("{test}: cgroup path ({})", dir.display());
            Some(run)
        }
        Err(why) => {
            eprintln!("{test}: skipped, no usable cgroup v2 subtree: {why}");
            None
        }
    }
}

/// A child whose grandchild clears its environment and leaves the session
/// with a double fork: only its cgroup (or the subreaper link) still ties it
/// to the task.
const ESCAPER: &str = "sh -c 'env -i setsid sleep 300 & echo pid $!'; sleep 300";

fn stop_many(cgroups: bool) {
    let mut run = run_with(cgroups);
    eprintln!(
        "stop_many: {} path",
        if run.engine.cgroup().is_ok() {
            "cgroup"
        } else {
            "fallback"
        }
    );
    let mut task = sh("many", "exec sleep 300");
    task.instances = Instances::new(300).unwrap();
    run.start(task);
    run.until("300 children to start", |evs| {
        evs.iter().filter(|e| e.kind.name() == "spawned").count() >= 300
    });
    let pids: Vec<i32> = run
        .events
        .iter()
        .filter(|e| e.kind.name() == "spawned")
        .filter_map(|e| e.pid.map(|p| p as i32))
        .collect();
    assert_eq!(pids.len(), 300);
    run.send(Command::StopAll {
        how: StopHow::Terminate,
    });
    run.until("300 exits", |evs| {
        evs.iter().filter(|e| e.kind.name() == "exited").count() >= 300
    });
    let codes: Vec<i32> = run
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Exited { exit_code, .. } => Some(exit_code),
            _ => None,
        })
        .collect();
    assert!(codes.iter().all(|&c| c == -15), "{codes:?}");
    for p in pids {
        wait_for("every child gone", || gone(p));
    }
}

#[test]
fn a_stop_of_300_children_ends_them_all_on_the_cgroup_path() {
    if run_with(true).engine.cgroup().is_err() {
        eprintln!("skipped: no usable cgroup v2 subtree");
        return;
    }
    stop_many(true);
}

#[test]
fn a_stop_of_300_children_ends_them_all_on_the_fallback_path() {
    stop_many(false);
}

#[test]
fn the_cgroup_path_ends_an_escaped_grandchild_on_terminate() {
    let Some(mut run) = cgroup_run("escaped grandchild") else {
        return;
    };
    let mut t = sh("escaper", ESCAPER);
    t.stop.timeout = Seconds::from_millis(30_000);
    run.start(t);
    let pid = wait_lines(&mut run, "escaper", 1)[0];
    wait_adopted(pid, std::process::id() as i32);
    run.send(Command::Stop {
        process: "escaper".into(),
        how: StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("escaper"), Some(-15));
    wait_for("the escaped grandchild to be gone", || gone(pid));
    std::thread::sleep(Duration::from_millis(600));
    while let Ok(e) = run.engine.events().try_recv() {
        run.events.push(e);
    }
    assert!(
        run.of("escaper", "leftover").is_empty(),
        "nothing left over: {}",
        run.dump()
    );
}

#[test]
fn the_crash_guard_ends_an_escaped_grandchild_through_the_cgroup() {
    if cgroup_run("crash guard").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.toml");
    std::fs::write(
        &session,
        format!("[[task]]\nname = \"tree\"\nrun = [\"sh\", \"-c\", \"{ESCAPER}\"]\n"),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(["run", "--no-journal"])
        .arg(&session)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let proctor = child.id() as i32;
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let pid = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "proctor run ended early");
        if let Some(p) = line.trim().split("stdout: pid ").nth(1) {
            break p.parse::<i32>().unwrap();
        }
    };
    // Its own session, no environment: the tag cannot find it.
    wait_adopted(pid, proctor);
    let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    assert!(!env.windows(15).any(|w| w == b"PROCTOR_SESSION"));
    child.kill().unwrap();
    child.wait().unwrap();
    wait_for("the escaped grandchild to die with proctor", || gone(pid));
}

#[test]
fn leftovers_of_another_engine_are_not_this_engines() {
    for cgroups in [true, false] {
        // Engine A makes an orphan that escaped its tag; engine B, in the
        // same process, stops a task of its own and kills its leftovers.
        let mut a = run_with(cgroups);
        let mut b = run_with(cgroups);
        eprintln!(
            "other engine's orphan: {} path",
            if a.engine.cgroup().is_ok() {
                "cgroup"
            } else {
                "fallback"
            }
        );
        let mut t = sh("escaper", ESCAPER);
        t.stop.timeout = Seconds::from_millis(500);
        a.start(t);
        let pid = wait_lines(&mut a, "escaper", 1)[0];
        wait_adopted(pid, std::process::id() as i32);
        b.start(sh("bystander", "sleep 300"));
        b.pid_of("bystander");
        b.send(Command::Stop {
            process: "bystander".into(),
            how: StopHow::Terminate,
        });
        b.wait_exit("bystander");
        b.send(Command::KillLeftovers);
        // "no leftover processes to kill" answers the command.
        b.wait_event(
            "the answer to KillLeftovers",
            |e| matches!(&e.kind, EventKind::Error { message } if message.contains("no leftover")),
        );
        assert!(
            !b.events.iter().any(|e| e.pid == Some(pid as u32)),
            "engine B reported or killed engine A's orphan: {}",
            b.dump()
        );
        assert!(exists(pid), "the orphan is still alive");
        // Engine A's own: on the cgroup path its stop ended it already.
        a.send(Command::Stop {
            process: "escaper".into(),
            how: StopHow::Kill,
        });
        a.wait_exit("escaper");
        // SAFETY: ending and reaping a test orphan re-parented to us.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        wait_for("the orphan gone", || gone(pid));
        drop(a);
        drop(b);
    }
}

#[test]
fn the_cgroup_path_reports_and_kills_a_grandchild_that_ignores_sigterm() {
    let Some(mut run) = cgroup_run("leftover in the cgroup") else {
        return;
    };
    let mut t = TaskSpec::new(
        "stubborn",
        proctor::session::RunSpec::Args(vec![
            "sh".into(),
            "-c".into(),
            "setsid sh -c 'trap \"\" TERM; echo pid $$; exec sleep 300' & exec sleep 300".into(),
        ]),
    );
    t.stop.timeout = Seconds::from_millis(30_000);
    run.start(t);
    let pid = wait_lines(&mut run, "stubborn", 1)[0];
    run.send(Command::Stop {
        process: "stubborn".into(),
        how: StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("stubborn"), Some(-15));
    let left = run.wait_event("a leftover report", |e| e.kind.name() == "leftover");
    assert_eq!(left.pid, Some(pid as u32), "{}", run.dump());
    assert!(exists(pid));
    run.send(Command::KillLeftovers);
    wait_for("the leftover to be killed", || gone(pid));
}
