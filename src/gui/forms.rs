//! Editable drafts of tasks and pools, their validation, and their forms.
//!
//! A draft keeps every field as the user typed it, so a bad value can sit
//! in the form with a message beside it; `to_spec` turns a draft into a
//! `TaskSpec` / `PoolSpec` or into the list of problems, field by field.
//! Every field goes through `spec::validate`, as the session file does, so
//! the form shows the message `proctor check` prints for the same value.

use crate::session::signal::COMMON_SIGNALS;
use crate::session::validate;
use crate::session::{
    InputSource, PoolMode, PoolSpec, Protocol, RestartPolicy, RunSpec, StopPolicy, TaskSpec,
};
use nix::sys::signal::Signal;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Problems by field name (`name`, `run`, `cwd`, ...).
pub type Errors = BTreeMap<&'static str, String>;

#[derive(Clone, Debug, PartialEq)]
pub struct TaskDraft {
    pub name: String,
    pub run: String,
    pub shell: bool,
    pub cwd: String,
    pub env: Vec<(String, String)>,
    pub instances: String,
    pub daemon: bool,
    pub autostart: bool,
    pub restart: RestartPolicy,
    pub max_restarts: String,
    pub backoff: String,
    pub backoff_max: String,
    /// A signal name as picked or typed (`SIGTERM`).
    pub stop_signal: String,
    pub stop_timeout: String,
    pub timeout: String,
    pub base_dir: PathBuf,
    pub unbuffered: bool,
    pub pty: bool,
    pub stdin: bool,
    /// `host` or `user@host`; empty: this machine.
    pub host: String,
    /// Options for its ssh, separated by spaces.
    pub ssh_options: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PoolDraft {
    pub name: String,
    pub run: String,
    pub shell: bool,
    pub workers: String,
    pub mode: PoolMode,
    /// Used in persistent mode only.
    pub protocol: Protocol,
    pub inputs_from_file: bool,
    pub inputs_text: String,
    /// The list as loaded: inputs with line breaks come back exactly.
    pub inputs_kept: Vec<String>,
    pub inputs_file: String,
    pub cwd: String,
    pub env: Vec<(String, String)>,
    /// A signal name as picked or typed (`SIGTERM`).
    pub stop_signal: String,
    pub stop_timeout: String,
    pub timeout: String,
    pub retries: String,
    pub autostart: bool,
    pub base_dir: PathBuf,
    pub unbuffered: bool,
    /// Where it runs (see `form_place`).
    pub place: super::form_place::PlaceDraft,
}

/// One definition in the side panel.
#[derive(Clone, Debug, PartialEq)]
pub enum Def {
    Task(TaskDraft),
    Pool(PoolDraft),
}

impl Def {
    pub fn name(&self) -> &str {
        match self {
            Def::Task(t) => &t.name,
            Def::Pool(p) => &p.name,
        }
    }
    pub fn set_name(&mut self, name: String) {
        match self {
            Def::Task(t) => t.name = name,
            Def::Pool(p) => p.name = name,
        }
    }
    pub fn kind(&self) -> &'static str {
        match self {
            Def::Task(_) => "task",
            Def::Pool(_) => "pool",
        }
    }
    pub fn command(&self) -> &str {
        match self {
            Def::Task(t) => &t.run,
            Def::Pool(p) => &p.run,
        }
    }
}

/// A definition converted for the engine.
#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    Task(TaskSpec),
    Pool(PoolSpec),
}

/// A field's value, or `None` with its problem put in `e`.
fn field<T>(e: &mut Errors, key: &'static str, r: Result<T, String>) -> Option<T> {
    r.map_err(|msg| {
        e.insert(key, msg);
    })
    .ok()
}

fn timeout_text(t: Option<crate::session::Seconds>) -> String {
    t.map_or_else(|| "0".to_string(), |t| t.to_string())
}

impl TaskDraft {
    pub fn new(name: String, base_dir: PathBuf) -> Self {
        let mut spec = TaskSpec::new(name, RunSpec::Line(String::new()));
        spec.base_dir = base_dir;
        Self::from_spec(&spec)
    }

    pub fn from_spec(t: &TaskSpec) -> Self {
        Self {
            name: t.name.clone(),
            run: t.run.display(),
            shell: t.shell,
            cwd: t
                .cwd
                .as_ref()
                .map(|c| c.display().to_string())
                .unwrap_or_default(),
            env: t.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            instances: t.instances.to_string(),
            daemon: t.daemon,
            autostart: t.autostart,
            restart: t.restart,
            max_restarts: t.max_restarts.to_string(),
            backoff: t.backoff.to_string(),
            backoff_max: t.backoff_max.to_string(),
            stop_signal: t.stop.signal.as_str().to_string(),
            stop_timeout: t.stop.timeout.to_string(),
            timeout: timeout_text(t.timeout),
            base_dir: t.base_dir.clone(),
            unbuffered: t.unbuffered,
            pty: t.pty,
            stdin: t.stdin,
            host: t
                .host
                .as_ref()
                .map(crate::session::placement::task_host_text)
                .unwrap_or_default(),
            ssh_options: t.ssh_options.join(" "),
        }
    }

