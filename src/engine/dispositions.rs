//! The signal dispositions a child starts with.
//!
//! A child gets what a user expects from a shell or Python's `subprocess`:
//! every handler Proctor installed is back to default, SIGPIPE and SIGXFSZ
//! are default (Rust's runtime ignores SIGPIPE in Proctor itself), and a
//! signal that was ignored when Proctor started (SIGHUP under `nohup`,
//! SIGINT and SIGQUIT for a background job of a non-interactive shell)
//! stays ignored, even though Proctor may have installed a handler for it
//! since. `main` records that set first thing ([`record_startup_ignored`]);
//! the child applies it between clone and exec (see `spawn::child_main`).

use std::sync::atomic::{AtomicU64, Ordering};

/// Bit `n - 1` set: signal `n` was ignored when Proctor started.
static STARTUP_IGNORED: AtomicU64 = AtomicU64::new(0);

/// Signals always reset to default in a child, whatever Proctor inherited.
const ALWAYS_DEFAULT: [libc::c_int; 2] = [libc::SIGPIPE, libc::SIGXFSZ];

/// Records which signals are ignored now. Call at the start of `main`,
/// before any handler is installed. Without it, every signal a child gets
/// is default.
pub fn record_startup_ignored() {
    let mut mask = 0u64;
    for sig in 1..65 {
        // SAFETY: sigaction is plain data; reading a disposition only.
        let ignored = unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
        };
        if ignored && !ALWAYS_DEFAULT.contains(&sig) {
            mask |= 1 << (sig - 1);
        }
    }
    STARTUP_IGNORED.store(mask, Ordering::Relaxed);
}

/// The disposition signal `sig` must have in a child: `SIG_IGN` or
/// `SIG_DFL`. Only reads memory: safe between clone and exec.
pub(super) fn in_child(sig: libc::c_int) -> libc::sighandler_t {
    let ignored = (1..65).contains(&sig) && STARTUP_IGNORED.load(Ordering::Relaxed) & (1 << (sig - 1)) != 0;
    if ignored {
        libc::SIG_IGN
    } else {
        libc::SIG_DFL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_and_xfsz_are_never_kept_ignored() {
        // Rust's runtime ignores SIGPIPE in this very process.
        record_startup_ignored();
        assert_eq!(in_child(libc::SIGPIPE), libc::SIG_DFL);
        assert_eq!(in_child(libc::SIGXFSZ), libc::SIG_DFL);
        assert_eq!(in_child(0), libc::SIG_DFL);
        assert_eq!(in_child(65), libc::SIG_DFL);
    }
}
