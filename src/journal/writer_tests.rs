//! The journal writer against a disk that stops taking writes: a FIFO
//! nobody reads stands for it (a write blocks once its buffer is full, as
//! on a hung mount).

use super::*;
use crate::event::{Event, EventKind};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::time::Duration;

/// A frame's worth of text that compresses little: a writer blocked on a
/// full pipe stays blocked.
fn noisy(j: &mut Journal, seq: &mut u64) {
    let mut x: u64 = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut line = String::with_capacity(2100);
    for _ in 0..FRAME_BYTES / 2048 + 1 {
        line.clear();
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            line.push((b'!' + (x % 90) as u8) as char);
        }
        *seq += 1;
        let mut e = Event::now(EventKind::stdout(line.clone())).process("p", Some(1));
        e.seq = *seq;
        j.append(&e);
    }
}

#[test]
fn a_disk_that_takes_no_write_never_holds_the_engine_for_good_and_the_hole_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("disk");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    // Read and write: opening does not wait for a reader, and nobody reads.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(0)
        .open(&fifo)
        .unwrap();
    let mut j = Journal::start(fifo.clone(), file, Vec::new()).unwrap();
    let mut seq = 0;
    // The writer blocks on its first frame; the queue fills; events wait
    // in memory up to BACKLOG_BYTES; then one flush waits STALL_WAIT and
    // finds the disk stalled.
    let t0 = Instant::now();
    for _ in 0..BACKLOG_BYTES / FRAME_BYTES + QUEUE + 2 {
        noisy(&mut j, &mut seq);
    }
    let first = t0.elapsed();
    assert!(first >= STALL_WAIT, "the queue was waited on first ({first:?})");
    assert!(first < STALL_WAIT * 4, "then no more ({first:?})");
    let message = j.take_error().expect("the stall is said");
    assert!(message.contains("took no write"), "{message}");
    // (Whether "slow disk" was said before depends on how long the
    // frames took to make: a second or more, and it was.)
    while j.take_error().is_some() {}
    // From then on nothing waits: flushes drop their frames, settling
    // gives up at once, and so does the end.
    let t1 = Instant::now();
    for _ in 0..3 {
        noisy(&mut j, &mut seq);
    }
    assert!(!j.settle_by(Instant::now() + Duration::from_secs(60)));
    assert!(t1.elapsed() < Duration::from_secs(5), "{:?}", t1.elapsed());

    // The disk takes a write now and then (a reader takes 1.5 MB, about
    // one frame and a half, then stops): the writer takes a frame, but its
    // queue never empties, so nothing waits again (a slow disk would
    // otherwise freeze the engine 10 s after each write).
    let mut reader = OpenOptions::new().read(true).open(&fifo).unwrap();
    let (took, go) = (crossbeam_channel::bounded(1), crossbeam_channel::bounded::<()>(1));
    let (took_tx, took_rx) = took;
    let (go_tx, go_rx) = go;
    let got = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = vec![0; 1 << 16];
        while all.len() < 1_500_000 {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
        let _ = took_tx.send(());
        let _ = go_rx.recv();
        // The disk is back: until the writer has been quiet a while (the
        // FIFO has another writer, ourselves, so it never reads EOF).
        let fd = std::os::fd::AsRawFd::as_raw_fd(&reader);
        loop {
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            if unsafe { libc::poll(&mut pfd, 1, 3000) } <= 0 {
                break;
            }
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
        all
    });
    took_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let t3 = Instant::now();
    // More frames than the disk took and the queue holds: a wait, were
    // there one, would come.
    for _ in 0..3 * QUEUE {
        noisy(&mut j, &mut seq);
    }
    assert!(t3.elapsed() < STALL_WAIT, "no second wait: {:?}", t3.elapsed());
    go_tx.send(()).unwrap();

    // A frame after the disk is back carries the note.
    std::thread::sleep(Duration::from_millis(500));
    noisy(&mut j, &mut seq);
    let t2 = Instant::now();
    drop(j);
    assert!(t2.elapsed() < END_WAIT * 2);
    let bytes = got.join().unwrap();
    let text = zstd::stream::decode_all(&bytes[..]).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("frames of events are missing here")
            || text.contains("frame of events are missing here"),
        "the hole is said in the journal"
    );
    assert!(text.contains("took no write"), "and why");
}