    pub fn to_spec(&self) -> Result<TaskSpec, Errors> {
        let mut e = Errors::new();
        let name = field(&mut e, "name", validate::name(&self.name));
        let run = field(&mut e, "run", validate::run_line(&self.run, self.shell));
        let cwd = field(&mut e, "cwd", validate::cwd(&self.cwd, &self.base_dir));
        let env = check_env(&self.env, &mut e);
        let instances = field(&mut e, "instances", validate::count(&self.instances));
        let max_restarts = field(&mut e, "max_restarts", validate::count(&self.max_restarts));
        let backoff = field(&mut e, "backoff", validate::seconds(&self.backoff));
        let backoff_max = field(&mut e, "backoff_max", validate::seconds(&self.backoff_max));
        let stop_signal = field(&mut e, "stop_signal", validate::stop_signal(&self.stop_signal));
        let stop_timeout = field(&mut e, "stop_timeout", validate::seconds(&self.stop_timeout));
        let timeout = field(&mut e, "timeout", validate::timeout(&self.timeout));
        let (host, ssh_options) = self.host_fields(&mut e);
        let spec = (|| {
            Some(TaskSpec {
                name: name?,
                run: run?,
                shell: self.shell,
                cwd: cwd?,
                base_dir: self.base_dir.clone(),
                env,
                instances: instances?,
                daemon: self.daemon,
                autostart: self.autostart,
                restart: self.restart,
                max_restarts: max_restarts?,
                backoff: backoff?,
                backoff_max: backoff_max?.max(backoff?),
                stop: StopPolicy {
                    signal: stop_signal?,
                    timeout: stop_timeout?,
                },
                timeout: timeout?,
                unbuffered: self.unbuffered,
                pty: self.pty,
                stdin: self.stdin,
                host: host?,
                ssh_options,
            })
        })();
        spec.filter(|_| e.is_empty()).ok_or(e)
    }

    /// `host` and `ssh_options`, with the session file's checks and
    /// messages (see `placement`).
    fn host_fields(&self, e: &mut Errors) -> (Option<Option<crate::session::HostSlots>>, Vec<String>) {
        use crate::session::placement;
        let text = self.host.trim();
        let host = if text.is_empty() {
            Some(None)
        } else {
            field(e, "host", placement::task_host(text))
        };
        // Options without a host are not kept (their field is hidden).
        let opts: Vec<String> = if text.is_empty() {
            Vec::new()
        } else {
            self.ssh_options.split_whitespace().map(String::from).collect()
        };
        let remote = host.as_ref().is_none_or(Option::is_some) && !text.is_empty();
        for (key, msg) in placement::task_host_conflicts(remote, !opts.is_empty(), self.pty, self.stdin) {
            e.entry(key).or_insert(msg);
        }
        (host, opts)
    }
}

impl PoolDraft {
    pub fn new(name: String, base_dir: PathBuf) -> Self {
        let mut spec = PoolSpec::new(name, RunSpec::Line(String::new()), Vec::new());
        spec.base_dir = base_dir;
        Self::from_spec(&spec)
    }

    pub fn from_spec(p: &PoolSpec) -> Self {
        let (inputs_from_file, inputs_text, inputs_file) = match &p.inputs {
            InputSource::List(v) => (false, super::inputs_text::shown(v), String::new()),
            InputSource::File(f) => (true, String::new(), f.display().to_string()),
        };
        Self {
            name: p.name.clone(),
            run: p.run.display(),
            shell: p.shell,
            workers: p.workers.to_string(),
            mode: p.mode,
            protocol: p.protocol,
            inputs_from_file,
            inputs_text,
            inputs_kept: match &p.inputs {
                InputSource::List(v) => v.clone(),
                InputSource::File(_) => Vec::new(),
            },
            inputs_file,
            cwd: p
                .cwd
                .as_ref()
                .map(|c| c.display().to_string())
                .unwrap_or_default(),
            env: p.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            stop_signal: p.stop.signal.as_str().to_string(),
            stop_timeout: p.stop.timeout.to_string(),
            timeout: timeout_text(p.timeout),
            retries: p.retries.to_string(),
            autostart: p.autostart,
            base_dir: p.base_dir.clone(),
            unbuffered: p.unbuffered,
            place: super::form_place::PlaceDraft::from_placement(&p.placement),
        }
    }

    /// The inputs typed in the list, one a line (a trailing empty line is ignored).
    pub fn input_lines(&self) -> Vec<String> {
        super::inputs_text::parsed(&self.inputs_text, &self.inputs_kept)
    }

