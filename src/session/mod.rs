//! The session file: tasks and pools as the user defines them.
//!
//! These types are plain data (no OS handles): the GUI edits them, the
//! session file stores them, and the supervisor starts processes from them.
//! Times and counts are bounded types (`values`), built from what a user
//! wrote only by `validate`, which the file parser and the GUI's forms both
//! call. The fields are documented in docs/session-file.md.

mod fields;
mod fields_remote;
mod parse;
pub mod placement;
pub mod placement_warnings;
pub mod signal;
mod ssh_words;
pub mod validate;
mod values;
mod write;

pub use parse::{parse_session, parse_session_file, SpecError, SpecErrors};
pub use placement::{HostSlots, Placement, SlurmSpec};
pub use values::{Count, Instances, MaxRestarts, Retries, Seconds, Workers, MAX_SECONDS};
pub use write::session_to_toml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What to run: a string split like a shell would (no shell runs), or an
/// explicit argument list.
#[derive(Clone, Debug, PartialEq)]
pub enum RunSpec {
    Line(String),
    Args(Vec<String>),
}

impl RunSpec {
    /// The argument vector to execute, or a reason it cannot be built.
    pub fn argv(&self, shell: bool) -> Result<Vec<String>, String> {
        let argv = match (self, shell) {
            (RunSpec::Line(line), true) => {
                vec!["/bin/sh".to_string(), "-c".to_string(), line.clone()]
            }
            (RunSpec::Args(args), true) => {
                let joined = shlex::try_join(args.iter().map(String::as_str))
                    .map_err(|e| format!("cannot join arguments for the shell: {e}"))?;
                vec!["/bin/sh".to_string(), "-c".to_string(), joined]
            }
            (RunSpec::Line(line), false) => {
                shlex::split(line).ok_or_else(|| "unbalanced quotes or a trailing backslash".to_string())?
            }
            (RunSpec::Args(args), false) => args.clone(),
        };
        if argv.first().is_none_or(|a| a.trim().is_empty()) {
            return Err("the command is empty".to_string());
        }
        Ok(argv)
    }

    /// The command as one line of text (for tables and forms).
    pub fn display(&self) -> String {
        match self {
            RunSpec::Line(l) => l.clone(),
            RunSpec::Args(a) => shlex::try_join(a.iter().map(String::as_str)).unwrap_or_else(|_| a.join(" ")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RestartPolicy {
    #[default]
    Never,
    OnFailure,
    Always,
}

impl RestartPolicy {
    pub const ALL: [RestartPolicy; 3] = [Self::Never, Self::OnFailure, Self::Always];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::OnFailure => "on-failure",
            Self::Always => "always",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// How a process is stopped: `signal` to its group, then SIGKILL after
/// `timeout` if any of the group is still alive.
#[derive(Clone, Debug, PartialEq)]
pub struct StopPolicy {
    pub signal: nix::sys::signal::Signal,
    pub timeout: Seconds,
}

impl Default for StopPolicy {
    fn default() -> Self {
        Self {
            signal: nix::sys::signal::Signal::SIGTERM,
            timeout: Seconds::from_millis(5_000),
        }
    }
}

/// A named command, started as `instances` child processes.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskSpec {
    pub name: String,
    pub run: RunSpec,
    pub shell: bool,
    /// As written in the file (relative to `base_dir`), if given.
    pub cwd: Option<PathBuf>,
    /// The directory relative paths are taken from (the session file's).
    pub base_dir: PathBuf,
    pub env: BTreeMap<String, String>,
    pub instances: Instances,
    pub daemon: bool,
    pub autostart: bool,
    pub restart: RestartPolicy,
    pub max_restarts: MaxRestarts,
    /// First restart delay; doubles after each restart.
    pub backoff: Seconds,
    /// Upper bound of the restart delay (never below `backoff`).
    pub backoff_max: Seconds,
    pub stop: StopPolicy,
    /// Terminate (by the stop policy) after this long; `None`: never.
    pub timeout: Option<Seconds>,
    /// `PYTHONUNBUFFERED=1` in its environment (unless its `env` sets it),
    /// so Python children write lines as they go, not at exit.
    pub unbuffered: bool,
    /// Run it under a pseudo-terminal (stdout and stderr both go to it).
    pub pty: bool,
    /// Its stdin is a pipe Proctor holds (lines can be sent to it); else
    /// /dev/null.
    pub stdin: bool,
    /// The SSH host it runs on (`host = "user@build2"`); `None`: here.
    pub host: Option<HostSlots>,
    /// Given to its `ssh` before Proctor's own options (needs `host`).
    pub ssh_options: Vec<String>,
}

impl TaskSpec {
    pub fn new(name: impl Into<String>, run: RunSpec) -> Self {
        Self {
            name: name.into(),
            run,
            shell: false,
            cwd: None,
            base_dir: PathBuf::from("."),
            env: BTreeMap::new(),
            instances: Instances::LOW,
            daemon: false,
            autostart: true,
            restart: RestartPolicy::Never,
            max_restarts: const { MaxRestarts::of(3) },
            backoff: Seconds::from_millis(500),
            backoff_max: Seconds::from_millis(30_000),
            stop: StopPolicy::default(),
            timeout: None,
            unbuffered: true,
            pty: false,
            stdin: false,
            host: None,
            ssh_options: Vec::new(),
        }
    }

    /// The names of this task's processes: `name`, or `name-1`..`name-N`.
    pub fn instance_names(&self) -> Vec<String> {
        instance_names(&self.name, self.instances.get())
    }

    /// The working directory the child starts in.
    pub fn working_dir(&self) -> PathBuf {
        resolve_dir(&self.base_dir, self.cwd.as_deref())
    }
}

pub fn instance_names(name: &str, instances: u32) -> Vec<String> {
    if instances <= 1 {
        vec![name.to_string()]
    } else {
        (1..=instances).map(|i| format!("{name}-{i}")).collect()
    }
}

pub(crate) fn resolve_dir(base: &Path, cwd: Option<&Path>) -> PathBuf {
    match cwd {
        Some(c) if c.is_absolute() => c.to_path_buf(),
        Some(c) => base.join(c),
        None => base.to_path_buf(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PoolMode {
    /// One child per input, at most `workers` at once.
    #[default]
    Spawn,
    /// `workers` long-lived children; an input is a line on stdin, its
    /// result the next line on stdout.
    Persistent,
}

impl PoolMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Spawn => "spawn",
            Self::Persistent => "persistent",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "spawn" => Some(Self::Spawn),
            "persistent" => Some(Self::Persistent),
            _ => None,
        }
    }
}

/// How a persistent pool's workers take inputs and give answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    /// An input is a line on stdin, its answer the next line on stdout,
    /// matched by order (docs/session-file.md says what it cannot carry).
    #[default]
    Lines,
    /// One JSON object a line each way, carrying the input's id:
    /// `{"id":N,"input":"…"}` in, `{"id":N,"result":…}` (or `"error"`) out.
    Jsonl,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lines => "lines",
            Self::Jsonl => "jsonl",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "lines" => Some(Self::Lines),
            "jsonl" => Some(Self::Jsonl),
            _ => None,
        }
    }
}

/// Where a pool's inputs come from.
#[derive(Clone, Debug, PartialEq)]
pub enum InputSource {
    List(Vec<String>),
    /// One input a line; relative to `base_dir`.
    File(PathBuf),
}

/// `workers` processes over a queue of inputs.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolSpec {
    pub name: String,
    pub workers: Workers,
    pub mode: PoolMode,
    /// How persistent workers talk (spawn mode has no protocol).
    pub protocol: Protocol,
    pub run: RunSpec,
    pub shell: bool,
    pub inputs: InputSource,
    pub cwd: Option<PathBuf>,
    pub base_dir: PathBuf,
    pub env: BTreeMap<String, String>,
    pub stop: StopPolicy,
    /// Per input; `None`: no limit.
    pub timeout: Option<Seconds>,
    /// Extra attempts for a failing input.
    pub retries: Retries,
    pub autostart: bool,
    /// As for tasks: `PYTHONUNBUFFERED=1` unless its `env` sets it.
    pub unbuffered: bool,
    /// Where its workers run (see `placement`).
    pub placement: Placement,
}

