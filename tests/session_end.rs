//! At the session's end, a descendant that left its process group (setsid)
//! gets the stop signal with its tree and the stop timeout it was promised
//! ("SIGKILL in Ns if still running") before the final sweep kills what is
//! left. Real binary, real signals, the cgroup path (this machine has one).

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn an_escaped_descendant_gets_its_stop_timeout_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("cleaned-up");
    let session = dir.path().join("s.toml");
    std::fs::write(
        &session,
        format!(
            r#"[[task]]
name = "t"
run = ["sh", "-c", "setsid sh -c 'trap \"sleep 1; touch {}; exit 0\" TERM; echo ready; sleep 60 & wait' & sleep 60"]
stop_timeout = 30
"#,
            done.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(["run", "--no-journal"])
        .arg(&session)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the grandchild to have set its trap.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while !line.contains("ready") {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut out, &mut line).unwrap() > 0,
            "no ready line"
        );
    }
    let t0 = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let status = child.wait().unwrap();
    let took = t0.elapsed();
    assert_eq!(status.code(), Some(130));
    assert!(
        done.exists(),
        "the escaped descendant was killed before it could clean up"
    );
    assert!(
        took < Duration::from_secs(20),
        "and the end did not wait for the whole timeout: {took:?}"
    );
}
