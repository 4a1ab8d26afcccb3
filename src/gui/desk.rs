//! The desktop extras' state, kept apart from the app's core fields: the
//! shortcuts window, a question being asked, the last definition removed
//! (for Undo), what each process was started with (for the details pane
//! and the "definition edited" hint), each process's own output, and the
//! notifier.

use super::detail_output::OutputStore;
use super::detail_proc::ProcCache;
use super::forms::{Def, Spec};
use super::intent::Intent;
use crate::event::Event;
use crate::session::{PoolSpec, TaskSpec};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// What a process was started with, as far as the definition says.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    /// The definition's name (a task, or a pool for its workers).
    pub definition: String,
    pub cwd: PathBuf,
    /// The variables the definition adds to Proctor's environment.
    pub env: BTreeMap<String, String>,
    pub spec: Spec,
}

#[derive(Default)]
pub struct Desk {
    pub show_shortcuts: bool,
    /// An intent waiting for a "yes": it, the question and the yes button.
    pub confirming: Option<(Intent, String, &'static str)>,
    /// The definitions removed, and where each was, the last last (Ctrl+Z
    /// brings back one at a time).
    pub removed: Vec<(usize, Def)>,
    /// By definition name: what its processes were started with.
    pub origins: HashMap<String, Origin>,
    /// The live session's output, per process.
    pub outputs: OutputStore,
    /// The shown past session's output, built when first looked at.
    pub past_outputs: Option<(PathBuf, OutputStore)>,
    pub proc_cache: ProcCache,
    pub detail: super::detail::DetailView,
    pub notifier: super::notify::Notifier,
    /// The process rows as the table showed them last frame (keys and
    /// menus act on the selected ones among them).
    pub shown: std::sync::Arc<Vec<super::processes::Row>>,
    /// Tasks to start (as defined now) once none of their copies runs.
    pub restart_after_stop: Vec<TaskSpec>,
    /// What the last click landed in: the table's keys act only there.
    pub key_target: super::key_target::KeyTarget,
    /// Where the event log was drawn last frame.
    pub log_rect: Option<egui::Rect>,
    /// Where the definitions panel was drawn last frame.
    pub defs_rect: Option<egui::Rect>,
    /// "Quit without saving" was chosen; a Cancel later in the quit
    /// brings the question back (the edits stay unsaved, not forgotten).
    pub quit_unsaved_ok: bool,
    /// What the definitions' edited marks were worked out from.
    pub edited_key: Option<(usize, u64, usize)>,
}

impl Desk {
    /// Every event of the live session passes here.
    pub fn observe(&mut self, e: &Event) {
        self.outputs.push(e);
        self.notifier.observe(e);
        self.keep_refused_stdin(e);
    }

    /// A line the engine did not send to a process's stdin goes back into
    /// the field (unless something else was typed there since).
    fn keep_refused_stdin(&mut self, e: &Event) {
        let crate::event::EventKind::Error { message } = &e.kind else {
            return;
        };
        let Some((name, _)) = &self.detail.stdin_sent else {
            return;
        };
        if e.process.as_deref() == Some(name.as_str())
            && message.starts_with("not sent to ")
            && self.detail.stdin_line.is_empty()
        {
            if let Some((_, line)) = self.detail.stdin_sent.take() {
                self.detail.stdin_line = line;
            }
        }
    }

    pub fn started_task(&mut self, t: &TaskSpec) {
        self.origins.insert(
            t.name.clone(),
            Origin {
                definition: t.name.clone(),
                cwd: t.working_dir(),
                env: t.env.clone(),
                spec: Spec::Task(t.clone()),
            },
        );
    }

    pub fn started_pool(&mut self, p: &PoolSpec) {
        self.origins.insert(
            p.name.clone(),
            Origin {
                definition: p.name.clone(),
                cwd: p.working_dir(),
                env: p.env.clone(),
                spec: Spec::Pool(p.clone()),
            },
        );
    }

    /// What started the process `name` (of `pool`, for a worker).
    pub fn origin_of(&self, name: &str, pool: Option<&str>) -> Option<&Origin> {
        if let Some(p) = pool {
            return self.origins.get(p);
        }
        self.origins.get(name).or_else(|| {
            // An instance NAME-N of a task NAME.
            let (stem, n) = name.rsplit_once('-')?;
            n.parse::<u32>().ok()?;
            self.origins
                .get(stem)
                .filter(|o| matches!(&o.spec, Spec::Task(t) if t.instances.get() > 1))
        })
    }
}

impl super::app::ProctorApp {
    /// Per frame: tasks waiting for their copies to stop are started, the
    /// definitions edited since their processes started are marked, and
    /// notes go out.
    pub(super) fn desk_frame(&mut self, focused: bool) {
        let waiting = std::mem::take(&mut self.desk.restart_after_stop);
        for t in waiting {
            let alive = t
                .instance_names()
                .iter()
                .any(|n| self.model.row(n).is_some_and(|r| r.state.is_alive()));
            if alive {
                self.desk.restart_after_stop.push(t);
            } else {
                self.apply(Intent::StartTask(t));
            }
        }
        // Worked out again only when the definitions' check, the rows or
        // the origins changed (not every frame).
        let checked = self.defs.checked();
        let key = (
            std::rc::Rc::as_ptr(&checked) as usize,
            self.model.generation,
            self.desk.origins.len(),
        );
        if self.desk.edited_key != Some(key) {
            self.desk.edited_key = Some(key);
            self.defs.edited = self.edited_definitions(&checked);
        }
        self.desk.notifier.flush(self.settings.notifications, focused);
    }

    /// The definitions edited since their running processes started (by
    /// index), with those processes' names.
    fn edited_definitions(
        &self,
        checked: &[Result<Spec, super::forms::Errors>],
    ) -> BTreeMap<usize, Vec<String>> {
        let mut edited = BTreeMap::new();
        for (i, r) in checked.iter().enumerate() {
            let Ok(spec) = r else { continue };
            let name = match &spec {
                Spec::Task(t) => &t.name,
                Spec::Pool(p) => &p.name,
            };
            let Some(o) = self.desk.origins.get(name) else {
                continue;
            };
            if !edited_since_start(spec, &o.spec) {
                continue;
            }
            let running: Vec<String> = self
                .model
                .processes
                .iter()
                .filter(|r| r.state.is_alive())
                .filter(|r| match &spec {
                    Spec::Task(t) => t.instance_names().contains(&r.name),
                    Spec::Pool(p) => r.pool.as_deref() == Some(p.name.as_str()),
                })
                .map(|r| r.name.clone())
                .collect();
            if !running.is_empty() {
                edited.insert(i, running);
            }
        }
        edited
    }
}

/// Whether the definition as it stands differs, for its running copies,
/// from what they were started with (autostart does not count).
pub fn edited_since_start(now: &Spec, started: &Spec) -> bool {
    match (now, started) {
        (Spec::Task(a), Spec::Task(b)) if a == b => false,
        (Spec::Pool(a), Spec::Pool(b)) if a == b => false,
        (Spec::Task(a), Spec::Task(b)) => {
            let mut a = a.clone();
            a.autostart = b.autostart;
            &a != b
        }
        (Spec::Pool(a), Spec::Pool(b)) => {
            let mut a = a.clone();
            a.autostart = b.autostart;
            &a != b
        }
        _ => true,
    }
}
