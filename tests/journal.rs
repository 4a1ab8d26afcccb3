//! The on-disk journal: complete after a crash, readable line by line.

mod common;
use common::{gone, wait_for};
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
    // Many flush intervals later (100 ms each; more for a loaded machine),
    // everything up to `seen` is on disk.
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(out);

    let journals: Vec<_> = std::fs::read_dir(state.path().join("proctor/sessions"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(journals.len(), 1);
    assert!(journals[0].to_string_lossy().ends_with(".jsonl.zst"));
    // Whole frames only: every record decodes and parses, none is torn.
    let mut text = String::new();
    let mut r = proctor::journal::open_journal(&journals[0]).unwrap();
    std::io::Read::read_to_string(&mut r, &mut text).unwrap();
    assert!(!r.torn, "only whole frames are written");
    let mut expected = 1u64;
    for (i, l) in text.lines().enumerate() {
        let e = proctor::event::parse_json_line(l)
            .unwrap_or_else(|err| panic!("line {} does not parse: {err}", i + 1));
        e.for_each_line(|e| {
            if let proctor::event::EventKind::Stdout { line, .. } = &e.kind {
                if let Some(n) = line.strip_prefix("line-") {
                    assert_eq!(n.parse::<u64>().unwrap(), expected, "no line missing");
                    expected += 1;
                }
            }
        });
    }
    assert!(
        expected > seen,
        "journal holds line-{seen} (it holds up to line-{})",
        expected - 1
    );
    assert!(text.ends_with('\n'), "only whole lines are written");
    // The child died with Proctor (PR_SET_PDEATHSIG).
    // (A zombie counts as dead: another test of this file starts an engine
    // here, which makes this process the subreaper that adopts it.)
    wait_for("the child to die with proctor", || gone(counter_pid));
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

fn only_journal(state: &std::path::Path) -> std::path::PathBuf {
    let mut all: Vec<_> = std::fs::read_dir(state.join("proctor/sessions"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(all.len(), 1, "{all:?}");
    all.pop().unwrap()
}

fn run_quiet(state: &std::path::Path, toml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.toml");
    std::fs::write(&session, toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(["run", "-q"])
        .arg(&session)
        .env("XDG_STATE_HOME", state)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_chatty_child_costs_the_journal_less_than_twice_its_text_and_loses_no_line() {
    let state = tempfile::tempdir().unwrap();
    run_quiet(
        state.path(),
        "[[task]]\nname = \"count\"\nrun = [\"seq\", \"200000\"]\n",
    );
    let journal = only_journal(state.path());
    let text_bytes: u64 = (1..=200_000u64).map(|n| n.to_string().len() as u64 + 1).sum();
    let size = std::fs::metadata(&journal).unwrap().len();
    assert!(
        size <= 2 * text_bytes,
        "journal {size} bytes for {text_bytes} bytes of output"
    );
    let (events, errors) = proctor::journal::read_journal(&journal).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let mut lines = Vec::new();
    let mut output_events = 0;
    for e in events {
        if matches!(e.kind, proctor::event::EventKind::Stdout { .. }) {
            output_events += 1;
        }
        e.for_each_line(|e| {
            if let proctor::event::EventKind::Stdout { line, .. } = e.kind {
                lines.push(line);
            }
        });
    }
    let expected: Vec<String> = (1..=200_000u64).map(|n| n.to_string()).collect();
    assert!(lines == expected, "every line, once, in order");
    // Lines read together are one record.
    assert!(output_events < 20_000, "{output_events} output records");
}

#[test]
fn a_torn_last_frame_is_skipped_and_said_and_a_plain_journal_still_opens() {
    let state = tempfile::tempdir().unwrap();
    run_quiet(
        state.path(),
        "[[task]]\nname = \"a\"\nrun = [\"echo\", \"hello\"]\n",
    );
    let journal = only_journal(state.path());
    let (whole, errors) = proctor::journal::read_journal(&journal).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    // A crash in the middle of a frame: half of another frame at the end.
    let mut bytes = std::fs::read(&journal).unwrap();
    let frame = bytes.clone();
    bytes.extend_from_slice(&frame[..frame.len() / 2]);
    let torn = state.path().join("torn.jsonl.zst");
    std::fs::write(&torn, &bytes).unwrap();
    let (events, errors) = proctor::journal::read_journal(&torn).unwrap();
    assert_eq!(events, whole, "everything before the tear is read");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("cut short"), "{errors:?}");
    // The same events as plain JSON Lines (a format 2 journal's form).
    let plain = state.path().join("plain.jsonl");
    let mut text = String::new();
    for e in &whole {
        text.push_str(&serde_json::to_string(e).unwrap());
        text.push('\n');
    }
    std::fs::write(&plain, text).unwrap();
    assert_eq!(proctor::journal::read_journal(&plain).unwrap().0, whole);
}

#[test]
fn zstdcat_and_jq_read_the_journal() {
    let have = |tool: &str| {
        Command::new(tool)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !have("zstdcat") || !have("jq") {
        eprintln!("SKIPPED: zstdcat or jq is not installed (.ci/run installs them)");
        return;
    }
    let state = tempfile::tempdir().unwrap();
    run_quiet(
        state.path(),
        "[[task]]\nname = \"a\"\nrun = [\"printf\", \"one\\\\ntwo\\\\n\"]\n",
    );
    let journal = only_journal(state.path());
    let out = Command::new("sh")
        .arg("-c")
        .arg("zstdcat \"$1\" | jq -r 'select(.kind == \"stdout\") | .line'")
        .arg("sh")
        .arg(&journal)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\ntwo\n");
}

/// A journal of three zstd frames of 100 output events each (lines 1 to
/// 300), each frame with a checksum, as the writer makes them.
fn three_frames() -> (Vec<Vec<u8>>, Vec<proctor::event::Event>) {
    let mut frames = Vec::new();
    let mut all = Vec::new();
    for f in 0..3 {
        let mut text = String::new();
        for i in 1..=100 {
            let e = proctor::event::Event::now(proctor::event::EventKind::stdout(format!(
                "line {}",
                f * 100 + i
            )))
            .process("a", Some(1));
            text.push_str(&serde_json::to_string(&e).unwrap());
            text.push('\n');
            all.push(e);
        }
        let mut c = zstd::bulk::Compressor::new(1).unwrap();
        c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true))
            .unwrap();
        frames.push(c.compress(text.as_bytes()).unwrap());
    }
    (frames, all)
}

fn read_bytes(bytes: &[u8]) -> (Vec<proctor::event::Event>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl.zst");
    std::fs::write(&path, bytes).unwrap();
    proctor::journal::read_journal(&path).unwrap()
}

#[test]
fn a_damaged_frame_in_the_middle_loses_only_itself() {
    let (frames, all) = three_frames();
    let lines =
        |events: &[proctor::event::Event]| -> Vec<String> { events.iter().map(|e| e.text_line()).collect() };
    let want: Vec<String> = lines(&all[..100]).into_iter().chain(lines(&all[200..])).collect();
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 3] = [
        ("a byte flipped inside", |f| {
            let at = f.len() / 2;
            f[at] ^= 0x55;
        }),
        ("its header spoiled", |f| f[5] ^= 0xff),
        ("cut to half", |f| f.truncate(f.len() / 2)),
    ];
    for (what, damage) in damages {
        let mut middle = frames[1].clone();
        damage(&mut middle);
        let bytes = [frames[0].clone(), middle, frames[2].clone()].concat();
        let (events, errors) = read_bytes(&bytes);
        assert_eq!(
            lines(&events),
            want,
            "{what}: the frames before and after are read"
        );
        assert_eq!(errors.len(), 1, "{what}: {errors:?}");
        assert!(errors[0].contains("1 damaged part"), "{what}: {errors:?}");
        assert!(!errors[0].contains("cut short"), "{what}: {errors:?}");
    }
    // Garbage after the last frame is damage, not a crash's tear.
    let bytes = [frames.concat(), b"not a frame at all".to_vec()].concat();
    let (events, errors) = read_bytes(&bytes);
    assert_eq!(events.len(), 300);
    assert!(
        errors.len() == 1 && errors[0].contains("damaged part"),
        "{errors:?}"
    );
}

#[test]
fn a_flipped_byte_in_a_real_journal_never_reads_as_other_lines() {
    let state = tempfile::tempdir().unwrap();
    run_quiet(
        state.path(),
        "[[task]]\nname = \"count\"\nrun = [\"seq\", \"300000\"]\n",
    );
    let journal = only_journal(state.path());
    let mut bytes = std::fs::read(&journal).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    let (events, errors) = read_bytes(&bytes);
    assert!(errors.iter().any(|e| e.contains("damaged part")), "{errors:?}");
    // What is read is the lines as printed: one gap (the damaged frame),
    // never a changed line, and the lines after the damage are there.
    let mut lines = Vec::new();
    for e in events {
        e.for_each_line(|e| {
            if let proctor::event::EventKind::Stdout { line, .. } = e.kind {
                lines.push(line.parse::<u64>().expect("a number as printed"));
            }
        });
    }
    let gaps = lines.windows(2).filter(|w| w[1] != w[0] + 1).count();
    assert!(gaps <= 1, "{gaps} gaps");
    assert!(lines.iter().all(|w| *w >= 1 && *w <= 300_000));
    assert_eq!(
        lines.last(),
        Some(&300_000),
        "the frames after the damage are read"
    );
}

#[test]
fn export_streams_a_large_journal_in_bounded_memory() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("big.jsonl");
    let n = 400_000;
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&journal).unwrap());
        for i in 0..n {
            let e = proctor::event::Event::now(proctor::event::EventKind::stdout(format!("line {i}")))
                .process("a", Some(1));
            serde_json::to_writer(&mut w, &e).unwrap();
            w.write_all(b"\n").unwrap();
        }
    }
    for out in ["big.csv", "big.txt", "big.out.jsonl", "big.svg"] {
        let out = dir.path().join(out);
        // The high-water mark of its memory, read until it exits.
        let (status, peak_kb) = export_peak_kb(&journal, &out);
        assert!(status.success(), "{}", out.display());
        let lines = std::fs::read_to_string(&out).unwrap().lines().count();
        let svg = out.extension().is_some_and(|x| x == "svg");
        assert!(svg || lines >= n, "{}: {lines} lines", out.display());
        // Held whole, 400,000 events were over 100 MB.
        assert!(peak_kb < 60 * 1024, "{}: {} MB", out.display(), peak_kb / 1024);
    }
}

