//! What a hostile round against the remote work found (see RELIABILITY.md,
//! "A round on 2026-11-27 against the remote work"), each over real
//! OpenSSH "hosts" (tests/remote/sshd.sh), with Proctor's tag scan off so
//! that only the remote side can clean up what runs there.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::{Command, Engine, EngineConfig, PoolAction, StopHow};
use proctor::event::{Event, EventKind};
use proctor::model::SessionModel;
use proctor::session::{placement, Placement, Retries};
use support::*;

fn run() -> Run {
    Run {
        engine: Engine::start(EngineConfig {
            tag_scan: false,
            ..Default::default()
        })
        .expect("engine starts"),
        events: Vec::new(),
    }
}

fn on_hosts(hosts: &SshHosts, list: &str, p: &mut proctor::session::PoolSpec) {
    p.placement = Placement::Hosts {
        hosts: placement::parse_hosts_text(list).unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    p.workers = proctor::session::Workers::saturating(p.placement.slots().unwrap() as u64);
}

fn wait_pool(run: &mut Run, name: &str) -> SessionModel {
    run.wait_event(&format!("pool {name} done"), |e| {
        e.pool.as_deref() == Some(name) && e.kind.name() == "pool_done"
    });
    let mut m = SessionModel::default();
    for e in &run.events {
        m.apply(e);
    }
    m
}

fn failures(events: &[Event], pool: &str) -> Vec<(Option<u64>, String)> {
    events
        .iter()
        .filter(|e| e.pool.as_deref() == Some(pool))
        .filter_map(|e| match &e.kind {
            EventKind::TaskFailed { message, .. } => Some((e.input, message.clone())),
            _ => None,
        })
        .collect()
}

/// Finding 1: an input's timeout stops the local `ssh` (which exits 255);
/// that is Proctor's own stop, not the host dropping out.
#[test]
fn an_input_timeout_is_no_host_dropping_out() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let mut inputs = vec!["sleep 30".to_string()];
    inputs.extend((0..5).map(|i| format!("sleep 1; echo X{i}")));
    let mut p = pool("to", 1, &["sh", "-c", "{}"], inputs);
    p.timeout = Some(proctor::session::Seconds::from_millis(8_000));
    p.retries = Retries::new(1).unwrap();
    on_hosts(&hosts, "127.0.0.2:1", &mut p);
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "to");
    let pool = m.pool("to").unwrap();
    for i in 1..6 {
        assert_eq!(
            pool.inputs[i].result.as_deref(),
            Some(format!("X{}", i - 1).as_str()),
            "input {i}: {:?}",
            failures(&run.events, "to")
        );
    }
    // The first timed out (twice: once retried), ended by the stop signal.
    assert_eq!(pool.inputs[0].exit_code, Some(-15));
    let fails = failures(&run.events, "to");
    assert!(fails.iter().all(|(i, _)| *i == Some(0)), "{fails:?}");
    assert!(
        !run.events.iter().any(|e| e.kind.name() == "host_down"),
        "no host went down"
    );
    run.finish();
}

/// Finding 1: the last host dropping out ends the pool, retries or not.
#[test]
fn a_pool_whose_hosts_are_all_down_ends() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let inputs: Vec<String> = (0..4).map(|i| i.to_string()).collect();
    let mut p = pool("d", 1, &["sh", "-c", "sleep 5; echo {}"], inputs);
    p.retries = Retries::new(1).unwrap();
    on_hosts(&hosts, "127.0.0.4:2", &mut p);
    run.send(Command::StartPool { pool: p });
    run.wait_event("two inputs started", |e| {
        e.kind.name() == "task_started" && e.input == Some(1)
    });
    hosts.kill_host("127.0.0.4");
    let m = wait_pool(&mut run, "d");
    let pool = m.pool("d").unwrap();
    let fails = failures(&run.events, "d");
    assert_eq!(pool.inputs.iter().filter(|r| r.result.is_some()).count(), 0);
    for i in 0..4u64 {
        assert!(fails.iter().any(|(n, _)| *n == Some(i)), "{i} failed: {fails:?}");
    }
    hosts.revive_host("127.0.0.4");
    run.finish();
}

