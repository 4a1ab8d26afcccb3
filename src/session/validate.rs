//! The one validator of session values. Each function takes what the user
//! wrote (a form's text, or a session file's value as text) and returns the
//! typed value or one message. The file parser puts `file:line: field:`
//! before the message; the form shows it under the field. The rules are
//! listed in docs/session-file.md.

use super::signal::parse_signal;
use super::values::{Count, Seconds, Workers, MAX_SECONDS};
use super::{default_workers, PoolMode, Protocol, RestartPolicy, RunSpec};
use nix::sys::signal::Signal;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The longest name of a task or a pool, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A value as quoted in a message: control characters escaped, cut after
/// 40 characters, so a message cannot drive a terminal or flood a form.
fn shown(text: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::new();
    for c in text.chars().take(MAX) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if text.chars().nth(MAX).is_some() {
        out.push('\u{2026}');
    }
    out
}

/// The name of a task or a pool.
pub fn name(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("a name is required".into())
    } else if text.chars().any(char::is_control) {
        Err("the name has a control character".into())
    } else if text != text.trim() {
        Err("the name starts or ends with a space".into())
    } else if text.contains('/') {
        Err("a name cannot contain `/` (pool workers are named POOL/worker-N)".into())
    } else if text.chars().count() > MAX_NAME_CHARS {
        Err(format!("the name is longer than {MAX_NAME_CHARS} characters"))
    } else {
        Ok(text.to_string())
    }
}

/// A command line (split like a shell would, or run by `/bin/sh -c`).
pub fn run_line(text: &str, shell: bool) -> Result<RunSpec, String> {
    run(RunSpec::Line(text.to_string()), shell)
}

/// A command, as a line or as a list of arguments.
pub fn run(spec: RunSpec, shell: bool) -> Result<RunSpec, String> {
    match spec.argv(shell) {
        Ok(_) => Ok(spec),
        Err(e) if e == "the command is empty" => Err("the command is empty: give one, e.g. `sleep 5`".into()),
        Err(e) => Err(e),
    }
}

/// A time in seconds, from 0 to a year (`stop_timeout`, `backoff`,
/// `backoff_max`).
pub fn seconds(text: &str) -> Result<Seconds, String> {
    let raw = text.trim();
    if raw.is_empty() {
        return Err("a number of seconds is required".into());
    }
    let t = shown(raw);
    let x: f64 = raw
        .parse()
        .map_err(|_| format!("`{t}` is not a number of seconds"))?;
    if !x.is_finite() {
        return Err(format!("`{t}` is not a finite number of seconds"));
    }
    if x < 0.0 {
        return Err(format!("`{t}` is negative: use 0 or more seconds"));
    }
    let too_long = || format!("`{t}` is more than a year (at most {MAX_SECONDS} seconds)");
    if x > MAX_SECONDS as f64 {
        return Err(too_long());
    }
    // In range, so the product fits a u64 and the cast cannot saturate.
    Seconds::from_micros((x * 1e6).round() as u64).ok_or_else(too_long)
}

/// A time limit where 0 means none (`timeout`).
pub fn timeout(text: &str) -> Result<Option<Seconds>, String> {
    seconds(text).map(|s| (!s.is_zero()).then_some(s))
}

/// A whole number within the bounds of its type (`instances`,
/// `max_restarts`, `retries`, `workers`).
pub fn count<const LO: u32, const HI: u32>(text: &str) -> Result<Count<LO, HI>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("a whole number is required ({LO} to {HI})"));
    }
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Count::<LO, HI>::not_whole(&shown(t)));
    }
    match t.parse::<u64>() {
        Ok(n) => Count::new(n).map_err(|_| Count::<LO, HI>::out_of_range(&shown(t))),
        // Negative, or more digits than any bound.
        Err(_) => Err(Count::<LO, HI>::out_of_range(&shown(t))),
    }
}

/// A pool's size; empty means one worker per CPU.
pub fn workers(text: &str) -> Result<Workers, String> {
    if text.trim().is_empty() {
        Ok(Workers::saturating(default_workers() as u64))
    } else {
        count(text)
    }
}

/// The signal that stops a task or a pool's workers.
pub fn stop_signal(text: &str) -> Result<Signal, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("a signal is required, e.g. SIGTERM".into());
    }
    if t.len() > 16 || t.chars().any(char::is_control) {
        // No signal is named like that; keep the text out of the message.
        return Err(format!("`{}` is not a signal, e.g. SIGTERM", shown(t)));
    }
    match parse_signal(t)? {
        Signal::SIGSTOP => Err("SIGSTOP only pauses a process: it cannot stop one".into()),
        s => Ok(s),
    }
}

pub fn restart(text: &str) -> Result<RestartPolicy, String> {
    RestartPolicy::parse(text)
        .ok_or_else(|| format!("`{}` is not one of: never, on-failure or always", shown(text)))
}

pub fn mode(text: &str) -> Result<PoolMode, String> {
    PoolMode::parse(text).ok_or_else(|| format!("`{}` is not one of: spawn or persistent", shown(text)))
}

pub fn protocol(text: &str) -> Result<Protocol, String> {
    Protocol::parse(text).ok_or_else(|| format!("`{}` is not one of: lines or jsonl", shown(text)))
}

