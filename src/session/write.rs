//! Writing a session back as TOML, in the same shape `parse_session` reads.
//! Fields at their default value are left out, so saved files stay short.

use super::{
    InputSource, Placement, PoolMode, PoolSpec, Protocol, RestartPolicy, RunSpec, Seconds, Session,
    StopPolicy, TaskSpec,
};
use std::collections::BTreeMap;
use std::fmt::Write;

pub fn session_to_toml(session: &Session) -> String {
    let mut out = String::new();
    for (i, t) in session.tasks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_task(&mut out, t);
    }
    for (i, p) in session.pools.iter().enumerate() {
        if i > 0 || !session.tasks.is_empty() {
            out.push('\n');
        }
        write_pool(&mut out, p);
    }
    out
}

fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Exact decimal seconds, which the parser reads back to the same value.
fn secs(x: Seconds) -> String {
    x.to_string()
}

fn field(out: &mut String, key: &str, value: String) {
    let _ = writeln!(out, "{key} = {value}");
}

fn write_run(out: &mut String, run: &RunSpec, shell: bool) {
    match run {
        RunSpec::Line(l) => field(out, "run", q(l)),
        RunSpec::Args(a) => {
            let items: Vec<String> = a.iter().map(|s| q(s)).collect();
            field(out, "run", format!("[{}]", items.join(", ")));
        }
    }
    if shell {
        field(out, "shell", "true".into());
    }
}

fn write_common(out: &mut String, cwd: Option<&std::path::Path>, env: &BTreeMap<String, String>) {
    if let Some(c) = cwd {
        field(out, "cwd", q(&c.to_string_lossy()));
    }
    if !env.is_empty() {
        let items: Vec<String> = env.iter().map(|(k, v)| format!("{} = {}", q(k), q(v))).collect();
        field(out, "env", format!("{{ {} }}", items.join(", ")));
    }
}

fn write_stop(out: &mut String, stop: &StopPolicy) {
    let d = StopPolicy::default();
    if stop.signal != d.signal {
        field(out, "stop_signal", q(stop.signal.as_str()));
    }
    if stop.timeout != d.timeout {
        field(out, "stop_timeout", secs(stop.timeout));
    }
}

fn write_task(out: &mut String, t: &TaskSpec) {
    let d = TaskSpec::new("", RunSpec::Line(String::new()));
    out.push_str("[[task]]\n");
    field(out, "name", q(&t.name));
    write_run(out, &t.run, t.shell);
    write_common(out, t.cwd.as_deref(), &t.env);
    if t.instances != d.instances {
        field(out, "instances", t.instances.to_string());
    }
    if t.daemon {
        field(out, "daemon", "true".into());
    }
    if !t.autostart {
        field(out, "autostart", "false".into());
    }
    if t.restart != RestartPolicy::Never {
        field(out, "restart", q(t.restart.as_str()));
    }
    if t.max_restarts != d.max_restarts {
        field(out, "max_restarts", t.max_restarts.to_string());
    }
    if t.backoff != d.backoff {
        field(out, "backoff", secs(t.backoff));
    }
    if t.backoff_max != d.backoff_max {
        field(out, "backoff_max", secs(t.backoff_max));
    }
    write_stop(out, &t.stop);
    if let Some(timeout) = t.timeout {
        field(out, "timeout", secs(timeout));
    }
    if !t.unbuffered {
        field(out, "unbuffered", "false".into());
    }
    if t.pty {
        field(out, "pty", "true".into());
    }
    if t.stdin {
        field(out, "stdin", "true".into());
    }
    if let Some(h) = &t.host {
        field(out, "host", q(&super::placement::task_host_text(h)));
        if !t.ssh_options.is_empty() {
            field(out, "ssh_options", list(&t.ssh_options));
        }
    }
}

fn write_pool(out: &mut String, p: &PoolSpec) {
    out.push_str("[[pool]]\n");
    field(out, "name", q(&p.name));
    if p.placement.slots().is_none() {
        field(out, "workers", p.workers.to_string());
    }
    write_placement(out, &p.placement);
    if p.mode != PoolMode::Spawn {
        field(out, "mode", q(p.mode.as_str()));
    }
    if p.protocol != Protocol::Lines {
        field(out, "protocol", q(p.protocol.as_str()));
    }
    write_run(out, &p.run, p.shell);
    match &p.inputs {
        InputSource::List(items) => {
            let items: Vec<String> = items.iter().map(|s| q(s)).collect();
            field(out, "inputs", format!("[{}]", items.join(", ")));
        }
        InputSource::File(f) => field(out, "inputs_file", q(&f.to_string_lossy())),
    }
    write_common(out, p.cwd.as_deref(), &p.env);
    write_stop(out, &p.stop);
    if let Some(timeout) = p.timeout {
        field(out, "timeout", secs(timeout));
    }
    if p.retries.get() > 0 {
        field(out, "retries", p.retries.to_string());
    }
    if !p.unbuffered {
        field(out, "unbuffered", "false".into());
    }
    if !p.autostart {
        field(out, "autostart", "false".into());
    }
}

fn list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", items.join(", "))
}

fn write_placement(out: &mut String, placement: &Placement) {
    match placement {
        Placement::Local => {}
        Placement::Hosts { hosts, ssh_options } => {
            let hosts: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
            field(out, "hosts", list(&hosts));
            if !ssh_options.is_empty() {
                field(out, "ssh_options", list(ssh_options));
            }
        }
        Placement::Slurm(s) => {
            let mut parts = Vec::new();
            if let Some(p) = &s.partition {
                parts.push(format!("partition = {}", q(p)));
            }
            parts.push(format!("cpus_per_task = {}", s.cpus_per_task));
            if let Some(t) = &s.time {
                parts.push(format!("time = {}", q(t)));
            }
            if !s.extra.is_empty() {
                parts.push(format!("extra = {}", list(&s.extra)));
            }
            field(out, "slurm", format!("{{ {} }}", parts.join(", ")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse_session;
    use super::*;
    use std::path::Path;

    #[test]
    fn round_trips_through_the_parser() {
        let src = r#"
[[task]]
name = "a \"quoted\" name"
run = ["sh", "-c", "echo hi"]
env = { X = "1", "WITH SPACE" = "y" }
instances = 3
daemon = true
restart = "on-failure"
max_restarts = 7
backoff = 0.25
stop_signal = "SIGINT"
stop_timeout = 2.5
timeout = 10
unbuffered = false
pty = true
stdin = true

[[pool]]
name = "squares"
workers = 2
mode = "persistent"
run = "cat"
inputs = ["1", "2", "x y"]
retries = 2
timeout = 1.5
"#;
        let base = Path::new("/tmp");
        let s1 = parse_session(src, "a.toml", base).unwrap();
        let text = session_to_toml(&s1);
        let s2 = parse_session(&text, "b.toml", base).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(s1, s2);
        let t = &s1.tasks[0];
        assert!(
            t.pty && t.stdin && !t.unbuffered,
            "the terminal, stdin and buffering fields are read"
        );
        assert!(s1.pools[0].unbuffered, "unbuffered by default");
    }
}
