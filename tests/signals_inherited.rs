//! The signal dispositions a child inherits: defaults as a user expects
//! (SIGPIPE and SIGXFSZ included), except what Proctor's own parent
//! ignored, which stays ignored.

mod common;
use common::*;
use proctor::session::{RunSpec, TaskSpec};

/// A `Sig*:` mask from lines of /proc/PID/status.
fn mask(lines: &[String], field: &str) -> u64 {
    let line = lines
        .iter()
        .find_map(|l| l.split(field).nth(1))
        .unwrap_or_else(|| panic!("no {field} in {lines:?}"));
    u64::from_str_radix(line.trim(), 16).unwrap()
}

fn bit(sig: libc::c_int) -> u64 {
    1 << (sig - 1)
}

/// Signals 32 and 33 are reserved by the C library, which refuses to change
/// them; whatever Proctor inherited there, its children do too.
const RESERVED: u64 = 0b11 << 31;

#[test]
fn a_child_starts_with_default_dispositions_and_nothing_blocked() {
    let mut run = Run::new();
    run.start(TaskSpec::new(
        "status",
        RunSpec::Args(vec!["grep".into(), "^Sig".into(), "/proc/self/status".into()]),
    ));
    assert_eq!(run.wait_exit("status"), Some(0));
    let lines = run.lines("status", "stdout");
    // This test process ignores SIGPIPE (Rust's runtime does); the child not.
    assert_eq!(mask(&lines, "SigIgn:") & !RESERVED, 0, "{lines:?}");
    assert_eq!(mask(&lines, "SigBlk:"), 0, "{lines:?}");
}

#[test]
fn signals_ignored_by_proctors_parent_stay_ignored_in_children() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.toml");
    std::fs::write(
        &session,
        "[[task]]\nname = \"status\"\nrun = [\"grep\", \"^Sig\", \"/proc/self/status\"]\n",
    )
    .unwrap();
    // As under `nohup` (SIGHUP ignored), started as a background job of a
    // non-interactive shell (SIGINT and SIGQUIT ignored). Proctor installs
    // handlers for SIGINT and SIGTERM all the same.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' HUP; \"$0\" run --no-journal \"$1\" & wait $!")
        .arg(env!("CARGO_BIN_EXE_proctor"))
        .arg(&session)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let lines: Vec<String> = stdout
        .lines()
        .filter(|l| l.contains("stdout: Sig"))
        .map(|l| l.split("stdout: ").nth(1).unwrap().to_string())
        .collect();
    let ign = mask(&lines, "SigIgn:");
    assert_eq!(ign & bit(libc::SIGHUP), bit(libc::SIGHUP), "{lines:?}");
    assert_eq!(ign & bit(libc::SIGINT), bit(libc::SIGINT), "{lines:?}");
    assert_eq!(
        ign & (bit(libc::SIGPIPE) | bit(libc::SIGXFSZ) | bit(libc::SIGTERM)),
        0,
        "{lines:?}"
    );
    assert_eq!(mask(&lines, "SigBlk:"), 0, "{lines:?}");
}
