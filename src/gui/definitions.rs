//! The side panel: the session's task and pool definitions. List, add,
//! edit, duplicate, remove, and start one or all.

use super::form_ui::PickField;
use super::forms::{Def, Errors, PoolDraft, Spec, TaskDraft};
use super::intent::Intent;
use crate::session::validate::Names;
use crate::session::Session;
use egui::{RichText, Ui};
use std::path::{Path, PathBuf};

#[path = "definitions_editor.rs"]
mod editor;
#[path = "definitions_list.rs"]
mod list;

pub struct Definitions {
    /// Private: every change must move `gen` (see `defs_mut`).
    defs: Vec<Def>,
    /// Moves with every change of `defs`; the check is remembered per
    /// generation.
    gen: u64,
    pub selected: Option<usize>,
    /// The session file these came from or were saved to.
    pub path: Option<PathBuf>,
    /// Where relative paths of new definitions are taken from.
    pub base_dir: PathBuf,
    pub dirty: bool,
    /// Scroll the list to the selected definition on the next frame.
    reveal: bool,
    /// The form's fields that have shown a problem (see `form_ui`), and
    /// the definition they belong to.
    reserved: std::collections::BTreeMap<String, f32>,
    reserved_for: Option<usize>,
    /// Definitions edited since their running processes started: index
    /// to those processes' names (set by the app each frame).
    pub edited: std::collections::BTreeMap<usize, Vec<String>>,
    /// Changes whenever the form shows another definition (or one was
    /// removed or brought back): the form's fields get new ids, so a field's
    /// keyboard focus and its own undo history (Ctrl+Z while typing) never
    /// carry over to another definition.
    form_gen: u64,
    form_for: Option<usize>,
    /// The last check, kept while the definitions are unchanged.
    check: super::defs_check::CheckCache,
}

#[derive(Default)]
pub struct DefsOut {
    pub intents: Vec<Intent>,
    /// A file dialog is wanted for this definition's field.
    pub browse: Option<(usize, PickField)>,
}

fn dir_of(path: &Path) -> PathBuf {
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    std::fs::canonicalize(&base).unwrap_or(base)
}

impl Definitions {
    pub fn new(session: &Session) -> Self {
        let base_dir = match &session.path {
            Some(p) => dir_of(p),
            None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        };
        let mut defs: Vec<Def> = session
            .tasks
            .iter()
            .map(|t| Def::Task(TaskDraft::from_spec(t)))
            .collect();
        defs.extend(session.pools.iter().map(|p| Def::Pool(PoolDraft::from_spec(p))));
        Self {
            selected: if defs.is_empty() { None } else { Some(0) },
            defs,
            gen: 0,
            path: session.path.clone(),
            base_dir,
            dirty: false,
            reveal: false,
            reserved: Default::default(),
            reserved_for: None,
            edited: Default::default(),
            form_gen: 0,
            form_for: None,
            check: Default::default(),
        }
    }

    /// Every definition checked: its spec, or its problems by field. A
    /// name an earlier definition's process already has is a problem of the
    /// later one, as in the session file.
    pub fn checked(&self) -> super::defs_check::Checked {
        self.check.get(self.gen, || self.check_now())
    }

    fn check_now(&self) -> Vec<Result<Spec, Errors>> {
        let mut names = Names::default();
        self.defs
            .iter()
            .map(|d| {
                let r = d.to_spec();
                let own = match &r {
                    Ok(Spec::Task(t)) => t.instance_names(),
                    _ => vec![d.name().to_string()],
                };
                match (r, names.claim(&own)) {
                    (r, Ok(())) => r,
                    (Ok(_), Err(msg)) => Err(Errors::from([("name", msg)])),
                    (Err(mut e), Err(msg)) => {
                        e.entry("name").or_insert(msg);
                        Err(e)
                    }
                }
            })
            .collect()
    }

    /// The session as it would be saved, or why it cannot be.
    pub fn session(&self) -> Result<Session, String> {
        let mut s = Session {
            path: self.path.clone(),
            ..Default::default()
        };
        if let Some(problem) = self.problem() {
            return Err(problem);
        }
        for r in self.checked().iter() {
            match r {
                Ok(Spec::Task(t)) => s.tasks.push(t.clone()),
                Ok(Spec::Pool(p)) => s.pools.push(p.clone()),
                Err(_) => {}
            }
        }
        Ok(s)
    }

