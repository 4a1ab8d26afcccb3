//! The on-disk journal: complete after a crash, readable line by line.

mod common;
use common::{exists, wait_for};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_sigkilled_run_leaves_a_journal_with_every_line_up_to_shortly_before_the_kill() {
    let state = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.toml");
    std::fs::write(
        &session,
        "[[task]]\nname = \"counter\"\nrun = [\"sh\", \"-c\", \"echo pid $$; i=0; while true; do i=$((i+1)); echo line-$i; done\"]\n",
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("run")
        .arg(&session)
        .env("XDG_STATE_HOME", state.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let mut counter_pid = 0;
    let seen: u64 = loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0);
        if let Some(p) = line.trim().split("stdout: pid ").nth(1) {
            counter_pid = p.parse().unwrap();
        }
        if let Some(n) = line.trim().split("stdout: line-").nth(1) {
            let n: u64 = n.parse().unwrap();
            if n >= 5000 {
                break n;
            }
        }
    };
    // More than one flush interval later, everything up to `seen` is on disk.
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(out);

    let journals: Vec<_> = std::fs::read_dir(state.path().join("proctor/sessions"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(journals.len(), 1);
    let text = std::fs::read(&journals[0]).unwrap();
    let text = String::from_utf8(text).unwrap();
    let mut expected = 1u64;
    for (i, l) in text.lines().enumerate() {
        let e = proctor::event::parse_json_line(l)
            .unwrap_or_else(|err| panic!("line {} does not parse: {err}", i + 1));
        if let proctor::event::EventKind::Stdout { line, .. } = &e.kind {
            if let Some(n) = line.strip_prefix("line-") {
                assert_eq!(n.parse::<u64>().unwrap(), expected, "no line missing");
                expected += 1;
            }
        }
    }
    assert!(
        expected > seen,
        "journal holds line-{seen} (it holds up to line-{})",
        expected - 1
    );
    assert!(text.ends_with('\n'), "only whole lines are written");
    // The child died with Proctor (PR_SET_PDEATHSIG).
    wait_for("the child to die with proctor", || !exists(counter_pid));
}

#[test]
fn journal_to_jsonl_export_round_trip_is_lossless() {
    let state = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(["run", "-q"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/examples/seeds.toml"))
        .env("XDG_STATE_HOME", state.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let journal = std::fs::read_dir(state.path().join("proctor/sessions"))
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let (events, errors) = proctor::journal::read_journal(&journal).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(events.len() > 50);
    // The first event says which journal format this is.
    assert!(
        matches!(
            events[0].kind,
            proctor::event::EventKind::SessionStarted {
                format: Some(proctor::journal::FORMAT),
                ..
            }
        ),
        "{:?}",
        events[0]
    );
    let export = state.path().join("copy.jsonl");
    let st = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("export")
        .arg(&journal)
        .arg(&export)
        .status()
        .unwrap();
    assert!(st.success());
    let (again, _) = proctor::journal::read_journal(&export).unwrap();
    assert_eq!(events, again);
}

#[test]
fn export_refuses_a_journal_of_a_newer_format_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("future.jsonl");
    let newer = proctor::journal::FORMAT + 1;
    std::fs::write(
        &journal,
        format!(
            "{{\"seq\":1,\"time\":\"2030-01-01T00:00:00.000+00:00\",\"kind\":\"session_started\",\"format\":{newer}}}\n"
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("export")
        .arg(&journal)
        .arg(dir.path().join("out.csv"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("journal format {newer}")), "{err}");
    assert!(err.contains("newer Proctor"), "{err}");
    assert!(!dir.path().join("out.csv").exists());
}
