//! The SVG stays small and well-formed whatever the journal holds: 100,000
//! processes, names of thousands of characters with XML's special
//! characters, huge input texts.

use chrono::{FixedOffset, TimeZone};
use proctor::event::{Event, EventKind};
use quick_xml::events::Event as Xml;
use quick_xml::Reader;

fn at(ms: i64, kind: EventKind) -> Event {
    let mut e = Event::now(kind);
    e.time = FixedOffset::east_opt(0)
        .unwrap()
        .timestamp_millis_opt(ms)
        .unwrap();
    e
}

/// Parses the whole document; returns its texts (entities resolved) and
/// how many rects it has.
fn parse(svg: &str) -> (Vec<String>, usize) {
    let mut r = Reader::from_str(svg);
    let mut texts = Vec::new();
    let mut text = String::new();
    let mut rects = 0;
    loop {
        let e = r.read_event().expect("the SVG parses");
        match &e {
            Xml::Text(t) => {
                text.push_str(&t.decode().expect("text decodes"));
                continue;
            }
            Xml::GeneralRef(g) => {
                let name = g.decode().expect("a reference decodes");
                text.push(match name.as_ref() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    other => panic!("an unknown entity {other}"),
                });
                continue;
            }
            _ => {}
        }
        if !text.trim().is_empty() {
            texts.push(std::mem::take(&mut text));
        }
        text.clear();
        match e {
            Xml::Start(e) | Xml::Empty(e) if e.name().as_ref() == b"rect" => rects += 1,
            Xml::Eof => break,
            _ => {}
        }
    }
    (texts, rects)
}

#[test]
fn a_hundred_thousand_processes_make_a_small_svg_that_parses() {
    let mut events = Vec::new();
    let long = format!("<&\"'>{}", "x".repeat(5000));
    for i in 0..100_000u32 {
        let name = if i % 1000 == 7 {
            format!("{long}-{i}")
        } else {
            format!("p{i}")
        };
        let t = i64::from(i) * 3;
        events.push(at(t, EventKind::Spawned { command: "x".into() }).process(&name, Some(i + 100)));
        events.push(
            at(
                t + 2,
                EventKind::Exited {
                    exit_code: if i % 97 == 0 { 1 } else { 0 },
                    runtime: 0.002,
                    restart_in: None,
                    usage: None,
                    stopped: false,
                },
            )
            .process(&name, Some(i + 100)),
        );
    }
    // A pool input with a huge text.
    let big = "&<".repeat(200_000);
    events.push(
        at(
            1,
            EventKind::TaskQueued {
                input_text: big.clone(),
            },
        )
        .pool("p", Some(0)),
    );
    events.push(
        at(2, EventKind::TaskStarted { input_text: big })
            .process("p/worker-1", Some(9))
            .pool("p", Some(0)),
    );
    events.push(
        at(
            50,
            EventKind::TaskDone {
                exit_code: 0,
                result: String::new(),
                duration: 0.048,
                result_bytes: None,
            },
        )
        .process("p/worker-1", Some(9))
        .pool("p", Some(0)),
    );
    let svg = proctor::cli::picture::svg_of_events(&events);
    assert!(svg.len() < 2_000_000, "{} bytes", svg.len());
    let (texts, rects) = parse(&svg);
    assert!(rects > 50, "{rects}");
    // Labels and tooltips are cut with an ellipsis.
    assert!(texts.iter().all(|t| t.chars().count() <= 300), "a text too long");
    assert!(
        texts.iter().any(|t| t.ends_with("more processes")),
        "the rest as one lane"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("<&\"'>") && t.ends_with('\u{2026}')),
        "a long name cut, its characters escaped and read back"
    );
}
