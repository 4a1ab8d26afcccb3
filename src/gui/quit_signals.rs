//! SIGTERM, SIGHUP and SIGINT to the app (a logout, `kill`, Ctrl-C in the
//! terminal that started it) quit it as its window's close does, without
//! asking: every process is stopped by its stop policy, the session and
//! its journal end (`session_ended`), the definitions are autosaved (edits
//! not saved to their file included), then the window closes. A second
//! signal kills what is left. A signal that was ignored when the app
//! started (`nohup` ignores SIGHUP) stays ignored.

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The signals counted by a thread of their own, which wakes the window.
pub struct QuitSignals {
    count: Arc<AtomicU32>,
    seen: u32,
    handle: signal_hook::iterator::Handle,
}

impl QuitSignals {
    /// Starts listening; `ctx` is repainted at each signal.
    pub fn install(ctx: &egui::Context) -> std::io::Result<Self> {
        let wanted: Vec<i32> = [SIGTERM, SIGHUP, SIGINT]
            .into_iter()
            .filter(|&s| !crate::cli::signal_ignored(s))
            .collect();
        let mut signals = signal_hook::iterator::Signals::new(&wanted)?;
        let handle = signals.handle();
        let count = Arc::new(AtomicU32::new(0));
        let (c, ctx) = (count.clone(), ctx.clone());
        std::thread::Builder::new()
            .name("proctor-signals".into())
            .spawn(move || {
                for _ in signals.forever() {
                    c.fetch_add(1, Ordering::SeqCst);
                    ctx.request_repaint();
                }
            })?;
        Ok(Self {
            count,
            seen: 0,
            handle,
        })
    }

    /// How many signals came, if more than when last asked.
    pub fn take(&mut self) -> Option<u32> {
        let n = self.count.load(Ordering::SeqCst);
        (n != self.seen).then(|| {
            self.seen = n;
            n
        })
    }
}

impl Drop for QuitSignals {
    fn drop(&mut self) {
        self.handle.close();
    }
}
