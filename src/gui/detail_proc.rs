//! What /proc says of a live process for the details pane: its command
//! line as the kernel has it, working folder, environment, process group
//! and session. Read at most once a second per process, never on a
//! process that has ended (its pid may be someone else's by then).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcInfo {
    pub argv: Vec<String>,
    pub cwd: Option<PathBuf>,
    /// NAME=value pairs, in the order the kernel keeps them.
    pub env: Vec<(String, String)>,
    pub pgid: Option<i32>,
    pub sid: Option<i32>,
    /// Why something could not be read (another user's process, gone).
    pub problem: Option<String>,
}

/// The process group and session from the text of /proc/PID/stat. The
/// command name (field 2) is in parentheses and may hold spaces and
/// parentheses itself, so fields are counted after its last `)`.
pub fn parse_stat(stat: &str) -> Option<(i32, i32)> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut f = rest.split_whitespace();
    // state, ppid, pgrp, session
    let _state = f.next()?;
    let _ppid = f.next()?;
    let pgrp = f.next()?.parse().ok()?;
    let session = f.next()?.parse().ok()?;
    Some((pgrp, session))
}

/// NUL-separated strings (cmdline, environ), lossily as UTF-8.
pub fn split_nul(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

pub fn parse_environ(bytes: &[u8]) -> Vec<(String, String)> {
    split_nul(bytes)
        .into_iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (kv, String::new()),
        })
        .collect()
}

/// Reads what /proc has of `pid` (under `proc_root`, /proc in the app).
pub fn read(proc_root: &Path, pid: u32) -> ProcInfo {
    let dir = proc_root.join(pid.to_string());
    let mut info = ProcInfo::default();
    let mut problems = Vec::new();
    match std::fs::read(dir.join("cmdline")) {
        Ok(b) => info.argv = split_nul(&b),
        Err(e) => problems.push(format!("command line: {e}")),
    }
    match std::fs::read_link(dir.join("cwd")) {
        Ok(p) => info.cwd = Some(p),
        Err(e) => problems.push(format!("working folder: {e}")),
    }
    match std::fs::read(dir.join("environ")) {
        Ok(b) => info.env = parse_environ(&b),
        Err(e) => problems.push(format!("environment: {e}")),
    }
    match std::fs::read_to_string(dir.join("stat"))
        .ok()
        .and_then(|s| parse_stat(&s))
    {
        Some((g, s)) => {
            info.pgid = Some(g);
            info.sid = Some(s);
        }
        None => problems.push("process group: not readable".into()),
    }
    if !problems.is_empty() {
        info.problem = Some(problems.join("; "));
    }
    info
}

/// The last reading of one process, refreshed at most once a second.
#[derive(Default)]
pub struct ProcCache {
    entry: Option<(u32, Instant, ProcInfo)>,
}

impl ProcCache {
    pub fn get(&mut self, pid: u32) -> &ProcInfo {
        let fresh = self
            .entry
            .as_ref()
            .is_some_and(|(p, t, _)| *p == pid && t.elapsed() < Duration::from_secs(1));
        if !fresh {
            self.entry = Some((pid, Instant::now(), read(Path::new("/proc"), pid)));
        }
        match &self.entry {
            Some((_, _, info)) => info,
            None => unreachable!("set just above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        let s = "4242 (a (weird) name) S 1 4242 4000 0 -1 4194560 0 0";
        assert_eq!(parse_stat(s), Some((4242, 4000)));
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 1"), None);
    }

    #[test]
    fn environ_and_cmdline_split_on_nul() {
        assert_eq!(split_nul(b"sleep\x005\x00"), ["sleep", "5"]);
        assert_eq!(
            parse_environ(b"A=1\x00B=x=y\x00ODD\x00"),
            [
                ("A".into(), "1".into()),
                ("B".into(), "x=y".into()),
                ("ODD".into(), String::new())
            ]
        );
    }

    #[test]
    fn a_real_child_is_read_from_proc() {
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env("PROCTOR_DETAIL_TEST", "yes")
            .current_dir("/")
            .process_group(0)
            .spawn()
            .expect("sleep");
        let pid = child.id();
        // Until the kernel has the new program's command line (a child
        // caught between fork and exec has none yet).
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut info = read(Path::new("/proc"), pid);
        while info.argv.first().map(String::as_str) != Some("sleep") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
            info = read(Path::new("/proc"), pid);
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(info.argv, ["sleep", "30"]);
        assert_eq!(info.cwd.as_deref(), Some(Path::new("/")));
        assert!(info.env.contains(&("PROCTOR_DETAIL_TEST".into(), "yes".into())));
        assert_eq!(info.pgid, Some(pid as i32), "its own group");
        assert!(info.sid.is_some());
        assert_eq!(info.problem, None);
    }
}
