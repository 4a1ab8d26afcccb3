//! `proctor run` against what a hostile terminal, disk or session does:
//! huge cells, a closed stdout, a full disk, clashing output paths, SIGHUP.
//! The real binary, real children, real signals and files.

mod common;
use common::{gone, wait_for};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn proctor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proctor"));
    c.env("XDG_STATE_HOME", std::env::temp_dir().join("proctor-test-state"));
    c
}

fn write_session(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("session.toml");
    std::fs::write(&p, text).unwrap();
    p
}

/// A journal (a .jsonl export) of a run of `seq n`.
fn events_of_seq(dir: &Path, n: u32) -> PathBuf {
    let session = write_session(dir, &format!("[[task]]\nname = \"t\"\nrun = \"seq {n}\"\n"));
    let journal = dir.join("events.jsonl");
    let out = proctor()
        .args(["run", "-q", "--no-journal"])
        .arg(&session)
        .arg("--export")
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    journal
}

fn no_panic(stderr: &[u8]) {
    let s = String::from_utf8_lossy(stderr);
    assert!(!s.contains("panicked"), "{s}");
}

#[test]
fn a_result_wider_than_a_formatter_width_is_cut_in_the_summary_and_kept_in_results() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(70_000);
    std::fs::write(dir.path().join("inputs.txt"), format!("{long}\n")).unwrap();
    let session = write_session(
        dir.path(),
        "[[pool]]\nname = \"wide\"\nworkers = 1\nrun = \"echo\"\ninputs_file = \"inputs.txt\"\n",
    );
    let results = dir.path().join("results.jsonl");
    let export = dir.path().join("events.jsonl");
    let out = proctor()
        .args(["run", "-q", "--no-journal"])
        .arg(&session)
        .arg("--results")
        .arg(&results)
        .arg("--export")
        .arg(&export)
        .output()
        .unwrap();
    no_panic(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains('…'), "the long cell is cut");
    assert!(stdout.lines().all(|l| l.chars().count() < 2_000));
    // The whole value stays in --results and the export.
    let r = std::fs::read_to_string(&results).unwrap();
    assert!(r.contains(&long), "results keep the whole input");
    assert!(std::fs::metadata(&export).unwrap().len() > 70_000);
}

#[test]
fn a_closed_stdout_loses_neither_the_export_nor_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"chatty\"\nrun = \"seq 20000\"\n\n[[pool]]\nname = \"p\"\nworkers = 1\nrun = \"echo\"\ninputs = [\"a\", \"b\"]\n",
    );
    let results = dir.path().join("results.jsonl");
    let export = dir.path().join("events.csv");
    let mut child = proctor()
        .args(["run", "--no-journal"])
        .arg(&session)
        .arg("--results")
        .arg(&results)
        .arg("--export")
        .arg(&export)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read two lines, then close the pipe, as `| head -2` does.
    {
        let mut r = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        r.read_line(&mut line).unwrap();
    }
    let mut stderr = Vec::new();
    child.stderr.take().unwrap().read_to_end(&mut stderr).unwrap();
    let status = child.wait().unwrap();
    no_panic(&stderr);
    assert_eq!(status.code(), Some(1), "{}", String::from_utf8_lossy(&stderr));
    assert!(String::from_utf8_lossy(&stderr).contains("standard output"));
    let csv = std::fs::read_to_string(&export).unwrap();
    assert!(csv.lines().count() > 20_000, "every event exported");
    let r = std::fs::read_to_string(&results).unwrap();
    assert_eq!(r.lines().count(), 2);
}

#[test]
fn outputs_that_clash_with_each_other_or_the_session_are_refused_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let text = format!(
        "[[task]]\nname = \"t\"\nrun = [\"touch\", \"{}\"]\n",
        marker.display()
    );
    let session = write_session(dir.path(), &text);
    let same = dir.path().join("out.jsonl");
    let out = proctor()
        .args(["run", "--no-journal"])
        .arg(&session)
        .arg("--export")
        .arg(&same)
        .arg("--results")
        .arg(dir.path().join(".").join("out.jsonl"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("same file"));
    let out = proctor()
        .args(["run", "--no-journal"])
        .arg(&session)
        .arg("--export")
        .arg(&session)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("session file"));
    assert_eq!(
        std::fs::read_to_string(&session).unwrap(),
        text,
        "the session file is intact"
    );
    assert!(!marker.exists(), "nothing was started");
}

