//! Every keyboard shortcut of the app, as data in one place: the menus
//! show their keys from here, the shortcuts window (F1, Ctrl+?) lists
//! them, and `pressed` turns key presses into actions.

use egui::{Key, KeyboardShortcut, ModifierNames, Modifiers, Ui};

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyAction {
    NewSession,
    OpenSession,
    SaveSession,
    ExportLog,
    Quit,
    /// Put the focus in the process filter.
    FindProcess,
    SelectAll,
    SelectUp,
    SelectDown,
    ExtendUp,
    ExtendDown,
    Terminate,
    Kill,
    Pause,
    Resume,
    Restart,
    CopyPids,
    CopyCommands,
    ToggleDetails,
    UndoRemove,
    Shortcuts,
}

/// Where a shortcut works.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Anywhere, even while typing in a field.
    Window,
    /// When the process table was clicked last and no text field has the
    /// keyboard (the keys would edit text).
    Table,
    /// When no text field has the keyboard, whatever was clicked last.
    NoText,
}

pub struct Binding {
    pub action: KeyAction,
    pub keys: KeyboardShortcut,
    pub scope: Scope,
    /// The group it is listed under in the shortcuts window.
    pub group: &'static str,
    pub what: &'static str,
}

const fn bind(
    action: KeyAction,
    modifiers: Modifiers,
    key: Key,
    scope: Scope,
    group: &'static str,
    what: &'static str,
) -> Binding {
    Binding {
        action,
        keys: KeyboardShortcut::new(modifiers, key),
        scope,
        group,
        what,
    }
}

const CTRL: Modifiers = Modifiers::COMMAND;
const CTRL_SHIFT: Modifiers = Modifiers::COMMAND.plus(Modifiers::SHIFT);
const NONE: Modifiers = Modifiers::NONE;
const SHIFT: Modifiers = Modifiers::SHIFT;

use KeyAction as A;
use Scope::{NoText, Table, Window};

/// The bindings. An action may have more than one (F1 and Ctrl+?); the
/// first is the one menus show.
pub const BINDINGS: &[Binding] = &[
    bind(A::NewSession, CTRL, Key::N, Window, "Session", "New session"),
    bind(
        A::OpenSession,
        CTRL,
        Key::O,
        Window,
        "Session",
        "Open a session file",
    ),
    bind(
        A::SaveSession,
        CTRL,
        Key::S,
        Window,
        "Session",
        "Save the session",
    ),
    bind(A::ExportLog, CTRL, Key::E, Window, "Session", "Export the log"),
    bind(
        A::UndoRemove,
        CTRL,
        Key::Z,
        NoText,
        "Session",
        "Undo removing a definition",
    ),
    bind(A::Quit, CTRL, Key::Q, Window, "Session", "Quit"),
    bind(
        A::FindProcess,
        CTRL,
        Key::F,
        Window,
        "Process table",
        "Filter processes",
    ),
    bind(
        A::SelectAll,
        CTRL,
        Key::A,
        Table,
        "Process table",
        "Select every process shown",
    ),
    bind(
        A::ExtendUp,
        SHIFT,
        Key::ArrowUp,
        Table,
        "Process table",
        "Extend the selection up",
    ),
    bind(
        A::ExtendDown,
        SHIFT,
        Key::ArrowDown,
        Table,
        "Process table",
        "Extend the selection down",
    ),
    bind(
        A::SelectUp,
        NONE,
        Key::ArrowUp,
        Table,
        "Process table",
        "Select the process above",
    ),
    bind(
        A::SelectDown,
        NONE,
        Key::ArrowDown,
        Table,
        "Process table",
        "Select the process below",
    ),
    bind(
        A::ToggleDetails,
        NONE,
        Key::Enter,
        Table,
        "Process table",
        "Show or hide the details pane",
    ),
    bind(
        A::Kill,
        SHIFT,
        Key::Delete,
        Table,
        "Selected processes",
        "Kill (SIGKILL)",
    ),
    bind(
        A::Terminate,
        NONE,
        Key::Delete,
        Table,
        "Selected processes",
        "Terminate (stop signal)",
    ),
    bind(
        A::Resume,
        CTRL_SHIFT,
        Key::P,
        Table,
        "Selected processes",
        "Resume (SIGCONT)",
    ),
    bind(
        A::Pause,
        CTRL,
        Key::P,
        Table,
        "Selected processes",
        "Pause (SIGSTOP)",
    ),
    bind(A::Restart, CTRL, Key::R, Table, "Selected processes", "Restart"),
    bind(
        A::CopyCommands,
        CTRL_SHIFT,
        Key::C,
        Table,
        "Selected processes",
        "Copy their command lines",
    ),
    bind(
        A::CopyPids,
        CTRL,
        Key::C,
        Table,
        "Selected processes",
        "Copy their PIDs",
    ),
    bind(
        A::Shortcuts,
        NONE,
        Key::F1,
        Window,
        "Help",
        "This list of shortcuts",
    ),
    bind(
        A::Shortcuts,
        CTRL_SHIFT,
        Key::Slash,
        Window,
        "Help",
        "This list of shortcuts",
    ),
    bind(
        A::Shortcuts,
        CTRL,
        Key::Questionmark,
        Window,
        "Help",
        "This list of shortcuts",
    ),
];

