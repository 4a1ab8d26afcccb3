//! The timeline picture drawn headless: `proctor run --timeline out.svg`
//! and `proctor export JOURNAL out.svg`, parsed back as XML.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const SESSION: &str = r#"
[[pool]]
name = "naps"
workers = 2
run = ["sleep", "{}"]
inputs = ["0.3", "0.3", "0.3", "0.3"]
"#;

/// Each `bar input` rect's input and fill; fails on XML that does not parse.
fn input_bars(svg: &str) -> BTreeMap<u64, String> {
    let mut r = Reader::from_str(svg);
    let mut bars = BTreeMap::new();
    let mut depth = 0i32;
    loop {
        match r.read_event().expect("the SVG parses") {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"rect" => {
                let attr = |k: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k)
                        .map(|a| String::from_utf8(a.value.to_vec()).unwrap())
                };
                if attr(b"class").as_deref() == Some("bar input") {
                    let i: u64 = attr(b"data-input").unwrap().parse().unwrap();
                    assert!(
                        bars.insert(i, attr(b"fill").unwrap()).is_none(),
                        "one bar per input"
                    );
                }
            }
            Event::Eof => break,
            _ => {}
        }
        depth += 1;
    }
    assert!(depth > 10);
    bars
}

#[test]
fn run_and_export_draw_one_bar_per_input() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("naps.toml");
    std::fs::write(&session, SESSION).unwrap();
    let svg = dir.path().join("run.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .args(["run", "-q"])
        .arg(&session)
        .arg("--timeline")
        .arg(&svg)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // The summary says the speedup in words.
    assert!(
        stdout.contains("pool naps: wall") && stdout.contains("speedup"),
        "{stdout}"
    );
    assert!(stdout.contains("busy: worker-"), "{stdout}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let bars = input_bars(&text);
    assert_eq!(bars.keys().copied().collect::<Vec<_>>(), [0, 1, 2, 3]);
    let green = proctor::pictures::svg::outcome_rgb(proctor::pictures::Outcome::Succeeded, false);
    let green = format!("#{:02x}{:02x}{:02x}", green[0], green[1], green[2]);
    assert!(bars.values().all(|f| *f == green), "{bars:?}");

    // The same from the journal, as for a past session.
    let journal = stderr
        .lines()
        .find_map(|l| l.strip_prefix("proctor: journal "))
        .expect("the journal's path");
    let again = dir.path().join("past.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("export")
        .arg(journal)
        .arg(&again)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(input_bars(&std::fs::read_to_string(&again).unwrap()), bars);
    assert!(!Path::new(&dir.path().join("nope.svg")).exists());
}
