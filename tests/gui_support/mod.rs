//! Shared helpers for the GUI tests: a harness around the real app with a
//! real engine, frame stepping until a condition holds, and pid checks.
#![allow(dead_code)]

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use proctor::gui::{AppDirs, ProctorApp};
use proctor::session::{RunSpec, Session, TaskSpec};
use std::time::{Duration, Instant};

/// The app is built on the harness's first frame, with the harness's context.
pub struct TestApp {
    pub app: Option<ProctorApp>,
    session: Option<Session>,
    start: bool,
    pub dirs: AppDirs,
    /// Holds the temp folder the settings, autosave and journals live in
    /// (unless the test gave its own).
    _root: Option<tempfile::TempDir>,
}

impl TestApp {
    pub fn app(&self) -> &ProctorApp {
        self.app.as_ref().expect("the app is built on the first frame")
    }
}

pub fn harness(session: Session, start: bool) -> Harness<'static, TestApp> {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = AppDirs::under(root.path());
    build(Some(session), start, dirs, Some(root))
}

/// The app over `dirs` (settings, autosave, journals); `None` restores the
/// autosaved definitions.
pub fn harness_in(dirs: AppDirs, session: Option<Session>, start: bool) -> Harness<'static, TestApp> {
    build(session, start, dirs, None)
}

fn build(
    session: Option<Session>,
    start: bool,
    dirs: AppDirs,
    root: Option<tempfile::TempDir>,
) -> Harness<'static, TestApp> {
    let state = TestApp {
        app: None,
        session,
        start,
        dirs,
        _root: root,
    };
    Harness::builder()
        .with_size([1400.0, 900.0])
        .with_accessibility_check(false)
        .build_ui_state(
            |ui, t: &mut TestApp| {
                if t.app.is_none() {
                    let s = t.session.take();
                    let dirs = t.dirs.clone();
                    t.app = Some(ProctorApp::new(ui.ctx(), s, t.start, dirs).expect("engine starts"));
                }
                if let Some(app) = t.app.as_mut() {
                    app.show(ui);
                }
            },
            state,
        )
}

pub fn app<'h>(h: &'h Harness<'_, TestApp>) -> &'h ProctorApp {
    h.state().app()
}

/// Steps frames (real time passes between them) until `cond` holds.
#[track_caller]
pub fn wait_until(
    h: &mut Harness<'_, TestApp>,
    what: &str,
    mut cond: impl FnMut(&Harness<'_, TestApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        h.step();
        if cond(h) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// A few frames, so clicks, menus and layout settle.
pub fn frames(h: &mut Harness<'_, TestApp>, n: usize) {
    for _ in 0..n {
        h.step();
    }
}

pub fn shows(h: &Harness<'_, TestApp>, label: &str) -> bool {
    h.query_all_by_label(label).next().is_some()
}

pub fn shows_containing(h: &Harness<'_, TestApp>, label: &str) -> bool {
    h.query_all_by_label_contains(label).next().is_some()
}

pub fn alive(pid: u32) -> bool {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid as i32), None).is_ok()
}

pub fn task(name: &str, run: &str) -> TaskSpec {
    let mut t = TaskSpec::new(name, RunSpec::Line(run.to_string()));
    t.base_dir = std::env::temp_dir();
    t
}

pub fn session(tasks: Vec<TaskSpec>) -> Session {
    Session {
        path: None,
        tasks,
        pools: Vec::new(),
    }
}

/// Types `text` into the input labelled `label` (replacing its content).
pub fn set_text(h: &mut Harness<'_, TestApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.get_by_label(label).set_text_value_accesskit(text);
    frames(h, 2);
}

/// The window's close button (or the window manager) asks to close.
pub fn request_close(h: &mut Harness<'_, TestApp>) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
}