    pub fn to_spec(&self) -> Result<PoolSpec, Errors> {
        let mut e = Errors::new();
        let name = field(&mut e, "name", validate::name(&self.name));
        let run = field(&mut e, "run", validate::run_line(&self.run, self.shell));
        let cwd = field(&mut e, "cwd", validate::cwd(&self.cwd, &self.base_dir));
        let env = check_env(&self.env, &mut e);
        let placement = self.place.to_placement(&mut e);
        // With hosts, the workers are their slots.
        let workers = match placement.as_ref().and_then(|p| p.slots()) {
            Some(n) => Some(crate::session::Workers::saturating(n as u64)),
            None => field(&mut e, "workers", validate::workers(&self.workers)),
        };
        let stop_signal = field(&mut e, "stop_signal", validate::stop_signal(&self.stop_signal));
        let stop_timeout = field(&mut e, "stop_timeout", validate::seconds(&self.stop_timeout));
        let timeout = field(&mut e, "timeout", validate::timeout(&self.timeout));
        let retries = field(&mut e, "retries", validate::count(&self.retries));
        let inputs = if self.inputs_from_file {
            field(
                &mut e,
                "inputs_file",
                validate::inputs_file(&self.inputs_file, &self.base_dir),
            )
            .map(InputSource::File)
        } else {
            Some(InputSource::List(self.input_lines()))
        };
        let spec = (|| {
            Some(PoolSpec {
                name: name?,
                workers: workers?,
                mode: self.mode,
                protocol: match self.mode {
                    PoolMode::Persistent => self.protocol,
                    PoolMode::Spawn => Protocol::Lines,
                },
                run: run?,
                shell: self.shell,
                inputs: inputs?,
                cwd: cwd?,
                base_dir: self.base_dir.clone(),
                env,
                stop: StopPolicy {
                    signal: stop_signal?,
                    timeout: stop_timeout?,
                },
                timeout: timeout?,
                retries: retries?,
                autostart: self.autostart,
                unbuffered: self.unbuffered,
                placement: placement?,
            })
        })();
        spec.filter(|_| e.is_empty()).ok_or(e)
    }
}

impl Def {
    pub fn to_spec(&self) -> Result<Spec, Errors> {
        match self {
            Def::Task(t) => t.to_spec().map(Spec::Task),
            Def::Pool(p) => p.to_spec().map(Spec::Pool),
        }
    }
}

pub fn input_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().map(str::to_string).collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

fn check_env(env: &[(String, String)], e: &mut Errors) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in env {
        if k.is_empty() && v.is_empty() {
            continue;
        }
        if k.is_empty() {
            e.insert("env", format!("the value `{v}` has no variable name"));
        } else if let Err(msg) = validate::env_name(k) {
            e.insert("env", msg);
        } else if out.insert(k.clone(), v.clone()).is_some() {
            e.insert("env", format!("`{k}` is set twice"));
        }
    }
    out
}

/// The signals offered as stop signals.
pub fn stop_signals() -> impl Iterator<Item = Signal> {
    COMMON_SIGNALS.iter().copied().filter(|s| *s != Signal::SIGSTOP)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(run: &str) -> TaskDraft {
        let mut t = TaskDraft::new("t".into(), std::env::temp_dir());
        t.run = run.into();
        t
    }

    #[test]
    fn a_good_task_converts_and_round_trips() {
        let mut t = task("sleep 5");
        t.env.push(("A".into(), "1".into()));
        t.instances = "3".into();
        t.stop_signal = "SIGINT".into();
        let spec = t.to_spec().unwrap();
        assert_eq!(spec.instances.get(), 3);
        assert_eq!(spec.stop.signal, Signal::SIGINT);
        assert_eq!(spec.env.get("A").map(String::as_str), Some("1"));
        assert_eq!(TaskDraft::from_spec(&spec).to_spec().unwrap(), spec);
    }

    #[test]
    fn bad_values_are_named_by_field_in_words() {
        let mut t = task("");
        t.name = " ".into();
        t.instances = "zero".into();
        t.stop_timeout = "-1".into();
        t.cwd = "/no/such/dir/here".into();
        t.env.push(("A=B".into(), "1".into()));
        let e = t.to_spec().unwrap_err();
        assert!(e["name"].contains("required"));
        assert!(e["run"].contains("command is empty"));
        assert!(e["instances"].contains("not a whole number"));
        assert!(e["stop_timeout"].contains("0 or more"));
        assert!(e["cwd"].contains("no such folder"));
        assert!(e["env"].contains("not a valid variable name"));
        assert!(task("echo 'open").to_spec().unwrap_err()["run"].contains("quotes"));
    }

    #[test]
    fn pool_inputs_are_lines_and_names_cannot_have_slashes() {
        let mut p = PoolDraft::new("a/b".into(), std::env::temp_dir());
        p.run = "echo {}".into();
        p.inputs_text = "1\n2\n3\n".into();
        assert!(p.to_spec().unwrap_err()["name"].contains('/'));
        p.name = "p".into();
        let spec = p.to_spec().unwrap();
        assert_eq!(
            spec.inputs,
            InputSource::List(vec!["1".into(), "2".into(), "3".into()])
        );
        p.inputs_from_file = true;
        assert!(p.to_spec().unwrap_err().contains_key("inputs_file"));
    }
}
