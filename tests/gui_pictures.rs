//! The pictures through the real app and a real engine: the timeline of a
//! pool, a process's peak memory, a process tree and the stop of one branch.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::pictures::speedup::speedup;
use proctor::pictures::Outcome;
use proctor::session::{PoolSpec, RunSpec, Workers};
use std::collections::BTreeSet;

fn sleep_pool() -> PoolSpec {
    let mut p = PoolSpec::new(
        "naps",
        RunSpec::Args(vec!["sleep".into(), "{}".into()]),
        vec!["0.5".into(); 4],
    );
    p.workers = Workers::new(2).unwrap();
    p.base_dir = std::env::temp_dir();
    p
}

#[test]
fn two_workers_over_four_naps_draw_four_bars_on_two_lanes() {
    let mut s = session(Vec::new());
    s.pools.push(sleep_pool());
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool is done", |h| {
        app(h).model().pool("naps").is_some_and(|p| p.finished.is_some())
    });
    h.get_by_label("Timeline").click();
    wait_until(&mut h, "four bars drawn", |h| {
        app(h)
            .timeline_drawn()
            .iter()
            .map(|l| l.bars.len())
            .sum::<usize>()
            == 4
    });
    let drawn = app(&h).timeline_drawn().to_vec();
    assert_eq!(drawn.len(), 2, "one lane per worker: {drawn:?}");
    let model = app(&h).model();
    let pool = model.pool("naps").unwrap();
    let mut inputs = BTreeSet::new();
    for lane in &drawn {
        assert_eq!(lane.bars.len(), 2, "{lane:?}");
        for &(input, outcome, count) in &lane.bars {
            let i = input.expect("a worker's bar is an input");
            assert_eq!((outcome, count), (Outcome::Succeeded, 1));
            assert_eq!(
                pool.inputs[i as usize].worker.as_deref(),
                Some(lane.label.as_str()),
                "input {i} is on the lane of the worker that ran it"
            );
            inputs.insert(i);
        }
    }
    assert_eq!(inputs, (0..4).collect());
    let pic = model.pictures.pool("naps").unwrap();
    let x = speedup(pic, model.pictures.last);
    assert!(x.speedup > 1.4, "{x:?}");
    assert!(x.sum >= 1.9, "four naps of half a second: {x:?}");
    // The figures are said in words under the timeline.
    assert!(shows_containing(&h, &format!("speedup {:.2}x", x.speedup)));
}

#[test]
fn a_hundred_megabytes_show_as_the_peak_memory() {
    // The same interpreter without the allocation says what the
    // interpreter itself takes.
    let hog = task(
        "hog",
        "python3 -c \"import time; b = b'x' * (100 << 20); time.sleep(2.5)\"",
    );
    let idle = task("idle", "python3 -c \"import time; b = b'x'; time.sleep(2.5)\"");
    let mut h = harness(session(vec![hog, idle]), true);
    wait_until(&mut h, "both ended", |h| {
        ["hog", "idle"]
            .iter()
            .all(|n| app(h).model().row(n).is_some_and(|r| r.state.is_ended()))
    });
    let pictures = &app(&h).model().pictures;
    let lane = pictures.proc("hog").unwrap().clone();
    let base = pictures.proc("idle").unwrap().peak_rss_kb as f64;
    assert!(!lane.series.is_empty(), "sampled while it ran");
    let want = 100.0 * 1024.0;
    let peak = lane.peak_rss_kb as f64 - base;
    assert!(
        (peak - want).abs() <= want * 0.10,
        "peak {peak} kB over the interpreter's {base} kB"
    );
    let sampled = lane.series.points().map(|p| p.rss_kb).max().unwrap() as f64 - base;
    assert!(
        (sampled - want).abs() <= want * 0.10,
        "sampled {sampled} kB over {base} kB"
    );
    // Selected, its plot says the peak.
    let pid = app(&h).model().row("hog").unwrap().pid.unwrap();
    h.get_by_label(&pid.to_string()).click();
    frames(&mut h, 2);
    h.get_by_label("Timeline").click();
    wait_until(&mut h, "the selected process's plot", |h| {
        shows(h, "Selected process")
    });
    assert!(shows_containing(&h, "peak memory 1"), "about 100 MB said");
}

