//! Persistent pools' protocols, end to end: `lines` joins a long answer into
//! one result and refuses an input it cannot send; `jsonl` matches answers by
//! id, so a missing, extra or mismatched answer is an error and the input is
//! retried, never a shifted result. The real binary and real workers.

use proctor::event::{Event, EventKind};
use proctor::journal::read_journal;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, session: &str) -> Vec<Event> {
    let path = dir.join("session.toml");
    std::fs::write(&path, session).unwrap();
    let export = dir.join("events.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(["run", "-q", "--no-journal"])
        .arg(&path)
        .arg("--export")
        .arg(&export)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    read_journal(&export)
        .unwrap_or_else(|e| panic!("{e}: {stderr}"))
        .0
}

/// Each input's final outcome: `Ok(result)` or `Err(message)`.
fn outcomes(events: &[Event]) -> BTreeMap<u64, Result<String, String>> {
    let mut out = BTreeMap::new();
    for e in events {
        match &e.kind {
            EventKind::TaskDone { result, .. } => {
                out.insert(e.input.unwrap(), Ok(result.clone()));
            }
            EventKind::TaskFailed {
                message,
                will_retry: false,
                ..
            } => {
                out.insert(e.input.unwrap(), Err(message.clone()));
            }
            _ => {}
        }
    }
    out
}

fn errors(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Error { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn lines_join_a_long_answer_and_refuse_an_input_with_a_newline() {
    let dir = tempfile::tempdir().unwrap();
    let events = run(
        dir.path(),
        r#"[[pool]]
name = "p"
mode = "persistent"
workers = 1
run = ["sh", "-c", 'while read l; do if [ "$l" = big ]; then head -c 200000 /dev/zero | tr "\0" x; echo; else echo "<$l>"; fi; done']
inputs = ["a", "big", "two\nlines", "b"]
"#,
    );
    let o = outcomes(&events);
    assert_eq!(o[&0], Ok("<a>".to_string()));
    assert_eq!(
        o[&1].as_ref().map(String::len),
        Ok(200_000),
        "one answer, one result"
    );
    assert!(o[&2].as_ref().unwrap_err().contains("newline"), "{:?}", o[&2]);
    assert_eq!(o[&3], Ok("<b>".to_string()), "nothing shifted");
}

const WORKER: &str = r#"
import json, os, sys
flag = sys.argv[1]
for line in sys.stdin:
    m = json.loads(line)
    i, x = m["id"], m["input"]
    if x == "extra":
        print(json.dumps({"id": i, "result": "first"}))
        print(json.dumps({"id": i, "result": "second"}))
    elif x == "garbage":
        print("a log line on stdout")
        print(json.dumps({"id": i, "result": "after garbage"}))
    elif x == "fail":
        print(json.dumps({"id": i, "error": "cannot do this one"}))
    elif x == "wrong id":
        print(json.dumps({"id": 999, "result": "stray"}))
        print(json.dumps({"id": i, "result": "right"}))
    elif x == "skip" and not os.path.exists(flag):
        open(flag, "w").close()  # no answer the first time
    else:
        print(json.dumps({"id": i, "result": x.upper()}))
    sys.stdout.flush()
"#;

#[test]
fn jsonl_matches_answers_by_id_and_retries_an_unanswered_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("worker.py"), WORKER).unwrap();
    let flag = dir.path().join("skipped-once");
    let events = run(
        dir.path(),
        &format!(
            r#"[[pool]]
name = "p"
mode = "persistent"
protocol = "jsonl"
workers = 1
retries = 1
timeout = 5
run = ["python3", "-u", "worker.py", "{}"]
inputs = ["a\nb", "extra", "garbage", "fail", "wrong id", "skip", "c"]
"#,
            flag.display()
        ),
    );
    let o = outcomes(&events);
    assert_eq!(o[&0], Ok("A\nB".to_string()), "a newline travels inside the JSON");
    assert_eq!(o[&1], Ok("first".to_string()));
    assert_eq!(o[&2], Ok("after garbage".to_string()));
    assert_eq!(o[&3], Err("cannot do this one".to_string()));
    assert_eq!(o[&4], Ok("right".to_string()));
    assert_eq!(o[&5], Ok("SKIP".to_string()), "unanswered, then retried");
    assert_eq!(o[&6], Ok("C".to_string()));
    assert!(flag.exists());
    let retried = events
        .iter()
        .any(|e| e.input == Some(5) && matches!(e.kind, EventKind::TaskFailed { will_retry: true, .. }));
    assert!(retried, "the unanswered input failed once and was retried");
    let errs = errors(&events);
    for needle in [
        "(input 1, attempt 1)",
        "not a jsonl answer",
        "answered request 999",
    ] {
        assert!(errs.iter().any(|m| m.contains(needle)), "{needle}: {errs:?}");
    }
}

#[test]
fn half_an_answer_from_a_worker_that_dies_is_no_answer_and_blames_no_other_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("w.py"),
        "import sys, time\nfor line in sys.stdin:\n    s = line.strip()\n    if s == 'slow':\n        sys.stdout.write('PARTIAL'); sys.stdout.flush(); time.sleep(60)\n    print('r:' + s, flush=True)\n",
    )
    .unwrap();
    let events = run(
        dir.path(),
        r#"[[pool]]
name = "p"
mode = "persistent"
workers = 1
timeout = 5
run = ["python3", "-u", "w.py"]
inputs = ["a", "slow", "b"]
"#,
    );
    let o = outcomes(&events);
    assert_eq!(o[&0], Ok("r:a".to_string()));
    assert!(o[&1].is_err(), "the timed-out input did not succeed: {:?}", o[&1]);
    assert_eq!(
        o[&2],
        Ok("r:b".to_string()),
        "the next input is not blamed, and runs"
    );
}

#[test]
fn jsonl_ignores_a_late_answer_to_an_earlier_attempt_and_stops_a_worker_whose_answer_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("w.py"),
        r#"import json, os, sys, threading, time
def later(i):
    time.sleep(0.3)
    print(json.dumps({"id": i, "result": "stale"}), flush=True)
for line in sys.stdin:
    m = json.loads(line)
    i, x = m["id"], m["input"]
    if x == "flaky" and not os.path.exists("seen"):
        open("seen", "w").close()
        print(json.dumps({"id": i, "error": "transient"}), flush=True)
        threading.Thread(target=later, args=(i,)).start()
    elif x == "flaky":
        time.sleep(0.6)
        print(json.dumps({"id": i, "result": "fresh"}), flush=True)
    elif x == "huge":
        time.sleep(0.5)  # after the late answer: two threads' lines must not mix
        print(json.dumps({"id": i, "result": "x" * (17 << 20)}), flush=True)
    else:
        print(json.dumps({"id": i, "result": x}), flush=True)
"#,
    )
    .unwrap();
    let events = run(
        dir.path(),
        r#"[[pool]]
name = "p"
mode = "persistent"
protocol = "jsonl"
workers = 1
retries = 1
timeout = 10
run = ["python3", "-u", "w.py"]
inputs = ["flaky", "z", "huge"]
"#,
    );
    let o = outcomes(&events);
    assert_eq!(o[&0], Ok("fresh".to_string()), "not the late answer to attempt 1");
    assert_eq!(o[&1], Ok("z".to_string()));
    assert!(o[&2].is_err(), "an unreadable answer is no result: {:?}", o[&2]);
    let errs = errors(&events);
    assert!(errs.iter().any(|m| m.contains("an earlier attempt")), "{errs:?}");
    assert!(
        errs.iter().any(|m| m.contains("cannot be read; stopping it")),
        "{errs:?}"
    );
}