/// A disk slower than the events come (a reader that takes 64 KiB every
/// 400 ms, about 1 s a frame): the events wait in memory, the engine does
/// not wait for the disk, the slowness is said, and nothing is lost.
#[test]
fn a_slow_disk_costs_memory_not_the_engines_pace_and_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("disk");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let file = OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    let mut reader = OpenOptions::new().read(true).open(&fifo).unwrap();
    let (fast_tx, fast_rx) = crossbeam_channel::bounded::<()>(1);
    let got = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = vec![0; 1 << 16];
        let mut fast = false;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&reader);
        loop {
            if !fast && fast_rx.recv_timeout(Duration::from_millis(400)).is_ok() {
                fast = true;
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // Done once the writer has been quiet a while (the FIFO has
            // another writer, the journal's own read end, so no EOF).
            if fast && unsafe { libc::poll(&mut pfd, 1, 3000) } <= 0 {
                break;
            }
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => all.extend_from_slice(&buf[..n]),
            }
        }
        all
    });
    let mut j = Journal::start(fifo.clone(), file, Vec::new()).unwrap();
    let mut seq = 0;
    // Six frames: before, the queue filled at the fifth and the flush
    // waited STALL_WAIT, then dropped the frame as for a dead disk.
    let t0 = Instant::now();
    for _ in 0..QUEUE + 4 {
        noisy(&mut j, &mut seq);
        j.flush();
    }
    let handed = t0.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut said = Vec::new();
    while !said.iter().any(|n: &String| n.contains("slow disk")) && Instant::now() < deadline {
        j.flush_if_due();
        said.extend(std::iter::from_fn(|| j.take_error()));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(said.iter().any(|n| n.contains("slow disk")), "{said:?}");
    assert!(
        !said.iter().any(|n| n.contains("took no write")),
        "not stalled: {said:?}"
    );
    assert!(
        handed < STALL_WAIT,
        "the engine did not wait for the disk: {handed:?}"
    );
    fast_tx.send(()).unwrap();
    assert!(
        j.settle_by(Instant::now() + Duration::from_secs(60)),
        "every event written"
    );
    drop(j);
    let bytes = got.join().unwrap();
    let text = zstd::stream::decode_all(&bytes[..]).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert_eq!(text.lines().count() as u64, seq, "no event lost");
    assert!(!text.contains("missing here"));
}

/// A quiet session on a disk that takes no write: the write under way
/// for STALL_WAIT is a stall, said as such, and the session's end does
/// not wait for the disk (before, with too few events to fill the
/// backlog, the end waited END_WAIT for it).
#[test]
fn a_quiet_session_on_a_dead_disk_is_said_stalled_and_its_end_does_not_wait() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("disk");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::S_IRWXU).unwrap();
    let file = OpenOptions::new().read(true).write(true).open(&fifo).unwrap();
    let mut j = Journal::start(fifo.clone(), file, Vec::new()).unwrap();
    let mut seq = 0;
    // One frame the pipe cannot hold: the writer blocks in it.
    noisy(&mut j, &mut seq);
    j.flush();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut said = Vec::new();
    while !said.iter().any(|n: &String| n.contains("took no write")) && Instant::now() < deadline {
        let mut e = Event::now(EventKind::stdout("tick")).process("p", Some(1));
        seq += 1;
        e.seq = seq;
        j.append(&e);
        j.flush_if_due();
        said.extend(std::iter::from_fn(|| j.take_error()));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(said.iter().any(|n| n.contains("took no write")), "{said:?}");
    assert!(
        !said.iter().any(|n| n.contains("MiB of events behind")),
        "{said:?}"
    );
    assert!(j.failed_flag().load(Ordering::SeqCst));
    let t = Instant::now();
    assert!(!j.settle_by(Instant::now() + Duration::from_secs(60)));
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
}
