//! `proctor run`, `check` and `export` as a user runs them: the real binary,
//! real children, real signals and files.

mod common;
use common::{exists, wait_for};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn proctor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proctor"));
    // Journals of test runs go to a scratch directory, not the user's.
    c.env("XDG_STATE_HOME", std::env::temp_dir().join("proctor-test-state"));
    c
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/examples")
        .join(name)
}

fn write_session(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("session.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn square_and_cube_print_and_exit_zero() {
    let out = proctor()
        .args(["run"])
        .arg(example("square_cube.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("square[") && stdout.contains("stdout: Square: 100"),
        "{stdout}"
    );
    assert!(stdout.contains("stdout: Cube: 1000"), "{stdout}");
    // The summary table.
    assert!(stdout.contains("NAME") && stdout.contains("RESTARTS"), "{stdout}");
}

#[test]
fn a_process_prints_the_pid_proctor_reports() {
    let out = proctor().arg("run").arg(example("pids.toml")).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for w in ["worker1", "worker2"] {
        let line = stdout
            .lines()
            .find(|l| l.contains(&format!("stdout: ID of process running {w}:")))
            .expect("pid line");
        let printed = line.rsplit(' ').next().unwrap();
        assert!(line.contains(&format!("{w}[{printed}]")), "{line}");
    }
}

#[test]
fn timeout_example_ends_with_minus_15_and_exit_status_1() {
    let out = proctor()
        .arg("run")
        .arg(example("terminate.toml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let row = |name: &str| {
        stdout
            .lines()
            .rev()
            .find(|l| l.starts_with(name))
            .unwrap()
            .to_string()
    };
    assert!(row("long-job").contains("-15 (SIGTERM)"), "{stdout}");
    assert!(
        row("short-job").split_whitespace().nth(2) == Some("0"),
        "{stdout}"
    );
}

#[test]
fn daemons_are_terminated_when_the_others_finish() {
    let out = proctor().arg("run").arg(example("daemon.toml")).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "a daemon's -15 does not fail the run: {stdout}"
    );
    let job_exit = stdout.find("job[").and_then(|_| stdout.find("job done")).unwrap();
    let term = stdout
        .find("heartbeat")
        .and_then(|_| stdout.find("signal_sent: SIGTERM"))
        .unwrap();
    assert!(term > job_exit, "the daemon is stopped after the job ends");
}

#[test]
fn a_bad_session_file_runs_nothing_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let session = write_session(
        dir.path(),
        &format!(
            "[[task]]\nname = \"touch\"\nrun = [\"touch\", \"{}\"]\n\n[[task]]\nname = \"bad\"\nrun = \"true\"\nstop_signal = \"SIGNOPE\"\n",
            marker.display()
        ),
    );
    let out = proctor().arg("run").arg(&session).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("session.toml:8: task \"bad\".stop_signal"),
        "{stderr}"
    );
    assert!(!marker.exists(), "nothing ran");
    let out = proctor().arg("check").arg(&session).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = proctor()
        .arg("check")
        .arg(example("seeds.toml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_unwritable_export_path_is_an_error_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let session = write_session(
        dir.path(),
        &format!(
            "[[task]]\nname = \"t\"\nrun = [\"touch\", \"{}\"]\n",
            marker.display()
        ),
    );
    let out = proctor()
        .arg("run")
        .arg(&session)
        .args(["--export", "/no/such/dir/run.jsonl"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/dir/run.jsonl"));
    assert!(!marker.exists());
}

#[test]
fn jsonl_export_has_the_contract_fields() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"hi\"\nrun = [\"sh\", \"-c\", \"echo 'a, \\\"quoted\\\" line'; echo oops >&2; exit 3\"]\n",
    );
    let export = dir.path().join("run.jsonl");
    let out = proctor()
        .arg("run")
        .arg(&session)
        .arg("--export")
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&export).unwrap();
    let events: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.first(), Some(&"session_started"));
    assert_eq!(kinds.last(), Some(&"session_ended"));
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"].as_u64(), Some(i as u64 + 1));
        assert!(chrono::DateTime::parse_from_rfc3339(e["time"].as_str().unwrap()).is_ok());
    }
    let find = |k: &str| events.iter().find(|e| e["kind"] == k).unwrap();
    assert_eq!(find("spawned")["process"], "hi");
    assert!(find("spawned")["pid"].as_u64().is_some());
    assert_eq!(find("stdout")["line"], "a, \"quoted\" line");
    assert_eq!(find("stderr")["line"], "oops");
    assert_eq!(find("exited")["exit_code"], 3);
    // Each line parses back into an event.
    for l in text.lines() {
        proctor::event::parse_json_line(l).unwrap();
    }
    // CSV of the same run quotes commas and quotes; `proctor export` converts.
    let csv = dir.path().join("run.csv");
    let out = proctor().arg("export").arg(&export).arg(&csv).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert!(csv.starts_with(
        "seq,time,kind,process,pid,pool,input,input_index,line,exit_code,signal,result,message,runtime_seconds\n"
    ));
    assert!(csv.contains(",\"a, \"\"quoted\"\" line\","), "{csv}");
}

