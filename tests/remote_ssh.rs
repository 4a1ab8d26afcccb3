//! Pools over real OpenSSH "hosts" (sshd on 127.0.0.2-4, each in a PID
//! namespace of its own, started by tests/remote/sshd.sh). The "remote"
//! processes share this machine's /proc, so Proctor runs here with its tag
//! scan off (`EngineConfig::tag_scan`): it tracks only its own descendants,
//! and whatever ends on the far side ended by itself.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::{Command, Engine, EngineConfig, PoolAction};
use proctor::event::{Event, EventKind};
use proctor::model::SessionModel;
use proctor::session::{placement, Placement, PoolMode, Retries};
use std::time::Duration;
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

fn model(events: &[Event]) -> SessionModel {
    let mut m = SessionModel::default();
    for e in events {
        m.apply(e);
    }
    m
}

fn wait_pool(run: &mut Run, name: &str) -> SessionModel {
    run.wait_event(&format!("pool {name} done"), |e| {
        e.pool.as_deref() == Some(name) && e.kind.name() == "pool_done"
    });
    model(&run.events)
}

/// No ssh of this session (masters included) is left. Only this
/// session's: another test's masters (or the user's own) may run beside.
fn no_ssh_left(tag: &str) -> bool {
    let ours = tagged(tag);
    with_cmdline("ControlPath=")
        .iter()
        .filter(|p| ours.contains(p))
        .all(|&p| gone(p))
}

#[test]
fn two_hundred_inputs_over_three_hosts_come_back_complete_and_in_order() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let inputs: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let mut p = pool("sq", 1, &["sh", "-c", "echo $(({} * {}))"], inputs);
    on_hosts(&hosts, "127.0.0.2:3, 127.0.0.3:3, 127.0.0.4:3", &mut p);
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "sq");
    let pool = m.pool("sq").unwrap();
    let results: Vec<String> = pool
        .inputs
        .iter()
        .map(|r| r.result.clone().unwrap_or_default())
        .collect();
    let want: Vec<String> = (0..200u64).map(|i| (i * i).to_string()).collect();
    assert_eq!(results, want);
    let t = pool.finished.unwrap();
    assert_eq!((t.done, t.failed), (200, 0));
    // Every host did some of the work, and each input says where it ran.
    let figures = pool.per_host();
    let names: Vec<&str> = figures.iter().map(|f| f.host.as_str()).collect();
    assert_eq!(names, ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    assert!(figures.iter().all(|f| f.done > 0 && f.failed == 0), "{figures:?}");
    assert_eq!(figures.iter().map(|f| f.done).sum::<usize>(), 200);
    assert!(pool.inputs.iter().all(|r| r.host.is_some()));
    // The wrapper's own lines never reach the log.
    assert!(!run
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Stderr { line, .. } if line.contains("proctor-exit"))));
    // The masters ended with the pool.
    let tag = run.engine.session_tag().to_string();
    wait_until("the ssh masters to end", Duration::from_secs(20), || {
        no_ssh_left(&tag)
    });
    run.finish();
}

#[test]
fn exit_codes_and_signals_come_back_as_python_has_them() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let mut p = pool(
        "codes",
        1,
        &[
            "sh",
            "-c",
            "echo out {}; echo err {} >&2; case {} in k) kill -9 $$;; *) exit {};; esac",
        ],
        vec!["0".into(), "3".into(), "k".into()],
    );
    on_hosts(&hosts, "127.0.0.2:2", &mut p);
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "codes");
    let pool = m.pool("codes").unwrap();
    assert_eq!(pool.inputs[0].result.as_deref(), Some("out 0"));
    assert_eq!(pool.inputs[1].exit_code, Some(3));
    assert_eq!(pool.inputs[2].exit_code, Some(-9));
    // stderr streams as lines, as a local worker's does.
    let errs: Vec<String> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Stderr { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect();
    for want in ["err 0", "err 3", "err k"] {
        assert!(errs.iter().any(|l| l == want), "{want} in {errs:?}");
    }
    run.finish();
}

#[test]
fn persistent_workers_run_over_ssh() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let inputs: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut p = pool(
        "echoer",
        1,
        &["sh", "-c", "while read x; do echo r$x; done"],
        inputs,
    );
    p.mode = PoolMode::Persistent;
    on_hosts(&hosts, "127.0.0.2:2, 127.0.0.3:2", &mut p);
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "echoer");
    let pool = m.pool("echoer").unwrap();
    let results: Vec<String> = pool
        .inputs
        .iter()
        .map(|r| r.result.clone().unwrap_or_default())
        .collect();
    let want: Vec<String> = (0..40).map(|i| format!("r{i}")).collect();
    assert_eq!(results, want);
    // The workers exited at the end of their stdin, as local ones do.
    let exits: Vec<i32> = run
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Exited { exit_code, .. } if e.pool.as_deref() == Some("echoer") => Some(exit_code),
            _ => None,
        })
        .collect();
    assert!(!exits.is_empty() && exits.iter().all(|&c| c == 0), "{exits:?}");
    run.finish();
}

