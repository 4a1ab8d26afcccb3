//! Paths from the user: an in-app prompt with a text field (always works),
//! and the system file dialog (rfd's AsyncFileDialog, driven on a helper
//! thread), which may be
//! missing: with no portal or zenity it returns at once with nothing, and
//! the text field is what remains.

use super::form_ui::PickField;
use super::intent::{Intent, PathPurpose};
use crossbeam_channel::{unbounded, Receiver, Sender};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Where a picked path goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Prompt(PathPurpose),
    /// The export dialog's path field.
    Export,
    Field(usize, PickField),
}

struct Prompt {
    purpose: PathPurpose,
    text: String,
}

/// Runs a future to its end on this (helper) thread.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

pub struct Dialogs {
    tx: Sender<(Target, Option<PathBuf>, Duration)>,
    rx: Receiver<(Target, Option<PathBuf>, Duration)>,
    busy: bool,
    prompt: Option<Prompt>,
    ctx: egui::Context,
}

/// What came back from the helper thread.
pub enum Picked {
    Path(Target, PathBuf),
    /// The dialog returned nothing at once: there is no dialog to show.
    Unavailable,
}

impl Dialogs {
    pub fn new(ctx: egui::Context) -> Self {
        let (tx, rx) = unbounded();
        Self {
            tx,
            rx,
            busy: false,
            prompt: None,
            ctx,
        }
    }

    /// Opens the system dialog on a helper thread; the answer arrives in `poll`.
    pub fn pick(&mut self, target: Target, start_dir: PathBuf) {
        if self.busy {
            return;
        }
        self.busy = true;
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("proctor-file-dialog".into())
            .spawn(move || {
                let t0 = Instant::now();
                let d = rfd::AsyncFileDialog::new().set_directory(&start_dir);
                let handle = match target {
                    Target::Field(_, PickField::Cwd) => block_on(d.set_title("Working folder").pick_folder()),
                    Target::Field(_, PickField::InputsFile) => {
                        block_on(d.set_title("Inputs file").pick_file())
                    }
                    Target::Export => block_on(d.set_title("Export the event log").save_file()),
                    Target::Prompt(p) if p.is_save() => block_on(d.set_title(p.title()).save_file()),
                    Target::Prompt(p) => block_on(
                        d.set_title(p.title())
                            .add_filter("Session (TOML)", &["toml"])
                            .pick_file(),
                    ),
                };
                let path = handle.map(|h| h.path().to_path_buf());
                let _ = tx.send((target, path, t0.elapsed()));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            self.busy = false;
        }
    }

    pub fn poll(&mut self) -> Vec<Picked> {
        let mut out = Vec::new();
        while let Ok((target, path, took)) = self.rx.try_recv() {
            self.busy = false;
            match path {
                Some(p) => {
                    if let (Target::Prompt(_), Some(prompt)) = (target, self.prompt.as_mut()) {
                        prompt.text = p.display().to_string();
                    } else {
                        out.push(Picked::Path(target, p));
                    }
                }
                None if took < Duration::from_millis(300) => out.push(Picked::Unavailable),
                None => {}
            }
        }
        out
    }

    /// Shows the path prompt for `purpose`, starting with `default`.
    pub fn ask(&mut self, purpose: PathPurpose, default: String) {
        self.prompt = Some(Prompt {
            purpose,
            text: default,
        });
    }

    /// Draws the prompt (if any); returns the intent once the user confirms.
    pub fn prompt_ui(&mut self, ui: &mut egui::Ui, start_dir: PathBuf) -> Option<Intent> {
        let mut result = None;
        let mut close = false;
        let mut browse = None;
        if let Some(p) = self.prompt.as_mut() {
            // As wide as it can be up to 520 points: a small window keeps
            // it on screen (the modal is centred).
            let width = prompt_width(ui.ctx().content_rect().width());
            egui::Modal::new(egui::Id::unique("path_prompt")).show(ui.ctx(), |ui| {
                ui.set_width(width);
                ui.heading(p.purpose.title());
                ui.add_space(6.0);
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label("Path");
                    let r = ui
                        .add(
                            egui::TextEdit::singleline(&mut p.text)
                                .desired_width((width - 140.0).max(120.0))
                                .font(egui::TextStyle::Monospace),
                        )
                        .labelled_by(l.id);
                    if r.lost_focus()
                        && ui.input(|i| i.key_pressed(egui::Key::Enter))
                        && !p.text.trim().is_empty()
                    {
                        result = Some(p.purpose.into_intent(PathBuf::from(p.text.trim())));
                    }
                    if ui.button("Browse\u{2026}").clicked() {
                        browse = Some(p.purpose);
                    }
                });
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    let verb = if p.purpose.is_save() { "Save" } else { "Open" };
                    if ui
                        .add_enabled(!p.text.trim().is_empty(), egui::Button::new(verb))
                        .clicked()
                    {
                        result = Some(p.purpose.into_intent(PathBuf::from(p.text.trim())));
                    }
                    if ui.button("Cancel").clicked() {
                        close = true;
                    }
                });
            });
        }
        if let Some(purpose) = browse {
            self.pick(Target::Prompt(purpose), start_dir);
        }
        if close || result.is_some() {
            self.prompt = None;
        }
        result
    }
}

/// The path prompt's width in a window `screen` points wide: 520 points,
/// less in a small window so that it stays on screen with its margins.
pub fn prompt_width(screen: f32) -> f32 {
    (screen - 60.0).clamp(180.0, 520.0)
}
