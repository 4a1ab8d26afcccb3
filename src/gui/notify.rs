//! Desktop notifications (freedesktop `org.freedesktop.Notifications` over
//! D-Bus) when a task fails, a pool finishes or leftovers are found, while
//! the window is in the background and the settings allow it. Sent from a
//! thread of its own; without a bus or a notification server nothing
//! happens (and nothing is retried).

use crate::event::{Event, EventKind};
use crossbeam_channel::{unbounded, Sender};
use std::collections::HashMap;

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub summary: String,
    pub body: String,
    /// Failures are "critical" urgency, the rest "normal".
    pub critical: bool,
}

/// The notification an event deserves, if any.
pub fn note_for(e: &Event) -> Option<Note> {
    let who = e.process.as_deref().or(e.pool.as_deref()).unwrap_or("a process");
    match &e.kind {
        EventKind::SpawnFailed { message } => Some(Note {
            summary: format!("{who} failed to start"),
            body: message.clone(),
            critical: true,
        }),
        // A task (not a pool worker) that failed on its own, with no
        // restart to come.
        EventKind::Exited {
            exit_code,
            restart_in: None,
            stopped: false,
            ..
        } if *exit_code != 0 && e.pool.is_none() => Some(Note {
            summary: format!("{who} failed"),
            body: format!("exit {}", crate::event::exit::short_exit(*exit_code)),
            critical: true,
        }),
        EventKind::PoolDone { .. } => Some(Note {
            summary: format!("pool {who} finished"),
            body: e.text(),
            critical: false,
        }),
        EventKind::Leftover { .. } => Some(Note {
            summary: "leftover processes found".into(),
            body: e.text(),
            critical: true,
        }),
        _ => None,
    }
}

