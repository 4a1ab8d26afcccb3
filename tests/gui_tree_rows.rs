//! A process row expanded to its tree in the process table: its
//! descendants live under it (the one that left its session included),
//! one branch killed from there, and the row's CPU and memory are the
//! whole tree's.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;

#[test]
fn an_expanded_row_lists_its_tree_and_kills_one_branch() {
    // A plain child and one in its own session.
    let t = task("forker", "sh -c 'sleep 4036 & setsid sleep 4037 & wait'");
    let mut h = harness(session(vec![t]), true);
    wait_until(&mut h, "forker running", |h| {
        app(h).model().row("forker").is_some_and(|r| r.pid.is_some())
    });
    let leader = app(&h).model().row("forker").unwrap().pid.unwrap();
    assert!(
        !shows_containing(&h, "\u{2197} sleep 4037"),
        "collapsed: no tree under the row"
    );
    h.get_by_label_contains("process tree of forker").click();
    wait_until(&mut h, "both grandchildren listed under the row", |h| {
        shows_containing(h, "\u{2514} sleep 4036") && shows_containing(h, "\u{2197} sleep 4037")
    });
    // The one that left its session is marked so.
    assert!(shows_containing(&h, "\u{2514} \u{21b3} \u{2197} sleep 4037"));
    let own_session = find_pid("sleep 4037");
    let plain = find_pid("sleep 4036");
    // Kill branch buttons, in the order of the lines.
    let y = |cmd: &str| h.get_by_label_contains(cmd).rect().center().y;
    let kills: Vec<_> = h.query_all_by_label("Kill branch").collect();
    assert_eq!(kills.len(), 2, "one per descendant");
    let setsid_line = kills
        .iter()
        .position(|k| (k.rect().center().y - y("\u{2197} sleep 4037")).abs() < 6.0)
        .expect("a Kill branch on the setsid line");
    kills[setsid_line].click();
    wait_until(&mut h, "the setsid branch is gone", |_| {
        !alive_running(own_session)
    });
    // Its line goes with it at the next look; the rest runs on.
    wait_until(&mut h, "its line gone", |h| {
        !shows_containing(h, "\u{2197} sleep 4037")
    });
    assert!(alive_running(plain), "the other branch is untouched");
    assert!(alive_running(leader), "the leader is untouched");
    assert!(app(&h).model().row("forker").unwrap().state.is_alive());
    // Collapsed again: the tree lines go.
    h.get_by_label_contains("Hide its process tree of forker").click();
    wait_until(&mut h, "collapsed", |h| {
        !shows_containing(h, "\u{2514} sleep 4036")
    });
}

#[test]
fn the_row_shows_the_whole_trees_cpu_and_memory() {
    // Three processes that each hold some memory; one leaves the session.
    let t = task(
        "family",
        "sh -c 'python3 -c \"import time; b = bytes(range(256)) * ((30 << 20) // 256); time.sleep(60)\" & \
         setsid python3 -c \"import time; b = bytes(range(256)) * ((30 << 20) // 256); time.sleep(60)\" & wait'",
    );
    let mut h = harness(session(vec![t]), true);
    wait_until(&mut h, "the tree sampled whole", |h| {
        app(h)
            .model()
            .pictures
            .proc("family")
            .and_then(|l| l.live_figures())
            .is_some_and(|p| p.procs == 3 && p.rss_kb >= 60 * 1024)
    });
    let p = app(&h)
        .model()
        .pictures
        .proc("family")
        .unwrap()
        .live_figures()
        .unwrap();
    assert!(p.own_rss_kb < 20 * 1024, "the leader alone is a shell: {p:?}");
    // The table says the tree's figure, marked, with the leader's on hover.
    wait_until(&mut h, "the row's memory is the tree's", |h| {
        h.query_all_by_label_contains("\u{2211}").count() >= 2
    });
    let rows = proctor::gui::rows(
        app(&h).model(),
        &Default::default(),
        &Default::default(),
        "",
        None,
        chrono::Local::now().fixed_offset(),
    );
    let r = rows.iter().find(|r| r.name == "family").unwrap();
    let (own_cpu, own_rss, n) = r.own.expect("a tree of more than the leader");
    assert_eq!(n, 3);
    assert!(r.rss.unwrap() >= 60 << 20 && own_rss < 20 << 20, "{r:?}");
    assert!(own_cpu >= 0.0);
    h.state_mut()
        .app
        .as_mut()
        .unwrap()
        .apply(proctor::gui::Intent::Send(proctor::engine::Command::Stop {
            process: "family".into(),
            how: proctor::engine::StopHow::Kill,
        }));
    wait_until(&mut h, "stopped", |h| {
        app(h).model().row("family").is_some_and(|r| r.state.is_ended())
    });
}
