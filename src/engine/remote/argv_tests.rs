//! Tests of the remote command lines and the wrapper, run here by `sh`.

use super::*;

fn wrap(grace: Option<u64>) -> Wrap<'static> {
    Wrap {
        marker: "proctor-exit-1-2=",
        stop_signal: 15,
        stop_timeout_secs: 5,
        grace_secs: grace,
        env: vec![("PROCTOR_SESSION".into(), "1-2".into())],
        run: 7,
    }
}

#[test]
fn quoting_survives_a_shell() {
    for s in ["plain", "", "a b", "it's", "$(rm -rf /)", "a\nb", "'", "\\"] {
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("printf %s {}", quote(s))])
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), s);
    }
}

#[test]
fn a_worker_ssh_cannot_fall_back_to_a_login_of_its_own() {
    let a = ssh_argv("h", &["-F".into(), "cfg".into()], "/c", "x");
    assert_eq!(&a[..3], ["ssh", "-o", "ProxyCommand=false"]);
    let a = ssh_argv("h", &["-J".into(), "jump".into()], "/c", "x");
    assert_eq!(&a[..3], ["ssh", "-o", "PreferredAuthentications=none"]);
    assert_eq!(no_fallback(&["-Jjump".into()]), "PreferredAuthentications=none");
    // The master itself logs in as configured.
    assert!(!master_argv("h", &[], "/c")
        .iter()
        .any(|w| w.contains("ProxyCommand")));
}

#[test]
fn ssh_line_has_the_users_options_first_and_the_host_after_dashes() {
    let remote = remote_line(&wrap(None), &["echo".into(), "a b".into()]);
    let a = ssh_argv("u@h", &["-F".into(), "cfg".into()], "/tmp/c/h0", &remote);
    assert_eq!(&a[3..5], ["-F", "cfg"]);
    assert!(a.contains(&"BatchMode=yes".to_string()));
    assert!(a.contains(&"ControlPath=/tmp/c/h0".to_string()));
    let n = a.len();
    assert_eq!(&a[n - 3..n - 1], ["--", "u@h"]);
    assert!(
        a[n - 1].ends_with("env PROCTOR_RUN=1-2//7 PROCTOR_SESSION=1-2 echo 'a b'"),
        "{}",
        a[n - 1]
    );
    let m = master_argv("h", &[], "/c");
    assert!(m.contains(&"-N".to_string()) && m.contains(&"ControlMaster=yes".to_string()));
    assert_eq!(exit_argv("h", &[], "/c")[3..], ["-O", "exit", "--", "h"]);
}

#[test]
fn markers_parse() {
    let m = "proctor-exit-1-2=";
    assert_eq!(parse_line("hello", m), Said::Line);
    assert_eq!(
        parse_line("proctor-exit-1-2=0", m),
        Said::Exit { before: "", code: 0 }
    );
    assert_eq!(
        parse_line("partproctor-exit-1-2=-9", m),
        Said::Exit {
            before: "part",
            code: -9
        }
    );
    assert_eq!(
        parse_line("proctor-exit-1-2=start:node1:42", m),
        Said::Started {
            before: "",
            host: "node1",
            job: Some("42")
        }
    );
    assert_eq!(
        parse_line("proctor-exit-1-2=start:h:", m),
        Said::Started {
            before: "",
            host: "h",
            job: None
        }
    );
    assert_eq!(parse_line("proctor-exit-1-2=x", m), Said::Line);
}

/// The wrapper under `dash` and `bash` says nothing of its own but
/// its marker lines, when the command or its watcher is killed (it
/// printed "Terminated", or bash the watcher's whole command line).
#[test]
fn the_wrapper_prints_no_job_notices() {
    use std::process::{Command, Stdio};
    for shell in ["dash", "bash"] {
        if Command::new(shell).arg("-c").arg("true").status().is_err() {
            continue;
        }
        for cmd in [&["sleep", "30"][..], &["sh", "-c", "trap '' TERM; sleep 30"]] {
            let argv: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
            let mut quick = wrap(None);
            quick.stop_timeout_secs = 1;
            let mut w = wrapped_argv(&quick, &argv);
            w[0] = shell.to_string();
            let mut c = Command::new(&w[0])
                .args(&w[1..])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            drop(c.stdin.take());
            let out = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr).to_string();
            assert!(
                err.lines().all(|l| l.starts_with("proctor-exit-1-2=")),
                "{shell} {cmd:?}: {err:?}"
            );
        }
    }
}

/// The wrapper, run here by `sh`: exit codes and signals come back in
/// Python's convention, and the end of stdin stops the command.
#[test]
fn the_wrapper_reports_exits_and_stops_at_the_end_of_stdin() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let run = |argv: &[&str], grace: Option<u64>| {
        let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        let w = wrapped_argv(&wrap(grace), &argv);
        let mut c = Command::new(&w[0])
            .args(&w[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = c.stdin.take().unwrap();
        (c, stdin)
    };
    let code = |c: std::process::Child| {
        let out = c.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        err.lines()
            .find_map(|l| match parse_line(l, "proctor-exit-1-2=") {
                Said::Exit { code, .. } => Some(code),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no exit in {err:?}"))
    };
    let (c, _keep) = run(&["sh", "-c", "exit 3"], None);
    assert_eq!(code(c), 3);
    let (c, _keep) = run(&["sh", "-c", "kill -9 $$"], None);
    assert_eq!(code(c), -9);
    // SIGINT and SIGQUIT are not ignored (a background job's are).
    let (c, _keep) = run(&["sh", "-c", "kill -2 $$; exit 5"], None);
    assert_eq!(code(c), -2);
    let (c, _keep) = run(&["sh", "-c", "kill -3 $$; exit 5"], None);
    assert_eq!(code(c), -3);
    // Nor SIGTERM and SIGHUP, which the wrapper itself ignores.
    let (c, _keep) = run(&["sh", "-c", "kill -15 $$; exit 5"], None);
    assert_eq!(code(c), -15);
    let (c, _keep) = run(&["sh", "-c", "kill -1 $$; exit 5"], None);
    assert_eq!(code(c), -1);
    // Its environment has the tag.
    let (c, _keep) = run(&["sh", "-c", "[ \"$PROCTOR_SESSION\" = 1-2 ]"], None);
    assert_eq!(code(c), 0);
    // The end of stdin (the connection gone) stops it with the stop signal.
    let (c, stdin) = run(&["sleep", "30"], None);
    std::thread::sleep(std::time::Duration::from_millis(200));
    drop(stdin);
    assert_eq!(code(c), -15);
    // Persistent mode: its stdin is relayed, and it may end on its own.
    let (c, mut stdin) = run(&["sh", "-c", "read x; [ \"$x\" = hi ] && exit 4"], Some(10));
    stdin.write_all(b"hi\n").unwrap();
    drop(stdin);
    assert_eq!(code(c), 4);
}
