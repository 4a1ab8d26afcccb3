//! The writer and the parser agree: every example session, and generated
//! sessions with values anywhere in their bounds, read back equal after
//! being written.

use nix::sys::signal::Signal;
use proctor::session::{
    parse_session, parse_session_file, session_to_toml, validate, Instances, MaxRestarts, PoolMode, PoolSpec,
    RestartPolicy, Retries, RunSpec, Seconds, Session, TaskSpec, Workers, MAX_SECONDS,
};
use proptest::prelude::*;
use std::path::Path;

fn reparse(s: &Session, base: &Path) -> Session {
    let text = session_to_toml(s);
    parse_session(&text, "written.toml", base).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn every_example_session_is_read_back_equal_after_writing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let mut s = parse_session_file(&path).unwrap_or_else(|e| panic!("{e}"));
        s.path = None;
        let base = s
            .tasks
            .first()
            .map(|t| t.base_dir.clone())
            .or_else(|| s.pools.first().map(|p| p.base_dir.clone()))
            .unwrap();
        assert_eq!(reparse(&s, &base), s, "{}", path.display());
        n += 1;
    }
    assert!(n >= 6);
}

fn seconds() -> impl Strategy<Value = Seconds> {
    prop_oneof![
        Just(Seconds::ZERO),
        Just(Seconds::MAX),
        (0..=MAX_SECONDS * 1_000_000).prop_map(|us| {
            let text = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
            validate::seconds(&text).unwrap()
        }),
    ]
}

fn name() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9 _.:-]{0,20}[a-zA-Z0-9]".prop_filter("valid", |n| validate::name(n).is_ok())
}

const SIGNALS: [Signal; 5] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGKILL,
    Signal::SIGUSR1,
];

prop_compose! {
    fn task()(
        name in name(),
        instances in 1u64..=10_000,
        max_restarts in 0u64..=1_000_000,
        backoff in seconds(),
        backoff_max in seconds(),
        stop_timeout in seconds(),
        timeout in prop::option::of(seconds()),
        signal in 0..SIGNALS.len(),
        restart in 0..3usize,
        flags in any::<(bool, bool, bool)>(),
        io in any::<(bool, bool, bool)>(),
        host in prop::option::of(prop::sample::select(vec!["build1", "user@b2", "[::1]"])),
        // Flags only, and not those `check` refuses (the connection sharing,
        // -M; or what breaks the command line, -N -f -t -n -s -G -V: see
        // session/ssh_words.rs), and values given in the word (-p2222).
        ssh_options in prop::collection::vec("-[46AaCgKkqTvXxYy]{1,3}|-[pil][a-z0-9]{1,4}", 0..3),
    ) -> TaskSpec {
        let mut t = TaskSpec::new(name, RunSpec::Line("sleep 1".into()));
        t.base_dir = "/tmp".into();
        t.instances = Instances::new(instances).unwrap();
        t.max_restarts = MaxRestarts::new(max_restarts).unwrap();
        t.backoff = backoff;
        t.backoff_max = backoff_max.max(backoff);
        t.stop.timeout = stop_timeout;
        t.stop.signal = SIGNALS[signal];
        t.timeout = timeout.filter(|t| !t.is_zero());
        t.restart = RestartPolicy::ALL[restart];
        (t.shell, t.daemon, t.autostart) = flags;
        (t.unbuffered, t.pty, t.stdin) = io;
        // A task on a host has neither a terminal nor a stdin pipe.
        if let Some(h) = host.filter(|_| !t.pty && !t.stdin) {
            t.host = proctor::session::placement::task_host(h).unwrap();
            t.ssh_options = ssh_options;
        }
        t
    }
}

prop_compose! {
    fn pool()(
        name in name(),
        workers in 1u64..=4096,
        retries in 0u64..=1000,
        stop_timeout in seconds(),
        timeout in prop::option::of(seconds()),
        persistent in any::<bool>(),
        unbuffered in any::<bool>(),
        inputs in prop::collection::vec("[ -~]{0,8}", 0..5),
    ) -> PoolSpec {
        let mut p = PoolSpec::new(name, RunSpec::Args(vec!["echo".into(), "{}".into()]), inputs);
        p.base_dir = "/tmp".into();
        p.workers = Workers::new(workers).unwrap();
        p.retries = Retries::new(retries).unwrap();
        p.stop.timeout = stop_timeout;
        p.timeout = timeout.filter(|t| !t.is_zero());
        p.mode = if persistent { PoolMode::Persistent } else { PoolMode::Spawn };
        p.unbuffered = unbuffered;
        p
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn generated_sessions_are_read_back_equal(
        tasks in prop::collection::vec(task(), 0..3),
        pools in prop::collection::vec(pool(), 0..3),
    ) {
        // Names must be unique across the session: suffix them.
        let mut s = Session { path: None, tasks, pools };
        for (i, t) in s.tasks.iter_mut().enumerate() {
            t.name = format!("t{i} {}", t.name);
        }
        for (i, p) in s.pools.iter_mut().enumerate() {
            p.name = format!("p{i} {}", p.name);
        }
        prop_assert_eq!(reparse(&s, Path::new("/tmp")), s);
    }
}
