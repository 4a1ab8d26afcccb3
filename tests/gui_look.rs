//! Every input is reachable by name, in both tabs and both themes, and a
//! table of 1,000+ processes draws only the rows in view.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::session::{Instances, PoolSpec, RunSpec};
use std::time::{Duration, Instant};

#[test]
fn every_input_has_a_name_in_both_tabs() {
    let mut s = session(vec![task("one", "sleep 30")]);
    s.pools.push(PoolSpec::new(
        "p",
        RunSpec::Line("sh -c 'echo {}'".into()),
        vec!["a".into(), "b".into()],
    ));
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool is done", |h| {
        shows(h, "2 done") || { app(h).model().pool("p").is_some_and(|p| p.finished.is_some()) }
    });
    frames(&mut h, 3);
    h.check_accessibility();
    h.get_by_label("Pools (1)").click();
    frames(&mut h, 3);
    h.check_accessibility();
    h.get_by_label("+ Pool").click();
    frames(&mut h, 3);
    h.check_accessibility();
}

#[test]
fn a_thousand_processes_stay_quick_to_draw() {
    let mut t = task("many", "sleep 30");
    t.instances = Instances::new(1000).unwrap();
    let mut h = harness(session(vec![t]), true);
    wait_until(&mut h, "1,000 running", |h| {
        app(h).model().running_count() == 1000
    });
    frames(&mut h, 3);
    // Rows out of view are not laid out at all.
    assert!(shows(&h, "many-1"));
    assert!(!shows(&h, "many-500"));
    let t0 = Instant::now();
    for _ in 0..10 {
        h.step();
    }
    let per_frame = t0.elapsed() / 10;
    eprintln!("one frame with 1,000 processes: {per_frame:?}");
    assert!(
        per_frame < Duration::from_millis(1_000),
        "a frame took {per_frame:?}"
    );
    assert!(shows(&h, "1000 running"));
}