/// The journals in a folder.
fn journals_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

#[test]
fn a_session_in_which_nothing_ran_leaves_no_journal_and_one_that_ran_keeps_it() {
    use proctor::engine::{Command as Cmd, Engine, EngineConfig};
    use proctor::event::EventKind;
    use proctor::journal::JournalConfig;
    let state = tempfile::tempdir().unwrap();
    let config = || EngineConfig {
        journal: Some(JournalConfig {
            dir: state.path().to_path_buf(),
            max_total_bytes: 1 << 30,
        }),
        ..Default::default()
    };
    // An app opened and closed: nothing ran.
    let engine = Engine::start(config()).unwrap();
    let mut ended = false;
    engine.shutdown(|e| ended |= matches!(e.kind, EventKind::SessionEnded { .. }));
    assert!(ended, "the session still ends as always");
    assert_eq!(journals_in(state.path()), Vec::<std::path::PathBuf>::new());

    // A task that ran (even one that could not start) is kept.
    let engine = Engine::start(config()).unwrap();
    engine
        .send(Cmd::Start {
            task: common::sh("t", "true"),
        })
        .unwrap();
    engine
        .send(Cmd::Start {
            task: common::sh("missing", "exec /nonexistent/x"),
        })
        .unwrap();
    engine.shutdown(|_| {});
    let kept = journals_in(state.path());
    assert_eq!(kept.len(), 1, "{kept:?}");
    let (events, _) = proctor::journal::read_journal(&kept[0]).unwrap();
    assert!(events
        .iter()
        .any(|e| e.process.as_deref() == Some("t") && matches!(e.kind, EventKind::Spawned { .. })));
}