/// A small tmpfs (root only): a disk that fills up.
struct FullDisk(PathBuf);

impl FullDisk {
    fn mount(dir: &Path) -> Option<Self> {
        let p = dir.join("small");
        std::fs::create_dir(&p).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
            .arg(&p)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Self(p))
    }
}

impl Drop for FullDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn an_export_on_a_full_disk_still_lets_the_results_be_written() {
    let dir = tempfile::tempdir().unwrap();
    let Some(small) = FullDisk::mount(dir.path()) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"chatty\"\nrun = \"seq 50000\"\n\n[[pool]]\nname = \"p\"\nworkers = 1\nrun = \"echo\"\ninputs = [\"a\", \"b\", \"c\"]\n",
    );
    let results = dir.path().join("results.jsonl");
    let out = proctor()
        .args(["run", "-q", "--no-journal"])
        .arg(&session)
        .arg("--export")
        .arg(small.0.join("events.jsonl"))
        .arg("--results")
        .arg(&results)
        .output()
        .unwrap();
    no_panic(&out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("export file"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&results).unwrap().lines().count(),
        3,
        "{stderr}"
    );
    let temps: Vec<_> = std::fs::read_dir(&small.0)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "no temp file left on the full disk: {temps:?}");
}

fn read_pid_line(r: &mut impl BufRead) -> i32 {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(r.read_line(&mut line).unwrap() > 0, "no pid line");
        if let Some((_, p)) = line.trim().split_once("stdout: pid=") {
            return p.trim().parse().unwrap();
        }
    }
}

#[test]
fn sighup_stops_the_session_gracefully_with_summary_and_export() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"sleeper\"\nrun = \"sh -c 'echo pid=$$; exec sleep 300'\"\n",
    );
    let export = dir.path().join("events.jsonl");
    let mut child = proctor()
        .args(["run", "--no-journal"])
        .arg(&session)
        .arg("--export")
        .arg(&export)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let pid = read_pid_line(&mut r);
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    let mut rest = String::new();
    r.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest}");
    assert!(rest.contains("NAME"), "the summary is printed: {rest}");
    assert!(rest.contains("-15"), "the child was terminated: {rest}");
    wait_for("the child to be gone", || gone(pid));
    assert!(std::fs::read_to_string(&export)
        .unwrap()
        .contains("session_ended"));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temp file left behind");
}

#[test]
fn a_sighup_ignored_by_the_shell_stays_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"sleeper\"\nrun = \"sh -c 'echo pid=$$; exec sleep 300'\"\n",
    );
    // As `nohup` does: SIGHUP ignored before proctor starts.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("trap '' HUP; exec \"$0\" run --no-journal \"$1\"")
        .arg(env!("CARGO_BIN_EXE_proctor"))
        .arg(&session)
        .env("XDG_STATE_HOME", std::env::temp_dir().join("proctor-test-state"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let pid = read_pid_line(&mut r);
    unsafe { libc::kill(child.id() as i32, libc::SIGHUP) };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "SIGHUP was ignored");
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let mut rest = String::new();
    r.read_to_string(&mut rest).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    wait_for("the child to be gone", || gone(pid));
}

#[test]
fn export_skips_and_counts_a_torn_or_damaged_line_instead_of_refusing() {
    let dir = tempfile::tempdir().unwrap();
    let journal = events_of_seq(dir.path(), 5);
    let good = std::fs::read_to_string(&journal).unwrap().lines().count();
    // The rows of the undamaged journal (a row per line of output).
    let whole = dir.path().join("whole.csv");
    assert!(proctor()
        .arg("export")
        .arg(&journal)
        .arg(&whole)
        .status()
        .unwrap()
        .success());
    let good_rows = std::fs::read_to_string(&whole).unwrap().lines().count();
    // A line of invalid bytes, then a last line cut in half by a SIGKILL.
    let mut bytes = std::fs::read(&journal).unwrap();
    bytes.extend_from_slice(b"\xff\xfe not json\n{\"seq\":99,\"time\":\"20");
    std::fs::write(&journal, bytes).unwrap();
    let csv = dir.path().join("out.csv");
    let out = proctor().arg("export").arg(&journal).arg(&csv).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("skipped 2 lines"), "{stderr}");
    assert!(
        stderr.contains(":6:") || stderr.contains(&format!(":{}:", good + 1)),
        "{stderr}"
    );
    let rows = std::fs::read_to_string(&csv).unwrap().lines().count();
    assert_eq!(rows, good_rows, "every good event exported, plus the header");
}

