//! The desktop's light or dark preference, as GNOME and KDE publish it: the
//! XDG desktop portal's `org.freedesktop.appearance color-scheme` setting,
//! read at start and followed while the app runs. The window system does
//! not say it on Linux, so without this "System" would always mean dark.
//! The theme chosen in View ▸ Theme still wins (it is egui's preference;
//! this only sets what "System" means).

use egui::Theme;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use zbus::zvariant::{OwnedValue, Value};

const PORTAL: &str = "org.freedesktop.portal.Desktop";
const PATH: &str = "/org/freedesktop/portal/desktop";
const SETTINGS: &str = "org.freedesktop.portal.Settings";
const NAMESPACE: &str = "org.freedesktop.appearance";
const KEY: &str = "color-scheme";

/// The theme for the portal's `color-scheme` value: 1 prefers dark, 2
/// prefers light, 0 states no preference, which desktops draw light (as
/// libadwaita does). Anything else is not understood.
pub fn theme_of_scheme(value: &Value<'_>) -> Option<Theme> {
    match value {
        // The older `Read` method wraps the value in one more variant.
        Value::Value(inner) => theme_of_scheme(inner),
        Value::U32(1) => Some(Theme::Dark),
        Value::U32(0 | 2) => Some(Theme::Light),
        _ => None,
    }
}

/// Reads the preference now, then calls `on_change` with it and with every
/// change, on a thread of its own, for as long as the app runs. Nothing is
/// called when there is no session bus or no portal. `address` is a D-Bus
/// address, or `None` for the session bus.
pub fn watch(address: Option<String>, on_change: impl Fn(Theme) + Send + 'static) {
    let spawned = std::thread::Builder::new()
        .name("proctor-theme".into())
        .spawn(move || {
            let _ = async_io::block_on(follow(address, &on_change));
        });
    // Without the thread, "System" keeps egui's fallback: not worth an error.
    drop(spawned);
}

async fn follow(address: Option<String>, on_change: &impl Fn(Theme)) -> zbus::Result<()> {
    let conn = match address {
        Some(a) => zbus::connection::Builder::address(a.as_str())?.build().await?,
        None => zbus::Connection::session().await?,
    };
    let proxy = zbus::Proxy::new(&conn, PORTAL, PATH, SETTINGS).await?;
    // Subscribe first so that a change right after the read is not missed.
    let mut changes = Box::pin(proxy.receive_signal("SettingChanged").await?);
    let now: zbus::Result<OwnedValue> = match proxy.call("ReadOne", &(NAMESPACE, KEY)).await {
        Ok(v) => Ok(v),
        // Portals before version 2 have only `Read`.
        Err(_) => proxy.call("Read", &(NAMESPACE, KEY)).await,
    };
    if let Some(t) = now.ok().as_deref().and_then(theme_of_scheme) {
        on_change(t);
    }
    use zbus::export::futures_core::Stream;
    while let Some(msg) = std::future::poll_fn(|cx| changes.as_mut().poll_next(cx)).await {
        let Ok((ns, key, value)) = msg.body().deserialize::<(String, String, OwnedValue)>() else {
            continue;
        };
        if ns == NAMESPACE && key == KEY {
            if let Some(t) = theme_of_scheme(&value) {
                on_change(t);
            }
        }
    }
    Ok(())
}

/// Follows the desktop's preference for the window made later: waits up to
/// `first` for the current preference (so that the first frame is drawn in
/// it), and applies every change once `attach` has given the context.
pub struct Follower {
    shared: Arc<Mutex<(Option<Theme>, Option<egui::Context>)>>,
}

impl Follower {
    pub fn start(first: Duration) -> Self {
        let shared = Arc::new(Mutex::new((None, None::<egui::Context>)));
        let (tx, rx) = crossbeam_channel::bounded(1);
        let s = shared.clone();
        watch(None, move |t| {
            if let Ok(mut g) = s.lock() {
                g.0 = Some(t);
                if let Some(ctx) = &g.1 {
                    apply(ctx, t);
                }
            }
            let _ = tx.try_send(());
        });
        let _ = rx.recv_timeout(first);
        Self { shared }
    }

