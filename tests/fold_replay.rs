//! The model is a pure fold of events: replaying a session's journal gives
//! the same rows, states, exit codes, restarts and pool counts that folding
//! the live events gave. Property test over generated event sequences, each
//! event written as the journal writes it and read back as History does.

use chrono::{DateTime, Duration, FixedOffset};
use proctor::event::{parse_json_line, Event, EventKind, PoolTotals, Usage};
use proctor::model::SessionModel;
use proptest::prelude::*;

const NAMES: [&str; 4] = ["a", "b", "c", "p/worker-1"];

fn kind(k: u8, n: u32, flag: bool) -> EventKind {
    let code = (n % 7) as i32 - 3;
    match k % 16 {
        0 => EventKind::Spawned {
            command: format!("sleep {n}"),
        },
        1 => EventKind::SpawnFailed {
            message: "cannot start".into(),
        },
        2 => EventKind::SignalSent {
            signal: if flag { "SIGTERM" } else { "SIGHUP" }.into(),
            message: String::new(),
            kill_in: flag.then_some(f64::from(n % 10)),
        },
        3 => EventKind::Exited {
            exit_code: code,
            runtime: f64::from(n) / 8.0,
            restart_in: (n % 3 == 0).then_some(0.5),
            usage: Some(Usage {
                peak_rss_kb: flag.then_some(u64::from(n) * 4),
                user_cpu: 0.25,
                sys_cpu: 0.125,
            }),
            stopped: flag,
        },
        4 => EventKind::Paused {
            signal: "SIGSTOP".into(),
        },
        5 => EventKind::Resumed {
            signal: "SIGCONT".into(),
        },
        6 => EventKind::Restarting {
            attempt: n % 4,
            message: "restart".into(),
        },
        7 => EventKind::TaskQueued {
            input_text: format!("in {n}"),
        },
        8 => EventKind::TaskStarted {
            input_text: format!("in {n}"),
        },
        9 => EventKind::TaskDone {
            exit_code: 0,
            result: format!("{}", n * n),
            duration: 0.5,
            result_bytes: None,
        },
        10 => EventKind::TaskFailed {
            exit_code: Some(code),
            message: "failed".into(),
            duration: 0.25,
            will_retry: flag,
        },
        11 => EventKind::TaskCancelled {
            exit_code: flag.then_some(code),
            duration: flag.then_some(0.5),
        },
        12 => EventKind::PoolState {
            paused: flag,
            workers: (n % 5) as usize + 1,
        },
        13 => EventKind::PoolDone {
            totals: PoolTotals {
                inputs: u64::from(n % 5),
                done: 1,
                failed: 0,
                cancelled: 0,
                wall: 1.5,
                busy: 2.5,
            },
        },
        14 => EventKind::Cleared {
            message: "cleared".into(),
        },
        _ => EventKind::Stdout {
            line: format!("line {n} \u{1b}[1m"),
            bytes: None,
        },
    }
}

fn events(spec: &[(u8, u8, u32, bool)]) -> Vec<Event> {
    let base: DateTime<FixedOffset> = DateTime::parse_from_rfc3339("2026-11-26T12:00:00.000+01:00").unwrap();
    spec.iter()
        .enumerate()
        .map(|(i, &(k, who, n, flag))| {
            let kind = kind(k, n, flag);
            let pooled = matches!(
                kind,
                EventKind::TaskQueued { .. }
                    | EventKind::TaskStarted { .. }
                    | EventKind::TaskDone { .. }
                    | EventKind::TaskFailed { .. }
                    | EventKind::TaskCancelled { .. }
                    | EventKind::PoolState { .. }
                    | EventKind::PoolDone { .. }
            );
            let per_input =
                pooled && !matches!(kind, EventKind::PoolState { .. } | EventKind::PoolDone { .. });
            let global = matches!(kind, EventKind::Cleared { .. });
            let name = NAMES[who as usize % NAMES.len()];
            Event {
                seq: i as u64 + 1,
                time: base + Duration::milliseconds(i as i64 * 37),
                process: (!global && (!pooled || per_input)).then(|| name.to_string()),
                pid: (!global).then_some(1000 + u32::from(who)),
                pool: pooled.then(|| "p".to_string()),
                input: per_input.then_some(u64::from(n % 6)),
                kind,
            }
        })
        .collect()
}

fn fold<'a>(events: impl IntoIterator<Item = &'a Event>) -> SessionModel {
    let mut m = SessionModel::default();
    for e in events {
        m.apply(e);
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn replaying_the_journal_gives_what_the_live_fold_gave(
        spec in prop::collection::vec((any::<u8>(), any::<u8>(), 0u32..50, any::<bool>()), 0..120)
    ) {
        let live = events(&spec);
        let replayed: Vec<Event> = live
            .iter()
            .map(|e| parse_json_line(&serde_json::to_string(e).unwrap()).unwrap())
            .collect();
        let (a, b) = (fold(&live), fold(&replayed));
        prop_assert_eq!(format!("{:?}", a.processes), format!("{:?}", b.processes));
        prop_assert_eq!(format!("{:?}", a.pools), format!("{:?}", b.pools));
        prop_assert_eq!(format!("{:?}", a.leftovers), format!("{:?}", b.leftovers));
        prop_assert_eq!(a.session_ended, b.session_ended);
    }
}

#[test]
fn clear_ended_is_an_event_a_replay_repeats() {
    let spec = [
        (0, 0, 1, false),
        (3, 0, 1, false),
        (0, 1, 2, false),
        (14, 0, 0, false),
    ];
    let m = fold(&events(&spec));
    assert!(m.row("a").is_none(), "the ended row was cleared by the event");
    assert!(m.row("b").is_some(), "a running row stays");
}

#[test]
fn an_error_naming_an_unknown_process_makes_no_row() {
    let mut e = events(&[(0, 0, 1, false)]);
    let mut err = e[0].clone();
    err.process = Some("ghost".into());
    err.kind = EventKind::Error {
        message: "not starting `ghost`: the session is ending".into(),
    };
    e.push(err);
    let m = fold(&e);
    assert!(m.row("ghost").is_none());
    assert_eq!(m.processes.len(), 1);
}
