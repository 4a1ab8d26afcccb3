//! The references and peers `pool_speed` runs beside Proctor: a C
//! `posix_spawn` loop, a Rust loop through `cat`, and pueue (a daemon of its
//! own per run, in a temporary home).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn timed(mut cmd: Command) -> Option<Duration> {
    let t = Instant::now();
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().ok()?;
    let d = t.elapsed();
    if !out.status.success() {
        eprintln!("  failed: {:?}: {}", cmd, String::from_utf8_lossy(&out.stderr));
        return None;
    }
    Some(d)
}

pub fn shell(script: &str) -> Command {
    let mut c = Command::new("sh");
    c.args(["-c", script]);
    c
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write bench file");
    p
}

/// `vfork_loop N` runs `true` N times, 2 at a time; `vfork_loop N arg`
/// runs `true K` instead (K = 1..N), the same exec as xargs and a
/// spawn-mode pool make: given one argument, coreutils' `true` sets up
/// the locale (it checks for --help), which costs about a fifth more.
pub const VFORK_C: &str = r#"
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv) {
    int n = atoi(argv[1]), inflight = 0, started = 0;
    char num[32];
    char *args[] = {"true", argc > 2 ? num : NULL, NULL};
    posix_spawnattr_t a; posix_spawnattr_init(&a);
    posix_spawnattr_setflags(&a, POSIX_SPAWN_USEVFORK);
    while (started < n || inflight > 0) {
        while (inflight < 2 && started < n) {
            pid_t pid;
            snprintf(num, sizeof num, "%d", started + 1);
            if (posix_spawnp(&pid, "true", NULL, &a, args, environ) != 0) return 1;
            inflight++; started++;
        }
        int st; if (wait(&st) > 0) inflight--;
    }
    return 0;
}
"#;

pub fn rust_cat_loop(n: usize) -> Option<Duration> {
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut input = child.stdin.take()?;
    let mut output = BufReader::new(child.stdout.take()?);
    let mut line = String::new();
    let t = Instant::now();
    for i in 0..n {
        writeln!(input, "{i}").ok()?;
        input.flush().ok()?;
        line.clear();
        output.read_line(&mut line).ok()?;
    }
    let d = t.elapsed();
    drop(input);
    let _ = child.wait();
    Some(d)
}

/// A `pueue` client command against the daemon living in `home`.
fn pueue(home: &Path) -> Command {
    let mut c = Command::new("pueue");
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

fn ok(mut c: Command) -> bool {
    c.status().is_ok_and(|s| s.success())
}

/// pueue on the same work: a fresh daemon in a temporary home, 2 tasks in
/// parallel, `n` tasks `true K` added while its group is paused, then the
/// time from `pueue start` until `pueue wait` returns (its execution only;
/// the time the `n` adds took is printed apart).
pub fn pueue_run(dir: &Path, n: usize) -> Option<Duration> {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let home = dir.join(format!("pueue-{run}"));
    let _ = std::fs::remove_dir_all(&home);
    for d in ["config", "data", "run"] {
        std::fs::create_dir_all(home.join(d)).ok()?;
    }
    let mut daemon = Command::new("pueued");
    daemon
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut daemon = daemon.spawn().ok()?;
    let result = (|| {
        let up = Instant::now();
        while !ok({
            let mut c = pueue(&home);
            c.arg("status");
            c
        }) {
            if up.elapsed() > Duration::from_secs(30) {
                eprintln!("  pueued did not answer in 30 s");
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut c = pueue(&home);
        c.args(["parallel", "2"]);
        ok(c).then_some(())?;
        let mut c = pueue(&home);
        c.arg("pause");
        ok(c).then_some(())?;
        let adding = Instant::now();
        for k in 1..=n {
            let mut c = pueue(&home);
            c.args(["add", "--", "true", &k.to_string()]);
            ok(c).then_some(())?;
        }
        eprintln!(
            "  pueue: adding {n} tasks took {:.1} s",
            adding.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let mut c = pueue(&home);
        c.arg("start");
        ok(c).then_some(())?;
        let mut c = pueue(&home);
        c.arg("wait");
        ok(c).then_some(())?;
        Some(t.elapsed())
    })();
    let _ = daemon.kill();
    let _ = daemon.wait();
    let _ = std::fs::remove_dir_all(&home);
    result
}