    /// Why the definitions cannot make a session (the first problem), if
    /// they cannot.
    pub fn problem(&self) -> Option<String> {
        let checked = self.checked();
        let (d, e) = self
            .defs
            .iter()
            .zip(checked.iter())
            .find_map(|(d, r)| r.as_ref().err().map(|e| (d, e)))?;
        let (field, msg) = e.iter().next().map(|(k, v)| (*k, v.as_str())).unwrap_or(("", ""));
        Some(format!(
            "{} \"{}\" has a problem in {field}: {msg}",
            d.kind(),
            d.name()
        ))
    }

    /// Intents that start every definition, or why they cannot start.
    pub fn start_all(&self) -> Result<Vec<Intent>, String> {
        let s = self.session()?;
        let mut v: Vec<Intent> = s.tasks.into_iter().map(Intent::StartTask).collect();
        v.extend(s.pools.into_iter().map(Intent::StartPool));
        Ok(v)
    }

    /// Intents that start the autostart definitions (for `--start`).
    pub fn start_autostart(&self) -> Result<Vec<Intent>, String> {
        let s = self.session()?;
        let mut v: Vec<Intent> = s
            .tasks
            .into_iter()
            .filter(|t| t.autostart)
            .map(Intent::StartTask)
            .collect();
        v.extend(s.pools.into_iter().filter(|p| p.autostart).map(Intent::StartPool));
        Ok(v)
    }

    fn fresh_name(&self, stem: &str) -> String {
        (1..)
            .map(|i| format!("{stem}-{i}"))
            .find(|n| self.defs.iter().all(|d| d.name() != n))
            .unwrap_or_else(|| stem.to_string())
    }

    /// The definitions, in the list's order.
    pub fn defs(&self) -> &[Def] {
        &self.defs
    }

    /// The definitions to change: moves the generation.
    fn defs_mut(&mut self) -> &mut Vec<Def> {
        self.gen += 1;
        &mut self.defs
    }

    pub fn add(&mut self, def: Def) {
        self.defs_mut().push(def);
        self.selected = Some(self.defs.len() - 1);
        self.dirty = true;
        self.reveal = true;
    }

    pub fn add_task(&mut self) {
        let name = self.fresh_name("task");
        self.add(Def::Task(TaskDraft::new(name, self.base_dir.clone())));
    }

    pub fn add_pool(&mut self) {
        let name = self.fresh_name("pool");
        self.add(Def::Pool(PoolDraft::new(name, self.base_dir.clone())));
    }

    pub fn duplicate(&mut self, i: usize) {
        if let Some(d) = self.defs.get(i) {
            let mut copy = d.clone();
            let name = self.fresh_name(&format!("{}-copy", d.name()));
            copy.set_name(name);
            self.defs_mut().insert(i + 1, copy);
            self.selected = Some(i + 1);
            self.dirty = true;
            self.reveal = true;
        }
    }

    /// Removes the definition at `i`, giving it back (for Undo).
    pub fn remove(&mut self, i: usize) -> Option<Def> {
        if i >= self.defs.len() {
            return None;
        }
        let d = self.defs_mut().remove(i);
        self.form_gen += 1;
        self.selected = if self.defs.is_empty() {
            None
        } else {
            Some(i.min(self.defs.len() - 1))
        };
        self.dirty = true;
        Some(d)
    }

    /// Puts a removed definition back, exactly as it was, where it was (or
    /// last), and selects it; its name, unless another definition has taken
    /// that name since (then a fresh one). The name it has now.
    pub fn restore(&mut self, i: usize, mut d: Def) -> String {
        if self.defs.iter().any(|o| o.name() == d.name()) {
            let name = self.fresh_name(d.name());
            d.set_name(name);
        }
        let name = d.name().to_string();
        let i = i.min(self.defs.len());
        self.defs_mut().insert(i, d);
        self.selected = Some(i);
        self.form_gen += 1;
        self.dirty = true;
        self.reveal = true;
        name
    }

    /// A path chosen in a file dialog for a field.
    pub fn set_picked(&mut self, i: usize, field: PickField, path: &Path) {
        let rel = path
            .strip_prefix(&self.base_dir)
            .map(Path::to_path_buf)
            .unwrap_or_else(|_| path.to_path_buf());
        let text = if rel.as_os_str().is_empty() {
            ".".to_string()
        } else {
            rel.display().to_string()
        };
        match (self.defs_mut().get_mut(i), field) {
            (Some(Def::Task(t)), PickField::Cwd) => t.cwd = text,
            (Some(Def::Pool(p)), PickField::Cwd) => p.cwd = text,
            (Some(Def::Pool(p)), PickField::InputsFile) => p.inputs_file = text,
            _ => return,
        }
        self.dirty = true;
    }

