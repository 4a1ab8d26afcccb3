//! Reading a session file. Every problem is collected (not only the first)
//! with the file, line and field it concerns; a file with any error yields
//! no session, so nothing runs.

use super::fields::{label, Fields};
use super::validate::{self, Names};
use super::{InputSource, PoolSpec, Session, TaskSpec};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One problem in a session file.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    pub file: String,
    pub line: usize,
    /// e.g. `task "square".stop_signal`; empty for syntax errors.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else if self.field.is_empty() {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}:{}: {}: {}", self.file, self.line, self.field, self.message)
        }
    }
}

/// Every problem found in one file.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecErrors(pub Vec<SpecError>);

impl fmt::Display for SpecErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecErrors {}

/// Reads and parses a session file from disk.
pub fn parse_session_file(path: &Path) -> Result<Session, SpecErrors> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        SpecErrors(vec![SpecError {
            file: file.clone(),
            line: 0,
            field: String::new(),
            message: format!("cannot read the session file: {e}"),
        }])
    })?;
    let base = path
        .parent()
        .map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        })
        .unwrap_or_else(|| PathBuf::from("."));
    let base = std::fs::canonicalize(&base).unwrap_or(base);
    let mut session = parse_session(&text, &file, &base)?;
    session.path = Some(path.to_path_buf());
    Ok(session)
}

/// Parses session text. `file` names it in errors; `base_dir` is where
/// relative `cwd` and `inputs_file` paths are taken from.
pub fn parse_session(text: &str, file: &str, base_dir: &Path) -> Result<Session, SpecErrors> {
    let mut p = Parser {
        text,
        file,
        base_dir,
        errors: Vec::new(),
    };
    let session = p.session();
    if p.errors.is_empty() {
        Ok(session)
    } else {
        // In the order of the file (a stable sort: one line's problems keep
        // their order).
        p.errors.sort_by_key(|e| e.line);
        Err(SpecErrors(p.errors))
    }
}

/// The `name` a table gives, if it is a string.
fn name_in(table: &Spanned<DeValue<'_>>) -> Option<String> {
    let name = table.get_ref().as_table()?.get("name")?;
    name.get_ref().as_str().map(str::to_string)
}

pub(super) struct Parser<'a> {
    text: &'a str,
    file: &'a str,
    pub(super) base_dir: &'a Path,
    errors: Vec<SpecError>,
}