/// Finding 2: every input of a worker has its own `PROCTOR_RUN` line, so
/// the sweep the wrapper of a stopped input makes after the stop timeout
/// (SIGKILL to what carries its line) does not reach the next input.
#[test]
fn the_sweep_of_a_stopped_input_spares_the_next_one() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let inputs = vec![
        "trap '' TERM; sleep 20; echo first".to_string(),
        "sleep 8; echo second".to_string(),
    ];
    let mut p = pool("tag", 1, &["sh", "-c", "{}"], inputs);
    on_hosts(&hosts, "127.0.0.2:1", &mut p);
    run.send(Command::StartPool { pool: p });
    run.wait_event("the first input started", |e| {
        e.kind.name() == "task_started" && e.input == Some(0)
    });
    // Its command runs on the host; then its connection drops: the local
    // ssh of that input dies.
    wait_until("the first input runs", std::time::Duration::from_secs(30), || {
        !running_as("sleep 20").is_empty()
    });
    let mut ssh = Vec::new();
    wait_until(
        "the first input's ssh",
        std::time::Duration::from_secs(30),
        || {
            ssh = with_cmdline("echo first")
                .into_iter()
                .filter(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "ssh")
                })
                .collect();
            !ssh.is_empty()
        },
    );
    for p in ssh {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(p), nix::sys::signal::Signal::SIGKILL);
    }
    let m = wait_pool(&mut run, "tag");
    let pool = m.pool("tag").unwrap();
    assert_eq!(
        pool.inputs[1].result.as_deref(),
        Some("second"),
        "{:?}",
        failures(&run.events, "tag")
    );
    assert_eq!(pool.inputs[0].result, None);
    run.finish();
}

/// Finding 4: a remote command starts with SIGINT and SIGQUIT at their
/// default (a shell's background job has them ignored), so a stop signal
/// of SIGINT reaches it as it would a local child.
#[test]
fn a_remote_command_can_be_stopped_gracefully_with_sigint() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut t = on_host(
        &hosts,
        "127.0.0.2",
        sh(
            "gentle",
            "trap 'echo graceful; exit 0' INT; echo ready; sleep 30 & wait",
        ),
    );
    t.stop.signal = nix::sys::signal::Signal::SIGINT;
    run.start(t);
    run.wait_event(
        "the remote command runs",
        |e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "ready"),
    );
    run.send(Command::Stop {
        process: "gentle".into(),
        how: StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("gentle"), Some(0), "{}", run.dump());
    assert!(
        run.lines("gentle", "stdout").iter().any(|l| l == "graceful"),
        "{}",
        run.dump()
    );
    run.finish();
}

/// Finding 3: `proctor run` waits for a remote task whose host is down
/// while its restart policy tries again (it ended at the first start that
/// could not connect, saying "trying again"), and the task runs once the
/// host is back.
#[test]
fn proctor_run_waits_while_a_tasks_host_is_down() {
    let Some(hosts) = SshHosts::start() else { return };
    hosts.kill_host("127.0.0.4");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let session = format!(
        "[[task]]\nname = \"later\"\nrun = [\"echo\", \"back\"]\nhost = \"127.0.0.4\"\nssh_options = {:?}\nrestart = \"on-failure\"\nbackoff = 0.2\nbackoff_max = 1\n",
        hosts.ssh_options()
    );
    std::fs::write(&file, session).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args([std::ffi::OsStr::new("run"), file.as_os_str()])
        .args(["--color", "never"])
        .env("PROCTOR_TAG_SCAN", "off")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Several starts fail meanwhile; the run goes on.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        child.try_wait().unwrap().is_none(),
        "proctor run ended while its task was to be tried again"
    );
    hosts.revive_host("127.0.0.4");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("proctor run did not end after its host came back");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let mut text = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut text).unwrap();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(text.contains("cannot connect to 127.0.0.4"), "{text}");
    assert!(text.contains("stdout: back"), "{text}");
}

