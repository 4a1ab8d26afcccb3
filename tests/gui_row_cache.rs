//! The process table's rows are built only when something changed them
//! (see `row_cache`): what changes them still shows on the frame that
//! brings it, with real processes: a sort clicked, a process killed from
//! outside.

mod gui_support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui_support::*;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

fn y(h: &Harness<'_, TestApp>, name: &str) -> f32 {
    h.query_all_by_label(name).last().expect(name).rect().min.y
}

#[test]
fn a_sort_and_an_exit_show_on_the_frame_that_brings_them() {
    let names = ["w-10", "w-2", "w-1"];
    let tasks = names.iter().map(|n| task(n, "sleep 60")).collect();
    let mut h = harness(session(tasks), true);
    wait_until(&mut h, "three running with pids", |h| {
        names.iter().all(|n| {
            app(h)
                .model()
                .row(n)
                .is_some_and(|r| r.state.is_alive() && r.pid.is_some())
        })
    });
    frames(&mut h, 2);
    assert_eq!(h.query_all_by_label("\u{25cf} running").count(), 3);

    // Sorted by name, then the other way: each click reorders at once.
    h.query_all_by_label("Name").last().expect("the header").click();
    h.step();
    h.step();
    assert!(shows(&h, "Name \u{2191}"));
    assert!(y(&h, "w-1") < y(&h, "w-2") && y(&h, "w-2") < y(&h, "w-10"));
    h.query_all_by_label("Name \u{2191}")
        .last()
        .expect("the header")
        .click();
    h.step();
    h.step();
    assert!(shows(&h, "Name \u{2193}"));
    assert!(y(&h, "w-10") < y(&h, "w-2") && y(&h, "w-2") < y(&h, "w-1"));

    // Killed from outside: the frame that takes the exit in shows it.
    let pid = app(&h).model().row("w-2").and_then(|r| r.pid).expect("pid");
    kill(Pid::from_raw(pid as i32), Signal::SIGKILL).expect("kill");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        h.step();
        if app(&h).model().row("w-2").is_some_and(|r| r.state.is_ended()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the exit never came");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        shows(&h, "-9 SIGKILL"),
        "the exit is shown on the frame it came in"
    );
    assert!(shows(&h, "\u{25cf} exited"));
    assert_eq!(h.query_all_by_label("\u{25cf} running").count(), 2);
    // Still in the order asked for.
    assert!(y(&h, "w-10") < y(&h, "w-2") && y(&h, "w-2") < y(&h, "w-1"));
}