impl<'a> Parser<'a> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    pub(super) fn error(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
        let line = self.line_of(span.start);
        self.errors.push(SpecError {
            file: self.file.to_string(),
            line,
            field: field.into(),
            message: message.into(),
        });
    }

    fn session(&mut self) -> Session {
        let root = match DeTable::parse(self.text) {
            Ok(t) => t,
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let msg = e.message().trim().to_string();
                self.error(span, "", format!("TOML syntax error: {msg}"));
                return Session::default();
            }
        };
        let mut session = Session::default();
        let mut names = Names::default();
        // Tasks and pools in the order of the file, so that a name taken
        // twice is reported at the later table whatever its kind.
        let mut tables = Vec::new();
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                kind @ ("task" | "pool") => {
                    for (i, t) in self.array_of_tables(key.get_ref(), value).into_iter().enumerate() {
                        tables.push((t.span().start, kind == "task", i, t));
                    }
                }
                other => {
                    let msg = format!("unknown section `{other}` (expected [[task]] or [[pool]])");
                    self.error(key.span(), other.to_string(), msg);
                }
            }
        }
        tables.sort_by_key(|t| t.0);
        for (_, is_task, i, t) in tables {
            if is_task {
                if let Some(task) = self.task(i, t) {
                    self.claim(&mut names, &task.instance_names(), "task", &task.name, t);
                    session.tasks.push(task);
                } else if let Some(name) = name_in(t) {
                    // Invalid for another reason, it still takes its name: a
                    // later table with the same one is told.
                    self.claim(&mut names, std::slice::from_ref(&name), "task", &name, t);
                }
            } else if let Some(pool) = self.pool(i, t) {
                let own = std::slice::from_ref(&pool.name);
                self.claim(&mut names, own, "pool", &pool.name, t);
                session.pools.push(pool);
            } else if let Some(name) = name_in(t) {
                self.claim(&mut names, std::slice::from_ref(&name), "pool", &name, t);
            }
        }
        session
    }

    /// Reports a name another definition already took, at this one's `name`.
    fn claim(
        &mut self,
        names: &mut Names,
        new: &[String],
        kind: &str,
        name: &str,
        table: &Spanned<DeValue<'_>>,
    ) {
        if let Err(msg) = names.claim(new) {
            let span = table
                .get_ref()
                .as_table()
                .and_then(|t| t.get("name"))
                .map(|v| v.span())
                .unwrap_or(table.span());
            self.error(span, format!("{}.name", label(kind, name)), msg);
        }
    }

    fn array_of_tables<'v, 'i>(
        &mut self,
        key: &str,
        value: &'v Spanned<DeValue<'i>>,
    ) -> Vec<&'v Spanned<DeValue<'i>>> {
        match value.get_ref() {
            DeValue::Array(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    if item.get_ref().as_table().is_some() {
                        out.push(item);
                    } else {
                        self.error(
                            item.span(),
                            key.to_string(),
                            format!("each `{key}` must be a table: write [[{key}]]"),
                        );
                    }
                }
                out
            }
            _ => {
                self.error(
                    value.span(),
                    key.to_string(),
                    format!("`{key}` must be written as [[{key}]] sections"),
                );
                Vec::new()
            }
        }
    }

    fn task(&mut self, index: usize, value: &Spanned<DeValue<'_>>) -> Option<TaskSpec> {
        let table = value.get_ref().as_table()?;
        let mut f = Fields::new(self, table, value.span(), "task", index);
        let d = TaskSpec::new("", super::RunSpec::Line(String::new()));
        let name = f.name();
        let run = f.run();
        let shell = f.bool("shell").unwrap_or(false);
        let run = run.and_then(|r| f.check_run(r, shell));
        let cwd = f.cwd();
        let env = f.env();
        let instances = f.count("instances").unwrap_or(d.instances);
        let daemon = f.bool("daemon").unwrap_or(false);
        let autostart = f.bool("autostart").unwrap_or(true);
        let restart = f
            .choice("restart", validate::restart, "never, on-failure or always")
            .unwrap_or_default();
        let max_restarts = f.count("max_restarts").unwrap_or(d.max_restarts);
        let backoff = f.seconds("backoff").unwrap_or(d.backoff);
        let backoff_max = f.seconds("backoff_max").unwrap_or(d.backoff_max);
        let stop = f.stop_policy();
        let timeout = f.timeout("timeout").unwrap_or(None);
        let unbuffered = f.bool("unbuffered").unwrap_or(true);
        let pty = f.bool("pty").unwrap_or(false);
        let stdin = f.bool("stdin").unwrap_or(false);
        let (host, ssh_options) = f.task_host(pty, stdin);
        let ok = f.finish();
        let (name, run) = (name?, run?);
        if !ok {
            return None;
        }
        Some(TaskSpec {
            name,
            run,
            shell,
            cwd,
            base_dir: self.base_dir.to_path_buf(),
            env,
            instances,
            daemon,
            autostart,
            restart,
            max_restarts,
            backoff,
            backoff_max: backoff_max.max(backoff),
            stop,
            timeout,
            unbuffered,
            pty,
            stdin,
            host,
            ssh_options,
        })
    }

    fn pool(&mut self, index: usize, value: &Spanned<DeValue<'_>>) -> Option<PoolSpec> {
        let table = value.get_ref().as_table()?;
        let mut f = Fields::new(self, table, value.span(), "pool", index);
        let name = f.name();
        let run = f.run();
        let shell = f.bool("shell").unwrap_or(false);
        let run = run.and_then(|r| f.check_run(r, shell));
        let workers = f.workers();
        let mode = f
            .choice("mode", validate::mode, "spawn or persistent")
            .unwrap_or_default();
        let protocol = f
            .choice("protocol", validate::protocol, "lines or jsonl")
            .unwrap_or_default();
        if let Err(e) = validate::protocol_for(mode, protocol) {
            f.fail_at("protocol", &e);
        }
        let list = f.string_list("inputs");
        let file = f.inputs_file();
        let inputs = match (list, file) {
            (Some(_), Some(_)) => {
                f.fail_at("inputs_file", "give either `inputs` or `inputs_file`, not both");
                None
            }
            (Some(l), None) => Some(InputSource::List(l)),
            (None, Some(p)) => Some(InputSource::File(p)),
            (None, None) => Some(InputSource::List(Vec::new())),
        };
        let cwd = f.cwd();
        let env = f.env();
        let stop = f.stop_policy();
        let timeout = f.timeout("timeout").unwrap_or(None);
        let retries = f.count("retries").unwrap_or(super::Retries::LOW);
        let autostart = f.bool("autostart").unwrap_or(true);
        let unbuffered = f.bool("unbuffered").unwrap_or(true);
        let placement = f.placement();
        if let (Some(_), Some(_)) = (&workers, placement.slots()) {
            f.fail_at(
                "workers",
                "with `hosts`, the workers are the hosts' slots: leave `workers` out",
            );
        }
        let ok = f.finish();
        let (name, run, inputs, workers) = (name?, run?, inputs?, workers);
        if !ok {
            return None;
        }
        let mut pool = PoolSpec::new(name, run, Vec::new());
        pool.workers = workers.unwrap_or(pool.workers);
        pool.mode = mode;
        pool.protocol = protocol;
        pool.shell = shell;
        pool.inputs = inputs;
        pool.cwd = cwd;
        pool.base_dir = self.base_dir.to_path_buf();
        pool.env = env;
        pool.stop = stop;
        pool.timeout = timeout;
        pool.retries = retries;
        pool.autostart = autostart;
        pool.unbuffered = unbuffered;
        if let Some(n) = placement.slots() {
            pool.workers = super::Workers::saturating(n as u64);
        }
        pool.placement = placement;
        if let InputSource::File(_) = &pool.inputs {
            if let Err(e) = pool.load_inputs() {
                let span = table.get("inputs_file").map(|v| v.span()).unwrap_or(value.span());
                self.error(span, format!("{}.inputs_file", label("pool", &pool.name)), e);
            }
        }
        Some(pool)
    }
}
