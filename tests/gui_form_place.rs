//! Where a definition runs, edited in the forms of the real app: the pool
//! form's Local / SSH hosts / Slurm switch (the Workers field read-only,
//! the hosts' slots, while hosts are set) and the task form's Host. Each
//! switch is clicked by its label and saved, and the saved file passes
//! `proctor check`.

mod gui_support;

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use gui_support::*;
use proctor::session::{parse_session_file, Placement};
use std::path::Path;

fn save_as(h: &mut Harness<'_, TestApp>, path: &Path) {
    h.get_by_label("File").click();
    frames(h, 2);
    h.get_by_label_contains("Save session as").click();
    wait_until(h, "the path prompt", |h| shows(h, "Path"));
    frames(h, 2);
    set_text(h, "Path", &path.display().to_string());
    h.get_by_label("Save").click();
    wait_until(h, "saved", |h| !shows(h, "Path") && !app(h).definitions().dirty);
}

fn save(h: &mut Harness<'_, TestApp>) {
    frames(h, 2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    wait_until(h, "saved", |h| !app(h).definitions().dirty);
}

/// `proctor check FILE` passes (its output said if not).
fn checks(path: &Path) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("check")
        .arg(path)
        .output()
        .expect("proctor check runs");
    assert!(
        out.status.success(),
        "proctor check refused the saved file:\n{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

fn workers_field(h: &Harness<'_, TestApp>) -> (Option<String>, bool) {
    let n = h.get_by_label("Workers");
    (n.value(), n.accesskit_node().is_disabled())
}

#[test]
fn each_placement_switch_saves_a_session_that_check_accepts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("place.toml");
    std::fs::write(
        &file,
        "[[task]]\nname = \"t\"\nrun = \"echo hi\"\n\n[[pool]]\nname = \"p\"\nrun = [\"echo\", \"{}\"]\ninputs = [\"1\"]\nworkers = 3\n",
    )
    .expect("session file");
    let s = parse_session_file(&file).expect("the session parses");
    let mut h = harness(s, false);
    h.get_by_label("p").click();
    frames(&mut h, 3);
    assert_eq!(workers_field(&h), (Some("3".into()), false));

    // SSH hosts: the workers are the slots, shown and not editable.
    h.get_by_label("ssh hosts").click();
    frames(&mut h, 2);
    set_text(&mut h, "Hosts", "local:2, user@build2:3");
    frames(&mut h, 2);
    assert_eq!(workers_field(&h), (Some("5".into()), true));
    assert!(shows(&h, "the hosts' slots (set in Hosts below)"));
    save_as(&mut h, &file);
    checks(&file);
    let back = parse_session_file(&file).unwrap();
    assert_eq!(back.pools[0].workers.get(), 5);
    assert!(matches!(&back.pools[0].placement, Placement::Hosts { hosts, .. } if hosts.len() == 2));

    // Slurm: the workers typed before come back, editable.
    h.get_by_label("slurm").click();
    frames(&mut h, 2);
    assert_eq!(workers_field(&h), (Some("3".into()), false));
    set_text(&mut h, "Partition", "debug");
    save(&mut h);
    checks(&file);
    let back = parse_session_file(&file).unwrap();
    assert_eq!(back.pools[0].workers.get(), 3);
    assert!(
        matches!(&back.pools[0].placement, Placement::Slurm(s) if s.partition.as_deref() == Some("debug"))
    );

    // This machine again.
    h.get_by_label("this machine").click();
    save(&mut h);
    checks(&file);
    let back = parse_session_file(&file).unwrap();
    assert_eq!(back.pools[0].placement, Placement::Local);
    assert_eq!(back.pools[0].workers.get(), 3);

    // The task on a host, with options for its ssh.
    h.get_by_label("t").click();
    frames(&mut h, 3);
    set_text(&mut h, "Host", "user@build2");
    set_text(&mut h, "SSH options", "-o Port=2222");
    save(&mut h);
    checks(&file);
    let back = parse_session_file(&file).unwrap();
    let t = &back.tasks[0];
    assert_eq!(
        t.host.as_ref().and_then(|h| h.destination()).as_deref(),
        Some("user@build2")
    );
    assert_eq!(t.ssh_options, ["-o", "Port=2222"]);
    // A host the checks refuse is said under the field, as check says it.
    set_text(&mut h, "Host", "build1:8");
    frames(&mut h, 3);
    assert!(shows_containing(&h, "a task runs once on its host"));
}
