//! The real infrastructure of the remote tests: OpenSSH "hosts" in PID
//! namespaces and a one-node Slurm cluster, started by the scripts beside
//! this file. When one cannot start, the test says so loudly and is
//! skipped, except under CI (`CI` set), where that is a failure.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/remote")
        .join(name)
}

fn temp_dir(what: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "proctor-{what}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&d).expect("a temp dir");
    d
}

/// Skip (loudly) or, under CI, fail.
fn unavailable(what: &str, why: &str) -> Option<std::convert::Infallible> {
    let msg = format!("{what} cannot start here: {why}");
    if std::env::var_os("CI").is_some() {
        panic!("{msg} (CI must run the remote tests: install openssh-server, slurm-wlm and munge as .ci/run does)");
    }
    eprintln!("\n************************************************************");
    eprintln!("SKIPPED: {msg}");
    eprintln!("************************************************************\n");
    None
}

/// Three SSH "hosts": 127.0.0.2, .3 and .4, each sshd in its own PID
/// namespace. The tests of a file take them one at a time (on 2 cores,
/// seven sets of three servers and their pools side by side time out).
pub struct SshHosts {
    pub dir: PathBuf,
    pub addrs: Vec<String>,
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl SshHosts {
    pub fn start() -> Option<Self> {
        Self::start_with(100)
    }

    /// With sshd's `MaxSessions` at `max_sessions` on every host.
    pub fn start_with(max_sessions: u32) -> Option<Self> {
        let guard = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = temp_dir("sshd");
        let addrs: Vec<String> = ["127.0.0.2", "127.0.0.3", "127.0.0.4"].map(String::from).to_vec();
        let out = Command::new("bash")
            .arg(script("sshd.sh"))
            .arg("start")
            .arg(&dir)
            .args(&addrs)
            .env("PROCTOR_TEST_MAX_SESSIONS", max_sessions.to_string())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Self {
                dir,
                addrs,
                _one_at_a_time: guard,
            }),
            Ok(o) => {
                let _ = std::fs::remove_dir_all(&dir);
                unavailable("the SSH test hosts", String::from_utf8_lossy(&o.stderr).trim())
                    .map(|n| match n {})
            }
            Err(e) => unavailable("the SSH test hosts", &e.to_string()).map(|n| match n {}),
        }
    }

    /// `-F CONFIG`: what every ssh of the tests is given.
    pub fn ssh_options(&self) -> Vec<String> {
        vec!["-F".into(), self.dir.join("ssh_config").display().to_string()]
    }

    /// The host PID of the first process of `addr`'s namespace.
    pub fn init_pid(&self, addr: &str) -> i32 {
        std::fs::read_to_string(self.dir.join(format!("{addr}.pid")))
            .expect("pid file")
            .trim()
            .parse()
            .expect("a pid")
    }

    /// Kills a "host": its namespace's first process, and with it every
    /// process of the namespace and its connections.
    pub fn kill_host(&self, addr: &str) {
        // SAFETY: a plain kill of a pid we started.
        unsafe { libc::kill(self.init_pid(addr), libc::SIGKILL) };
    }

    /// Stops (`SIGSTOP`) or continues (`SIGCONT`) every process of
    /// `addr`'s namespace: a host that hangs, connections held open.
    pub fn freeze_host(&self, addr: &str, stop: bool) {
        let ns = |p: i32| std::fs::read_link(format!("/proc/{p}/ns/pid")).ok();
        let Some(want) = ns(self.init_pid(addr)) else {
            return;
        };
        // Never this machine's own namespace: only the host's.
        assert_ne!(
            Some(&want),
            ns(std::process::id() as i32).as_ref(),
            "not a namespace of its own"
        );
        let sig = if stop { libc::SIGSTOP } else { libc::SIGCONT };
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            if ns(pid).as_ref() == Some(&want) {
                // SAFETY: a plain kill of a process of the test's host.
                unsafe { libc::kill(pid, sig) };
            }
        }
    }

    /// Starts a killed host again, as it was.
    pub fn revive_host(&self, addr: &str) {
        let out = Command::new("bash")
            .arg(script("sshd.sh"))
            .arg("revive")
            .arg(&self.dir)
            .arg(addr)
            .output()
            .expect("sshd.sh runs");
        assert!(
            out.status.success(),
            "cannot revive {addr}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for SshHosts {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script("sshd.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A one-node Slurm cluster; clients find it through `SLURM_CONF`, which
/// `start` sets for this process (and so for Proctor's children).
/// The tests of a file take it one at a time: `start` points this whole
/// process at its cluster (`SLURM_CONF`).
pub struct Slurm {
    pub dir: PathBuf,
    _one_at_a_time: std::sync::MutexGuard<'static, ()>,
}

static ONE_SLURM_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Slurm {
    pub fn start() -> Option<Self> {
        let guard = ONE_SLURM_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = temp_dir("slurm");
        let out = Command::new("bash")
            .arg(script("slurm.sh"))
            .arg("start")
            .arg(&dir)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                std::env::set_var("SLURM_CONF", dir.join("slurm.conf"));
                Some(Self {
                    dir,
                    _one_at_a_time: guard,
                })
            }
            Ok(o) => {
                let _ = Command::new("bash")
                    .arg(script("slurm.sh"))
                    .arg("stop")
                    .arg(&dir)
                    .status();
                let _ = std::fs::remove_dir_all(&dir);
                unavailable(
                    "the Slurm test cluster",
                    String::from_utf8_lossy(&o.stderr).trim(),
                )
                .map(|n| match n {})
            }
            Err(e) => unavailable("the Slurm test cluster", &e.to_string()).map(|n| match n {}),
        }
    }

    /// The session's jobs still known to Slurm (`squeue --name`).
    pub fn jobs(&self, name: &str) -> Vec<String> {
        let o = Command::new("squeue")
            .args(["-h", "-o", "%i %T", &format!("--name={name}")])
            .output()
            .expect("squeue runs");
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(String::from)
            .filter(|l| !l.trim().is_empty())
            .collect()
    }
}