/// Several notes of one frame as one (a storm of failures is one bubble).
pub fn coalesce(notes: Vec<Note>) -> Option<Note> {
    match notes.len() {
        0 => None,
        1 => notes.into_iter().next(),
        n => Some(Note {
            summary: format!("{n} things need attention"),
            body: notes
                .iter()
                .map(|x| x.summary.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            critical: notes.iter().any(|x| x.critical),
        }),
    }
}

#[derive(Default)]
pub struct Notifier {
    pending: Vec<Note>,
    tx: Option<Sender<Note>>,
    /// Every note handed to the sender thread (for the app's tests).
    pub sent: Vec<Note>,
    address: Option<String>,
}

impl Notifier {
    /// A notifier on the bus at `address` (tests); the session bus otherwise.
    #[cfg(test)]
    pub fn with_address(address: Option<String>) -> Self {
        Self {
            address,
            ..Default::default()
        }
    }

    pub fn observe(&mut self, e: &Event) {
        if let Some(n) = note_for(e) {
            self.pending.push(n);
        }
    }

    /// Sends what came in since the last frame, if the window is in the
    /// background and notifications are on; drops it otherwise.
    pub fn flush(&mut self, enabled: bool, focused: bool) {
        let notes = std::mem::take(&mut self.pending);
        if !enabled || focused {
            return;
        }
        let Some(note) = coalesce(notes) else { return };
        if self.tx.is_none() {
            self.tx = start(self.address.clone());
        }
        if let Some(tx) = &self.tx {
            if tx.send(note.clone()).is_ok() {
                self.sent.push(note);
            }
        }
    }
}

/// The sender thread; it connects on the first note.
fn start(address: Option<String>) -> Option<Sender<Note>> {
    let (tx, rx) = unbounded::<Note>();
    std::thread::Builder::new()
        .name("proctor-notify".into())
        .spawn(move || {
            let _ = async_io::block_on(async move {
                let conn = match address {
                    Some(a) => zbus::connection::Builder::address(a.as_str())?.build().await?,
                    None => zbus::Connection::session().await?,
                };
                let proxy = zbus::Proxy::new(&conn, SERVICE, PATH, SERVICE).await?;
                while let Ok(n) = rx.recv() {
                    let _ = send(&proxy, &n).await;
                }
                zbus::Result::Ok(())
            });
        })
        .ok()?;
    Some(tx)
}

async fn send(proxy: &zbus::Proxy<'_>, n: &Note) -> zbus::Result<u32> {
    use zbus::zvariant::Value;
    let mut hints: HashMap<&str, Value<'_>> = HashMap::new();
    hints.insert("urgency", Value::U8(if n.critical { 2 } else { 1 }));
    hints.insert("desktop-entry", Value::from(super::APP_ID));
    let actions: Vec<&str> = Vec::new();
    proxy
        .call(
            "Notify",
            &(
                "Proctor",
                0u32,
                super::APP_ID,
                n.summary.as_str(),
                n.body.as_str(),
                actions,
                hints,
                -1i32,
            ),
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn exited(code: i32, stopped: bool, restart_in: Option<f64>) -> Event {
        Event::now(EventKind::Exited {
            exit_code: code,
            runtime: 1.0,
            restart_in,
            usage: None,
            stopped,
        })
        .process("job", Some(7))
    }

    #[test]
    fn failures_pools_and_leftovers_notify_and_the_rest_does_not() {
        assert!(note_for(&exited(3, false, None)).is_some_and(|n| n.critical && n.summary == "job failed"));
        assert!(note_for(&exited(0, false, None)).is_none());
        assert!(
            note_for(&exited(-15, true, None)).is_none(),
            "a stop the user asked for"
        );
        assert!(
            note_for(&exited(1, false, Some(0.5))).is_none(),
            "a restart follows"
        );
        let worker = exited(1, false, None).pool("p", Some(0));
        assert!(note_for(&worker).is_none(), "a pool's inputs fail in the pool");
        let stdout = Event::now(EventKind::stdout("x")).process("job", Some(7));
        assert!(note_for(&stdout).is_none());
        let many = coalesce(vec![
            note_for(&exited(1, false, None)).unwrap(),
            note_for(&exited(2, false, None)).unwrap(),
        ])
        .unwrap();
        assert_eq!(many.summary, "2 things need attention");
    }

    #[test]
    fn nothing_is_sent_while_focused_or_switched_off() {
        let mut n = Notifier::with_address(Some("unix:path=/nonexistent/bus".into()));
        n.observe(&exited(1, false, None));
        n.flush(true, true);
        n.observe(&exited(1, false, None));
        n.flush(false, false);
        assert!(n.sent.is_empty());
        n.observe(&exited(1, false, None));
        n.flush(true, false);
        assert_eq!(n.sent.len(), 1, "handed to the sender (which finds no bus)");
    }

    /// A notification server that passes what it gets to a channel.
    struct FakeServer(crossbeam_channel::Sender<(String, String, u8)>);

    #[zbus::interface(name = "org.freedesktop.Notifications")]
    impl FakeServer {
        #[allow(clippy::too_many_arguments)]
        async fn notify(
            &self,
            _app: String,
            _replaces: u32,
            _icon: String,
            summary: String,
            body: String,
            _actions: Vec<String>,
            hints: HashMap<String, zbus::zvariant::OwnedValue>,
            _timeout: i32,
        ) -> u32 {
            let urgency = hints
                .get("urgency")
                .and_then(|v| u8::try_from(v).ok())
                .unwrap_or(0);
            let _ = self.0.send((summary, body, urgency));
            1
        }
    }

    struct Bus(std::process::Child);

    impl Drop for Bus {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn a_note_reaches_the_notification_server_over_dbus() {
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("unix:path={}", dir.path().join("bus").display());
        let daemon = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={addr}"))
            .stdout(std::process::Stdio::null())
            .spawn();
        let Ok(daemon) = daemon else {
            eprintln!("SKIPPED: no dbus-daemon to run a bus with (apt-get install dbus-daemon)");
            return;
        };
        let _bus = Bus(daemon);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !dir.path().join("bus").exists() {
            assert!(Instant::now() < deadline, "the bus did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let _server = async_io::block_on(async {
            zbus::connection::Builder::address(addr.as_str())?
                .name(SERVICE)?
                .serve_at(PATH, FakeServer(tx))?
                .build()
                .await
        })
        .expect("the fake server is on the bus");
        let mut n = Notifier::with_address(Some(addr));
        n.observe(&exited(3, false, None));
        n.flush(true, false);
        let (summary, body, urgency) = rx.recv_timeout(Duration::from_secs(20)).expect("a notification");
        assert_eq!(summary, "job failed");
        assert_eq!(body, "exit 3");
        assert_eq!(urgency, 2, "critical");
    }
}