#[test]
fn sigint_stops_every_child_prints_the_summary_and_exits_130() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"s\"\nrun = [\"sh\", \"-c\", \"echo pid $$; sleep 30 & echo pid $!; wait\"]\ninstances = 3\n",
    );
    let mut child = proctor()
        .arg("run")
        .arg(&session)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut pids = Vec::new();
    let mut line = String::new();
    while pids.len() < 6 {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "output ended early");
        if let Some(p) = line
            .trim()
            .rsplit("stdout: pid ")
            .next()
            .filter(|_| line.contains("stdout: pid "))
        {
            pids.push(p.parse::<i32>().unwrap());
        }
    }
    assert!(pids.iter().all(|&p| exists(p)));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("RESTARTS"), "the summary is printed: {rest}");
    for p in pids {
        wait_for("every child and grandchild to be gone", || !exists(p));
    }
}

#[test]
fn pool_results_in_input_order_and_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("results.jsonl");
    let out = proctor()
        .arg("run")
        .arg(example("seeds.toml"))
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let text = std::fs::read_to_string(&results).unwrap();
    let rows: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let squares: Vec<String> = rows
        .iter()
        .map(|r| r["result"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(squares, ["0", "1", "4", "9", "16", "25", "36", "49", "64", "81"]);
    assert!(rows.iter().enumerate().all(|(i, r)| r["index"] == i as u64));
    assert!(rows
        .iter()
        .all(|r| r["worker"].as_str().unwrap().starts_with("squares/worker-")));
}

#[test]
fn a_low_open_files_limit_still_runs_many_children_who_get_that_limit_back() {
    // 100 children at once hold about 500 descriptors in Proctor: more than
    // a soft limit of 256 allows unless Proctor raises its own.
    let mut hard = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit with a valid struct.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut hard) }, 0);
    if hard.rlim_max < 1024 {
        eprintln!("skipped: the hard open-files limit is {}", hard.rlim_max);
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (0..100).map(|i| format!("\"{i}\"")).collect();
    let session = write_session(
        dir.path(),
        &format!(
            "[[pool]]\nname = \"many\"\nworkers = 100\nrun = [\"sh\", \"-c\", \"ulimit -Sn; sleep 1\"]\ninputs = [{}]\n",
            inputs.join(", ")
        ),
    );
    let results = dir.path().join("results.jsonl");
    let out = Command::new("sh")
        .args([
            "-c",
            "ulimit -Sn 256 && exec \"$0\" run -q --results \"$1\" \"$2\"",
        ])
        .arg(env!("CARGO_BIN_EXE_proctor"))
        .arg(&results)
        .arg(&session)
        .env("XDG_STATE_HOME", std::env::temp_dir().join("proctor-test-state"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&results).unwrap();
    let limits: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["result"]
                .as_str()
                .unwrap()
                .trim()
                .to_string()
        })
        .collect();
    assert_eq!(limits.len(), 100);
    assert!(limits.iter().all(|l| l == "256"), "{limits:?}");
}
