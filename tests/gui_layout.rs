//! The panels come back at the size they were left at: the layout in the
//! settings file sizes them at start, a drag changes it, and quitting
//! writes it back.

mod gui_support;

use egui::{Event, PointerButton, Pos2};
use gui_support::*;
use proctor::gui::{AppDirs, Layout, Settings};

fn near(a: Option<f32>, b: f32) -> bool {
    a.is_some_and(|a| (a - b).abs() <= 2.0)
}

fn quit(h: &mut egui_kittest::Harness<'_, TestApp>) {
    let app = h.state_mut().app.as_mut().expect("the app is built");
    // As eframe's `on_exit` does (its form depends on the renderer).
    app.exit();
}

#[test]
fn panel_sizes_come_back_and_a_drag_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let dirs = AppDirs::under(root.path());
    let saved = Settings {
        layout: Layout {
            definitions_width: Some(500.0),
            log_height: Some(300.0),
            ..Default::default()
        },
        ..Default::default()
    };
    std::fs::create_dir_all(&dirs.config).unwrap();
    std::fs::write(dirs.settings_file(), saved.to_toml()).unwrap();

    let mut h = harness_in(dirs.clone(), Some(session(vec![])), false);
    frames(&mut h, 3);
    let layout = app(&h).settings().layout.clone();
    assert!(near(layout.definitions_width, 500.0), "{layout:?}");
    assert!(near(layout.log_height, 300.0), "{layout:?}");

    // Drag the definitions panel's right edge 120 points to the right.
    let y = 300.0;
    let edge = layout.definitions_width.unwrap();
    h.event(Event::PointerMoved(Pos2::new(edge, y)));
    frames(&mut h, 2);
    let press = |pressed, x| Event::PointerButton {
        pos: Pos2::new(x, y),
        button: PointerButton::Primary,
        pressed,
        modifiers: Default::default(),
    };
    h.event(press(true, edge));
    frames(&mut h, 2);
    for step in 1..=6 {
        h.event(Event::PointerMoved(Pos2::new(edge + 20.0 * step as f32, y)));
        frames(&mut h, 1);
    }
    h.event(press(false, edge + 120.0));
    frames(&mut h, 3);
    // egui starts a drag a few points after the press: most of the 120.
    let dragged = app(&h).settings().layout.definitions_width.unwrap();
    assert!((590.0..=625.0).contains(&dragged), "after the drag: {dragged}");

    quit(&mut h);
    let (back, problem) = Settings::load(&dirs.settings_file());
    assert_eq!(problem, None);
    assert!(near(back.layout.definitions_width, dragged), "{:?}", back.layout);
    assert!(near(back.layout.log_height, 300.0), "{:?}", back.layout);
    drop(h);

    // The next start opens with what was saved.
    let mut h = harness_in(dirs, Some(session(vec![])), false);
    frames(&mut h, 3);
    assert!(near(app(&h).settings().layout.definitions_width, dragged));
    quit(&mut h);
}