    pub fn ui(&mut self, ui: &mut Ui) -> DefsOut {
        let dark = ui.visuals().dark_mode;
        let mut out = DefsOut::default();
        let checked = self.checked();
        ui.horizontal(|ui| {
            ui.heading("Definitions");
            let file = self
                .path
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|f| f.to_string_lossy().to_string())
                .unwrap_or_else(|| "unsaved session".into());
            let dirty = if self.dirty { " \u{2022} edited" } else { "" };
            // Truncated: the panel keeps its width whatever the content.
            ui.add(egui::Label::new(RichText::new(format!("{file}{dirty}")).weak()).truncate());
        });
        ui.horizontal(|ui| {
            if ui
                .button("+ Task")
                .on_hover_text("Add a task definition")
                .clicked()
            {
                self.add_task();
            }
            if ui
                .button("+ Pool")
                .on_hover_text("Add a pool definition")
                .clicked()
            {
                self.add_pool();
            }
            let sel = self.selected;
            if ui
                .add_enabled(sel.is_some(), egui::Button::new("Duplicate"))
                .on_hover_text("Copy the selected definition")
                .clicked()
            {
                if let Some(i) = sel {
                    self.duplicate(i);
                }
            }
            if ui
                .add_enabled(sel.is_some(), egui::Button::new("Remove"))
                .on_hover_text("Delete the selected definition (running processes are not touched)")
                .clicked()
            {
                if let Some(i) = sel {
                    out.intents.push(Intent::RemoveDefinition(i));
                }
            }
        });
        ui.add_space(2.0);
        self.list(ui, &checked, dark, &mut out);
        ui.separator();
        self.editor(ui, &checked, dark, &mut out);
        out
    }
}

fn start_intent(spec: &Spec) -> Intent {
    match spec {
        Spec::Task(t) => Intent::StartTask(t.clone()),
        Spec::Pool(p) => Intent::StartPool(p.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::parse_session;

    #[test]
    fn a_name_an_instance_already_has_is_refused_as_in_the_file() {
        let text = "[[task]]\nname = \"w\"\nrun = \"true\"\ninstances = 2\n\n[[task]]\nname = \"w-2\"\nrun = \"true\"\n";
        let base = std::env::temp_dir();
        // Valid on its own, each; the file refuses the pair.
        let file_msg = match parse_session(text, "s.toml", &base) {
            Err(e) => e.0[0].message.clone(),
            Ok(_) => panic!("the parser accepted w-2 beside w with 2 instances"),
        };
        let mut defs = Definitions::new(&Session::default());
        defs.add_task();
        defs.add_task();
        for (d, (name, n)) in defs.defs_mut().iter_mut().zip([("w", "2"), ("w-2", "1")]) {
            let Def::Task(t) = d else { unreachable!() };
            t.name = name.into();
            t.run = "true".into();
            t.instances = n.into();
        }
        let checked = defs.checked();
        assert!(checked[0].is_ok());
        assert_eq!(checked[1].as_ref().unwrap_err()["name"], file_msg);
        assert!(defs.session().is_err());
    }

    #[test]
    fn every_change_of_the_definitions_is_checked_again() {
        let mut defs = Definitions::new(&Session::default());
        // A new task has no command yet: count the folder's problems.
        let problems = |d: &Definitions| {
            d.checked()
                .iter()
                .filter(|r| r.as_ref().is_err_and(|e| e.contains_key("cwd")))
                .count()
        };
        defs.add_task();
        assert_eq!(problems(&defs), 0);
        // A working folder that does not exist, picked in a dialog.
        let missing = std::env::temp_dir().join("proctor-no-such-dir-4b1f");
        defs.set_picked(0, PickField::Cwd, &missing);
        assert_eq!(problems(&defs), 1, "a picked path is checked");
        defs.duplicate(0);
        assert_eq!(problems(&defs), 2, "a duplicate is checked");
        let gone = defs.remove(1).expect("removed");
        assert_eq!(problems(&defs), 1, "a removal is checked");
        defs.restore(1, gone);
        assert_eq!(problems(&defs), 2, "a restore is checked");
        defs.set_picked(0, PickField::Cwd, &std::env::temp_dir());
        defs.set_picked(1, PickField::Cwd, &std::env::temp_dir());
        assert_eq!(problems(&defs), 0, "fixed paths are checked");
    }
}
