//! The log store's tests (see `log_store`).

use super::*;

fn out(process: &str, line: &str) -> Event {
    Event::now(EventKind::stdout(line)).process(process, Some(7))
}

#[test]
fn lines_of_a_batched_event_are_lines_of_their_own() {
    let mut s = LogStore::with_capacity(100);
    let mut e = Event::now(EventKind::stderr("a\nbb\n\nc")).process("w", Some(3));
    e.seq = 9;
    e.pool = Some("p".into());
    e.input = Some(4);
    let r = s.push(e.clone());
    assert_eq!(r, 0..4);
    let got: Vec<Event> = s.events().collect();
    assert_eq!(got, e.clone().into_lines());
    assert_eq!(s.get(1).map(|e| e.text()), Some("bb".to_string()));
    assert_eq!(s.get(2).map(|e| e.text()), Some(String::new()));
    assert_eq!(s.line(3).map(|l| l.kind()), Some(LineKind::Stderr));
    assert_eq!(s.get(4), None);
}

#[test]
fn output_that_is_not_utf8_is_kept_as_its_text_a_line_each() {
    let mut s = LogStore::with_capacity(100);
    let raw = b"ok\n\xff\n\xc3\xa9";
    let e = Event::now(EventKind::Stdout {
        line: "ok\n\u{fffd}\n\u{e9}".into(),
        bytes: Some(crate::event::raw::encode(raw)),
    })
    .process("w", Some(3));
    assert_eq!(s.push(e), 0..3);
    let kinds: Vec<EventKind> = s.events().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            EventKind::stdout("ok"),
            EventKind::stdout("\u{fffd}"),
            EventKind::stdout("\u{e9}")
        ],
        "the text, a line each; the exact bytes stay in the journal"
    );
}

#[test]
fn other_events_are_kept_whole_and_raw_output_as_its_text() {
    let mut s = LogStore::with_capacity(100);
    let spawned = Event::now(EventKind::Spawned { command: "x".into() }).process("a", Some(1));
    let raw = Event::now(EventKind::Stdout {
        line: "\u{fffd}".into(),
        bytes: Some("/w==".into()),
    })
    .pool("p", Some(2));
    s.push(spawned.clone());
    s.push(raw.clone());
    s.push(out("a", "x"));
    assert_eq!(s.len(), 3);
    assert_eq!(s.get(0), Some(spawned));
    let mut text = raw.clone();
    text.kind = EventKind::stdout("\u{fffd}");
    assert_eq!(s.get(1), Some(text));
    assert_eq!(s.line(0).map(|l| l.kind()), Some(LineKind::Other));
    assert_eq!(s.line(1).map(|l| l.kind()), Some(LineKind::Stdout));
    assert_eq!(s.names().len(), 2, "process a is interned once");
}

#[test]
fn the_window_is_bounded_and_old_chunks_go_whole() {
    let cap = 3 * CHUNK_LINES + 10;
    let mut s = LogStore::with_capacity(cap);
    for i in 0..(5 * CHUNK_LINES) {
        s.push(out("a", &format!("l{i}")));
    }
    assert_eq!(s.len(), cap);
    assert_eq!(s.first(), (5 * CHUNK_LINES - cap) as u64);
    assert_eq!(s.get(s.first() - 1), None);
    let first = s.get(s.first()).expect("the oldest kept");
    assert_eq!(first.text(), format!("l{}", s.first()));
    let last = s.get(s.end() - 1).expect("the newest");
    assert_eq!(last.text(), format!("l{}", 5 * CHUNK_LINES - 1));
    // Whole chunks only: the dead lines are those of one chunk at most.
    assert!(s.chunks.len() <= 4, "{}", s.chunks.len());
    let from: Vec<u64> = s.lines_from(0).map(|(i, _)| i).take(2).collect();
    assert_eq!(from, [s.first(), s.first() + 1]);
    s.set_capacity(5);
    assert_eq!(s.len(), 5);
    assert_eq!(s.chunks.len(), 1);
    assert_eq!(s.events().count(), 5);
}

#[test]
fn a_short_line_costs_at_most_100_bytes_beside_its_text() {
    let mut s = LogStore::with_capacity(1_000_000);
    let n = 100_000;
    let mut batch = String::new();
    for i in 0..n {
        if i % 10 == 0 && !batch.is_empty() {
            let p = format!("proc-{}", i % 1000);
            s.push(Event::now(EventKind::stdout(std::mem::take(&mut batch))).process(&p, Some(1)));
        }
        if !batch.is_empty() {
            batch.push('\n');
        }
        batch.push_str(&format!("line {i}"));
    }
    s.push(Event::now(EventKind::stdout(batch)).process("last", Some(1)));
    assert_eq!(s.len(), n);
    let text = s.text_bytes();
    let per = (s.bytes_held() - text) as f64 / n as f64;
    // 4 bytes a line and a 48-byte head for each event of 10 lines.
    println!("log store: {per:.1} bytes a line beside its text, batches of 10");
    assert!(per <= 16.0, "{per:.1} bytes a line beside the text");
    assert!(text < n * 12);
    // A line an event: the head each, still well under 100 bytes.
    let mut one = LogStore::with_capacity(n);
    for i in 0..n {
        one.push(Event::now(EventKind::stdout(format!("line {i}"))).process("p", Some(1)));
    }
    let per = (one.bytes_held() - one.text_bytes()) as f64 / n as f64;
    println!("log store: {per:.1} bytes a line beside its text, a line an event");
    assert!(per <= 100.0, "{per:.1} bytes a line beside the text");
}

#[test]
fn an_event_cut_by_a_chunk_end_keeps_its_lines_and_head() {
    let mut s = LogStore::with_capacity(10 * CHUNK_LINES);
    for i in 0..CHUNK_LINES - 2 {
        s.push(out("a", &format!("a{i}")));
    }
    let mut e = Event::now(EventKind::stderr("x0\nx1\nx2\nx3\nx4")).process("b", Some(9));
    e.seq = 77;
    e.input = Some(3);
    let r = s.push(e.clone());
    s.push(Event::now(EventKind::Spawned { command: "c".into() }).process("a", Some(8)));
    s.push(out("a", "after"));
    assert_eq!(s.chunks.len(), 2);
    let got: Vec<Event> = r.clone().filter_map(|a| s.get(a)).collect();
    assert_eq!(got, e.into_lines());
    let from: Vec<(u64, String, Option<u64>)> = s
        .lines_from(r.start)
        .map(|(a, l)| (a, l.to_event().text(), l.input()))
        .collect();
    assert_eq!(from.len(), 7);
    assert_eq!(from[4], (r.start + 4, "x4".to_string(), Some(3)));
    assert_eq!(s.line(r.start + 5).map(|l| l.kind()), Some(LineKind::Other));
    assert_eq!(from[6].1, "after");
    assert_eq!(
        s.line(r.start + 6).map(|l| l.who().process.clone()),
        Some(Some("a".into()))
    );
}