    /// From now on changes go to `ctx`; the preference known so far is applied.
    pub fn attach(&self, ctx: &egui::Context) {
        if let Ok(mut g) = self.shared.lock() {
            if let Some(t) = g.0 {
                apply(ctx, t);
            }
            g.1 = Some(ctx.clone());
        }
    }
}

/// What "System" means in `ctx` from now on.
pub fn apply(ctx: &egui::Context, theme: Theme) {
    ctx.options_mut(|o| o.fallback_theme = theme);
    ctx.request_repaint();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn portal_values_map_to_themes() {
        assert_eq!(theme_of_scheme(&Value::U32(1)), Some(Theme::Dark));
        assert_eq!(theme_of_scheme(&Value::U32(2)), Some(Theme::Light));
        assert_eq!(theme_of_scheme(&Value::U32(0)), Some(Theme::Light));
        assert_eq!(theme_of_scheme(&Value::U32(7)), None);
        assert_eq!(theme_of_scheme(&Value::from("dark")), None);
        let wrapped = Value::Value(Box::new(Value::U32(1)));
        assert_eq!(theme_of_scheme(&wrapped), Some(Theme::Dark));
    }

    #[test]
    fn system_means_what_the_desktop_said_and_the_override_still_wins() {
        let ctx = egui::Context::default();
        ctx.set_theme(egui::ThemePreference::System);
        apply(&ctx, Theme::Light);
        assert_eq!(ctx.theme(), Theme::Light);
        apply(&ctx, Theme::Dark);
        assert_eq!(ctx.theme(), Theme::Dark);
        ctx.set_theme(egui::ThemePreference::Light);
        assert_eq!(ctx.theme(), Theme::Light, "the user's choice stays");
    }

    /// A portal that answers `ReadOne` with `scheme`.
    struct FakePortal {
        scheme: u32,
    }

    #[zbus::interface(name = "org.freedesktop.portal.Settings")]
    impl FakePortal {
        async fn read_one(&self, namespace: &str, key: &str) -> zbus::fdo::Result<OwnedValue> {
            if (namespace, key) == (NAMESPACE, KEY) {
                Ok(OwnedValue::from(self.scheme))
            } else {
                Err(zbus::fdo::Error::Failed("no such setting".into()))
            }
        }
    }

    /// A private bus daemon, killed when dropped.
    struct Bus(std::process::Child);

    impl Drop for Bus {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn the_portal_preference_and_its_changes_arrive() {
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
        let portal = async_io::block_on(async {
            zbus::connection::Builder::address(addr.as_str())?
                .name(PORTAL)?
                .serve_at(PATH, FakePortal { scheme: 2 })?
                .build()
                .await
        })
        .expect("the fake portal is on the bus");

        let (tx, rx) = crossbeam_channel::unbounded();
        watch(Some(addr), move |t| {
            let _ = tx.send(t);
        });
        let wait = Duration::from_secs(20);
        assert_eq!(rx.recv_timeout(wait), Ok(Theme::Light), "prefer-light at start");
        let change = |ns: &str, value: u32| {
            async_io::block_on(portal.emit_signal(
                None::<()>,
                PATH,
                SETTINGS,
                "SettingChanged",
                &(ns, KEY, Value::U32(value)),
            ))
            .expect("signal sent");
        };
        // The watcher subscribes before it reads: a change now is seen.
        change("org.example.other", 2);
        change(NAMESPACE, 1);
        assert_eq!(rx.recv_timeout(wait), Ok(Theme::Dark), "changed to prefer-dark");
        change(NAMESPACE, 0);
        assert_eq!(rx.recv_timeout(wait), Ok(Theme::Light), "no preference");
    }

    #[test]
    fn no_bus_means_no_call_and_no_panic() {
        let dir = tempfile::tempdir().unwrap();
        let addr = format!("unix:path={}", dir.path().join("no-bus").display());
        let (tx, rx) = crossbeam_channel::unbounded();
        let t0 = Instant::now();
        watch(Some(addr), move |t| {
            let _ = tx.send(t);
        });
        // The thread ends (dropping the sender) without calling.
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(20)),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected)
        ));
        assert!(t0.elapsed() < Duration::from_secs(20));
    }
}
