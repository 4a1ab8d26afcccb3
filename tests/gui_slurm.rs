//! The app with a pool on a real one-node Slurm cluster whose partition is
//! down: its inputs wait, and the app says why, in Slurm's words.

mod gui_support;
#[path = "remote/support.rs"]
mod support;

use egui_kittest::kittest::Queryable;
use gui_support::{app, frames, harness, session_toml, shows, shows_containing, wait_until};

#[test]
fn pending_slurm_work_shows_its_reason() {
    let Some(_slurm) = support::Slurm::start() else {
        return;
    };
    // The steps' processes are Slurm's: the local tag scan stays off.
    std::env::set_var("PROCTOR_TAG_SCAN", "off");
    let s = session_toml(
        "[[pool]]\nname = \"held\"\nworkers = 2\nrun = [\"true\"]\ninputs = [\"a\", \"b\", \"c\"]\n\
         slurm = { partition = \"closed\", time = \"00:10:00\" }\n",
    );
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool is listed", |h| shows(h, "Pools (1)"));
    h.get_by_label("Pools (1)").click();
    wait_until(&mut h, "both workers' inputs pending with Slurm's reason", |h| {
        h.query_all_by_label("pending: PartitionDown").count() >= 2
    });
    // The progress line and the Hosts section say it too.
    assert!(shows(&h, "2 pending in Slurm"));
    assert!(shows(&h, "Pending in Slurm: 2 inputs (PartitionDown: 2)"));
    let pool = app(&h).model().pool("held").expect("pool row");
    assert_eq!(pool.slurm_pending(), vec![("PartitionDown".to_string(), 2)]);
    // The third input is queued by Proctor, not by Slurm.
    assert_eq!(pool.inputs[2].status_text(), "queued");
    // The workers' rows say it.
    h.get_by_label_contains("Workers (").click();
    frames(&mut h, 3);
    assert!(
        h.query_all_by_label("pending: PartitionDown").count() >= 4,
        "inputs and workers"
    );

    // Terminate: nothing was done; the inputs are cancelled.
    h.get_by_label("Terminate pool").click();
    wait_until(&mut h, "the pool ends", |h| {
        app(h).model().pool("held").is_some_and(|p| p.finished.is_some())
    });
    let pool = app(&h).model().pool("held").expect("pool row");
    assert_eq!(pool.finished.map(|t| t.done), Some(0));
    assert!(!shows_containing(&h, "Pending in Slurm"));
}
