//! True process states with real processes: paused and resumed whoever
//! sent the signal, Pause and Resume of a whole tree, stopping a paused
//! process, and a user's stop as an outcome rather than a failure (for
//! pool inputs see `pools.rs`).

mod common;
use common::*;
use nix::sys::signal::Signal;
use proctor::engine::{Command, StopHow};
use proctor::event::{Event, EventKind};
use proctor::model::{RowState, SessionModel};

const LOOP: &str = "echo ready; while true; do sleep 0.05; done";

/// These tests run one at a time: each is about one process's states.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn model(events: &[Event]) -> SessionModel {
    let mut m = SessionModel::default();
    for e in events {
        m.apply(e);
    }
    m
}

fn state(run: &Run, name: &str) -> RowState {
    model(&run.events).row(name).expect("a row").state.clone()
}

fn wait_ready(run: &mut Run, name: &str) -> i32 {
    let pid = run.pid_of(name);
    run.wait_event("ready", |e| {
        e.process.as_deref() == Some(name)
            && matches!(&e.kind, EventKind::Stdout { line, .. } if line == "ready")
    });
    pid
}

/// The state letter of a process in /proc (`T` when stopped).
fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim_start().chars().next()
}

fn stop(run: &Run, name: &str, how: StopHow) {
    run.send(Command::Stop {
        process: name.into(),
        how,
    });
}

#[test]
fn a_stop_from_outside_shows_paused_and_a_continue_running() {
    let _serial = one_at_a_time();
    let mut run = Run::new();
    run.start(sh("loop", LOOP));
    let pid = wait_ready(&mut run, "loop");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let e = run.wait_kind("loop", "paused");
    assert_eq!(
        e.kind,
        EventKind::Paused {
            signal: "SIGSTOP".into()
        }
    );
    assert_eq!(
        state(&run, "loop"),
        RowState::Paused {
            signal: "SIGSTOP".into()
        }
    );
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    run.wait_kind("loop", "resumed");
    assert_eq!(state(&run, "loop"), RowState::Running);
    stop(&run, "loop", StopHow::Kill);
    run.wait_exit("loop");
}

#[test]
fn send_signal_stop_pauses_and_other_signals_leave_the_state_alone() {
    let _serial = one_at_a_time();
    let mut run = Run::new();
    run.start(sh("d", &format!("trap 'echo hup' HUP; {LOOP}")));
    wait_ready(&mut run, "d");
    stop(&run, "d", StopHow::Signal(Signal::SIGHUP));
    run.wait_event(
        "hup handled",
        |e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "hup"),
    );
    assert_eq!(state(&run, "d"), RowState::Running, "{}", run.dump());
    stop(&run, "d", StopHow::Signal(Signal::SIGSTOP));
    run.wait_kind("d", "paused");
    assert!(matches!(state(&run, "d"), RowState::Paused { .. }));
    stop(&run, "d", StopHow::Signal(Signal::SIGCONT));
    run.wait_kind("d", "resumed");
    assert_eq!(state(&run, "d"), RowState::Running);
    stop(&run, "d", StopHow::Kill);
    run.wait_exit("d");
}

#[test]
fn pause_and_resume_reach_the_whole_tree() {
    let _serial = one_at_a_time();
    let mut run = Run::new();
    // A descendant in a session (and group) of its own: reached by its tag.
    run.start(sh("tree", "setsid sleep 60 & echo $!; echo ready; wait"));
    wait_ready(&mut run, "tree");
    let gc: i32 = run.lines("tree", "stdout")[0].trim().parse().expect("a pid");
    run.send(Command::Pause {
        process: "tree".into(),
    });
    run.wait_kind("tree", "paused");
    wait_for("the descendant to be stopped", || proc_state(gc) == Some('T'));
    assert!(matches!(state(&run, "tree"), RowState::Paused { .. }));
    run.send(Command::Resume {
        process: "tree".into(),
    });
    run.wait_kind("tree", "resumed");
    wait_for("the descendant to run again", || proc_state(gc) != Some('T'));
    assert_eq!(state(&run, "tree"), RowState::Running);
    stop(&run, "tree", StopHow::Kill);
    run.wait_exit("tree");
    wait_for("the descendant to be gone", || gone(gc));
}

