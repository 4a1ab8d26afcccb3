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

/// The app in a window of `size` points.
pub fn harness_sized(session: Session, start: bool, size: [f32; 2]) -> Harness<'static, TestApp> {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = AppDirs::under(root.path());
    build_sized(Some(session), start, dirs, Some(root), size)
}

/// A session from its TOML text (relative paths under the temp folder).
pub fn session_toml(text: &str) -> Session {
    proctor::session::parse_session(text, "test.toml", &std::env::temp_dir())
        .unwrap_or_else(|e| panic!("the test session parses: {e}"))
}

fn build(
    session: Option<Session>,
    start: bool,
    dirs: AppDirs,
    root: Option<tempfile::TempDir>,
) -> Harness<'static, TestApp> {
    build_sized(session, start, dirs, root, [1400.0, 900.0])
}

fn build_sized(
    session: Option<Session>,
    start: bool,
    dirs: AppDirs,
    root: Option<tempfile::TempDir>,
    size: [f32; 2],
) -> Harness<'static, TestApp> {
    let state = TestApp {
        app: None,
        session,
        start,
        dirs,
        _root: root,
    };
    Harness::builder()
        .with_size(size)
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

/// The pid of the running process whose command line is `cmd`.
pub fn find_pid(cmd: &str) -> u32 {
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let line = raw
            .split(|&b| b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s))
            .collect::<Vec<_>>()
            .join(" ");
        if line == cmd {
            return pid;
        }
    }
    panic!("no process `{cmd}`")
}

/// Alive and not a zombie.
pub fn alive_running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(s) => !s
            .rsplit(')')
            .next()
            .is_some_and(|r| r.trim_start().starts_with('Z')),
    }
}

/// History ▸ Open on the first past session listed; waits until it shows.
pub fn open_first_past(h: &mut Harness<'_, TestApp>) {
    use egui_kittest::kittest::NodeT;
    frames(h, 2);
    h.get_by_label("History").click();
    wait_until(h, "the past session listed", |h| {
        h.query_all_by_label("Open")
            .any(|n| !n.accesskit_node().is_disabled())
    });
    h.query_all_by_label("Open")
        .find(|n| !n.accesskit_node().is_disabled())
        .unwrap()
        .click();
    wait_until(h, "the past session shown", |h| shows(h, "Back to live session"));
}