#[test]
fn export_of_a_fifo_says_it_waits_for_a_writer_and_reads_what_it_writes() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.jsonl");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let journal = events_of_seq(dir.path(), 5);
    // Without its session's end, as a session still writing it: the
    // export does not open the FIFO a second time to ask whether a
    // session writes it (that open waited for a writer for good).
    let text: Vec<u8> = String::from_utf8_lossy(&std::fs::read(&journal).unwrap())
        .lines()
        .filter(|l| !l.contains("\"session_ended\""))
        .flat_map(|l| format!("{l}\n").into_bytes())
        .collect();
    let mut child = proctor()
        .arg("export")
        .arg(&fifo)
        .arg(dir.path().join("piped.jsonl"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It says why it waits (it used to wait without a word).
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert!(first.contains("waiting for a program to write to it"), "{first}");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .and_then(|mut w| std::io::Write::write_all(&mut w, &text))
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the export did not end");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    no_panic(rest.as_bytes());
    assert!(status.success(), "{rest}");
    let lines = std::fs::read_to_string(dir.path().join("piped.jsonl")).unwrap();
    assert_eq!(
        lines.lines().count(),
        String::from_utf8_lossy(&text).lines().count()
    );
}

fn journal_path(stderr_line: &str) -> Option<PathBuf> {
    stderr_line
        .strip_prefix("proctor: journal ")
        .map(|p| PathBuf::from(p.trim()))
}

#[test]
fn rotation_never_deletes_the_journal_of_a_run_still_going() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"sleeper\"\nrun = \"sh -c 'seq 200; echo pid=$$; exec sleep 300'\"\n",
    );
    let mut first = proctor()
        .args(["run"])
        .arg(&session)
        .env("XDG_STATE_HOME", &state)
        .env("PROCTOR_JOURNAL_MAX_BYTES", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(first.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let live = journal_path(&line).expect("the journal line");
    let mut r = BufReader::new(first.stdout.take().unwrap());
    let pid = read_pid_line(&mut r);
    // A second run while the first goes on, with a 100-byte limit.
    let quick = dir.path().join("quick.toml");
    std::fs::write(&quick, "[[task]]\nname = \"q\"\nrun = \"true\"\n").unwrap();
    let out = proctor()
        .args(["run", "-q"])
        .arg(&quick)
        .env("XDG_STATE_HOME", &state)
        .env("PROCTOR_JOURNAL_MAX_BYTES", "100")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(live.exists(), "the live journal {} was removed", live.display());
    unsafe { libc::kill(first.id() as i32, libc::SIGTERM) };
    let mut rest = String::new();
    r.read_to_string(&mut rest).unwrap();
    assert_eq!(first.wait().unwrap().code(), Some(130));
    wait_for("the child to be gone", || gone(pid));
    // Once that run has ended, its journal may go at the next rotation.
    let out = proctor()
        .args(["run", "-q"])
        .arg(&quick)
        .env("XDG_STATE_HOME", &state)
        .env("PROCTOR_JOURNAL_MAX_BYTES", "100")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(!live.exists(), "an ended journal is rotated away");
}

#[test]
fn a_journal_that_cannot_be_written_is_an_error_even_with_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let Some(small) = FullDisk::mount(dir.path()) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    // Output that compresses badly: the 16 KiB disk fills.
    let session = write_session(
        dir.path(),
        "[[task]]\nname = \"chatty\"\nrun = [\"sh\", \"-c\", \"head -c 3000000 /dev/urandom | od -An -tx1\"]\n",
    );
    let out = proctor()
        .args(["run", "-q"])
        .arg(&session)
        .env("XDG_STATE_HOME", &small.0)
        .output()
        .unwrap();
    no_panic(&out.stderr);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot write the journal"), "{stderr}");
    // Only whole frames are kept: the journal reads to its end, untorn.
    let dir = small.0.join("proctor/sessions");
    for j in std::fs::read_dir(&dir).unwrap().flatten() {
        let (_, errors) = proctor::journal::read_journal(&j.path()).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
    }
}

