//! A desktop notification goes from the app (a task failing while the
//! window is in the background) over a real D-Bus session bus to a
//! notification server listening on it. In a test binary of its own: it
//! points the session bus address of the process at its own bus.

mod gui_support;

use gui_support::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const SERVICE: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// A notification server that passes what it gets to a channel.
struct Server(crossbeam_channel::Sender<(String, String, String)>);

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Server {
    #[allow(clippy::too_many_arguments)]
    async fn notify(
        &self,
        app: String,
        _replaces: u32,
        _icon: String,
        summary: String,
        body: String,
        _actions: Vec<String>,
        _hints: HashMap<String, zbus::zvariant::OwnedValue>,
        _timeout: i32,
    ) -> u32 {
        let _ = self.0.send((app, summary, body));
        1
    }
}

/// The bus daemon, ended with the test.
struct Bus(std::process::Child);

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn set_focused(h: &mut egui_kittest::Harness<'_, TestApp>, focused: bool) {
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .focused = Some(focused);
}

#[test]
fn a_task_failing_in_the_background_notifies_over_the_session_bus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("bus");
    let addr = format!("unix:path={}", socket.display());
    let daemon = std::process::Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--nopidfile"])
        .arg(format!("--address={addr}"))
        .stdout(std::process::Stdio::null())
        .spawn();
    let Ok(daemon) = daemon else {
        eprintln!(
            "SKIPPED: no dbus-daemon to run a session bus with (.ci/run installs the dbus-daemon package)"
        );
        return;
    };
    let _bus = Bus(daemon);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !socket.exists() {
        assert!(Instant::now() < deadline, "the session bus did not start");
        std::thread::sleep(Duration::from_millis(10));
    }
    // The app talks to "the session bus": this one. The only test of this
    // binary, so no other thread reads the environment meanwhile.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &addr);
    let (tx, rx) = crossbeam_channel::unbounded();
    let _server = async_io::block_on(async {
        zbus::connection::Builder::address(addr.as_str())?
            .name(SERVICE)?
            .serve_at(PATH, Server(tx))?
            .build()
            .await
    })
    .expect("the notification server is on the bus");

    // In the foreground: a failure shows in the window, no notification.
    let mut h = harness(session(vec![task("flaky", "sh -c 'exit 3'")]), true);
    set_focused(&mut h, true);
    wait_until(&mut h, "the first failure", |h| {
        app(h).model().row("flaky").is_some_and(|r| r.state.is_ended())
    });
    frames(&mut h, 5);

    // In the background: the next failure notifies.
    set_focused(&mut h, false);
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::Restart("flaky".into()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let got = loop {
        h.step();
        if let Ok(n) = rx.try_recv() {
            break n;
        }
        assert!(Instant::now() < deadline, "no notification reached the bus");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(got, ("Proctor".into(), "flaky failed".into(), "exit 3".into()));
    assert!(
        rx.try_recv().is_err(),
        "one notification: the failure in the foreground sent none"
    );
}
