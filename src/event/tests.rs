//! Tests of the event module.

use super::*;

fn sample_events() -> Vec<Event> {
    let kinds = vec![
        EventKind::SessionStarted {
            message: "s".into(),
            format: Some(2),
        },
        EventKind::Spawned {
            command: "echo hi".into(),
        },
        EventKind::SpawnFailed {
            message: "No such file".into(),
        },
        EventKind::Stdout {
            line: "a,\"b\"\nc\u{fffd}".into(),
            bytes: Some(raw::encode(b"a,\"b\"\nc\xe9")),
        },
        EventKind::stderr("err"),
        EventKind::SignalSent {
            signal: "SIGTERM".into(),
            message: "SIGKILL in 5s".into(),
            kill_in: Some(5.0),
        },
        EventKind::Exited {
            exit_code: -15,
            runtime: 1.25,
            restart_in: Some(0.5),
            usage: Some(Usage {
                peak_rss_kb: Some(1234),
                user_cpu: 0.5,
                sys_cpu: 0.25,
            }),
            stopped: true,
        },
        EventKind::Paused {
            signal: "SIGSTOP".into(),
        },
        EventKind::Resumed {
            signal: "SIGCONT".into(),
        },
        EventKind::Restarting {
            attempt: 2,
            message: "again".into(),
        },
        EventKind::TaskQueued {
            input_text: "3".into(),
        },
        EventKind::TaskStarted {
            input_text: "3".into(),
        },
        EventKind::TaskDone {
            exit_code: 0,
            result: "9".into(),
            duration: 0.125,
            result_bytes: None,
        },
        EventKind::TaskFailed {
            exit_code: Some(1),
            message: "m".into(),
            duration: 0.5,
            will_retry: true,
        },
        EventKind::TaskCancelled {
            exit_code: Some(7),
            duration: Some(4.5),
        },
        EventKind::PoolState {
            paused: true,
            workers: 3,
        },
        EventKind::PoolDone {
            totals: PoolTotals {
                inputs: 4,
                done: 3,
                failed: 1,
                cancelled: 0,
                wall: 2.0,
                busy: 3.5,
            },
        },
        EventKind::Leftover {
            message: "pid 5".into(),
        },
        EventKind::Error { message: "e".into() },
        EventKind::Cleared {
            message: "cleared 2 ended processes".into(),
        },
        EventKind::SessionEnded {
            message: "bye".into(),
        },
        EventKind::Samples {
            procs: vec![ProcSample(42, 12.5, 2048), ProcSample(43, 0.0, 0)],
            trees: vec![TreeSample(42, 30.0, 4096, 3)],
        },
        EventKind::WorkerHost { host: "b1".into() },
        EventKind::HostDown {
            host: "b1".into(),
            message: "connection lost".into(),
        },
        EventKind::SlurmState {
            job: "42".into(),
            state: slurm::SlurmState::Failed { exit_code: Some(3) },
        },
        EventKind::RestartScheduled { restart_in: 1.5 },
    ];
    let names: Vec<&str> = kinds.iter().map(EventKind::name).collect();
    assert_eq!(names, EventKind::NAMES, "one sample of every kind, in order");
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, k)| {
            let mut e = Event::now(k).process("p-1", Some(42)).pool("pl", Some(3));
            e.seq = i as u64 + 1;
            e
        })
        .collect()
}

#[test]
fn json_lines_round_trip_is_lossless() {
    for e in sample_events() {
        let json = serde_json::to_string(&e).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["kind"], e.kind.name(), "the record's kind is name()");
        let back = parse_json_line(&json).unwrap();
        // Time is kept to the millisecond.
        assert_eq!(back.time.timestamp_millis(), e.time.timestamp_millis());
        let mut e2 = e.clone();
        e2.time = back.time;
        assert_eq!(back, e2, "{json}");
    }
}

#[test]
fn time_is_rfc3339_with_millis_and_offset() {
    let events = sample_events();
    let v: serde_json::Value = serde_json::to_value(&events[0]).unwrap();
    let t = v["time"].as_str().unwrap();
    assert!(DateTime::parse_from_rfc3339(t).is_ok());
    assert_eq!(&t[19..20], ".", "{t}");
    assert!(
        t.ends_with('Z') || t[23..].starts_with('+') || t[23..].starts_with('-'),
        "{t}"
    );
}

#[test]
fn bad_lines_are_errors_not_panics() {
    assert!(parse_json_line("").is_err());
    assert!(parse_json_line("{}").is_err());
    assert!(parse_json_line(r#"{"seq":1,"time":"x","kind":"stdout"}"#).is_err());
    assert!(parse_json_line(r#"{"seq":1,"time":"2026-01-01T00:00:00.000+00:00","kind":"nope"}"#).is_err());
}
