//! The second hostile round against the remote work (see RELIABILITY.md,
//! "A second round on 2026-11-27 against the remote work"), finding 1: a
//! remote command gets its stop signal once, as a local child does, on
//! real OpenSSH "hosts" (tests/remote/sshd.sh) and on the one-node Slurm
//! cluster (tests/remote/slurm.sh).

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::session::{placement, Placement, Seconds, SlurmSpec, Workers};
use support::*;

/// Counts its TERMs, ends with how many it got (`end1`) and exit code 5.
const COUNTS_TERMS: &str =
    "n=0; trap 'n=$((n+1)); echo term$n' TERM; sleep 30 & wait; sleep 1; echo end$n; exit 5";

fn counting_pool(name: &str) -> proctor::session::PoolSpec {
    let mut p = pool(name, 1, &["sh", "-c", "{}"], vec![COUNTS_TERMS.to_string()]);
    p.timeout = Some(Seconds::from_millis(8_000));
    p.stop.timeout = Seconds::from_millis(6_000);
    p
}

fn pool_output(run: &mut Run, name: &str) -> (Vec<String>, Option<i32>) {
    run.wait_event(&format!("pool {name} done"), |e| {
        e.pool.as_deref() == Some(name) && e.kind.name() == "pool_done"
    });
    let lines = run
        .events
        .iter()
        .filter(|e| e.pool.as_deref() == Some(name))
        .filter_map(|e| match &e.kind {
            proctor::event::EventKind::Stdout { line, .. } => Some(line.clone()),
            _ => None,
        })
        .collect();
    let code = run
        .events
        .iter()
        .filter(|e| e.pool.as_deref() == Some(name))
        .find_map(|e| match &e.kind {
            proctor::event::EventKind::TaskFailed { exit_code, .. } => *exit_code,
            _ => None,
        });
    (lines, code)
}

/// An input timeout on an SSH host: the shell's TERM trap runs once
/// (before: `term1`, `term2`, `end2`: the group, its leader and the
/// run's sweep each sent it).
#[test]
fn an_ssh_input_gets_its_stop_signal_once() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = counting_pool("once");
    p.placement = Placement::Hosts {
        hosts: placement::parse_hosts_text("127.0.0.2:1").unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    p.workers = Workers::saturating(1);
    run.send(proctor::engine::Command::StartPool { pool: p });
    let (lines, code) = pool_output(&mut run, "once");
    assert_eq!(lines, ["term1", "end1"], "{}", run.dump());
    assert_eq!(code, Some(5), "{}", run.dump());
    run.finish();
}

/// The same on a Slurm step (its input closed, the wrapper stops it).
#[test]
fn a_slurm_input_gets_its_stop_signal_once() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = counting_pool("slonce");
    p.placement = Placement::Slurm(SlurmSpec {
        partition: Some("debug".into()),
        time: Some("00:05:00".into()),
        ..Default::default()
    });
    run.send(proctor::engine::Command::StartPool { pool: p });
    let (lines, code) = pool_output(&mut run, "slonce");
    assert_eq!(lines, ["term1", "end1"], "{}", run.dump());
    assert_eq!(code, Some(5), "{}", run.dump());
    run.finish();
}

/// A Python program that cleans up on KeyboardInterrupt, stopped with
/// SIGINT as a task on an SSH host: its cleanup runs to its end and it
/// exits 0, as it does locally (before: a second KeyboardInterrupt inside
/// the handler, -2).
#[test]
fn a_remote_python_cleanup_on_sigint_runs_to_its_end() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let script = "import time\ntry:\n    print('up', flush=True)\n    time.sleep(7794)\nexcept KeyboardInterrupt:\n    print('cleaning', flush=True)\n    time.sleep(1)\n    print('clean done', flush=True)\n";
    let mut t = proctor::session::TaskSpec::new(
        "py",
        proctor::session::RunSpec::Args(vec!["python3".into(), "-c".into(), script.into()]),
    );
    t.stop.signal = nix::sys::signal::Signal::SIGINT;
    t.stop.timeout = Seconds::from_millis(8_000);
    run.start(on_host(&hosts, "127.0.0.3", t));
    run.wait_event("up", |e| {
        e.process.as_deref() == Some("py")
            && matches!(&e.kind, proctor::event::EventKind::Stdout { line, .. } if line == "up")
    });
    run.send(proctor::engine::Command::Stop {
        process: "py".into(),
        how: proctor::engine::StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("py"), Some(0), "{}", run.dump());
    assert_eq!(
        run.lines("py", "stdout"),
        ["up", "cleaning", "clean done"],
        "{}",
        run.dump()
    );
    let err = run.lines("py", "stderr").join("\n");
    assert!(!err.contains("KeyboardInterrupt"), "{err}");
    run.finish();
}