/// Finding 7: `proctor check` refuses `ssh_options` that break the
/// command line (they passed, and a run went to another host or ate
/// Proctor's own options); a proxy is allowed.
#[test]
fn check_refuses_ssh_options_that_break_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let check = |opts: &str| {
        let file = dir.path().join("c.toml");
        let session = format!(
            "[[pool]]\nname = \"p\"\nrun = [\"echo\", \"{{}}\"]\ninputs = [\"1\"]\nhosts = [\"127.0.0.2:1\"]\nssh_options = {opts}\n"
        );
        std::fs::write(&file, session).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
            .args([std::ffi::OsStr::new("check"), file.as_os_str()])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        (out.status.code(), text)
    };
    for (opts, says) in [
        (r#"["-F"]"#, "needs a value"),
        (r#"["-F", "cfg", "127.0.0.3"]"#, "not an option"),
        (r#"["-N"]"#, "runs no command"),
        (r#"["-tt"]"#, "terminal"),
        (r#"["-f"]"#, "background"),
    ] {
        let (code, text) = check(opts);
        assert_eq!(code, Some(2), "{opts}: {text}");
        assert!(
            text.contains(says) && text.contains("ssh_options"),
            "{opts}: {text}"
        );
    }
    let (code, text) = check(r#"["-F", "cfg", "-o", "ProxyCommand=ssh -W %h:%p bastion"]"#);
    assert_eq!(code, Some(0), "{text}");
}

/// Finding 8: an input's `timeout` on a Slurm step is Proctor's own stop,
/// not a step "cancelled from outside Proctor"; the input ends as a
/// timed-out local one.
#[test]
fn a_slurm_input_timeout_is_no_outside_cancel() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = run();
    let mut p = pool(
        "slow",
        1,
        &["sh", "-c", "{}"],
        vec!["sleep 100".into(), "echo quick".into()],
    );
    p.timeout = Some(proctor::session::Seconds::from_millis(12_000));
    p.placement = Placement::Slurm(proctor::session::SlurmSpec {
        partition: Some("debug".into()),
        time: Some("00:05:00".into()),
        ..Default::default()
    });
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "slow");
    let pool = m.pool("slow").unwrap();
    assert_eq!(pool.inputs[1].result.as_deref(), Some("quick"), "{}", run.dump());
    let fails = failures(&run.events, "slow");
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert!(!fails[0].1.contains("outside"), "{fails:?}");
    assert!(
        matches!(pool.inputs[0].exit_code, Some(c) if c < 0),
        "{:?} {fails:?}",
        pool.inputs[0].exit_code
    );
    run.finish();
}

/// Finding 6, in part: a remote worker Proctor stopped ends with the stop
/// signal's number, not the local `ssh`'s 255 (the summary showed 255).
#[test]
fn a_stopped_remote_worker_ends_with_the_stop_signal() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let mut p = pool("halt", 1, &["sleep", "{}"], vec!["6031.5".into()]);
    on_hosts(&hosts, "127.0.0.3:1", &mut p);
    run.send(Command::StartPool { pool: p });
    wait_until("the remote sleep", std::time::Duration::from_secs(30), || {
        !running_as("sleep 6031.5").is_empty()
    });
    run.send(Command::Pool {
        pool: "halt".into(),
        action: PoolAction::Terminate,
    });
    let m = wait_pool(&mut run, "halt");
    assert_eq!(m.pool("halt").unwrap().finished.unwrap().cancelled, 1);
    let codes: Vec<i32> = run
        .events
        .iter()
        .filter(|e| e.pool.as_deref() == Some("halt"))
        .filter_map(|e| match e.kind {
            EventKind::Exited { exit_code, .. } => Some(exit_code),
            _ => None,
        })
        .collect();
    assert_eq!(codes, vec![-15], "{}", run.dump());
    run.finish();
}
