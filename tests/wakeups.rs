//! How Proctor's threads are scheduled: they stay asleep while children
//! come and go, and the supervisor's short time slice is not passed on. In
//! a test binary of its own, so that no other test's children are counted.

mod common;
use common::{pool, sh, Run};
use proctor::engine::Command;

/// How many times thread `tid` of this process has gone to sleep.
fn voluntary_switches(tid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
fn child_exits_do_not_wake_the_other_threads() {
    // The kernel sends SIGCHLD for each exit. Discarded while the
    // supervisor thread leaves it unblocked, it would otherwise be queued
    // and wake the main thread (here: the idle test harness) every time a
    // child exits while the supervisor is starting another (21 to 153 times
    // in 400 exits, measured before the fix).
    let main = std::process::id();
    let mut run = Run::new();
    let inputs: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let before = voluntary_switches(main);
    run.send(Command::StartPool {
        pool: pool("t", 2, &["true"], inputs),
    });
    run.wait_event("pool done", |e| e.kind.name() == "pool_done");
    let woken = voluntary_switches(main) - before;
    assert!(
        woken < 10,
        "the main thread woke {woken} times during 1,000 child exits"
    );
}

/// `se.slice` from a /proc sched file (kernels with scheduler debug info).
fn slice(sched: &str) -> Option<u64> {
    sched
        .lines()
        .find(|l| l.starts_with("se.slice"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn the_supervisor_runs_with_a_short_time_slice_and_its_children_do_not() {
    let Some(default) = std::fs::read_to_string("/proc/thread-self/sched")
        .ok()
        .and_then(|s| slice(&s))
    else {
        eprintln!("skipped: this kernel does not show time slices");
        return;
    };
    let mut run = Run::new();
    run.start(sh("s", "cat /proc/self/sched"));
    assert_eq!(run.wait_exit("s"), Some(0));
    let child = slice(&run.lines("s", "stdout").join("\n")).expect("the child's slice");
    let supervisors: Vec<u64> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == "proctor-supervi")
        })
        .filter_map(|t| {
            std::fs::read_to_string(t.path().join("sched"))
                .ok()
                .and_then(|s| slice(&s))
        })
        .collect();
    assert!(!supervisors.is_empty());
    if !kernel_takes_custom_slices() {
        eprintln!("skipped: this kernel ignores custom time slices");
        return;
    }
    assert!(supervisors.contains(&100_000), "{supervisors:?}");
    assert_eq!(child, default, "the child kept the supervisor's slice");
}

/// Whether a thread that asks for a 0.1 ms slice gets it (Linux 6.12+).
fn kernel_takes_custom_slices() -> bool {
    std::thread::spawn(|| {
        // SAFETY: sched_getattr/sched_setattr on this (throwaway) thread.
        unsafe {
            let mut attr: libc::sched_attr = std::mem::zeroed();
            let size = std::mem::size_of::<libc::sched_attr>() as libc::c_uint;
            if libc::syscall(libc::SYS_sched_getattr, 0, &mut attr, size, 0) != 0 {
                return false;
            }
            attr.size = size;
            attr.sched_runtime = 100_000;
            libc::syscall(libc::SYS_sched_setattr, 0, &attr, 0) == 0
                && std::fs::read_to_string("/proc/thread-self/sched")
                    .ok()
                    .and_then(|s| slice(&s))
                    == Some(100_000)
        }
    })
    .join()
    .unwrap()
}