impl Drop for Slurm {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script("slurm.sh"))
            .arg("stop")
            .arg(&self.dir)
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Pids of processes whose environment has `PROCTOR_SESSION=tag`.
pub fn tagged(tag: &str) -> Vec<i32> {
    let want = format!("PROCTOR_SESSION={tag}");
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) {
            if env.split(|&b| b == 0).any(|v| v == want.as_bytes()) {
                out.push(pid);
            }
        }
    }
    out
}

/// Pids of processes whose command line holds `needle` (not zombies).
pub fn with_cmdline(needle: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Ok(c) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            let c: Vec<u8> = c.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
            if String::from_utf8_lossy(&c).contains(needle) {
                out.push(pid);
            }
        }
    }
    out
}

/// Pids of running processes whose command line starts with `prefix`:
/// the remote commands themselves, not the local `ssh`/`srun` or the
/// remote shells whose arguments hold them.
pub fn running_as(prefix: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Ok(c) = std::fs::read(format!("/proc/{pid}/cmdline")) {
            let c: Vec<u8> = c.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
            if String::from_utf8_lossy(&c).starts_with(prefix) {
                out.push(pid);
            }
        }
    }
    out
}

pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Task `t` on SSH host `host` of `hosts`.
pub fn on_host(
    hosts: &SshHosts,
    host: &str,
    mut t: proctor::session::TaskSpec,
) -> proctor::session::TaskSpec {
    t.host = proctor::session::placement::task_host(host).unwrap();
    t.ssh_options = hosts.ssh_options();
    t
}

/// Tagged processes that are not this process's children (the local
/// master connection is one, until the session ends).
pub fn remote_tagged(tag: &str) -> Vec<i32> {
    let me = std::process::id().to_string();
    tagged(tag)
        .into_iter()
        .filter(|p| {
            let stat = std::fs::read_to_string(format!("/proc/{p}/stat")).unwrap_or_default();
            let mut rest = stat.rsplit(')').next().unwrap_or("").split_whitespace();
            let state = rest.next();
            let ppid = rest.next();
            state.is_some_and(|s| s != "Z") && ppid != Some(me.as_str())
        })
        .collect()
}

/// The state letter of `pid` in /proc (`R`, `S`, `T`, ...), if it lives.
pub fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim_start().chars().next()
}

/// Pids of processes whose environment has the line `line` exactly.
pub fn with_env_line(line: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) {
            if env.split(|&b| b == 0).any(|v| v == line.as_bytes()) {
                out.push(pid);
            }
        }
    }
    out
}

/// Pids of processes with a line of their environment starting with
/// `prefix` (every run of a process: `PROCTOR_RUN=<session>/<name>/`).
pub fn with_env_prefix(prefix: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) {
            if env.split(|&b| b == 0).any(|v| v.starts_with(prefix.as_bytes())) {
                out.push(pid);
            }
        }
    }
    out
}

/// Waits for `child` to end, up to `limit`; `None` if it did not (it is
/// killed then).
pub fn wait_child(child: &mut std::process::Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `proctor run` as a test starts it to send it SIGINT: with SIGINT at its
/// default, whatever this process has (a shell's background job starts
/// with SIGINT ignored, and Proctor keeps a signal ignored at its start
/// ignored, as the shell asked).
pub fn proctor_run_cmd() -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"));
    // SAFETY: signal() with constant arguments is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            libc::signal(libc::SIGINT, libc::SIG_DFL);
            Ok(())
        });
    }
    c.arg("run");
    c
}
