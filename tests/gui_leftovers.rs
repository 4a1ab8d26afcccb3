//! A grandchild that escapes its task's tree is shown as a leftover after
//! the stop, and the toolbar's "Kill leftovers" button kills it.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::model::RowState;
use proctor::session::Seconds;

#[test]
fn escaped_grandchild_is_reported_and_killed_with_the_button() {
    // Double fork + setsid + an empty environment: it leaves the group,
    // the session and the tag; only the subreaper link is left. On the
    // fallback path, forced here (the only test of this binary): on the
    // cgroup path the stop itself ends it (tests/stop_paths.rs).
    std::env::set_var("PROCTOR_CGROUP", "off");
    let mut t = task(
        "escaper",
        "sh -c \"sh -c 'env -i setsid sleep 60 & echo pid $!'; sleep 60\"",
    );
    t.stop.timeout = Seconds::from_millis(500);
    let mut h = harness(session(vec![t]), true);
    wait_until(&mut h, "the orphan's pid printed", |h| {
        app(h)
            .model()
            .row("escaper")
            .is_some_and(|r| r.state == RowState::Running)
            && app(h).log().events().any(|e| e.text().starts_with("pid "))
    });
    let orphan: i32 = app(&h)
        .log()
        .events()
        .find_map(|e| e.text().strip_prefix("pid ").and_then(|p| p.trim().parse().ok()))
        .expect("pid line");
    // Let it settle into its own session, adopted by us.
    wait_until(&mut h, "the orphan adopted", |_| {
        std::fs::read_to_string(format!("/proc/{orphan}/stat")).is_ok_and(|s| {
            proctor::engine::tree::parse_stat(&s).is_some_and(|(comm, _, ppid, _, sid)| {
                comm == "sleep" && ppid == std::process::id() as i32 && sid == orphan
            })
        })
    });
    h.get_by_label("Terminate all").click();
    wait_until(&mut h, "the leftover button", |h| shows(h, "Kill leftovers (1)"));
    assert!(
        alive(orphan as u32),
        "the leftover is still running before the click"
    );
    h.get_by_label("Kill leftovers (1)").click();
    wait_until(&mut h, "the leftover killed", |h| !shows(h, "Kill leftovers (1)"));
    wait_until(&mut h, "the orphan gone", |_| {
        std::fs::read_to_string(format!("/proc/{orphan}/stat")).map_or(true, |s| {
            proctor::engine::tree::parse_stat(&s).is_some_and(|x| x.1 == 'Z')
        })
    });
}