/// A protocol is for persistent workers.
pub fn protocol_for(mode: PoolMode, protocol: Protocol) -> Result<(), String> {
    if mode == PoolMode::Spawn && protocol != Protocol::Lines {
        return Err(format!(
            "protocol `{}` is for persistent pools: add mode = \"persistent\"",
            protocol.as_str()
        ));
    }
    Ok(())
}

/// A working folder, relative to `base`; empty means `base` itself.
pub fn cwd(text: &str, base: &Path) -> Result<Option<PathBuf>, String> {
    let c = text.trim();
    if c.is_empty() {
        return Ok(None);
    }
    let p = PathBuf::from(c);
    let full = super::resolve_dir(base, Some(&p));
    if full.is_dir() {
        Ok(Some(p))
    } else {
        Err(format!("no such folder: {}", full.display()))
    }
}

/// A file of inputs, one a line, relative to `base`.
pub fn inputs_file(text: &str, base: &Path) -> Result<PathBuf, String> {
    let f = text.trim();
    if f.is_empty() {
        return Err("choose a file with one input a line".into());
    }
    let p = PathBuf::from(f);
    let full = super::resolve_dir(base, Some(&p));
    match std::fs::File::open(&full) {
        Ok(_) if full.is_dir() => Err(format!("{} is a folder, not a file", full.display())),
        Ok(_) => Ok(p),
        Err(e) => Err(format!("cannot read {}: {e}", full.display())),
    }
}

/// The name of an environment variable.
pub fn env_name(key: &str) -> Result<(), String> {
    if key.is_empty() {
        Err("a variable has no name".into())
    } else if key.contains('=') || key.contains('\0') {
        Err(format!(
            "`{}` is not a valid variable name (no `=` allowed)",
            shown(key)
        ))
    } else {
        Ok(())
    }
}

/// The process names taken so far in a session: a task's instances and a
/// pool's name share one space (workers are `POOL/worker-N`, and no task
/// name has a `/`).
#[derive(Default)]
pub struct Names(HashSet<String>);

impl Names {
    /// Takes `names` (one definition's processes); the message for the
    /// first one an earlier definition already took.
    pub fn claim(&mut self, names: &[String]) -> Result<(), String> {
        let mut clash = None;
        for n in names {
            if !self.0.insert(n.clone()) && clash.is_none() {
                clash = Some(n);
            }
        }
        match clash {
            Some(n) => Err(format!(
                "duplicate name: a process named `{n}` is already defined"
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{Instances, Retries};
    use std::time::Duration;

    #[test]
    fn seconds_are_bounded_and_finite() {
        assert_eq!(seconds("0.5").unwrap().get(), Duration::from_millis(500));
        assert_eq!(seconds(" 2 ").unwrap().get(), Duration::from_secs(2));
        assert_eq!(seconds("31536000").unwrap(), Seconds::MAX);
        assert!(seconds("31536000.1").unwrap_err().contains("more than a year"));
        assert!(seconds("1e20").unwrap_err().contains("more than a year"));
        assert!(seconds("NaN").unwrap_err().contains("finite"));
        assert!(seconds("-inf").unwrap_err().contains("finite"));
        assert!(seconds("-0.1").unwrap_err().contains("negative"));
        assert!(seconds("").unwrap_err().contains("required"));
        assert!(seconds("5s").unwrap_err().contains("not a number"));
        assert_eq!(timeout("0").unwrap(), None);
        assert_eq!(timeout("-0").unwrap(), None);
    }

    #[test]
    fn counts_say_their_range() {
        assert_eq!(count::<1, 10_000>("3").map(Instances::get), Ok(3));
        assert_eq!(
            count::<0, 1000>("1001").unwrap_err(),
            "1001 is out of range: use 0 to 1000"
        );
        assert!(count::<0, 1000>("-1").unwrap_err().contains("out of range"));
        assert!(count::<0, 1000>("99999999999999999999999")
            .unwrap_err()
            .contains("out of range"));
        assert!(count::<0, 1000>("1.5")
            .unwrap_err()
            .contains("not a whole number"));
        assert!(count::<0, 1000>("-").unwrap_err().contains("not a whole number"));
        assert_eq!(count::<0, 1000>("+7").map(Retries::get), Ok(7));
        assert!(workers("").is_ok());
    }

    #[test]
    fn names_and_signals() {
        assert!(name("p/worker-1").unwrap_err().contains('/'));
        assert!(name(&"x".repeat(65)).unwrap_err().contains("64"));
        assert!(name(&"é".repeat(64)).is_ok());
        assert!(name("a\u{1b}[2J").unwrap_err().contains("control"));
        assert!(name(" a").unwrap_err().contains("space"));
        assert!(stop_signal("SIGSTOP").is_err());
        assert!(!stop_signal("\u{1b}]0;x\u{7}").unwrap_err().contains('\u{1b}'));
        let long = seconds(&"9".repeat(100_000)).unwrap_err();
        assert!(long.len() < 120 && long.contains('\u{2026}'), "{long}");
        assert!(!count::<1, 9>("\u{1b}[2J").unwrap_err().contains('\u{1b}'));
        assert_eq!(stop_signal("int"), Ok(Signal::SIGINT));
    }

    #[test]
    fn names_are_claimed_once() {
        let mut n = Names::default();
        assert!(n.claim(&["w-1".into(), "w-2".into()]).is_ok());
        assert!(n.claim(&["w-2".into()]).unwrap_err().contains("`w-2`"));
    }
}
