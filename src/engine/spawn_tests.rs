//! Tests of `spawn`.

use super::super::os_limits::{dev_null, pipe};
use super::*;
use std::os::fd::AsRawFd;

#[test]
fn resolves_programs_on_the_path() {
    let p = resolve_program("sh", Some(OsStr::new("/nonexistent:/bin:/usr/bin"))).unwrap();
    assert!(p.ends_with("sh"));
    assert_eq!(
        resolve_program("no-such-prog-xyz", None).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
    assert_eq!(
        resolve_program("/bin/sh", None).unwrap(),
        PathBuf::from("/bin/sh")
    );
}

#[test]
fn spawns_with_pipes_and_reports_exec_and_chdir_errors() {
    let (r, w) = pipe().unwrap();
    let null = dev_null().unwrap();
    let prep = Prepared::new(
        Path::new("/bin/sh"),
        &["sh".into(), "-c".into(), "echo hi $X; pwd".into()],
        &[("X".into(), "there".into())],
        Path::new("/tmp"),
    )
    .unwrap();
    let mut stack = SpawnStack::default();
    let child = spawn(
        &prep,
        [null.as_raw_fd(), w.as_raw_fd(), w.as_raw_fd()],
        &mut stack,
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    drop(w);
    let mut out = String::new();
    std::io::Read::read_to_string(&mut std::fs::File::from(r), &mut out).unwrap();
    assert_eq!(out, "hi there\n/tmp\n");
    let mut status = 0;
    // SAFETY: our child.
    unsafe { libc::waitpid(child.pid, &mut status, 0) };
    assert_eq!(status, 0);

    let bad = Prepared::new(Path::new("/no/such/bin"), &["x".into()], &[], Path::new("/")).unwrap();
    match spawn(&bad, [0, 1, 2], &mut stack) {
        Err(SpawnError::Exec(e)) => assert_eq!(e.kind(), io::ErrorKind::NotFound),
        other => panic!("{:?}", other.err()),
    }
    let bad_cwd = Prepared::new(
        Path::new("/bin/true"),
        &["true".into()],
        &[],
        Path::new("/no/such/dir"),
    )
    .unwrap();
    assert!(matches!(
        spawn(&bad_cwd, [0, 1, 2], &mut stack),
        Err(SpawnError::Chdir(_))
    ));
}
