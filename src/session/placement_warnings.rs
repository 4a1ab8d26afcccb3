//! What `proctor check` warns of in where things run (its errors are in
//! `placement`, tested here too for the hosts it refuses): not errors (the
//! session is valid and runs), but settings a host is likely to refuse.
//!
//! Every worker slot of a pool on an SSH host is one session over the
//! host's one master connection, and so is every task on that host (tasks
//! share one master per host and set of `ssh_options`). sshd opens at
//! most `MaxSessions` sessions per connection, 10 unless its
//! `sshd_config` says otherwise; past that a session is refused ("Session
//! open refused by peer"), which Proctor reports and works around (a
//! refused pool slot is retired and its input put back in the queue), but
//! the work then runs on fewer slots than asked. A Kill, Pause, Resume
//! or Send signal of remote work, a second Ctrl-C and the stop of a
//! persistent worker each take one more session for a moment (a short
//! `ssh` through the master): with every session taken by the work, those
//! are refused. So a host needs `MaxSessions` above its slots (and tasks),
//! and `check` warns from `MaxSessions` on, not past it.

use super::{Placement, Session};
use std::collections::BTreeMap;

/// sshd's default `MaxSessions`.
pub const SSHD_MAX_SESSIONS: u32 = 10;

/// The warnings for `session`, one line each.
pub fn warnings(session: &Session) -> Vec<String> {
    let mut out = Vec::new();
    for p in &session.pools {
        let Placement::Hosts { hosts, .. } = &p.placement else {
            continue;
        };
        for h in hosts.iter().filter(|h| h.host.is_some()) {
            if h.slots >= SSHD_MAX_SESSIONS {
                out.push(format!(
                    "pool `{}`: host `{}` has {} slots, not below sshd's default MaxSessions ({SSHD_MAX_SESSIONS}): unless that host's sshd_config raises MaxSessions above the slots, sessions past it are refused and the pool runs on fewer slots there, and with every session taken the short ssh that sends a signal (Kill, a second Ctrl-C, a persistent worker's stop) is refused too",
                    p.name,
                    super::placement::task_host_text(h).chars().take(80).collect::<String>(),
                    h.slots
                ));
            }
        }
    }
    // Tasks: one master per host and set of options.
    let mut per_master: BTreeMap<(String, Vec<String>), u32> = BTreeMap::new();
    for t in &session.tasks {
        if let Some(dest) = t.host.as_ref().and_then(|h| h.destination()) {
            *per_master.entry((dest, t.ssh_options.clone())).or_default() += 1;
        }
    }
    for ((dest, _), n) in per_master {
        if n >= SSHD_MAX_SESSIONS {
            out.push(format!(
                "{n} tasks share the connection to `{}`, not below sshd's default MaxSessions ({SSHD_MAX_SESSIONS}): unless that host's sshd_config raises MaxSessions above that, the tasks past it fail to start, and with every session taken the short ssh that sends a signal (Kill, Pause, Send signal) is refused",
                dest.chars().take(80).collect::<String>()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::parse_session;

    fn parse_session_str(t: &str) -> Result<Session, crate::session::SpecErrors> {
        parse_session(t, "s.toml", std::path::Path::new("/tmp"))
    }

    #[test]
    fn ten_slots_or_tasks_on_a_host_or_more_are_warned_of() {
        let s = parse_session_str(
            r#"
[[pool]]
name = "p"
run = ["echo", "{}"]
inputs = ["1"]
hosts = ["local:32", "b0:9", "b1:10", "u@b2:11"]
"#,
        )
        .unwrap();
        let w = warnings(&s);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].contains("`b1` has 10 slots") && w[0].contains("signal"),
            "{}",
            w[0]
        );
        assert!(
            w[1].contains("`u@b2` has 11 slots") && w[1].contains("MaxSessions"),
            "{}",
            w[1]
        );
        let mut text = String::new();
        for i in 0..9 {
            text.push_str(&format!(
                "[[task]]\nname = \"s{i}\"\nrun = \"true\"\nhost = \"b0\"\n"
            ));
        }
        for i in 0..10 {
            text.push_str(&format!(
                "[[task]]\nname = \"t{i}\"\nrun = \"true\"\nhost = \"b1\"\n"
            ));
        }
        let w = warnings(&parse_session_str(&text).unwrap());
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("10 tasks share the connection to `b1`"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn a_host_with_two_ats_or_of_10_kb_is_refused_briefly() {
        let e = crate::session::placement::task_host("a@b@c").unwrap_err();
        assert!(e.contains("has an `@`"), "{e}");
        assert!(crate::session::placement::host_slots("a@b@c:2")
            .unwrap_err()
            .contains("one `@`"));
        let long = format!("u@{}", "h".repeat(10_000));
        let e = crate::session::placement::task_host(&long).unwrap_err();
        assert!(e.contains("10000 characters long"), "{e}");
        assert!(
            e.len() < 300,
            "the error echoes the whole name: {} bytes",
            e.len()
        );
        assert!(crate::session::placement::task_host(&"h".repeat(255)).is_ok());
    }
}
