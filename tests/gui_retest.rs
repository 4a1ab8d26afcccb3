//! What a hostile tester found in the desktop work: the edited hint that
//! swallowed the form, and the other regressions. Real app, real engine.

mod gui_support;

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use gui_support::*;

fn top_of(h: &Harness<'_, TestApp>, label: &str) -> f64 {
    let node = h.get_by_label(label);
    node.accesskit_node()
        .bounding_box()
        .expect("a field has a place")
        .y0
}

fn bounds(h: &Harness<'_, TestApp>, label: &str) -> egui::accesskit::Rect {
    h.get_by_label(label)
        .accesskit_node()
        .bounding_box()
        .expect("a place")
}

fn hint_bounds(h: &Harness<'_, TestApp>) -> egui::accesskit::Rect {
    let node = h
        .query_all_by_label_contains("the old definition")
        .next()
        .expect("the edited hint");
    node.accesskit_node().bounding_box().expect("a place")
}

#[test]
fn the_edited_hint_keeps_every_field_of_the_form_in_place() {
    const FIELDS: [&str; 4] = ["Command", "Working folder", "Instances", "Timeout"];
    for size in [[1280.0, 800.0], [800.0, 600.0], [640.0, 480.0]] {
        let s = session(vec![task("w", "sleep 30")]);
        let mut h = harness_sized(s, true, size);
        wait_until(&mut h, "running", |h| shows(h, "\u{25cf} running"));
        h.query_all_by_label("w").next().expect("the definition").click();
        frames(&mut h, 3);
        let before: Vec<f64> = FIELDS.iter().map(|f| top_of(&h, f)).collect();
        set_text(&mut h, "Command", "sleep 31");
        frames(&mut h, 3);
        let hint = hint_bounds(&h);
        assert!(
            hint.height() < 120.0,
            "{size:?}: the hint takes its own height: {hint:?}"
        );
        for (f, y) in FIELDS.iter().zip(&before) {
            assert_eq!(top_of(&h, f), *y, "{size:?}: {f} did not move");
        }
        for f in ["Command", "Working folder"] {
            let b = bounds(&h, f);
            assert!(
                b.y1 <= hint.y0 || b.y0 >= hint.y1,
                "{size:?}: {f} {b:?} is not drawn over the hint {hint:?}"
            );
        }
        assert!(shows(&h, "Restart running copies"));
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        frames(&mut h, 2);
        h.key_press(egui::Key::Delete);
        wait_until(&mut h, "stopped", |h| {
            app(h).model().processes.iter().all(|r| !r.state.is_alive())
        });
    }
}

#[test]
fn a_pool_input_with_a_line_break_stays_one_input_from_form_to_engine() {
    let s = session_toml(
        "[[pool]]\nname = \"p\"\nworkers = 1\nrun = \"true {}\"\ninputs = [\"a\", \"line1\\nline2\", \"b\"]\n",
    );
    let mut h = harness(s, false);
    h.query_all_by_label("p").next().expect("the definition").click();
    frames(&mut h, 3);
    assert!(shows(&h, "3 inputs"), "the form counts the file's inputs");
    h.get_by_label("Start").click();
    wait_until(&mut h, "the pool done", |h| {
        app(h).model().pool("p").is_some_and(|p| p.finished.is_some())
    });
    let got: Vec<String> = app(&h)
        .model()
        .pool("p")
        .unwrap()
        .inputs
        .iter()
        .map(|i| i.input.clone())
        .collect();
    assert_eq!(got, ["a", "line1\nline2", "b"]);
    let saved = app(&h).definitions().session().expect("the form is valid");
    assert!(matches!(
        &saved.pools[0].inputs,
        proctor::session::InputSource::List(v) if v == &["a", "line1\nline2", "b"]
    ));
}
