//! Where the app keeps its things, and its settings: the size of the log's
//! window, how much old journals may take, the theme, the recent files and
//! the window's layout.
//! Saved as TOML in the config folder; a missing or broken file gives the
//! defaults (a broken one is reported, not fatal).

use super::layout::Layout;
use super::log::LOG_CAPACITY;
use crate::journal::{self, DEFAULT_MAX_TOTAL};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most recent session files kept.
pub const MAX_RECENT: usize = 10;
const MB: u64 = 1024 * 1024;

/// The app's folders; tests give temp folders, the app the XDG ones.
#[derive(Clone, Debug, PartialEq)]
pub struct AppDirs {
    /// Settings and the autosaved definitions.
    pub config: PathBuf,
    /// Session journals (the History view lists them).
    pub journals: PathBuf,
}

impl AppDirs {
    /// `$XDG_CONFIG_HOME/proctor` (else `~/.config/proctor`) and the
    /// engine's journal folder.
    pub fn from_env() -> Self {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
            .unwrap_or_else(|| std::env::temp_dir().join("proctor-config"));
        Self {
            config: config.join("proctor"),
            journals: journal::default_dir(),
        }
    }

    /// Both under one folder (for tests).
    pub fn under(root: &Path) -> Self {
        Self {
            config: root.join("config"),
            journals: root.join("sessions"),
        }
    }

    pub fn settings_file(&self) -> PathBuf {
        self.config.join("settings.toml")
    }

    pub fn autosave_file(&self) -> PathBuf {
        self.config.join("autosave.toml")
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Events kept in memory for the log view; older ones stay in the journal.
    pub log_window: usize,
    /// Old journals are removed, oldest first, beyond this total (MiB).
    pub journal_max_mb: u64,
    /// "system", "dark" or "light".
    pub theme: String,
    /// Session files opened or saved, newest first.
    pub recent: Vec<PathBuf>,
    /// The file the autosaved definitions belong to, if any.
    pub autosave_of: Option<PathBuf>,
    /// The autosaved definitions differ from that file.
    pub autosave_dirty: bool,
    /// The window's size and place and the panels' sizes, as last left.
    pub layout: Layout,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            log_window: LOG_CAPACITY,
            journal_max_mb: DEFAULT_MAX_TOTAL / MB,
            theme: "system".into(),
            recent: Vec::new(),
            autosave_of: None,
            autosave_dirty: false,
            layout: Layout::default(),
        }
    }
}

impl Settings {
    /// The settings in `file`; the defaults (and why) if it cannot be read.
    pub fn load(file: &Path) -> (Self, Option<String>) {
        match std::fs::read_to_string(file) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), None),
            Err(e) => (
                Self::default(),
                Some(format!("cannot read {}: {e}", file.display())),
            ),
            Ok(text) => match toml::from_str::<Settings>(&text) {
                Ok(s) => (s.sanitized(), None),
                Err(e) => (
                    Self::default(),
                    Some(format!("{} is not valid; using defaults: {e}", file.display())),
                ),
            },
        }
    }

    fn sanitized(mut self) -> Self {
        self.log_window = self.log_window.clamp(1_000, 50_000_000);
        self.journal_max_mb = self.journal_max_mb.max(1);
        self.recent.truncate(MAX_RECENT);
        self.layout = self.layout.sanitized();
        self
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    pub fn journal_max_bytes(&self) -> u64 {
        self.journal_max_mb.saturating_mul(MB)
    }

    /// Puts `path` first in the recent list (once), keeping at most `MAX_RECENT`.
    pub fn remember(&mut self, path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        self.recent.retain(|p| p != &path);
        self.recent.insert(0, path);
        self.recent.truncate(MAX_RECENT);
    }

    pub fn forget(&mut self, path: &Path) {
        self.recent.retain(|p| p != path);
    }

    pub fn theme_preference(&self) -> egui::ThemePreference {
        match self.theme.as_str() {
            "dark" => egui::ThemePreference::Dark,
            "light" => egui::ThemePreference::Light,
            _ => egui::ThemePreference::System,
        }
    }

    pub fn set_theme(&mut self, t: egui::ThemePreference) {
        self.theme = match t {
            egui::ThemePreference::Dark => "dark",
            egui::ThemePreference::Light => "light",
            egui::ThemePreference::System => "system",
        }
        .into();
    }
}

/// Writes `text` to `dest` through a temp file and a rename, creating the
/// folder if needed (mode 0700 for a new one).
pub fn write_atomic(dest: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = dest.parent() {
        if !dir.exists() {
            use std::os::unix::fs::DirBuilderExt;
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)?;
        }
    }
    let mut f = crate::journal::export::AtomicFile::create(dest)?;
    f.writer().write_all(text.as_bytes())?;
    f.commit()
}

/// Writes on a helper thread (small files, but the UI thread never waits
/// on a disk). A failure comes back on `errors`.
pub fn write_in_background(dest: PathBuf, text: String, errors: crossbeam_channel::Sender<String>) {
    let report = errors.clone();
    let spawned = std::thread::Builder::new()
        .name("proctor-save".into())
        .spawn(move || {
            if let Err(e) = write_atomic(&dest, &text) {
                let _ = errors.send(format!("could not write {}: {e}", dest.display()));
            }
        });
    if let Err(e) = spawned {
        let _ = report.send(format!("cannot start a thread to save: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_list_is_newest_first_without_duplicates_and_bounded() {
        let mut s = Settings::default();
        for i in 0..12 {
            s.remember(Path::new(&format!("/nonexistent/{i}.toml")));
        }
        s.remember(Path::new("/nonexistent/5.toml"));
        assert_eq!(s.recent.len(), MAX_RECENT);
        assert_eq!(s.recent[0], PathBuf::from("/nonexistent/5.toml"));
        assert_eq!(s.recent[1], PathBuf::from("/nonexistent/11.toml"));
        assert_eq!(s.recent.iter().filter(|p| p.ends_with("5.toml")).count(), 1);
        s.forget(Path::new("/nonexistent/5.toml"));
        assert_eq!(s.recent[0], PathBuf::from("/nonexistent/11.toml"));
    }

    #[test]
    fn settings_round_trip_and_bad_files_give_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let dirs = AppDirs::under(dir.path());
        let file = dirs.settings_file();
        assert_eq!(Settings::load(&file), (Settings::default(), None));
        let mut s = Settings {
            log_window: 5_000,
            journal_max_mb: 3,
            ..Default::default()
        };
        s.remember(Path::new("/nonexistent/a.toml"));
        s.set_theme(egui::ThemePreference::Dark);
        s.layout = Layout {
            size: Some([1000.0, 700.5]),
            position: Some([-20.0, 40.0]),
            maximized: true,
            definitions_width: Some(412.25),
            log_height: None,
        };
        write_atomic(&file, &s.to_toml()).unwrap();
        let (back, problem) = Settings::load(&file);
        assert_eq!(problem, None);
        assert_eq!(back, s);
        assert_eq!(back.journal_max_bytes(), 3 * MB);
        assert_eq!(back.theme_preference(), egui::ThemePreference::Dark);

        std::fs::write(&file, "log_window = \"lots\"").unwrap();
        let (back, problem) = Settings::load(&file);
        assert_eq!(back, Settings::default());
        assert!(problem.is_some_and(|p| p.contains("settings.toml")));

        std::fs::write(&file, "log_window = 3").unwrap();
        assert_eq!(Settings::load(&file).0.log_window, 1_000, "clamped");
    }
}
