//! Signal names: parsing what a user writes (`SIGTERM`, `TERM`, `15`) and
//! naming a signal number for display.

use nix::sys::signal::Signal;
use std::str::FromStr;

/// Parses `SIGTERM`, `sigterm`, `TERM` or `15` into a signal.
pub fn parse_signal(text: &str) -> Result<Signal, String> {
    let t = text.trim();
    if let Ok(n) = t.parse::<i32>() {
        return Signal::try_from(n).map_err(|_| format!("no signal has the number {n}"));
    }
    let upper = t.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    Signal::from_str(&name)
        .map_err(|_| format!("unknown signal name `{t}` (expected e.g. SIGTERM, SIGINT, SIGHUP, SIGKILL)"))
}

/// The name of a signal number (`15` → `SIGTERM`), if it has one.
pub fn signal_name(signum: i32) -> Option<&'static str> {
    Signal::try_from(signum).ok().map(|s| s.as_str())
}

/// The signals a user may pick from a menu, in a sensible order.
pub const COMMON_SIGNALS: &[Signal] = &[
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGKILL,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGSTOP,
    Signal::SIGCONT,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_short_names_and_numbers() {
        assert_eq!(parse_signal("SIGTERM"), Ok(Signal::SIGTERM));
        assert_eq!(parse_signal("term"), Ok(Signal::SIGTERM));
        assert_eq!(parse_signal("9"), Ok(Signal::SIGKILL));
        assert_eq!(parse_signal(" SIGHUP "), Ok(Signal::SIGHUP));
    }

    #[test]
    fn rejects_unknown_signals() {
        assert!(parse_signal("SIGFOO").unwrap_err().contains("SIGFOO"));
        assert!(parse_signal("99").is_err());
        assert!(parse_signal("").is_err());
    }

    #[test]
    fn names_numbers() {
        assert_eq!(signal_name(15), Some("SIGTERM"));
        assert_eq!(signal_name(9), Some("SIGKILL"));
        assert_eq!(signal_name(0), None);
    }
}