/// How a shortcut is written ("Ctrl+Shift+P").
pub fn format(keys: &KeyboardShortcut) -> String {
    keys.format(&ModifierNames::NAMES, false)
        .replace("Questionmark", "?")
        .replace("Slash", "/")
}

/// The keys shown beside an action in a menu (its first binding).
pub fn shortcut_text(action: KeyAction) -> String {
    BINDINGS
        .iter()
        .find(|b| b.action == action)
        .map(|b| format(&b.keys))
        .unwrap_or_default()
}

/// The actions whose keys were pressed this frame (each press consumed).
/// Table shortcuts wait while a widget has the keyboard (a text field
/// takes Delete, arrows and Ctrl+A for its text).
/// They wait too unless the table was the last thing clicked (`table`).
pub fn pressed(ui: &Ui, table: bool) -> Vec<KeyAction> {
    let typing = ui.ctx().egui_wants_keyboard_input();
    let mut out = Vec::new();
    ui.input_mut(|i| {
        // The window system turns Ctrl+C (and Ctrl+Shift+C) into a Copy
        // event, not a key: it copies the selected processes' PIDs (or
        // command lines) unless a text field copies its own selection.
        if !typing && table {
            if let Some(at) = i.events.iter().position(|e| matches!(e, egui::Event::Copy)) {
                i.events.remove(at);
                out.push(if i.modifiers.shift {
                    KeyAction::CopyCommands
                } else {
                    KeyAction::CopyPids
                });
            }
        }
        // Bindings with more modifiers first: egui matches modifiers
        // loosely (Ctrl+Shift+P would also match Ctrl+P).
        let mut order: Vec<&Binding> = BINDINGS.iter().collect();
        order.sort_by_key(|b| std::cmp::Reverse(modifier_count(b.keys.modifiers)));
        for b in order {
            let waits = match b.scope {
                Scope::Window => false,
                Scope::NoText => typing,
                Scope::Table => typing || !table,
            };
            if waits {
                continue;
            }
            if i.consume_shortcut(&b.keys) && !out.contains(&b.action) {
                out.push(b.action);
            }
        }
    });
    out
}

fn modifier_count(m: Modifiers) -> u8 {
    u8::from(m.alt) + u8::from(m.ctrl || m.command || m.mac_cmd) + u8::from(m.shift)
}

/// The shortcuts window's rows: (group, keys, what), in the table's order.
pub fn listing() -> Vec<(&'static str, String, &'static str)> {
    let mut out: Vec<(&str, String, &str)> = Vec::new();
    for b in BINDINGS {
        match out.iter_mut().find(|(g, _, w)| *g == b.group && *w == b.what) {
            Some(row) => {
                row.1.push_str(" or ");
                row.1.push_str(&format(&b.keys));
            }
            None => out.push((b.group, format(&b.keys), b.what)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_two_actions_share_keys() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                assert!(
                    a.keys != b.keys || a.action == b.action,
                    "{:?} and {:?} share {}",
                    a.action,
                    b.action,
                    format(&a.keys)
                );
            }
        }
    }

    #[test]
    fn menus_and_the_listing_read_the_same_table() {
        assert_eq!(shortcut_text(KeyAction::Terminate), "Delete");
        assert_eq!(shortcut_text(KeyAction::Kill), "Shift+Delete");
        assert_eq!(shortcut_text(KeyAction::Resume), "Ctrl+Shift+P");
        let help = listing();
        let row = help
            .iter()
            .find(|r| r.2 == "This list of shortcuts")
            .expect("help");
        assert!(row.1.starts_with("F1 or "), "{}", row.1);
        assert_eq!(help.iter().filter(|r| r.2 == "This list of shortcuts").count(), 1);
    }
}