impl PoolSpec {
    pub fn new(name: impl Into<String>, run: RunSpec, inputs: Vec<String>) -> Self {
        Self {
            name: name.into(),
            workers: Workers::saturating(default_workers() as u64),
            mode: PoolMode::Spawn,
            protocol: Protocol::Lines,
            run,
            shell: false,
            inputs: InputSource::List(inputs),
            cwd: None,
            base_dir: PathBuf::from("."),
            env: BTreeMap::new(),
            stop: StopPolicy::default(),
            timeout: None,
            retries: Retries::LOW,
            autostart: true,
            unbuffered: true,
            placement: Placement::Local,
        }
    }

    pub fn working_dir(&self) -> PathBuf {
        resolve_dir(&self.base_dir, self.cwd.as_deref())
    }

    /// The inputs, reading `inputs_file` if that is where they come from.
    pub fn load_inputs(&self) -> Result<Vec<String>, String> {
        match &self.inputs {
            InputSource::List(v) => Ok(v.clone()),
            InputSource::File(p) => {
                let path = resolve_dir(&self.base_dir, Some(p));
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read inputs_file {}: {e}", path.display()))?;
                Ok(text.lines().map(str::to_string).collect())
            }
        }
    }

    pub fn worker_name(&self, k: usize) -> String {
        format!("{}/worker-{k}", self.name)
    }
}

/// The number of CPUs this machine has (the default pool size).
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// A session: the tasks and pools of one file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    pub path: Option<PathBuf>,
    pub tasks: Vec<TaskSpec>,
    pub pools: Vec<PoolSpec>,
}

impl Session {
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty() && self.pools.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_splits_like_a_shell_without_running_one() {
        let r = RunSpec::Line("sh -c 'echo Square: $((10*10))'".into());
        assert_eq!(
            r.argv(false).unwrap(),
            vec!["sh", "-c", "echo Square: $((10*10))"]
        );
        assert_eq!(r.argv(true).unwrap()[0], "/bin/sh");
        assert!(RunSpec::Line("  ".into()).argv(false).is_err());
        assert!(RunSpec::Line("echo 'open".into()).argv(false).is_err());
        assert!(RunSpec::Args(vec![]).argv(false).is_err());
    }

    #[test]
    fn instance_names_get_suffixes_only_when_many() {
        assert_eq!(instance_names("a", 1), vec!["a"]);
        assert_eq!(instance_names("a", 3), vec!["a-1", "a-2", "a-3"]);
    }
}
