//! What a panel asks the app to do. Panels never act themselves: they
//! return intents, and `App::apply` carries each one out in one place.

use crate::engine::Command;
use crate::journal::export::Format;
use crate::session::{PoolSpec, TaskSpec};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq)]
pub enum Intent {
    /// Send a command to the engine as it is.
    Send(Command),
    /// Start a task (its rows show `starting` until the engine answers).
    StartTask(TaskSpec),
    StartPool(PoolSpec),
    /// Start every definition.
    StartAll,
    /// Start an ended process again (or restart a running one).
    Restart(String),
    /// Forget ended processes and finished pools, here and in the engine.
    ClearEnded,
    /// Filter the event log to one process.
    ShowInLog(String),
    /// Select one input of a pool in the Pools table and filter the log to it.
    ShowInput {
        pool: String,
        input: u64,
    },
    /// Ask to quit (the dialog appears if processes are running).
    Quit,
    NewSession,
    OpenSession(PathBuf),
    SaveSession(PathBuf),
    /// Export the shown session's log: all of it, or what the filter passes.
    ExportLog {
        path: PathBuf,
        format: Format,
        filtered: bool,
        /// Text and CSV without the children's colour codes.
        plain: bool,
    },
    ExportProcesses(PathBuf),
    /// The Timeline tab's pictures: `.svg` drawn from the session's events,
    /// `.png` as shown on screen.
    ExportPicture(PathBuf),
    /// The export dialog (File ▸ Export log…, Ctrl+E).
    ShowExportDialog,
    /// The History tab, listing past sessions afresh.
    ShowHistory,
    RefreshHistory,
    /// Show a past session's journal read-only.
    OpenPast(PathBuf),
    BackToLive,
    ShowSettings,
    ApplySettings(super::settings::Settings),
    /// Drop a file from the recent list (it is gone).
    ForgetRecent(PathBuf),
    /// A path dialog (Open, Save as, Export) should appear.
    AskPath(PathPurpose),
    SetTheme(egui::ThemePreference),
    /// What a menu entry or its keyboard shortcut does (`keys.rs`).
    Do(super::keys::KeyAction),
    /// Remove the definition at this index (Ctrl+Z brings it back).
    RemoveDefinition(usize),
    UndoRemove,
    /// Terminate a task's running copies, then start it as defined now.
    ApplyDefinition(crate::session::TaskSpec),
}

/// What a path asked for in a dialog is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    OpenSession,
    SaveSession,
    ExportProcesses,
    ExportPicture,
}

impl PathPurpose {
    pub fn title(self) -> &'static str {
        match self {
            Self::OpenSession => "Open session",
            Self::SaveSession => "Save session as",
            Self::ExportProcesses => "Export process table as CSV",
            Self::ExportPicture => "Export picture (.svg or .png)",
        }
    }

    pub fn is_save(self) -> bool {
        !matches!(self, Self::OpenSession)
    }

    pub fn into_intent(self, path: PathBuf) -> Intent {
        match self {
            Self::OpenSession => Intent::OpenSession(path),
            Self::SaveSession => Intent::SaveSession(path),
            Self::ExportProcesses => Intent::ExportProcesses(path),
            Self::ExportPicture => Intent::ExportPicture(path),
        }
    }
}