#[test]
fn a_tree_with_a_grandchild_in_its_own_session_and_one_branch_killed() {
    // The leader forks a plain child and a child in its own session.
    let t = task("forker", "sh -c 'sleep 4016 & setsid sleep 4017 & wait'");
    let mut h = harness(session(vec![t]), true);
    wait_until(&mut h, "forker running", |h| {
        app(h).model().row("forker").is_some_and(|r| r.pid.is_some())
    });
    let pid = app(&h).model().row("forker").unwrap().pid.unwrap();
    h.get_by_label(&pid.to_string()).click();
    frames(&mut h, 2);
    h.get_by_label("Timeline").click();
    wait_until(&mut h, "three processes in the tree", |h| {
        shows(h, "3 processes \u{b7} \u{21b3} left the group \u{b7} \u{2197} left the session \u{b7} \u{2205} re-parented")
    });
    assert_eq!(
        h.query_all_by_label_contains("  sleep 401").count(),
        2,
        "both grandchildren listed"
    );
    let leader = app(&h).model().row("forker").unwrap().pid.unwrap();
    let own_session = find_pid("sleep 4017");
    let plain = find_pid("sleep 4016");
    assert!(alive(own_session) && alive(plain));
    // The Kill buttons are in tree order: the leader, then its children.
    // (Indented: the tree's rows, not the leader's command line.)
    let y = |cmd: &str| h.get_by_label_contains(cmd).rect().top();
    let at = usize::from(y("  sleep 4017") > y("  sleep 4016"));
    let kills: Vec<_> = h.query_all_by_label("Kill").collect();
    assert_eq!(kills.len(), 3);
    // Through accesskit: the row may be scrolled out of the panel.
    kills[1 + at].click_accesskit();
    wait_until(&mut h, "the setsid branch is gone", |_| {
        !alive_running(own_session)
    });
    frames(&mut h, 5);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(alive_running(plain), "the other branch is untouched");
    assert!(alive_running(leader), "the leader is untouched");
    assert!(app(&h).model().row("forker").unwrap().state.is_alive());
}

#[test]
fn a_past_session_from_history_draws_the_same_pictures() {
    let root = tempfile::tempdir().unwrap();
    let dirs = proctor::gui::AppDirs::under(root.path());
    std::fs::create_dir_all(&dirs.journals).unwrap();
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/v2-samples.jsonl");
    std::fs::copy(golden, dirs.journals.join("2026-11-26T17-04-13.292-14460.jsonl")).unwrap();
    let mut h = harness_in(dirs, Some(session(vec![])), false);
    open_first_past(&mut h);
    h.get_by_label("Timeline").click();
    wait_until(&mut h, "its lanes drawn", |h| app(h).timeline_drawn().len() == 3);
    let drawn = app(&h).timeline_drawn().to_vec();
    assert_eq!(drawn[0].label, "spinner");
    assert_eq!(drawn[0].bars.len(), 1);
    let inputs: BTreeSet<u64> = drawn[1..]
        .iter()
        .flat_map(|l| l.bars.iter().filter_map(|b| b.0))
        .collect();
    assert_eq!(inputs, (0..4).collect());
    // The speedup and the stacked plots, from the journal's samples.
    assert!(shows_containing(&h, "pool naps: wall"));
    assert!(shows_containing(&h, "CPU by task, up to"));
}

#[test]
fn file_export_picture_writes_the_svg_of_the_session_shown() {
    let mut s = session(Vec::new());
    s.pools.push(sleep_pool());
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool is done", |h| {
        app(h).model().pool("naps").is_some_and(|p| p.finished.is_some())
    });
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("naps.svg");
    h.state_mut()
        .app
        .as_mut()
        .unwrap()
        .apply(proctor::gui::Intent::ExportPicture(svg.clone()));
    wait_until(&mut h, "the picture written and said", |h| {
        svg.exists() && app(h).notice().is_some_and(|n| n.text.contains("exported"))
    });
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(text.matches("class=\"bar input\"").count(), 4);
    assert!(text.contains("pool naps: wall"));
    // Neither .svg nor .png: said, nothing written.
    let odd = dir.path().join("naps.gif");
    h.state_mut()
        .app
        .as_mut()
        .unwrap()
        .apply(proctor::gui::Intent::ExportPicture(odd.clone()));
    frames(&mut h, 2);
    assert!(app(&h)
        .notice()
        .is_some_and(|n| n.error && n.text.contains(".svg or .png")));
    assert!(!odd.exists());
}

#[test]
fn export_picture_never_writes_over_a_journal_even_through_a_link() {
    let mut s = session(Vec::new());
    s.pools.push(sleep_pool());
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool is done", |h| {
        app(h).model().pool("naps").is_some_and(|p| p.finished.is_some())
    });
    let journal = app(&h).journal_path().expect("a journal").to_path_buf();
    let before = std::fs::read(&journal).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["j.svg", "j.png"] {
        let link = dir.path().join(name);
        std::os::unix::fs::symlink(&journal, &link).unwrap();
        h.state_mut()
            .app
            .as_mut()
            .unwrap()
            .apply(proctor::gui::Intent::ExportPicture(link.clone()));
        frames(&mut h, 3);
        let n = app(&h).notice().expect("a notice").clone();
        assert!(n.error && n.text.contains("would be overwritten"), "{n:?}");
    }
    frames(&mut h, 10);
    let after = std::fs::read(&journal).unwrap();
    assert!(after.starts_with(&before), "the journal was not overwritten");
}