/// Peak memory (VmHWM) of `proctor export JOURNAL OUT` and its status.
fn export_peak_kb(journal: &std::path::Path, out: &std::path::Path) -> (std::process::ExitStatus, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("export")
        .arg(journal)
        .arg(out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut peak_kb = 0u64;
    loop {
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{}/status", child.id())) {
            if let Some(kb) = s
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kb = peak_kb.max(kb);
            }
        }
        if let Some(s) = child.try_wait().unwrap() {
            return (s, peak_kb);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn a_journal_made_one_big_frame_by_zstd_reads_in_bounded_memory() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("one-frame.jsonl.zst");
    let n = 400_000;
    {
        // As `zstdcat j | zstd` makes it: one frame, its size not said.
        let file = std::fs::File::create(&journal).unwrap();
        let mut z = zstd::stream::write::Encoder::new(file, 1).unwrap();
        z.include_checksum(true).unwrap();
        for i in 0..n {
            let e = proctor::event::Event::now(proctor::event::EventKind::stdout(format!("line {i}")))
                .process("a", Some(1));
            serde_json::to_writer(&mut z, &e).unwrap();
            z.write_all(b"\n").unwrap();
        }
        z.finish().unwrap();
    }
    let out = dir.path().join("out.txt");
    let (status, peak_kb) = export_peak_kb(&journal, &out);
    assert!(status.success());
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), n);
    assert!(text.lines().last().unwrap().ends_with("line 399999"));
    // Decoded whole, the frame's 40 MB of text were held at once.
    assert!(peak_kb < 30 * 1024, "{} MB", peak_kb / 1024);
}

