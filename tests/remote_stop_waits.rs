//! The rest of the remote hostile round (see RELIABILITY.md, "A round on
//! 2026-11-27 against the remote work"): a stop of remote work is over
//! only when its end on the host is known. Real OpenSSH "hosts"
//! (tests/remote/sshd.sh), Proctor's tag scan off, so that only the
//! remote side can clean up what runs there.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use std::time::Duration;
use support::*;

/// The session tag of the processes running `prefix` (read from their
/// environment).
fn tag_of(prefix: &str) -> Option<String> {
    running_as(prefix).into_iter().find_map(|pid| {
        let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        env.split(|&b| b == 0).find_map(|v| {
            std::str::from_utf8(v)
                .ok()?
                .strip_prefix("PROCTOR_SESSION=")
                .map(String::from)
        })
    })
}

/// Live (not zombie) processes carrying the session tag.
fn live_tagged(tag: &str) -> Vec<(i32, String)> {
    tagged(tag)
        .into_iter()
        .filter(|&p| proc_state(p).is_some_and(|s| s != 'Z'))
        .map(|p| {
            let c = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            let c: Vec<u8> = c.iter().map(|&b| if b == 0 { b' ' } else { b }).collect();
            (p, String::from_utf8_lossy(&c).into_owned())
        })
        .collect()
}

/// Finding 6: Ctrl-C of `proctor run` with remote pool commands that take
/// their time to stop (a TERM trap that sleeps 2 s): `proctor run` ends
/// only once they are gone on their hosts; no process of the session is
/// left when it returns. Before, it returned at once (the local `ssh`
/// ended by the signal) and the trap's `sleep 2` ran on.
#[test]
fn ctrl_c_of_proctor_run_waits_for_remote_pool_commands() {
    let Some(hosts) = SshHosts::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let opts = hosts.ssh_options();
    std::fs::write(
        &file,
        format!(
            "[[pool]]\nname = \"slow\"\nrun = [\"sh\", \"-c\", \"trap 'sleep 2; exit 3' TERM; sleep {{}} & wait\"]\ninputs = [\"7791.1\", \"7791.2\", \"7791.3\", \"7791.4\", \"7791.5\"]\nhosts = [\"127.0.0.2:2\", \"127.0.0.3:2\"]\nstop_timeout = 8\nssh_options = [\"{}\", \"{}\"]\n",
            opts[0], opts[1]
        ),
    )
    .unwrap();
    let out = dir.path().join("out.txt");
    let mut child = proctor_run_cmd()
        .arg(&file)
        .args(["--color", "never"])
        .env("PROCTOR_TAG_SCAN", "off")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(dir.path().join("err.txt")).unwrap())
        .spawn()
        .unwrap();
    wait_until("4 remote sleeps", Duration::from_secs(60), || {
        running_as("sleep 7791.").iter().filter(|&&p| !gone(p)).count() >= 4
    });
    let tag = tag_of("sleep 7791.").expect("the remote sleeps carry the session tag");
    let sigs: String = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.starts_with("Sig") || l.starts_with("Shd"))
        .collect::<Vec<_>>()
        .join(" ");
    // SAFETY: a plain kill of our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_child(&mut child, Duration::from_secs(60));
    let left = live_tagged(&tag);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let status = status.unwrap_or_else(|| {
        panic!(
            "proctor run did not end within 60 s ({sigs}):\n{text}\n{}",
            std::fs::read_to_string(dir.path().join("err.txt")).unwrap_or_default()
        )
    });
    assert!(
        left.is_empty(),
        "left after proctor run returned: {left:?}\n{text}"
    );
    assert_eq!(status.code(), Some(130), "{text}");
    // The workers end with the remote commands' own code (the trap's 3),
    // not the local ssh's.
    assert!(text.contains("exit code 3"), "{text}");
}

/// Continues a frozen host when dropped (a failed test leaves none).
struct Frozen<'a>(&'a SshHosts, &'a str);

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        self.0.freeze_host(self.1, false);
    }
}

/// Finding 10: Terminate of a task whose host hangs (every process of its
/// namespace stopped). Nothing comes back, so after the stop timeout and
/// 3 s its local `ssh` is killed; the log says that the -9 is that kill
/// and the remote command's end is unknown (before, it read as the
/// command's SIGKILL). Once the host runs again its wrapper ends the
/// command.
#[test]
fn terminate_on_a_hung_host_says_the_remote_end_is_unknown() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut t = sh("hung", "sleep 7793");
    t.stop.timeout = proctor::session::Seconds::from_millis(1000);
    run.start(on_host(&hosts, "127.0.0.4", t));
    wait_until("the remote sleep", Duration::from_secs(30), || {
        running_as("sleep 7793").iter().any(|&p| !gone(p))
    });
    hosts.freeze_host("127.0.0.4", true);
    let frozen = Frozen(&hosts, "127.0.0.4");
    run.send(proctor::engine::Command::Stop {
        process: "hung".into(),
        how: proctor::engine::StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("hung"), Some(-9), "{}", run.dump());
    let said: Vec<String> = run.of("hung", "error").iter().map(|e| e.text()).collect();
    assert!(
        said.iter().any(|t| t.contains("remote command's end is unknown")
            && t.contains("127.0.0.4 did not answer")
            && t.contains("-9 (SIGKILL) is that kill")),
        "{said:?}\n{}",
        run.dump()
    );
    let kills: Vec<String> = run.of("hung", "signal_sent").iter().map(|e| e.text()).collect();
    assert!(
        kills.iter().any(|t| t.contains("the local ssh is killed")),
        "{kills:?}"
    );
    drop(frozen);
    wait_until("the remote sleep ends", Duration::from_secs(60), || {
        running_as("sleep 7793").iter().all(|&p| gone(p))
    });
    run.finish();
}
