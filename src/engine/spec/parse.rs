//! Reading a session file. Every problem is collected (not only the first)
//! with the file, line and field it concerns; a file with any error yields
//! no session, so nothing runs.

use super::{InputSource, PoolMode, PoolSpec, RestartPolicy, RunSpec, Session, StopPolicy, TaskSpec};
use crate::engine::signal::parse_signal;
use std::collections::{BTreeMap, HashSet};
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
        Err(SpecErrors(p.errors))
    }
}

struct Parser<'a> {
    text: &'a str,
    file: &'a str,
    base_dir: &'a Path,
    errors: Vec<SpecError>,
}

type Table<'i> = DeTable<'i>;

impl<'a> Parser<'a> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn error(&mut self, span: Range<usize>, field: impl Into<String>, message: impl Into<String>) {
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
        let mut names: HashSet<String> = HashSet::new();
        for (key, value) in root.get_ref().iter() {
            match key.get_ref().as_ref() {
                "task" => {
                    for (i, t) in self.array_of_tables(key.get_ref(), value).into_iter().enumerate() {
                        if let Some(task) = self.task(i, t) {
                            self.check_unique(
                                &mut names,
                                &task.instance_names(),
                                &task.name,
                                t.span(),
                                "task",
                            );
                            session.tasks.push(task);
                        }
                    }
                }
                "pool" => {
                    for (i, t) in self.array_of_tables(key.get_ref(), value).into_iter().enumerate() {
                        if let Some(pool) = self.pool(i, t) {
                            self.check_unique(
                                &mut names,
                                std::slice::from_ref(&pool.name),
                                &pool.name,
                                t.span(),
                                "pool",
                            );
                            session.pools.push(pool);
                        }
                    }
                }
                other => {
                    let msg = format!("unknown section `{other}` (expected [[task]] or [[pool]])");
                    self.error(key.span(), other.to_string(), msg);
                }
            }
        }
        session
    }

    fn check_unique(
        &mut self,
        names: &mut HashSet<String>,
        new: &[String],
        name: &str,
        span: Range<usize>,
        what: &str,
    ) {
        for n in new {
            if !names.insert(n.clone()) {
                self.error(
                    span.clone(),
                    format!("{what} \"{name}\".name"),
                    format!("duplicate name: a process named `{n}` is already defined"),
                );
            }
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
        let name = f.name();
        let run = f.run();
        let shell = f.bool("shell").unwrap_or(false);
        let cwd = f.string("cwd").map(PathBuf::from);
        let env = f.env();
        let instances = f.integer("instances", 1, 10_000).unwrap_or(1) as u32;
        let daemon = f.bool("daemon").unwrap_or(false);
        let autostart = f.bool("autostart").unwrap_or(true);
        let restart = f
            .choice("restart", RestartPolicy::parse, "never, on-failure or always")
            .unwrap_or_default();
        let max_restarts = f.integer("max_restarts", 0, 1_000_000).unwrap_or(3) as u32;
        let backoff = f.seconds("backoff").unwrap_or(0.5);
        let backoff_max = f.seconds("backoff_max").unwrap_or(30.0);
        let stop = f.stop_policy();
        let timeout = f.seconds("timeout").unwrap_or(0.0);
        let ok = f.finish();
        let (name, run) = (name?, run?);
        if !ok {
            return None;
        }
        self.check_run(&run, shell, value.span(), &format!("task \"{name}\".run"));
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
        })
    }

    fn pool(&mut self, index: usize, value: &Spanned<DeValue<'_>>) -> Option<PoolSpec> {
        let table = value.get_ref().as_table()?;
        let mut f = Fields::new(self, table, value.span(), "pool", index);
        let name = f.name();
        if let Some(n) = &name {
            if n.contains('/') {
                f.fail_at("name", "a pool name cannot contain `/`");
            }
        }
        let run = f.run();
        let shell = f.bool("shell").unwrap_or(false);
        let workers = f
            .integer("workers", 1, 4096)
            .map(|n| n as usize)
            .unwrap_or_else(super::default_workers);
        let mode = f
            .choice("mode", PoolMode::parse, "spawn or persistent")
            .unwrap_or_default();
        let list = f.string_list("inputs");
        let file = f.string("inputs_file").map(PathBuf::from);
        let inputs = match (list, file) {
            (Some(_), Some(_)) => {
                f.fail_at("inputs_file", "give either `inputs` or `inputs_file`, not both");
                None
            }
            (Some(l), None) => Some(InputSource::List(l)),
            (None, Some(p)) => Some(InputSource::File(p)),
            (None, None) => Some(InputSource::List(Vec::new())),
        };
        let cwd = f.string("cwd").map(PathBuf::from);
        let env = f.env();
        let stop = f.stop_policy();
        let timeout = f.seconds("timeout").unwrap_or(0.0);
        let retries = f.integer("retries", 0, 1000).unwrap_or(0) as u32;
        let autostart = f.bool("autostart").unwrap_or(true);
        let ok = f.finish();
        let (name, run, inputs) = (name?, run?, inputs?);
        if !ok {
            return None;
        }
        self.check_run(&run, shell, value.span(), &format!("pool \"{name}\".run"));
        let pool = PoolSpec {
            name,
            workers,
            mode,
            run,
            shell,
            inputs,
            cwd,
            base_dir: self.base_dir.to_path_buf(),
            env,
            stop,
            timeout,
            retries,
            autostart,
        };
        if let InputSource::File(_) = &pool.inputs {
            if let Err(e) = pool.load_inputs() {
                self.error(value.span(), format!("pool \"{}\".inputs_file", pool.name), e);
            }
        }
        Some(pool)
    }

    fn check_run(&mut self, run: &RunSpec, shell: bool, span: Range<usize>, field: &str) {
        if let Err(e) = run.argv(shell) {
            self.error(span, field.to_string(), e);
        }
    }
}

