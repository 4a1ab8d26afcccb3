//! The timeline through the real app: a pool's bar clicked selects its
//! input in the Pools table and filters the log to it; a lane whose
//! earliest runs are no longer kept says so; the picture's export says
//! what it exported; the path prompt stays on a small screen.

mod gui_support;

use egui::{Event, PointerButton, Pos2};
use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::session::{PoolSpec, RunSpec, Workers};

fn click_at(h: &mut egui_kittest::Harness<'static, TestApp>, at: Pos2) {
    h.event(Event::PointerMoved(at));
    h.step();
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos: at,
            button: PointerButton::Primary,
            pressed,
            modifiers: Default::default(),
        });
        h.step();
    }
}

#[test]
fn a_pool_bar_clicked_selects_its_input_and_filters_the_log() {
    let mut p = PoolSpec::new(
        "naps",
        RunSpec::Args(vec!["sleep".into(), "{}".into()]),
        vec!["0.3".into(); 4],
    );
    p.workers = Workers::new(2).unwrap();
    p.base_dir = std::env::temp_dir();
    let mut s = session(Vec::new());
    s.pools.push(p);
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool is done", |h| {
        app(h).model().pool("naps").is_some_and(|p| p.finished.is_some())
    });
    h.get_by_label("Timeline").click();
    wait_until(&mut h, "four bars drawn", |h| {
        app(h)
            .timeline_drawn()
            .iter()
            .map(|l| l.bars.len())
            .sum::<usize>()
            == 4
    });
    // The bar of input 2, wherever it is.
    let (input, rect) = app(&h)
        .timeline_drawn()
        .iter()
        .flat_map(|l| l.bars.iter().zip(&l.rects))
        .find_map(|(b, r)| (b.0 == Some(2)).then_some((b.0, *r)))
        .expect("input 2 is drawn");
    assert_eq!(input, Some(2));
    click_at(&mut h, rect.center());
    wait_until(&mut h, "the input selected", |h| {
        app(h).selected_input().is_some()
    });
    assert_eq!(app(&h).selected_input(), Some(&("naps".to_string(), 2)));
    assert_eq!(
        app(&h).log().process,
        proctor::gui::ProcessFilter::Input {
            pool: "naps".into(),
            input: 2
        }
    );
    // The log shows that input's events only.
    let shown: Vec<_> = app(&h).log().shown().collect();
    assert!(!shown.is_empty());
    assert!(shown
        .iter()
        .all(|e| e.pool.as_deref() == Some("naps") && e.input == Some(2)));
    // The Pools tab shows it selected (its row scrolled to).
    h.get_by_label("Pools (1)").click();
    frames(&mut h, 3);
    assert_eq!(app(&h).selected_input(), Some(&("naps".to_string(), 2)));
}

/// A journal of one process started `n` times (each failing to start).
fn many_runs_journal(n: usize) -> String {
    let mut s = String::from(
        "{\"seq\":1,\"time\":\"2026-11-26T17:00:00.000+00:00\",\"kind\":\"session_started\",\"message\":\"x\",\"format\":2}\n",
    );
    for i in 0..n {
        let ms = i * 10;
        let _ = std::fmt::Write::write_fmt(
            &mut s,
            format_args!(
                "{{\"seq\":{},\"time\":\"2026-11-26T17:{:02}:{:02}.{:03}+00:00\",\"kind\":\"spawn_failed\",\"message\":\"no\",\"process\":\"flaky\"}}\n",
                i + 2,
                ms / 60_000,
                (ms / 1000) % 60,
                ms % 1000
            ),
        );
    }
    s.push_str(&format!(
        "{{\"seq\":{},\"time\":\"2026-11-26T17:59:00.000+00:00\",\"kind\":\"session_ended\",\"message\":\"bye\"}}\n",
        n + 2
    ));
    s
}

#[test]
fn a_lane_whose_first_runs_are_dropped_says_so() {
    let root = tempfile::tempdir().unwrap();
    let dirs = proctor::gui::AppDirs::under(root.path());
    std::fs::create_dir_all(&dirs.journals).unwrap();
    let n = proctor::pictures::fold::MAX_RUNS + 2_500;
    std::fs::write(
        dirs.journals.join("2026-11-26T17-00-00.000-1.jsonl"),
        many_runs_journal(n),
    )
    .unwrap();
    let mut h = harness_in(dirs, Some(session(vec![])), false);
    open_first_past(&mut h);
    h.get_by_label("Timeline").click();
    wait_until(&mut h, "its lane drawn", |h| app(h).timeline_drawn().len() == 1);
    let lane = app(&h).timeline_drawn()[0].clone();
    assert_eq!(lane.label, "flaky");
    let want = app(&h)
        .past()
        .unwrap()
        .model
        .pictures
        .proc("flaky")
        .unwrap()
        .dropped_runs;
    assert!(want >= 2_500, "{want}");
    assert_eq!(
        lane.hidden.as_deref(),
        Some(format!("\u{ab} {want} earlier runs not shown").as_str())
    );
}

#[test]
fn the_picture_export_says_it_exported_the_picture() {
    let mut h = harness(session(vec![task("one", "true")]), true);
    wait_until(&mut h, "it ended", |h| {
        app(h).model().row("one").is_some_and(|r| r.state.is_ended())
    });
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("one.svg");
    h.state_mut()
        .app
        .as_mut()
        .unwrap()
        .apply(proctor::gui::Intent::ExportPicture(svg.clone()));
    wait_until(&mut h, "the export said", |h| {
        app(h).notice().is_some_and(|n| n.text.contains("exported"))
    });
    let text = &app(&h).notice().unwrap().text;
    assert!(text.contains("the timeline picture (SVG)"), "{text}");
    assert!(!text.contains("row"), "{text}");
}

#[test]
fn the_export_picture_prompt_stays_on_a_small_screen() {
    let mut h = harness_sized(session(vec![]), false, [400.0, 300.0]);
    frames(&mut h, 2);
    h.state_mut()
        .app
        .as_mut()
        .unwrap()
        .apply(proctor::gui::Intent::AskPath(
            proctor::gui::PathPurpose::ExportPicture,
        ));
    frames(&mut h, 4);
    let screen = egui::Rect::from_min_size(Pos2::ZERO, egui::vec2(400.0, 300.0));
    for label in ["Save", "Cancel", "Browse\u{2026}"] {
        let r = h.get_by_label(label).rect();
        assert!(
            screen.contains_rect(r),
            "{label} at {r:?} is off the 400x300 screen"
        );
    }
}
