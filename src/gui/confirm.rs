//! Mass actions ask first: Terminate all, Kill all, Cancel rest and
//! Remove definition wait for a "yes" in a dialog, unless the settings
//! turned that off. A removed definition can also be brought back with
//! Undo (Ctrl+Z).

use super::app::ProctorApp;
use super::intent::Intent;
use super::plural::count_usize;
use crate::engine::{Command, PoolAction, StopHow};
use egui::{RichText, Ui};

/// Why an intent asks first: the question and the button that agrees.
pub fn question(intent: &Intent, alive: usize, def_name: Option<&str>) -> Option<(String, &'static str)> {
    match intent {
        Intent::Send(Command::StopAll { how: StopHow::Terminate }) => Some((
            format!(
                "Terminate {}? Each gets its stop signal, then SIGKILL after its stop timeout.",
                count_usize(alive, "running process")
            ),
            "Terminate all",
        )),
        Intent::Send(Command::StopAll { how: StopHow::Kill }) => Some((
            format!(
                "Kill {} with SIGKILL now? They get no chance to clean up.",
                count_usize(alive, "running process")
            ),
            "Kill all",
        )),
        Intent::Send(Command::Pool {
            pool,
            action: PoolAction::CancelPending,
        }) => Some((
            format!("Cancel the inputs of pool \u{201c}{pool}\u{201d} that have not started? Running ones finish."),
            "Cancel rest",
        )),
        Intent::RemoveDefinition(_) => Some((
            format!(
                "Remove the definition \u{201c}{}\u{201d}? Its running processes are not touched; Ctrl+Z brings it back.",
                def_name.unwrap_or("?")
            ),
            "Remove",
        )),
        _ => None,
    }
}

/// Gives a dialog's default button the keyboard, unless something in the
/// dialog has it already (a field behind the dialog keeps no keys).
pub fn focus_default(ui: &Ui, button: &egui::Response) {
    let ctx = ui.ctx();
    let here = ctx
        .memory(|m| m.focused())
        .and_then(|id| ctx.read_response(id))
        .is_some_and(|r| r.layer_id == ui.layer_id());
    if !here {
        button.request_focus();
    }
}

impl ProctorApp {
    /// Holds back the intents that ask first (while asking, or when the
    /// settings say so); the rest go through.
    pub(super) fn gate(&mut self, intents: Vec<Intent>) -> Vec<Intent> {
        if !self.settings.confirm {
            return intents;
        }
        let alive = self.model.processes.iter().filter(|r| r.state.is_alive()).count();
        let mut out = Vec::new();
        for i in intents {
            let name = match &i {
                Intent::RemoveDefinition(n) => self.defs.defs().get(*n).map(|d| d.name().to_string()),
                _ => None,
            };
            match question(&i, alive, name.as_deref()) {
                Some(q) if self.desk.confirming.is_none() => {
                    self.desk.confirming = Some((i, q.0, q.1));
                    // Drawn at once, not at the next tick.
                    self.ctx.request_repaint();
                }
                Some(_) => {}
                None => out.push(i),
            }
        }
        out
    }

    /// The question, if one is asked; the intent once the user agrees.
    pub(super) fn confirm_dialog(&mut self, ui: &mut Ui) -> Option<Intent> {
        let (intent, text, yes) = self.desk.confirming.clone()?;
        let mut answer = None;
        let modal = egui::Modal::new(egui::Id::unique("confirm_dialog")).show(ui.ctx(), |ui| {
            ui.set_max_width(440.0);
            ui.label(RichText::new("Are you sure?").strong());
            ui.add_space(4.0);
            ui.label(&text);
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                // Cancel first and with the keyboard (Enter, Space): the
                // action that cannot be taken back needs its own click.
                let cancel = ui.button("Cancel");
                super::confirm::focus_default(ui, &cancel);
                if cancel.clicked() {
                    answer = Some(false);
                }
                let dark = ui.visuals().dark_mode;
                let yes = egui::Button::new(
                    RichText::new(yes).color(super::theme::color(dark, super::theme::Tone::Failure)),
                );
                if ui.add(yes).clicked() {
                    answer = Some(true);
                }
            });
            ui.add_space(2.0);
            ui.weak("Confirmations can be turned off in View \u{25b8} Settings.");
        });
        if modal.should_close() && answer.is_none() {
            answer = Some(false);
        }
        match answer {
            Some(true) => {
                self.desk.confirming = None;
                Some(intent)
            }
            Some(false) => {
                self.desk.confirming = None;
                None
            }
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_actions_ask_and_single_ones_do_not() {
        let t = Intent::Send(Command::StopAll {
            how: StopHow::Terminate,
        });
        let (q, yes) = question(&t, 1, None).expect("asks");
        assert!(q.contains("1 running process?"), "{q}");
        assert_eq!(yes, "Terminate all");
        let (q, _) = question(&Intent::Send(Command::StopAll { how: StopHow::Kill }), 3, None).expect("asks");
        assert!(q.contains("3 running processes"), "{q}");
        assert!(question(&Intent::RemoveDefinition(0), 0, Some("web")).is_some_and(|q| q.0.contains("web")));
        let cancel = Intent::Send(Command::Pool {
            pool: "p".into(),
            action: PoolAction::CancelPending,
        });
        assert!(question(&cancel, 0, None).is_some());
        let one = Intent::Send(Command::Stop {
            process: "a".into(),
            how: StopHow::Terminate,
        });
        assert!(question(&one, 1, None).is_none());
        assert!(question(&Intent::StartAll, 1, None).is_none());
    }
}