#[test]
fn a_big_frame_whose_checksum_fails_is_said_and_the_next_frame_read() {
    let (frames, all) = three_frames();
    let dir = tempfile::tempdir().unwrap();
    let mut big = Vec::new();
    {
        let mut z = zstd::stream::write::Encoder::new(&mut big, 1).unwrap();
        z.include_checksum(true).unwrap();
        std::io::copy(&mut &vec![b'x'; 100][..], &mut z).unwrap();
        for i in 0..200_000 {
            let e = proctor::event::Event::now(proctor::event::EventKind::stdout(format!("big {i}")));
            let mut line = serde_json::to_vec(&e).unwrap();
            line.push(b'\n');
            std::io::copy(&mut &line[..], &mut z).unwrap();
        }
        z.finish().unwrap();
    }
    // The big frame's checksum (its last 4 bytes) spoiled.
    let last = big.len() - 2;
    big[last] ^= 0x55;
    let mut bytes = frames[0].clone();
    bytes.extend_from_slice(&big);
    bytes.extend_from_slice(&frames[1]);
    let path = dir.path().join("j.jsonl.zst");
    std::fs::write(&path, &bytes).unwrap();
    let (events, errors) = proctor::journal::read_journal(&path).unwrap();
    assert!(errors.iter().any(|e| e.contains("1 damaged part")), "{errors:?}");
    // The frames around it are read whole, and nothing of it: zstd finds
    // the damage only at the frame's end, and none of its lines may read
    // as events before that.
    let texts: Vec<String> = events.iter().map(|e| e.text()).collect();
    assert!(
        !texts.iter().any(|t| t.starts_with("big ")),
        "no line of the damaged frame"
    );
    for e in &all[..200] {
        assert!(texts.contains(&e.text()), "{} lost", e.text());
    }
}

#[test]
fn export_says_a_damaged_part_as_such_not_as_a_line() {
    let (frames, _) = three_frames();
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = frames[0].clone();
    let mut spoiled = frames[1].clone();
    let mid = spoiled.len() / 2;
    spoiled[mid] ^= 0xff;
    bytes.extend_from_slice(&spoiled);
    bytes.extend_from_slice(&frames[2]);
    let path = dir.path().join("j.jsonl.zst");
    std::fs::write(&path, &bytes).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("export")
        .arg(&path)
        .arg(dir.path().join("out.txt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("1 damaged part of the journal skipped"),
        "{stderr}"
    );
    assert!(!stderr.contains("line that is not an event"), "{stderr}");
    assert!(stderr.contains("wrote 200 events"), "{stderr}");
}

/// A journal without its session's end (the session was killed, or its
/// disk stopped taking writes) is pointed out by `export` and `history`;
/// a whole one is not.
#[test]
fn a_journal_without_its_sessions_end_is_said_by_export_and_history() {
    let state = tempfile::tempdir().unwrap();
    run_quiet(state.path(), "[[task]]\nname = \"t\"\nrun = [\"echo\", \"hi\"]\n");
    let whole = only_journal(state.path());
    let text = zstd::stream::decode_all(&std::fs::read(&whole).unwrap()[..]).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("\"session_ended\""), "{text}");
    let cut: String = text
        .lines()
        .filter(|l| !l.contains("\"session_ended\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let unfinished = whole.with_file_name("2099-01-01T00-00-00.000-1.jsonl.zst");
    std::fs::write(&unfinished, zstd::stream::encode_all(cut.as_bytes(), 1).unwrap()).unwrap();
    let export = |journal: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
            .arg("export")
            .arg(journal)
            .arg(state.path().join("out.txt"))
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let said = export(&unfinished);
    assert!(said.contains("ends without its session's end"), "{said}");
    let said = export(&whole);
    assert!(!said.contains("ends without"), "{said}");
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("history")
        .env("XDG_STATE_HOME", state.path())
        .output()
        .unwrap();
    let listing = String::from_utf8_lossy(&out.stdout);
    let line = |name: &std::path::Path| {
        let name = name.file_name().unwrap().to_str().unwrap().to_string();
        listing
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line(&unfinished).contains("(unfinished)"), "{listing}");
    assert!(!line(&whole).contains("(unfinished)"), "{listing}");
}
