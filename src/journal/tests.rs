use super::*;
use crate::event::{Event, EventKind};
use reader::read_line_bounded;
use std::fs::File;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, SystemTime};

#[test]
fn writes_whole_lines_with_mode_0600_and_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        dir: dir.path().to_path_buf(),
        max_total_bytes: u64::MAX,
    };
    let path;
    {
        let mut j = Journal::create(&cfg).unwrap();
        path = j.path().to_path_buf();
        for i in 0..1000 {
            let mut e = Event::now(EventKind::stdout(format!("line {i}, \"quoted\""))).process("p", Some(1));
            e.seq = i + 1;
            j.append(&e);
        }
    }
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let (events, errors) = read_journal(&path).unwrap();
    assert!(errors.is_empty());
    assert_eq!(events.len(), 1000);
    assert_eq!(events[999].text(), "line 999, \"quoted\"");
}

#[test]
fn the_summary_counts_user_stops_apart_from_failures() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.jsonl");
    let exited = |name: &str, exit_code, stopped| {
        Event::now(EventKind::Exited {
            exit_code,
            runtime: 1.0,
            restart_in: None,
            usage: None,
            stopped,
        })
        .process(name, Some(1))
    };
    let events = [
        exited("a", -15, true),
        exited("b", 1, false),
        exited("c", 0, false),
        // A pool stopped by the user: two cancelled inputs, its worker's
        // stopped exit not counted again.
        Event::now(EventKind::TaskCancelled {
            exit_code: None,
            duration: None,
        })
        .pool("p", Some(3)),
        Event::now(EventKind::TaskCancelled {
            exit_code: None,
            duration: None,
        })
        .pool("p", Some(4)),
        exited("p/worker-1", -15, true).pool("p", None),
    ];
    let text: String = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(&p, text).unwrap();
    let s = summarize(&p, 0);
    assert_eq!((s.failures, s.stopped), (1, 3));
}

#[test]
fn a_cut_last_line_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.jsonl");
    let mut e = Event::now(EventKind::stdout("x"));
    e.seq = 1;
    let line = serde_json::to_string(&e).unwrap();
    std::fs::write(&p, format!("{line}\n{}", &line[..10])).unwrap();
    let (events, errors) = read_journal(&p).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains(":2:"));
}

#[test]
fn a_file_of_bad_lines_lists_the_first_thousand_and_counts_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.jsonl");
    let mut text = started(Some(2)) + "\n";
    for i in 0..5000 {
        text.push_str(&format!("not an event {i}\n"));
    }
    std::fs::write(&p, text).unwrap();
    let mut events = 0;
    let problems = crate::journal::for_each_event(&p, |_| events += 1).unwrap();
    assert_eq!(events, 1);
    assert_eq!(problems.len(), 5000);
    assert!(problems.first().unwrap().contains(":2:"));
    let list = problems.into_list();
    assert_eq!(list.len(), 1001, "the first 1,000, then a count of the rest");
    assert!(list[1000].contains("4000 more lines skipped"), "{}", list[1000]);
}

fn started(format: Option<u32>) -> String {
    let mut e = Event::now(EventKind::SessionStarted {
        message: "m".into(),
        format,
    });
    e.seq = 1;
    serde_json::to_string(&e).unwrap()
}

#[test]
fn the_format_is_read_from_the_first_event() {
    assert_eq!(check_format(&started(None)), Ok(1));
    assert_eq!(check_format(&started(Some(FORMAT))), Ok(FORMAT));
    // Not a session start (a filtered export), or not JSON: format 1,
    // and the line parser says what is wrong with it.
    assert_eq!(check_format(r#"{"seq":5,"kind":"stdout","format":99}"#), Ok(1));
    assert_eq!(check_format("{not json"), Ok(1));
    let newer = check_format(&started(Some(FORMAT + 1))).unwrap_err();
    assert!(newer.contains(&format!("format {}", FORMAT + 1)), "{newer}");
    assert!(newer.contains("newer Proctor"), "{newer}");
    assert!(check_format(r#"{"kind":"session_started","format":"two"}"#).is_err());
    assert!(check_format(r#"{"kind":"session_started","format":1e99}"#).is_err());
}

#[test]
fn a_newer_journal_is_refused_whole_an_older_one_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.jsonl");
    let mut out = Event::now(EventKind::stdout("x"));
    out.seq = 2;
    let out = serde_json::to_string(&out).unwrap();
    for (format, ok) in [(None, true), (Some(FORMAT), true), (Some(FORMAT + 1), false)] {
        std::fs::write(&p, format!("\n{}\n{out}\n", started(format))).unwrap();
        match read_journal(&p) {
            Ok((events, errors)) => {
                assert!(ok, "{format:?} read");
                assert_eq!((events.len(), errors.len()), (2, 0));
            }
            Err(e) => {
                assert!(!ok, "{format:?}: {e}");
                assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                assert!(e.to_string().contains("newer Proctor"), "{e}");
            }
        }
    }
}

#[test]
fn rotation_removes_the_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for i in 0..5 {
        let p = dir.path().join(format!("{i}.jsonl"));
        std::fs::write(&p, vec![b'x'; 100]).unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + i * 10);
        File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
        paths.push(p);
    }
    let removed = rotate(dir.path(), 300, Some(&paths[0]));
    // 500 bytes, max 300: two removed, the oldest that are not kept.
    assert_eq!(removed, vec![paths[1].clone(), paths[2].clone()]);
    assert!(paths[0].exists() && paths[3].exists() && paths[4].exists());
}

#[test]
fn a_journal_of_a_newer_format_says_why_in_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("future.jsonl");
    std::fs::write(
        &p,
        "{\"seq\":1,\"time\":\"2026-11-26T12:00:00.000+00:00\",\"kind\":\"session_started\",\"format\":99}\n",
    )
    .unwrap();
    let s = summarize(&p, 10);
    assert!(s.problem.as_deref().is_some_and(|m| m.contains("newer")), "{s:?}");
    assert_eq!(s.events, 0);
}

#[test]
fn an_endless_line_is_skipped_in_bounded_memory() {
    let mut data = b"first\n".to_vec();
    data.extend(std::iter::repeat_n(b'x', 100));
    data.extend_from_slice(b"\nlast");
    let mut r = std::io::Cursor::new(data);
    let mut buf = Vec::new();
    assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (6, true));
    assert_eq!(buf, b"first");
    assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (101, false));
    assert!(buf.len() <= 10);
    assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (4, true));
    assert_eq!(buf, b"last");
    assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap().0, 0);
}

