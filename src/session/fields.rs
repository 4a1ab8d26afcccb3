//! Reading the fields of one `[[task]]` or `[[pool]]` table. The TOML
//! value of a field becomes text and goes through `validate`, the same
//! functions the GUI's forms call; this file adds only the TOML types and
//! where in the file each problem is.

use super::parse::Parser;
use super::validate;
use super::values::{Count, Seconds, Workers};
use super::{RunSpec, StopPolicy};
use std::collections::{BTreeMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The fields of one table, remembering which were read so that unknown
/// ones can be reported.
pub(super) struct Fields<'p, 'a, 't, 'i> {
    p: &'p mut Parser<'a>,
    table: &'t DeTable<'i>,
    span: Range<usize>,
    label: String,
    used: HashSet<&'static str>,
    failed: bool,
}

/// A scalar as the text a user wrote: a string's content, a number's
/// digits (integers in decimal), `true` or `false`.
pub(super) fn scalar_text(v: &DeValue<'_>) -> Option<String> {
    match v {
        DeValue::String(s) => Some(s.to_string()),
        DeValue::Integer(i) if i.radix() == 10 => Some(i.as_str().to_string()),
        DeValue::Integer(i) => Some(
            i128::from_str_radix(i.as_str(), i.radix())
                .map(|n| n.to_string())
                .unwrap_or_else(|_| i.to_string()),
        ),
        DeValue::Float(x) => Some(x.as_str().to_string()),
        DeValue::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// How a problem names its table: `task "square"`. A name is quoted with
/// its control characters escaped and cut at the longest a name may be, so
/// printing a problem cannot drive the terminal or flood it.
pub(super) fn label(kind: &str, name: &str) -> String {
    let mut n: String = name.chars().take(validate::MAX_NAME_CHARS).collect();
    if n.len() < name.len() {
        n.push('\u{2026}');
    }
    format!("{kind} {n:?}")
}

impl<'p, 'a, 't, 'i> Fields<'p, 'a, 't, 'i> {
    pub(super) fn new(
        p: &'p mut Parser<'a>,
        table: &'t DeTable<'i>,
        span: Range<usize>,
        kind: &str,
        index: usize,
    ) -> Self {
        let label = match table.get("name").and_then(|v| v.get_ref().as_str()) {
            Some(n) => label(kind, n),
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

    pub(super) fn get(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.used.insert(key);
        self.table.get(key)
    }

    pub(super) fn fail(&mut self, span: Range<usize>, key: &str, msg: impl Into<String>) {
        self.failed = true;
        let field = format!("{}.{key}", self.label);
        self.p.error(span, field, msg);
    }

    pub(super) fn fail_at(&mut self, key: &str, msg: impl Into<String>) {
        let span = self.table.get(key).map(|v| v.span()).unwrap_or(self.span.clone());
        self.fail(span, key, msg);
    }

    /// The field's value through `check`; `expected` names the TOML types
    /// it may have.
    fn checked<T>(
        &mut self,
        key: &'static str,
        expected: &str,
        check: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let v = self.get(key)?;
        let Some(text) = scalar_text(v.get_ref()).filter(|_| !matches!(v.get_ref(), DeValue::Boolean(_)))
        else {
            let msg = format!("expected {expected}, found {}", v.get_ref().type_str());
            self.fail(v.span(), key, msg);
            return None;
        };
        match check(&text) {
            Ok(x) => Some(x),
            Err(msg) => {
                self.fail(v.span(), key, msg);
                None
            }
        }
    }

    pub(super) fn name(&mut self) -> Option<String> {
        if self.table.get("name").is_none() {
            self.used.insert("name");
            let span = self.span.clone();
            self.fail(span, "name", "missing: every entry needs a `name`");
            return None;
        }
        self.choice("name", validate::name, "a string")
    }

    /// The command, checked with the `shell` setting once that is known.
    pub(super) fn run(&mut self) -> Option<(RunSpec, Range<usize>)> {
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
            DeValue::String(s) => Some((RunSpec::Line(s.to_string()), v.span())),
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
                Some((RunSpec::Args(args), v.span()))
            }
            other => {
                let msg = format!(
                    "expected a string or a list of strings, found {}",
                    other.type_str()
                );
                self.fail(v.span(), "run", msg);
                None
            }
        }
    }

    pub(super) fn check_run(&mut self, run: (RunSpec, Range<usize>), shell: bool) -> Option<RunSpec> {
        match validate::run(run.0, shell) {
            Ok(r) => Some(r),
            Err(msg) => {
                self.fail(run.1, "run", msg);
                None
            }
        }
    }

    pub(super) fn string(&mut self, key: &'static str) -> Option<String> {
        let v = self.get(key)?;
        match v.get_ref().as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                let msg = format!("expected a string, found {}", v.get_ref().type_str());
                self.fail(v.span(), key, msg);
                None
            }
        }
    }

    pub(super) fn cwd(&mut self) -> Option<PathBuf> {
        let base = self.p.base_dir;
        let text = self.string("cwd")?;
        match validate::cwd(&text, base) {
            Ok(c) => c,
            Err(msg) => {
                self.fail_at("cwd", msg);
                None
            }
        }
    }

    pub(super) fn inputs_file(&mut self) -> Option<PathBuf> {
        let base = self.p.base_dir;
        let text = self.string("inputs_file")?;
        match validate::inputs_file(&text, base) {
            Ok(p) => Some(p),
            Err(msg) => {
                self.fail_at("inputs_file", msg);
                None
            }
        }
    }

    pub(super) fn string_list(&mut self, key: &'static str) -> Option<Vec<String>> {
        let v = self.get(key)?;
        let Some(items) = v.get_ref().as_array() else {
            let msg = format!("expected a list, found {}", v.get_ref().type_str());
            self.fail(v.span(), key, msg);
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items.iter() {
            match scalar_text(item.get_ref()) {
                Some(s) => out.push(s),
                None => {
                    let msg = format!(
                        "each input must be a string or a number, found {}",
                        item.get_ref().type_str()
                    );
                    self.fail(item.span(), key, msg);
                    return None;
                }
            }
        }
        Some(out)
    }

    pub(super) fn bool(&mut self, key: &'static str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref().as_bool() {
            Some(b) => Some(b),
            None => {
                let msg = format!("expected true or false, found {}", v.get_ref().type_str());
                self.fail(v.span(), key, msg);
                None
            }
        }
    }

    pub(super) fn count<const LO: u32, const HI: u32>(&mut self, key: &'static str) -> Option<Count<LO, HI>> {
        self.checked(key, "a whole number", validate::count)
    }

    pub(super) fn workers(&mut self) -> Option<Workers> {
        self.checked("workers", "a whole number", validate::workers)
    }

    pub(super) fn seconds(&mut self, key: &'static str) -> Option<Seconds> {
        self.checked(key, "a number of seconds", validate::seconds)
    }

    /// A time limit; `Some(None)` for 0 (no limit).
    pub(super) fn timeout(&mut self, key: &'static str) -> Option<Option<Seconds>> {
        self.checked(key, "a number of seconds", validate::timeout)
    }

    /// A field whose value must be a string.
    pub(super) fn choice<T>(
        &mut self,
        key: &'static str,
        check: fn(&str) -> Result<T, String>,
        expected: &str,
    ) -> Option<T> {
        let v = self.get(key)?;
        if v.get_ref().as_str().is_none() {
            let msg = format!("expected {expected}, found {}", v.get_ref().type_str());
            self.fail(v.span(), key, msg);
            return None;
        }
        self.checked(key, expected, check)
    }

    pub(super) fn env(&mut self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(v) = self.get("env") else {
            return out;
        };
        let Some(t) = v.get_ref().as_table() else {
            let msg = format!(
                "expected a table like {{ KEY = \"value\" }}, found {}",
                v.get_ref().type_str()
            );
            self.fail(v.span(), "env", msg);
            return out;
        };
        for (k, val) in t.iter() {
            let key = k.get_ref().to_string();
            if let Err(msg) = validate::env_name(&key) {
                self.fail(k.span(), "env", msg);
                continue;
            }
            match scalar_text(val.get_ref()) {
                Some(value) => {
                    out.insert(key, value);
                }
                None => {
                    let msg = format!("`{key}` must be a string, found {}", val.get_ref().type_str());
                    self.fail(val.span(), "env", msg);
                }
            }
        }
        out
    }

    pub(super) fn stop_policy(&mut self) -> StopPolicy {
        let mut stop = StopPolicy::default();
        let expected = "a signal name such as \"SIGTERM\"";
        if let Some(sig) = self.checked("stop_signal", expected, validate::stop_signal) {
            stop.signal = sig;
        }
        if let Some(t) = self.seconds("stop_timeout") {
            stop.timeout = t;
        }
        stop
    }

    /// Reports unknown fields; true if no field of this table had an error.
    pub(super) fn finish(self) -> bool {
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
