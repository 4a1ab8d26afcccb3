//! A task under a pseudo-terminal that lets go of it (closes its stdin,
//! stdout and stderr and goes on): not hung up (no SIGHUP), and the
//! supervisor does not spin on the terminal's hang-up. Real binary, real
//! terminal, real children.

mod common;

use common::{sh, Run};
use proctor::event::EventKind;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The CPU ticks (1/100 s) the supervisor thread of `pid` has used.
fn supervisor_ticks(pid: u32) -> Option<u64> {
    for t in std::fs::read_dir(format!("/proc/{pid}/task")).ok()?.flatten() {
        let comm = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default();
        if comm.starts_with("proctor-supervi") {
            let stat = std::fs::read_to_string(t.path().join("stat")).ok()?;
            let f: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
            return Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?);
        }
    }
    None
}

#[test]
fn a_pty_task_that_lets_go_of_its_terminal_is_not_hung_up_and_costs_nothing() {
    for stdin in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let session = dir.path().join("s.toml");
        std::fs::write(
            &session,
            format!(
                "[[task]]\nname = \"p\"\nrun = [\"sh\", \"-c\", \"echo before; exec >/dev/null 2>&1 </dev/null; sleep 5\"]\npty = true\nstdin = {stdin}\n"
            ),
        )
        .unwrap();
        let export = dir.path().join("e.jsonl");
        let child = Command::new(env!("CARGO_BIN_EXE_proctor"))
            .args(["run", "-q", "--no-journal"])
            .arg(&session)
            .arg("--export")
            .arg(&export)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        // Its supervisor running (however long a loaded machine takes to
        // start it), then a while for the task to let go of its terminal.
        common::wait_for("the supervisor thread", || supervisor_ticks(child.id()).is_some());
        std::thread::sleep(Duration::from_millis(800));
        let a = supervisor_ticks(child.id()).expect("the supervisor thread");
        std::thread::sleep(Duration::from_secs(1));
        let b = supervisor_ticks(child.id()).expect("the supervisor thread");
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "stdin = {stdin}");
        // A spin on the hang-up used 60 % of a core (60 ticks a second);
        // an idle loop uses next to none.
        assert!(
            b - a < 30,
            "stdin = {stdin}: the supervisor used {} ticks in a second",
            b - a
        );
        let (events, _) = proctor::journal::read_journal(&export).unwrap();
        let exit = events.iter().find_map(|e| match &e.kind {
            proctor::event::EventKind::Exited { exit_code, .. } => Some(*exit_code),
            _ => None,
        });
        assert_eq!(exit, Some(0), "stdin = {stdin}: not hung up by SIGHUP");
    }
}

#[test]
fn a_line_sent_to_a_pty_task_arrives_whole_without_its_echo_or_is_refused_whole() {
    let mut t = sh("reader", "while read -r l; do echo \"got ${#l}\"; done");
    t.pty = true;
    t.stdin = true;
    let mut run = Run::new();
    run.start(t);
    run.wait_kind("reader", "spawned");
    let send = |run: &Run, line: String| {
        run.send(proctor::engine::Command::WriteStdin {
            process: "reader".into(),
            line,
        })
    };
    // Under the terminal's line limit: whole, and not echoed back.
    let long = "x".repeat(4000);
    send(&run, long.clone());
    run.wait_event("got 4000", |e| e.text() == "got 4000");
    // Over it: refused with words, nothing cut and sent.
    send(&run, "y".repeat(5000));
    let err = run.wait_event("the refusal", |e| matches!(e.kind, EventKind::Error { .. }));
    assert!(err.text().contains("at most 4095"), "{}", err.text());
    send(&run, "abc".into());
    run.wait_event("got 3", |e| e.text() == "got 3");
    let out = run.lines("reader", "stdout");
    assert_eq!(out, ["got 4000", "got 3"], "no echo, no cut line");
    run.send(proctor::engine::Command::Stop {
        process: "reader".into(),
        how: proctor::engine::StopHow::Kill,
    });
    run.wait_exit("reader");
    let _ = run.finish();
}