#[test]
fn a_host_that_refuses_is_reported_and_the_others_do_the_work() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let inputs: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let mut p = pool("refused", 1, &["echo", "{}"], inputs);
    // Nothing listens on 127.0.0.9.
    on_hosts(&hosts, "127.0.0.9:2, 127.0.0.2:2", &mut p);
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "refused");
    let pool = m.pool("refused").unwrap();
    assert_eq!(pool.finished.unwrap().done, 10);
    assert!(pool.inputs.iter().all(|r| r.host.as_deref() == Some("127.0.0.2")));
    let down = run
        .events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::HostDown { host, .. } if host == "127.0.0.9"))
        .expect("host_down for 127.0.0.9");
    assert!(down.text().contains("cannot connect"), "{}", down.text());
    run.finish();
}

#[test]
fn a_host_killed_mid_run_has_its_inputs_finished_elsewhere() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let inputs: Vec<String> = (0..60).map(|i| i.to_string()).collect();
    let mut p = pool("survive", 1, &["sh", "-c", "sleep 0.3; echo {}"], inputs);
    p.retries = Retries::new(3).unwrap();
    on_hosts(&hosts, "127.0.0.2:3, 127.0.0.3:3, 127.0.0.4:3", &mut p);
    run.send(Command::StartPool { pool: p });
    // Some work done, and 127.0.0.3 busy: then it goes.
    run.until("10 inputs done", |evs| {
        evs.iter().filter(|e| e.kind.name() == "task_done").count() >= 10
    });
    hosts.kill_host("127.0.0.3");
    let m = wait_pool(&mut run, "survive");
    let pool = m.pool("survive").unwrap();
    let results: Vec<String> = pool
        .inputs
        .iter()
        .map(|r| r.result.clone().unwrap_or_default())
        .collect();
    let want: Vec<String> = (0..60).map(|i| i.to_string()).collect();
    assert_eq!(results, want, "every input done, in order");
    assert!(run
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::HostDown { host, .. } if host == "127.0.0.3")));
    // What 127.0.0.3 held was retried and done elsewhere.
    let retried: Vec<u64> = run
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TaskFailed { will_retry: true, .. }))
        .filter_map(|e| e.input)
        .collect();
    assert!(
        !retried.is_empty(),
        "the inputs in flight on 127.0.0.3 failed there"
    );
    for i in retried {
        let host = pool.inputs[i as usize].host.as_deref();
        assert_ne!(host, Some("127.0.0.3"), "input {i} finished on {host:?}");
    }
    let down = pool
        .per_host()
        .into_iter()
        .find(|f| f.host == "127.0.0.3")
        .unwrap();
    assert!(down.down);
    run.finish();
}

#[test]
fn terminate_mid_run_leaves_no_remote_process() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = run();
    let tag = run.engine.session_tag().to_string();
    let inputs: Vec<String> = (0..12).map(|i| format!("4711.{i}")).collect();
    let mut p = pool("long", 1, &["sleep", "{}"], inputs);
    on_hosts(&hosts, "127.0.0.2:2, 127.0.0.3:2, 127.0.0.4:2", &mut p);
    run.send(Command::StartPool { pool: p });
    run.until("6 inputs started", |evs| {
        evs.iter().filter(|e| e.kind.name() == "task_started").count() >= 6
    });
    // The remote sleeps run, children of the hosts' sshd, not of Proctor.
    wait_until("6 remote sleeps", Duration::from_secs(30), || {
        running_as("sleep 4711.").iter().filter(|&&p| !gone(p)).count() >= 6
    });
    assert!(
        !tagged(&tag).is_empty(),
        "the remote commands carry the session tag"
    );
    run.send(Command::Pool {
        pool: "long".into(),
        action: PoolAction::Terminate,
    });
    let m = wait_pool(&mut run, "long");
    let t = m.pool("long").unwrap().finished.unwrap();
    assert_eq!((t.done, t.cancelled), (0, 12));
    wait_until(
        "no process of the session anywhere",
        Duration::from_secs(30),
        || tagged(&tag).is_empty() && with_cmdline("sleep 4711.").iter().all(|&p| gone(p)),
    );
    run.finish();
}

#[test]
fn sigkill_of_proctor_run_leaves_no_remote_process() {
    let Some(hosts) = SshHosts::start() else { return };
    let dir = std::env::temp_dir().join(format!("proctor-sshkill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = hosts.ssh_options();
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        format!(
            "[[pool]]\nname = \"k\"\nrun = [\"sleep\", \"{{}}\"]\ninputs = [\"5813.1\", \"5813.2\", \"5813.3\", \"5813.4\"]\nhosts = [\"127.0.0.2:2\", \"127.0.0.4:2\"]\nssh_options = [\"{}\", \"{}\"]\n",
            opts[0], opts[1]
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("run")
        .arg(&file)
        .env("PROCTOR_TAG_SCAN", "off")
        .stdout(std::fs::File::create(dir.join("out.txt")).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let out = dir.join("out.txt");
    wait_until(
        &format!("4 remote sleeps (see {})", out.display()),
        Duration::from_secs(60),
        || running_as("sleep 5813.").iter().filter(|&&p| !gone(p)).count() >= 4,
    );
    child.kill().unwrap();
    child.wait().unwrap();
    wait_until("no remote sleep left", Duration::from_secs(30), || {
        with_cmdline("sleep 5813.").iter().all(|&p| gone(p))
    });
    let _ = std::fs::remove_dir_all(&dir);
}
