//! Editable drafts of tasks and pools, their validation, and their forms.
//!
//! A draft keeps every field as the user typed it, so a bad value can sit
//! in the form with a message beside it; `to_spec` turns a draft into a
//! `TaskSpec` / `PoolSpec` or into the list of problems, field by field.

use crate::engine::signal::COMMON_SIGNALS;
use crate::engine::spec::{
    default_workers, InputSource, PoolMode, PoolSpec, RestartPolicy, RunSpec, StopPolicy, TaskSpec,
};
use nix::sys::signal::Signal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    pub stop_signal: Signal,
    pub stop_timeout: String,
    pub timeout: String,
    pub base_dir: PathBuf,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PoolDraft {
    pub name: String,
    pub run: String,
    pub shell: bool,
    pub workers: String,
    pub mode: PoolMode,
    pub inputs_from_file: bool,
    pub inputs_text: String,
    pub inputs_file: String,
    pub cwd: String,
    pub env: Vec<(String, String)>,
    pub stop_signal: Signal,
    pub stop_timeout: String,
    pub timeout: String,
    pub retries: String,
    pub autostart: bool,
    pub base_dir: PathBuf,
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

fn secs_text(x: f64) -> String {
    format!("{x}")
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
            backoff: secs_text(t.backoff),
            backoff_max: secs_text(t.backoff_max),
            stop_signal: t.stop.signal,
            stop_timeout: secs_text(t.stop.timeout),
            timeout: secs_text(t.timeout),
            base_dir: t.base_dir.clone(),
        }
    }

    pub fn to_spec(&self) -> Result<TaskSpec, Errors> {
        let mut e = Errors::new();
        let name = check_name(&self.name, false, &mut e);
        let run = check_run(&self.run, self.shell, &mut e);
        let cwd = check_cwd(&self.cwd, &self.base_dir, &mut e);
        let env = check_env(&self.env, &mut e);
        let instances = whole(&self.instances, 1, 10_000, "instances", &mut e);
        let max_restarts = whole(&self.max_restarts, 0, 1_000_000, "max_restarts", &mut e);
        let backoff = seconds(&self.backoff, "backoff", &mut e);
        let backoff_max = seconds(&self.backoff_max, "backoff_max", &mut e);
        let stop_timeout = seconds(&self.stop_timeout, "stop_timeout", &mut e);
        let timeout = seconds(&self.timeout, "timeout", &mut e);
        if !e.is_empty() {
            return Err(e);
        }
        Ok(TaskSpec {
            name,
            run,
            shell: self.shell,
            cwd,
            base_dir: self.base_dir.clone(),
            env,
            instances: instances as u32,
            daemon: self.daemon,
            autostart: self.autostart,
            restart: self.restart,
            max_restarts: max_restarts as u32,
            backoff,
            backoff_max: backoff_max.max(backoff),
            stop: StopPolicy {
                signal: self.stop_signal,
                timeout: stop_timeout,
            },
            timeout,
        })
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
            InputSource::List(v) => (false, v.join("\n"), String::new()),
            InputSource::File(f) => (true, String::new(), f.display().to_string()),
        };
        Self {
            name: p.name.clone(),
            run: p.run.display(),
            shell: p.shell,
            workers: p.workers.to_string(),
            mode: p.mode,
            inputs_from_file,
            inputs_text,
            inputs_file,
            cwd: p
                .cwd
                .as_ref()
                .map(|c| c.display().to_string())
                .unwrap_or_default(),
            env: p.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            stop_signal: p.stop.signal,
            stop_timeout: secs_text(p.stop.timeout),
            timeout: secs_text(p.timeout),
            retries: p.retries.to_string(),
            autostart: p.autostart,
            base_dir: p.base_dir.clone(),
        }
    }

    /// The inputs typed in the list, one a line (a trailing empty line is ignored).
    pub fn input_lines(&self) -> Vec<String> {
        input_lines(&self.inputs_text)
    }

    pub fn to_spec(&self) -> Result<PoolSpec, Errors> {
        let mut e = Errors::new();
        let name = check_name(&self.name, true, &mut e);
        let run = check_run(&self.run, self.shell, &mut e);
        let cwd = check_cwd(&self.cwd, &self.base_dir, &mut e);
        let env = check_env(&self.env, &mut e);
        let workers = if self.workers.trim().is_empty() {
            default_workers() as u64
        } else {
            whole(&self.workers, 1, 4096, "workers", &mut e)
        };
        let stop_timeout = seconds(&self.stop_timeout, "stop_timeout", &mut e);
        let timeout = seconds(&self.timeout, "timeout", &mut e);
        let retries = whole(&self.retries, 0, 1000, "retries", &mut e);
        let inputs = if self.inputs_from_file {
            let f = self.inputs_file.trim();
            if f.is_empty() {
                e.insert("inputs_file", "choose a file with one input a line".into());
            } else if !self.base_dir.join(f).is_file() {
                e.insert(
                    "inputs_file",
                    format!("no such file: {}", self.base_dir.join(f).display()),
                );
            }
            InputSource::File(PathBuf::from(f))
        } else {
            InputSource::List(self.input_lines())
        };
        if !e.is_empty() {
            return Err(e);
        }
        Ok(PoolSpec {
            name,
            workers: workers as usize,
            mode: self.mode,
            run,
            shell: self.shell,
            inputs,
            cwd,
            base_dir: self.base_dir.clone(),
            env,
            stop: StopPolicy {
                signal: self.stop_signal,
                timeout: stop_timeout,
            },
            timeout,
            retries: retries as u32,
            autostart: self.autostart,
        })
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

fn check_name(name: &str, pool: bool, e: &mut Errors) -> String {
    if name.trim().is_empty() {
        e.insert("name", "a name is required".into());
    } else if name.chars().any(char::is_control) {
        e.insert("name", "the name has a control character".into());
    } else if name != name.trim() {
        e.insert("name", "the name starts or ends with a space".into());
    } else if pool && name.contains('/') {
        e.insert("name", "a pool name cannot contain `/`".into());
    }
    name.to_string()
}

fn check_run(run: &str, shell: bool, e: &mut Errors) -> RunSpec {
    let spec = RunSpec::Line(run.to_string());
    if let Err(msg) = spec.argv(shell) {
        let msg = if msg == "the command is empty" {
            "a command is required, e.g. `sleep 5`".to_string()
        } else {
            msg
        };
        e.insert("run", msg);
    }
    spec
}

fn check_cwd(cwd: &str, base: &Path, e: &mut Errors) -> Option<PathBuf> {
    let c = cwd.trim();
    if c.is_empty() {
        return None;
    }
    let p = PathBuf::from(c);
    let full = if p.is_absolute() { p.clone() } else { base.join(&p) };
    if !full.is_dir() {
        e.insert("cwd", format!("no such folder: {}", full.display()));
    }
    Some(p)
}

fn check_env(env: &[(String, String)], e: &mut Errors) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in env {
        if k.is_empty() && v.is_empty() {
            continue;
        }
        if k.is_empty() {
            e.insert("env", format!("the value `{v}` has no variable name"));
        } else if k.contains('=') || k.contains('\0') {
            e.insert(
                "env",
                format!("`{k}` is not a valid variable name (no `=` allowed)"),
            );
        } else if out.insert(k.clone(), v.clone()).is_some() {
            e.insert("env", format!("`{k}` is set twice"));
        }
    }
    out
}

fn whole(text: &str, min: u64, max: u64, field: &'static str, e: &mut Errors) -> u64 {
    match text.trim().parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => n,
        Ok(n) => {
            e.insert(field, format!("{n} is out of range: use {min} to {max}"));
            min
        }
        Err(_) => {
            e.insert(
                field,
                format!("`{}` is not a whole number ({min} to {max})", text.trim()),
            );
            min
        }
    }
}

fn seconds(text: &str, field: &'static str, e: &mut Errors) -> f64 {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => x,
        Ok(_) => {
            e.insert(field, "must be 0 or more seconds".into());
            0.0
        }
        Err(_) => {
            e.insert(field, format!("`{}` is not a number of seconds", text.trim()));
            0.0
        }
    }
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
        t.stop_signal = Signal::SIGINT;
        let spec = t.to_spec().unwrap();
        assert_eq!(spec.instances, 3);
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
        assert!(e["run"].contains("command is required"));
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