#[test]
fn rotation_never_removes_a_live_journal() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = JournalConfig {
        dir: dir.path().to_path_buf(),
        max_total_bytes: 1,
    };
    let mut live = Journal::create(&cfg).unwrap();
    live.append(&Event::now(EventKind::stdout("x".repeat(500))));
    live.flush();
    assert!(is_live(live.path()));
    std::thread::sleep(Duration::from_millis(5));
    let second = Journal::create(&cfg).unwrap();
    assert!(live.path().exists(), "the live journal is kept");
    let first = live.path().to_path_buf();
    drop(live);
    assert!(!is_live(&first));
    let removed = rotate(dir.path(), 1, Some(second.path()));
    assert_eq!(removed, vec![first], "an ended journal can go");
}

#[test]
fn default_dir_follows_xdg_state_home() {
    assert!(default_dir().ends_with("proctor/sessions"));
}

#[test]
fn the_summary_counts_the_rows_a_pool_session_shows() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("j.jsonl");
    let spawned = |name: &str| {
        Event::now(EventKind::Spawned { command: "w".into() })
            .process(name, Some(1))
            .pool("p", None)
    };
    let mut events = vec![spawned("p/worker-1"), spawned("p/worker-2")];
    for i in 0..50 {
        events.push(
            Event::now(EventKind::TaskDone {
                exit_code: 0,
                result: "r".repeat(1000),
                duration: 0.1,
                result_bytes: None,
            })
            .process("p/worker-1", Some(1))
            .pool("p", Some(i)),
        );
    }
    // The same worker started again is still one row.
    events.push(spawned("p/worker-1"));
    let text: String = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    std::fs::write(&p, text).unwrap();
    let s = summarize(&p, 0);
    assert_eq!((s.rows, s.processes, s.events), (2, 3, 53));
}

#[test]
fn a_journal_read_in_part_says_so_in_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole.jsonl");
    let damaged = dir.path().join("damaged.jsonl");
    let mut e = Event::now(EventKind::stdout("x"));
    e.seq = 2;
    let line = serde_json::to_string(&e).unwrap();
    std::fs::write(&whole, format!("{}\n{line}\n", started(Some(FORMAT)))).unwrap();
    std::fs::write(
        &damaged,
        format!("{}\n{line}\nnot an event\n{line}\n", started(Some(FORMAT))),
    )
    .unwrap();
    let w = summarize(&whole, 0);
    assert_eq!(w.damage, None);
    let d = summarize(&damaged, 0);
    assert_eq!(d.events, 3, "the rest is counted");
    assert!(d.damage.as_deref().is_some_and(|m| m.contains(":3:")), "{d:?}");
    // And through the folder's listing (and its cache).
    for _ in 0..2 {
        let listed = list_journals(dir.path());
        let d = listed.iter().find(|j| j.path == damaged).unwrap();
        assert!(d.damage.is_some(), "{d:?}");
        assert!(listed.iter().find(|j| j.path == whole).unwrap().damage.is_none());
    }
}

#[test]
fn a_journal_without_its_sessions_end_is_unfinished_unless_a_session_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.jsonl");
    let whole = dir.path().join("whole.jsonl");
    let end = Event::now(EventKind::SessionEnded {
        message: String::new(),
    });
    let end = serde_json::to_string(&end).unwrap();
    std::fs::write(&cut, format!("{}\n", started(Some(FORMAT)))).unwrap();
    std::fs::write(&whole, format!("{}\n{end}\n", started(Some(FORMAT)))).unwrap();
    assert!(summarize(&cut, 0).unfinished());
    assert!(!summarize(&whole, 0).unfinished());
    // Listed twice: the second from the folder's cache.
    for _ in 0..2 {
        let listed = list_journals(dir.path());
        assert!(listed.iter().find(|j| j.path == cut).unwrap().unfinished());
        assert!(!listed.iter().find(|j| j.path == whole).unwrap().unfinished());
    }
    // A session still writing it: live, not unfinished.
    let file = std::fs::File::open(&cut).unwrap();
    super::rotate::lock(&file, libc::LOCK_EX).unwrap();
    let listed = list_journals(dir.path());
    let c = listed.iter().find(|j| j.path == cut).unwrap();
    assert!(c.live && !c.unfinished(), "{c:?}");
}