#[test]
fn export_to_a_device_or_to_stdout_streams_and_never_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let journal = events_of_seq(dir.path(), 3);
    let out = proctor()
        .arg("export")
        .arg(&journal)
        .args(["/dev/null", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device());
    let out = proctor()
        .arg("export")
        .arg(&journal)
        .args(["-", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("seq,") || csv.lines().count() > 3, "{csv}");
    assert!(csv.contains("stdout"), "{csv}");
}

#[test]
fn an_output_that_is_a_pools_inputs_file_is_refused_and_the_inputs_kept() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), "1\n2\n").unwrap();
    let session = write_session(
        dir.path(),
        "[[pool]]\nname = \"p\"\nrun = \"echo\"\ninputs_file = \"in.txt\"\n",
    );
    for flag in ["--results", "--export"] {
        let out = proctor()
            .args(["run", "-q", "--no-journal"])
            .arg(&session)
            .arg(flag)
            .arg(dir.path().join("./in.txt"))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("inputs file of pool `p`"), "{err}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("in.txt")).unwrap(),
            "1\n2\n"
        );
    }
}

#[test]
fn a_fifo_or_a_link_to_a_device_in_the_journal_folder_hangs_neither_run_nor_history() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let journals = state.join("proctor/sessions");
    std::fs::create_dir_all(&journals).unwrap();
    let fifo = std::ffi::CString::new(journals.join("fifo.jsonl").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    std::os::unix::fs::symlink("/dev/zero", journals.join("zero.jsonl")).unwrap();
    let session = write_session(dir.path(), "[[task]]\nname = \"t\"\nrun = \"true\"\n");
    let mut run = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .env("XDG_STATE_HOME", &state)
        .env("PROCTOR_JOURNAL_MAX_BYTES", "1")
        .args(["run", "-q"])
        .arg(&session)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for("proctor run, not hung on the journal folder", || {
        run.try_wait().unwrap().is_some()
    });
    assert_eq!(run.wait().unwrap().code(), Some(0));
    let mut history = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .env("XDG_STATE_HOME", &state)
        .arg("history")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("proctor history, not hung on the journal folder", || {
        history.try_wait().unwrap().is_some()
    });
    assert!(journals.join("fifo.jsonl").exists(), "not ours to remove");
}

#[test]
fn a_timeline_is_svg_only_and_never_the_export_results_or_a_journal() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(dir.path(), "[[task]]\nname = \"t\"\nrun = \"true\"\n");
    let same = dir.path().join("same.svg");
    for extra in [
        vec!["--export".to_string(), same.display().to_string()],
        vec!["--results".to_string(), same.display().to_string()],
    ] {
        let out = proctor()
            .args(["run", "-q", "--no-journal"])
            .arg(&session)
            .arg("--timeline")
            .arg(&same)
            .args(&extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains("name the same file"), "{err}");
    }
    let journal = dir.path().join("old.jsonl");
    std::fs::write(&journal, "{}\n").unwrap();
    let out = proctor()
        .args(["run", "-q", "--no-journal"])
        .arg(&session)
        .arg("--timeline")
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(&journal).unwrap(),
        "{}\n",
        "a journal is never drawn over"
    );
    let svg_named = dir.path().join("j.svg");
    std::fs::copy(events_of_seq(dir.path(), 3), &svg_named).unwrap();
    let before = std::fs::read(&svg_named).unwrap();
    let out = proctor()
        .arg("export")
        .arg(&svg_named)
        .arg(&svg_named)
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(std::fs::read(&svg_named).unwrap(), before);
}

