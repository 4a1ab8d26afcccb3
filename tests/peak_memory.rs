//! Peak memory of an exited process is its own, never Proctor's. In a test
//! binary of its own: it makes its own memory large on purpose.

mod common;
use common::*;
use proctor::event::EventKind;
use proctor::session::{RunSpec, TaskSpec};

fn peak_of(run: &mut Run, name: &str) -> Option<u64> {
    assert_eq!(run.wait_exit(name), Some(0));
    match &run.of(name, "exited")[0].kind {
        EventKind::Exited { usage, .. } => usage.expect("usage of a reaped child").peak_rss_kb,
        _ => unreachable!(),
    }
}

fn own_vm_hwm_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn python(name: &str, code: &str) -> TaskSpec {
    TaskSpec::new(
        name,
        RunSpec::Args(vec!["python3".into(), "-c".into(), code.into()]),
    )
}

#[test]
fn peak_memory_is_the_childs_own() {
    // Make this process (Proctor here) large: 200 MiB, touched.
    let ballast = vec![1u8; 200 << 20];
    std::hint::black_box(&ballast);
    let own = own_vm_hwm_kb();
    assert!(own > 200 << 10);

    let mut run = Run::new();
    run.start(sh("sleeper", "exec sleep 2"));
    let sleeper = peak_of(&mut run, "sleeper").expect("sampled while it slept");
    assert!(
        sleeper < 20 << 10 && sleeper * 4 < own,
        "sleep 2 reports {sleeper} kB (Proctor has {own} kB)"
    );

    if std::process::Command::new("python3")
        .arg("-c")
        .arg("")
        .status()
        .is_err()
    {
        eprintln!("skipped the 100 MiB half: no python3");
        return;
    }
    run.start(python("base", "import time; time.sleep(2.5)"));
    let base = peak_of(&mut run, "base").expect("sampled");
    run.start(python(
        "big",
        "import time; b = b'\\x01' * (100 << 20); time.sleep(2.5)",
    ));
    let big = peak_of(&mut run, "big").expect("sampled");
    let want = base + (100 << 10);
    assert!(
        big.abs_diff(want) <= 10 << 10,
        "a child holding 100 MiB reports {big} kB (its interpreter alone {base} kB)"
    );
}

#[test]
fn a_process_too_short_to_sample_has_no_known_peak() {
    let mut run = Run::new();
    let names: Vec<String> = (0..10).map(|i| format!("quick{i}")).collect();
    for n in &names {
        run.start(sh(n, "exit 0"));
    }
    let mut unknown = 0;
    for n in &names {
        assert_eq!(run.wait_exit(n), Some(0));
        let EventKind::Exited { usage, .. } = &run.of(n, "exited")[0].kind else {
            unreachable!()
        };
        // A sample may land in its few milliseconds; then it is its own.
        match usage.expect("usage").peak_rss_kb {
            None => unknown += 1,
            Some(kb) => assert!(kb < 20 << 10, "{n}: {kb} kB"),
        }
    }
    assert!(unknown >= 8, "only {unknown} of 10 reported no peak");
}
