//! The desktop app (eframe/egui). `run` opens the window; `app` holds the
//! state and applies intents; each panel lives in its own file.

mod ansi;
mod app;
mod apply;
mod cjk_font;
mod columns;
mod confirm;
mod definitions;
mod definitions_hint;
mod defs_check;
mod desk;
mod detail;
mod detail_output;
mod detail_panel;
mod detail_proc;
mod detail_resources;
mod engine_failure;
mod export_dialog;
mod export_job;
mod files;
mod form_place;
mod form_pool_ui;
mod form_task_host;
mod form_ui;
mod forms;
mod frame;
mod history;
mod input_burst;
mod inputs_text;
mod intent;
mod key_target;
mod keyboard;
mod keys;
mod layout;
mod log;
mod log_pick;
mod log_search;
mod log_shown;
mod log_store;
mod log_view;
mod menu;
mod natural;
mod notify;
mod picture_export;
mod pictures_tab;
mod plural;
mod pool_hosts;
mod pool_summary;
mod pools;
mod process_cells;
mod processes;
mod quit;
mod quit_signals;
mod resources_plot;
mod row_actions;
mod row_cache;
mod row_order;
mod row_toolbar;
mod rows;
mod selection;
mod session_io;
mod session_write;
mod settings;
mod settings_dialog;
mod speedup_view;
mod stats;
mod status;
mod system_theme;
mod theme;
mod timeline;
mod tree_rows;
mod tree_view;

pub use app::{ProctorApp, QuitState, Tab};
pub use export_job::{export_log, Exported, LogExport};
pub use forms::{Errors, PoolDraft, TaskDraft};
pub use history::{History, Listed, PastSession};
pub use intent::{Intent, PathPurpose};
pub use layout::Layout;
pub use log::{Log, LogFilter, ProcessFilter, LOG_CAPACITY};
pub use processes::{rows, Col, Row, Sort, Status};
pub use settings::{AppDirs, Settings};
pub use status::Notice;
pub use timeline::{DrawnLane, TimelineView};

use std::path::PathBuf;
use std::time::Duration;

/// The application id: the window's app id (Wayland) and WM class (X11),
/// and the name of the desktop entry, the metainfo and the icons.
pub const APP_ID: &str = "io.github.proctor.Proctor";

/// The icon the desktop shows for the window (rendered from the SVG by
/// `packaging/make-icons.sh`).
const ICON_PNG: &[u8] =
    include_bytes!("../../packaging/icons/hicolor/256x256/apps/io.github.proctor.Proctor.png");

/// Opens the window, with `session` loaded if given; starts its autostart
/// tasks and pools only with `start`. The window comes back with the size,
/// place and panels it had when it last closed.
pub fn run(session: Option<PathBuf>, start: bool) -> anyhow::Result<()> {
    // The desktop's light/dark preference, if it answers quickly; it is
    // followed afterwards whatever the wait.
    let system_theme = system_theme::Follower::start(Duration::from_millis(250));
    let (settings, _) = Settings::load(&AppDirs::from_env().settings_file());
    let viewport = egui::ViewportBuilder::default()
        .with_title("Proctor")
        .with_app_id(APP_ID)
        .with_icon(icon());
    let options = eframe::NativeOptions {
        viewport: settings.layout.viewport(viewport),
        // eframe's `system_fonts` feature is off (Cargo.toml): CJK text
        // has its own fallback, src/gui/cjk_font.rs.
        system_font_fallback: false,
        ..Default::default()
    };
    eframe::run_native(
        "Proctor",
        options,
        Box::new(move |cc| {
            system_theme.attach(&cc.egui_ctx);
            let mut app = ProctorApp::open(&cc.egui_ctx, session.as_deref(), start)?;
            if let Err(e) = app.listen_for_quit_signals() {
                eprintln!("proctor: SIGTERM and SIGHUP will end the app at once, without stopping its processes by their stop policy: {e}");
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// The window icon; an empty one (the desktop's default) if it cannot be
/// decoded.
pub fn icon() -> egui::IconData {
    eframe::icon_data::from_png_bytes(ICON_PNG).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_window_icon_is_the_256_px_png() {
        let i = super::icon();
        assert_eq!((i.width, i.height), (256, 256));
        assert_eq!(i.rgba.len(), 256 * 256 * 4);
        // Opaque in the middle, transparent in the rounded corner.
        let px = |x: usize, y: usize| i.rgba[(y * 256 + x) * 4 + 3];
        assert_eq!(px(128, 128), 0xff);
        assert_eq!(px(0, 0), 0);
    }
}