/// Reads the fields of one `[[task]]` or `[[pool]]` table, remembering which
/// were used so that unknown ones can be reported.
struct Fields<'p, 'a, 't, 'i> {
    p: &'p mut Parser<'a>,
    table: &'t Table<'i>,
    span: Range<usize>,
    label: String,
    used: HashSet<&'static str>,
    failed: bool,
}

impl<'p, 'a, 't, 'i> Fields<'p, 'a, 't, 'i> {
    fn new(
        p: &'p mut Parser<'a>,
        table: &'t Table<'i>,
        span: Range<usize>,
        kind: &str,
        index: usize,
    ) -> Self {
        let label = match table.get("name").and_then(|v| v.get_ref().as_str()) {
            Some(n) => format!("{kind} \"{n}\""),
            None => format!("{kind} #{}", index + 1),
        };
        Self {
            p,
            table,
            span,
            label,
            used: HashSet::new(),
            failed: false,
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.used.insert(key);
        self.table.get(key)
    }

    fn fail(&mut self, span: Range<usize>, key: &str, msg: impl Into<String>) {
        self.failed = true;
        let field = format!("{}.{key}", self.label);
        self.p.error(span, field, msg);
    }

    fn fail_at(&mut self, key: &str, msg: impl Into<String>) {
        let span = self.table.get(key).map(|v| v.span()).unwrap_or(self.span.clone());
        self.fail(span, key, msg);
    }

    fn name(&mut self) -> Option<String> {
        let Some(v) = self.get("name") else {
            let span = self.span.clone();
            self.fail(span, "name", "missing: every entry needs a `name`");
            return None;
        };
        match v.get_ref().as_str() {
            Some(s) if s.trim().is_empty() => {
                self.fail(v.span(), "name", "the name is empty");
                None
            }
            Some(s) if s.chars().any(|c| c.is_control()) => {
                self.fail(v.span(), "name", "the name has a control character");
                None
            }
            Some(s) => Some(s.to_string()),
            None => {
                self.fail(
                    v.span(),
                    "name",
                    format!("expected a string, found {}", v.get_ref().type_str()),
                );
                None
            }
        }
    }

    fn run(&mut self) -> Option<RunSpec> {
        let Some(v) = self.get("run") else {
            let span = self.span.clone();
            self.fail(
                span,
                "run",
                "missing: give the command to run (a string or a list of arguments)",
            );
            return None;
        };
        match v.get_ref() {
            DeValue::String(s) => {
                if s.trim().is_empty() {
                    self.fail(v.span(), "run", "the command is empty");
                    return None;
                }
                Some(RunSpec::Line(s.to_string()))
            }
            DeValue::Array(items) => {
                let mut args = Vec::new();
                for item in items.iter() {
                    match item.get_ref().as_str() {
                        Some(s) => args.push(s.to_string()),
                        None => {
                            self.fail(item.span(), "run", "every argument must be a string");
                            return None;
                        }
                    }
                }
                if args.first().is_none_or(|a| a.is_empty()) {
                    self.fail(v.span(), "run", "the command is empty");
                    return None;
                }
                Some(RunSpec::Args(args))
            }
            other => {
                self.fail(
                    v.span(),
                    "run",
                    format!(
                        "expected a string or a list of strings, found {}",
                        other.type_str()
                    ),
                );
                None
            }
        }
    }

    fn string(&mut self, key: &'static str) -> Option<String> {
        let v = self.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.fail(
                    v.span(),
                    key,
                    format!("expected a string, found {}", v.get_ref().type_str()),
                );
                None
            }
        }
    }

    fn string_list(&mut self, key: &'static str) -> Option<Vec<String>> {
        let v = self.get(key)?;
        let Some(items) = v.get_ref().as_array() else {
            self.fail(
                v.span(),
                key,
                format!("expected a list, found {}", v.get_ref().type_str()),
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push(s.to_string()),
                DeValue::Integer(i) => out.push(i.as_str().to_string()),
                DeValue::Float(x) => out.push(x.as_str().to_string()),
                DeValue::Boolean(b) => out.push(b.to_string()),
                other => {
                    self.fail(
                        item.span(),
                        key,
                        format!(
                            "each input must be a string or a number, found {}",
                            other.type_str()
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn bool(&mut self, key: &'static str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some(b),
            None => {
                self.fail(
                    v.span(),
                    key,
                    format!("expected true or false, found {}", v.get_ref().type_str()),
                );
                None
            }
        }
    }

    fn integer(&mut self, key: &'static str, min: i64, max: i64) -> Option<i64> {
        let v = self.get(key)?;
        let parsed = v
            .get_ref()
            .as_integer()
            .and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok());
        match parsed {
            Some(n) if n < min || n > max => {
                self.fail(v.span(), key, format!("{n} is out of range ({min} to {max})"));
                None
            }
            Some(n) => Some(n),
            None => {
                self.fail(
                    v.span(),
                    key,
                    format!("expected a whole number, found {}", v.get_ref().type_str()),
                );
                None
            }
        }
    }

    /// A non-negative number of seconds (integer or float).
    fn seconds(&mut self, key: &'static str) -> Option<f64> {
        let v = self.get(key)?;
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok().map(|n| n as f64),
            DeValue::Float(x) => x.as_str().parse::<f64>().ok(),
            other => {
                self.fail(
                    v.span(),
                    key,
                    format!("expected a number of seconds, found {}", other.type_str()),
                );
                return None;
            }
        };
        match n {
            Some(n) if !n.is_finite() => {
                self.fail(v.span(), key, "must be a finite number of seconds");
                None
            }
            Some(n) if n < 0.0 => {
                self.fail(v.span(), key, format!("must not be negative (found {n})"));
                None
            }
            Some(n) if n > 365.0 * 86400.0 => {
                self.fail(v.span(), key, "is longer than a year");
                None
            }
            Some(n) => Some(n),
            None => {
                self.fail(v.span(), key, "is not a number");
                None
            }
        }
    }

    fn choice<T>(&mut self, key: &'static str, parse: fn(&str) -> Option<T>, expected: &str) -> Option<T> {
        let v = self.get(key)?;
        let Some(s) = v.get_ref().as_str() else {
            self.fail(
                v.span(),
                key,
                format!("expected {expected}, found {}", v.get_ref().type_str()),
            );
            return None;
        };
        let r = parse(s);
        if r.is_none() {
            self.fail(v.span(), key, format!("`{s}` is not one of: {expected}"));
        }
        r
    }

    fn env(&mut self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(v) = self.get("env") else {
            return out;
        };
        let Some(t) = v.get_ref().as_table() else {
            self.fail(
                v.span(),
                "env",
                format!(
                    "expected a table like {{ KEY = \"value\" }}, found {}",
                    v.get_ref().type_str()
                ),
            );
            return out;
        };
        for (k, val) in t.iter() {
            let key = k.get_ref().to_string();
            if key.is_empty() || key.contains('=') || key.contains('\0') {
                self.fail(k.span(), "env", format!("`{key}` is not a valid variable name"));
                continue;
            }
            let value = match val.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => i.as_str().to_string(),
                DeValue::Float(x) => x.as_str().to_string(),
                DeValue::Boolean(b) => b.to_string(),
                other => {
                    self.fail(
                        val.span(),
                        "env",
                        format!("`{key}` must be a string, found {}", other.type_str()),
                    );
                    continue;
                }
            };
            out.insert(key, value);
        }
        out
    }

    fn stop_policy(&mut self) -> StopPolicy {
        let mut stop = StopPolicy::default();
        if let Some(v) = self.get("stop_signal") {
            match v.get_ref().as_str().map(parse_signal) {
                Some(Ok(sig)) => stop.signal = sig,
                Some(Err(e)) => self.fail(v.span(), "stop_signal", e),
                None => self.fail(
                    v.span(),
                    "stop_signal",
                    "expected a signal name such as \"SIGTERM\"",
                ),
            }
        }
        if let Some(t) = self.seconds("stop_timeout") {
            stop.timeout = t;
        }
        stop
    }

    /// Reports unknown fields; true if no field of this table had an error.
    fn finish(self) -> bool {
        let mut failed = self.failed;
        let mut unknown = Vec::new();
        for (k, _) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if !self.used.contains(key) {
                unknown.push((k.span(), key.to_string()));
            }
        }
        for (span, key) in unknown {
            failed = true;
            let field = format!("{}.{key}", self.label);
            self.p.error(span, field, format!("unknown field `{key}`"));
        }
        !failed
    }
}