/// A pool whose hosts cannot be set up fails its inputs: the results say
/// `failed` for each (they said `queued`: the failures came before the
/// inputs were queued, and the fold took the queueing last).
#[test]
fn a_pool_whose_placement_cannot_be_set_up_fails_each_input() {
    let dir = tempfile::tempdir().unwrap();
    let session = write_session(
        dir.path(),
        "[[pool]]\nname = \"r\"\nrun = [\"echo\", \"{}\"]\ninputs = [\"a\", \"b\", \"c\"]\nhosts = [\"nohost.invalid:1\"]\n",
    );
    let results = dir.path().join("r.jsonl");
    // The folder for the SSH control sockets cannot be made.
    let out = proctor()
        .env("TMPDIR", dir.path().join("missing"))
        .args(["run", "--no-journal", "--results"])
        .arg(&results)
        .arg(&session)
        .output()
        .unwrap();
    no_panic(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&results).unwrap();
    let statuses: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["status"].to_string())
        .collect();
    assert_eq!(statuses, vec!["\"failed\""; 3], "{text}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("speedup 0.00x, efficiency 0%"), "{stdout}");
}

#[test]
fn a_disk_that_fills_then_frees_leaves_a_said_hole_in_the_journal() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let Some(small) = FullDisk::mount(dir.path()) else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let mark = dir.path().join("mark");
    let session = write_session(
        dir.path(),
        &format!(
            "[[task]]\nname = \"chatty\"\nrun = [\"sh\", \"-c\", \"echo BEFORE; head -c 300000 /dev/urandom | od -An -tx1; while [ ! -e {} ]; do sleep 0.05; done; echo AFTER\"]\n",
            mark.display()
        ),
    );
    let mut child = proctor()
        .args(["run", "-q"])
        .arg(&session)
        .env("XDG_STATE_HOME", &small.0)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut said = Vec::new();
    while !said
        .iter()
        .any(|l: &String| l.contains("cannot write the journal"))
    {
        said.push(
            rx.recv_timeout(std::time::Duration::from_secs(120))
                .expect("the write error is said"),
        );
    }
    // Room again, then the task's last line.
    let grown = Command::new("mount")
        .args(["-o", "remount,size=8m"])
        .arg(&small.0)
        .status()
        .unwrap();
    assert!(grown.success());
    std::fs::write(&mark, "").unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "a journal error makes the run fail");
    let journal = std::fs::read_dir(small.0.join("proctor/sessions"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".jsonl"))
        .expect("a journal");
    let (events, errors) = proctor::journal::read_journal(&journal).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let hole = events
        .iter()
        .position(|e| e.text_line().contains("could not be written for a while"))
        .expect("the hole is said in the journal");
    let after = events
        .iter()
        .position(|e| e.text_line().contains("AFTER"))
        .expect("what came after the hole is kept");
    assert!(
        hole < after,
        "the hole (#{hole}) before AFTER (#{after}): {:?}",
        events
            .iter()
            .map(|e| (
                e.seq,
                e.kind.name(),
                e.text_line().chars().take(60).collect::<String>()
            ))
            .filter(|(_, k, _)| *k != "stdout")
            .collect::<Vec<_>>()
    );
}

#[test]
fn journals_removed_by_rotation_are_said_at_the_start_and_in_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let sessions = state.join("proctor/sessions");
    std::fs::create_dir_all(&sessions).unwrap();
    for i in 0..3 {
        std::fs::write(
            sessions.join(format!("2020-01-0{}T00-00-00.000-1.jsonl", i + 1)),
            vec![b'x'; 4000],
        )
        .unwrap();
    }
    let session = write_session(dir.path(), "[[task]]\nname = \"t\"\nrun = \"echo hi\"\n");
    let out = proctor()
        .args(["run", "-q"])
        .arg(&session)
        .env("XDG_STATE_HOME", &state)
        .env("PROCTOR_JOURNAL_MAX_BYTES", "5000")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("removed 2 older journals"), "{stderr}");
    assert!(stderr.contains("2020-01-01T00-00-00.000-1.jsonl"), "{stderr}");
    let journal = std::fs::read_dir(&sessions)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".zst"))
        .expect("the new journal");
    let (events, _) = proctor::journal::read_journal(&journal).unwrap();
    assert!(events
        .iter()
        .any(|e| e.text_line().contains("removed 2 older journals")));
}
