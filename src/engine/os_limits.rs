//! The supervisor's own settings that make spawning many children work:
//! a short time slice, the descriptor limit raised, write ends held only
//! while descriptors are plentiful; and the pipes children get.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};

thread_local! {
    /// Whether this thread runs with a short time slice, which children it
    /// starts would inherit.
    static SHORT_SLICE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread asked for a short slice (its children get the
/// default back).
pub(super) fn short_slice_here() -> bool {
    SHORT_SLICE.with(std::cell::Cell::get)
}

/// The descriptor limit before `raise_fd_limit` raised it (children get it
/// back), if it was raised.
pub(super) fn original_nofile() -> Option<libc::rlimit> {
    ORIGINAL_NOFILE.get().copied().flatten()
}

/// The short slice asked for, in nanoseconds (the kernel's minimum).
const SHORT_SLICE_NS: u64 = 100_000;

/// Asks the scheduler for the shortest time slice (0.1 ms) for the calling
/// thread. The supervisor runs in short bursts between children's exits
/// and starts; with a short slice, a wake-up of it preempts a running
/// child at once rather than when the child's slice ends (Linux 6.12 and
/// later; older kernels ignore it). Children are given the default back.
pub fn shorten_time_slice() {
    // Kernels before 6.12 accept the call and ignore the slice: then the
    // children have nothing to undo.
    let took =
        set_own_slice(SHORT_SLICE_NS) && own_sched_attr().is_some_and(|a| a.sched_runtime == SHORT_SLICE_NS);
    SHORT_SLICE.with(|s| s.set(took));
}

/// The calling thread's scheduling attributes.
fn own_sched_attr() -> Option<libc::sched_attr> {
    // SAFETY: sched_getattr on the calling thread into a zeroed struct of
    // the size we pass.
    unsafe {
        let mut attr: libc::sched_attr = std::mem::zeroed();
        let size = std::mem::size_of::<libc::sched_attr>() as libc::c_uint;
        (libc::syscall(libc::SYS_sched_getattr, 0, &mut attr, size, 0) == 0).then_some(attr)
    }
}

/// Sets the calling thread's time slice (`0`: the default) if it runs
/// under the normal policy; its other attributes stay. Raw system calls
/// only: the vfork child calls it too.
pub(super) fn set_own_slice(ns: u64) -> bool {
    let Some(mut attr) = own_sched_attr() else {
        return false;
    };
    if attr.sched_policy != libc::SCHED_OTHER as u32 {
        return false;
    }
    attr.size = std::mem::size_of::<libc::sched_attr>() as u32;
    attr.sched_runtime = ns;
    // SAFETY: sched_setattr on the calling thread with a complete struct.
    unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &attr, 0) == 0 }
}

static ORIGINAL_NOFILE: std::sync::OnceLock<Option<libc::rlimit>> = std::sync::OnceLock::new();

/// Whether the open-files limit leaves room to hold this child's pipe
/// write ends (see `Spawned::writers`): two more descriptors a child.
/// `highest` is the highest descriptor just made for it; descriptors are
/// handed out lowest first, so it tells how many are open. They are held
/// only while less than half the limit is in use: when descriptors grow
/// scarce (thousands of children), children come first.
pub fn hold_pipe_writers(highest: RawFd) -> bool {
    static SOFT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let soft = *SOFT.get_or_init(|| nofile_limit().map_or(0, |l| l.rlim_cur));
    soft >= 4096 && (highest.max(0) as u64).saturating_mul(2) < soft
}

/// This process's limit on open files.
fn nofile_limit() -> Option<libc::rlimit> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit with a valid struct.
    (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } == 0).then_some(lim)
}

/// This process's soft limit on open files, if it has one.
pub(super) fn nofile_soft_limit() -> Option<u64> {
    nofile_limit()
        .map(|l| l.rlim_cur)
        .filter(|&n| n != libc::RLIM_INFINITY)
}

/// Raises this process's soft limit on open files to the hard limit, once.
/// Each child costs Proctor five descriptors (a pidfd and both ends of two
/// pipes) and the usual soft limit of 1,024 would cap a session near 200
/// children. Children get the original limit back before exec, as programs
/// that use `select` expect. The raised limit is process-wide: programs
/// started other than through `spawn` inherit it.
/// Where it may (root, or CAP_SYS_RESOURCE), it first raises the hard limit
/// towards the kernel's ceiling (`fs.nr_open`, at most 262,144): a pool of
/// 4,096 workers needs over 20,000 descriptors.
pub fn raise_fd_limit() {
    ORIGINAL_NOFILE.get_or_init(|| {
        let lim = nofile_limit()?;
        let ceiling = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse::<libc::rlim_t>().ok())
            .unwrap_or(0)
            .min(262_144);
        let set = |to: libc::rlim_t| {
            let raised = libc::rlimit {
                rlim_cur: to,
                rlim_max: to,
            };
            // SAFETY: setrlimit with a valid struct.
            unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 }
        };
        let raised =
            (ceiling > lim.rlim_max && set(ceiling)) || (lim.rlim_cur < lim.rlim_max && set(lim.rlim_max));
        raised.then_some(lim)
    });
}

/// A pipe whose ends are close-on-exec: (read, write).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fresh descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

pub fn dev_null() -> io::Result<OwnedFd> {
    let path = c"/dev/null";
    // SAFETY: open with a valid C string.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
