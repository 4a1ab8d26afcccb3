//! What can be done to process rows: the actions, the intent each gives
//! for a row, and the menu that offers them (the "\u{2026}" button and a
//! right click).

use super::intent::Intent;
use super::keys::{shortcut_text, KeyAction};
use super::rows::{Row, Status};
use crate::engine::{Command, StopHow};
use crate::session::signal::COMMON_SIGNALS;
use egui::Ui;

/// Actions that apply to some processes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    Terminate,
    Kill,
    Pause,
    Resume,
    Signal(nix::sys::signal::Signal),
    Restart,
    StartAgain,
    ShowInLog,
}

impl Action {
    pub(super) fn applies(self, r: &Row) -> bool {
        match self {
            Action::Terminate | Action::Kill | Action::Signal(_) => r.status.is_alive(),
            Action::Pause => r.status == Status::Running,
            Action::Resume => r.status == Status::Paused,
            Action::Restart => r.status.is_alive() && !r.is_worker(),
            Action::StartAgain => {
                matches!(r.status, Status::Exited | Status::Stopped | Status::FailedToStart) && !r.is_worker()
            }
            Action::ShowInLog => true,
        }
    }

    pub(super) fn intent(self, name: &str) -> Intent {
        let stop = |how| {
            Intent::Send(Command::Stop {
                process: name.to_string(),
                how,
            })
        };
        match self {
            Action::Terminate => stop(StopHow::Terminate),
            Action::Kill => stop(StopHow::Kill),
            Action::Pause => Intent::Send(Command::Pause {
                process: name.to_string(),
            }),
            Action::Resume => Intent::Send(Command::Resume {
                process: name.to_string(),
            }),
            Action::Signal(s) => stop(StopHow::Signal(s)),
            Action::Restart | Action::StartAgain => Intent::Restart(name.to_string()),
            Action::ShowInLog => Intent::ShowInLog(name.to_string()),
        }
    }
}

/// Terminate, Kill, Send signal, Restart, Start again for `targets` in a
/// menu; each is enabled when it applies to at least one of them, and
/// shows its keys.
pub(super) fn action_buttons(ui: &mut Ui, targets: &[&Row], out: &mut Vec<Intent>) {
    let mut act = |ui: &mut Ui, a: Action, label: &str, hint: &str, key: Option<KeyAction>| {
        let n = targets.iter().filter(|r| a.applies(r)).count();
        let mut b = egui::Button::new(label);
        if let Some(k) = key {
            b = b.shortcut_text(shortcut_text(k));
        }
        if ui.add_enabled(n > 0, b).on_hover_text(hint).clicked() {
            out.extend(targets.iter().filter(|r| a.applies(r)).map(|r| a.intent(&r.name)));
            ui.close();
        }
    };
    act(
        ui,
        Action::Terminate,
        "Terminate",
        "Stop signal, then SIGKILL after the stop timeout",
        Some(KeyAction::Terminate),
    );
    act(ui, Action::Kill, "Kill", "SIGKILL now", Some(KeyAction::Kill));
    act(
        ui,
        Action::Pause,
        "Pause",
        "SIGSTOP to the whole tree",
        Some(KeyAction::Pause),
    );
    act(
        ui,
        Action::Resume,
        "Resume",
        "SIGCONT to the whole tree",
        Some(KeyAction::Resume),
    );
    let any_alive = targets.iter().any(|r| r.status.is_alive());
    ui.add_enabled_ui(any_alive, |ui| {
        ui.menu_button("Send signal", |ui| {
            for &s in COMMON_SIGNALS {
                act(ui, Action::Signal(s), s.as_str(), "Send this signal once", None);
            }
        });
    });
    act(
        ui,
        Action::Restart,
        "Restart",
        "Terminate, then start it again",
        Some(KeyAction::Restart),
    );
    act(
        ui,
        Action::StartAgain,
        "Start again",
        "Start an ended process again",
        None,
    );
}

/// The action menu's entries; `targets` are the rows it acts on.
pub(super) fn action_menu(ui: &mut Ui, targets: &[&Row], out: &mut Vec<Intent>) {
    action_buttons(ui, targets, out);
    if targets.len() == 1
        && ui
            .button("Show in log")
            .on_hover_text("Filter the event log to this process")
            .clicked()
    {
        out.push(Action::ShowInLog.intent(&targets[0].name));
        ui.close();
    }
}
