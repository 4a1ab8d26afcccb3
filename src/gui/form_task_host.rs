//! The task form's "where it runs" rows: an SSH host (empty: this
//! machine) and options for its ssh, checked by the session file's
//! functions (`session::placement`).

use super::form_ui::Form;
use super::forms::TaskDraft;
use egui::Ui;

pub(super) fn host_rows(f: &mut Form<'_>, ui: &mut Ui, t: &mut TaskDraft) {
    f.heading(ui, "WHERE IT RUNS");
    f.text(
        ui,
        "Host",
        "host or user@host: run it there through OpenSSH (BatchMode, no password prompt). Empty: this machine.",
        "host",
        &mut t.host,
        true,
    );
    if !t.host.trim().is_empty() {
        f.text(
            ui,
            "SSH options",
            "Given to its ssh before Proctor's own, e.g. -F ~/.ssh/cluster_config -o Port=2222.",
            "ssh_options",
            &mut t.ssh_options,
            true,
        );
    }
}
