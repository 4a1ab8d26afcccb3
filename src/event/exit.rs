//! The exit-status convention of Python's `multiprocessing`: `0` for success,
//! `N` for `exit(N)`, `-SIGNUM` when a signal ended the process
//! (docs/exit-codes.md).

use crate::session::signal::signal_name;

/// Converts a raw `wait` status into the multiprocessing convention.
pub fn exit_code_from_wait_status(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        -libc::WTERMSIG(status)
    } else {
        // Stopped/continued statuses are never passed here (we wait with
        // WEXITED only); keep the raw value rather than invent one.
        status
    }
}

/// Text for logs and the CLI: `0`, `3`, `-15 (SIGTERM)`.
pub fn describe_exit(code: i32) -> String {
    match negative_signal_name(code) {
        Some(name) => format!("{code} ({name})"),
        None => code.to_string(),
    }
}

/// Text for tables: `0`, `3`, `-15 SIGTERM`.
pub fn short_exit(code: i32) -> String {
    match negative_signal_name(code) {
        Some(name) => format!("{code} {name}"),
        None => code.to_string(),
    }
}

fn negative_signal_name(code: i32) -> Option<&'static str> {
    // `checked_neg`: a journal may hold any number (i32::MIN has no
    // negation).
    code.checked_neg().filter(|&n| n > 0).and_then(signal_name)
}

/// How an exit reads to a person: success, failure, or killed by a signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitClass {
    Success,
    Failure,
    Signalled,
}

pub fn classify_exit(code: i32) -> ExitClass {
    match code {
        0 => ExitClass::Success,
        c if c < 0 => ExitClass::Signalled,
        _ => ExitClass::Failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_status_conversion() {
        // exit(3): status 3 << 8
        assert_eq!(exit_code_from_wait_status(3 << 8), 3);
        assert_eq!(exit_code_from_wait_status(0), 0);
        // killed by SIGTERM (15), no core dump
        assert_eq!(exit_code_from_wait_status(15), -15);
        // killed by SIGSEGV with core dump flag
        assert_eq!(exit_code_from_wait_status(11 | 0x80), -11);
    }

    #[test]
    fn descriptions() {
        assert_eq!(describe_exit(0), "0");
        assert_eq!(describe_exit(3), "3");
        assert_eq!(describe_exit(-15), "-15 (SIGTERM)");
        assert_eq!(describe_exit(i32::MIN), i32::MIN.to_string(), "no overflow");
        assert_eq!(short_exit(i32::MIN), i32::MIN.to_string());
        assert_eq!(short_exit(-9), "-9 SIGKILL");
        assert_eq!(classify_exit(-9), ExitClass::Signalled);
        assert_eq!(classify_exit(2), ExitClass::Failure);
    }
}