#[test]
fn terminating_a_paused_process_continues_it_so_it_can_exit_by_itself() {
    let _serial = one_at_a_time();
    let mut run = Run::new();
    run.start(sh("p", &format!("trap 'echo bye; exit 3' TERM; {LOOP}")));
    wait_ready(&mut run, "p");
    run.send(Command::Pause { process: "p".into() });
    run.wait_kind("p", "paused");
    stop(&run, "p", StopHow::Terminate);
    // Without SIGCONT it would sit stopped until SIGKILL (-9).
    assert_eq!(run.wait_exit("p"), Some(3), "{}", run.dump());
    assert!(run.lines("p", "stdout").contains(&"bye".to_string()));
    let signals: Vec<&Event> = run.of("p", "signal_sent");
    assert!(signals
        .iter()
        .all(|e| !matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGKILL")));
}

#[test]
fn a_stop_the_user_asked_for_is_stopped_not_a_failure() {
    let _serial = one_at_a_time();
    let mut run = Run::new();
    run.start(sh("s", LOOP));
    run.start(sh("f", "exit 4"));
    wait_ready(&mut run, "s");
    assert_eq!(run.wait_exit("f"), Some(4));
    stop(&run, "s", StopHow::Terminate);
    run.wait_exit("s");
    let exited = |name: &str| {
        run.of(name, "exited")
            .iter()
            .map(|e| match e.kind {
                EventKind::Exited { stopped, .. } => stopped,
                _ => unreachable!(),
            })
            .collect::<Vec<bool>>()
    };
    assert_eq!(exited("s"), vec![true]);
    assert_eq!(exited("f"), vec![false]);
    let m = model(&run.events);
    assert_eq!(m.row("s").unwrap().state, RowState::Stopped);
    assert_eq!(m.row("f").unwrap().state, RowState::Exited);
    assert!(!run.of("s", "exited")[0].kind.is_problem());
}

/// A shell stopped while it waits in `vfork` for a command's child to
/// `exec` never stops itself: the child, stopped first, holds it in the
/// kernel with the SIGSTOP pending. Such a leader is paused all the same
/// (it was once reported never, and the row stayed Running). A loop of
/// commands spends most of its time there, so some of the pauses below
/// land in that window.
#[test]
fn a_shell_paused_inside_vfork_reads_paused_and_resumes() {
    let _serial = one_at_a_time();
    let mut run = Run::new();
    run.start(sh("forker", "echo ready; while :; do /bin/true; done"));
    let leader = wait_ready(&mut run, "forker");
    let mut held_in_vfork = 0;
    for round in 0..40 {
        run.send(Command::Pause {
            process: "forker".into(),
        });
        let want = round + 1;
        run.until(&format!("pause {want}"), |evs| {
            evs.iter().filter(|e| e.kind.name() == "paused").count() >= want
        });
        if proc_state(leader) == Some('D') {
            held_in_vfork += 1;
        }
        run.send(Command::Resume {
            process: "forker".into(),
        });
        run.until(&format!("resume {want}"), |evs| {
            evs.iter().filter(|e| e.kind.name() == "resumed").count() >= want
        });
    }
    eprintln!("{held_in_vfork} of 40 pauses found the leader inside vfork");
    assert_eq!(state(&run, "forker"), RowState::Running);
    stop(&run, "forker", StopHow::Kill);
    run.wait_exit("forker");
}

/// A debugger attached to a paused process holds it in `t` (traced), not
/// `T`: that says nothing of its job state, and the row stays paused (it
/// read as resumed once, and after the tracer left, Terminate skipped the
/// SIGCONT the stopped process needed and it ended by SIGKILL).
#[test]
fn a_tracer_on_a_paused_process_leaves_it_paused() {
    let _serial = one_at_a_time();
    if !std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        assert!(std::env::var_os("CI").is_none(), "strace is needed under CI");
        eprintln!("skipped: no strace");
        return;
    }
    let mut run = Run::new();
    // Not a shell looping over commands: paused inside `vfork` it would
    // stay `D` under the tracer.
    run.start(sh("p", "echo ready; exec sleep 300"));
    let pid = wait_ready(&mut run, "p");
    run.send(Command::Pause { process: "p".into() });
    run.wait_kind("p", "paused");
    // Attached for a second (the process shows `t`), then detached.
    let mut tracer = std::process::Command::new("strace")
        .args(["-qq", "-o", "/dev/null", "-p", &pid.to_string()])
        .spawn()
        .expect("strace");
    wait_for("the tracer to hold it", || proc_state(pid) == Some('t'));
    std::thread::sleep(std::time::Duration::from_millis(1000));
    // SAFETY: signalling our own child (strace detaches on SIGINT).
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let _ = tracer.wait();
    wait_for("it to be stopped again", || proc_state(pid) == Some('T'));
    // A few of the supervisor's looks (every 200 ms).
    std::thread::sleep(std::time::Duration::from_millis(1000));
    run.drain();
    assert!(run.of("p", "resumed").is_empty(), "{}", run.dump());
    assert!(matches!(state(&run, "p"), RowState::Paused { .. }));
    stop(&run, "p", StopHow::Terminate);
    assert_eq!(run.wait_exit("p"), Some(-15), "{}", run.dump());
    let signals = run.of("p", "signal_sent");
    assert!(
        signals
            .iter()
            .any(|e| e.text().contains("SIGCONT sent as it was paused")),
        "{}",
        run.dump()
    );
}
