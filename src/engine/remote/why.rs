//! What Proctor says when an `ssh` fails: bounded (a host name or an
//! error of 10 KB is not echoed whole) and, for the failures whose text
//! misleads, in words that say what to do.

/// The most characters of a user's value or of ssh's stderr echoed in a
/// message.
pub const ECHO_MAX: usize = 200;

/// `s` cut to [`ECHO_MAX`] characters, with `…` and how much was left
/// out when it was cut.
pub fn shorten(s: &str) -> String {
    let n = s.chars().count();
    if n <= ECHO_MAX {
        return s.to_string();
    }
    let head: String = s.chars().take(ECHO_MAX).collect();
    format!("{head}… ({} more characters)", n - ECHO_MAX)
}

/// Whether ssh's stderr says the host refused to open one more session
/// on the shared connection (sshd's `MaxSessions`): OpenSSH's client
/// says "Session open refused by peer", or "open failed:
/// administratively prohibited" for a channel.
pub fn refused_session(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("session open refused by peer") || s.contains("administratively prohibited")
}

/// The words for a session the host refused.
pub fn refused_session_text(host: &str) -> String {
    format!(
        "{} refused more sessions on its connection: is its sshd's MaxSessions ({} unless its sshd_config says otherwise) below the sessions Proctor opens there? reduce the slots (or tasks) on that host, or raise MaxSessions",
        shorten(host),
        crate::session::placement_warnings::SSHD_MAX_SESSIONS
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_and_short_ones_kept() {
        assert_eq!(shorten("build1"), "build1");
        let long = "h".repeat(10_000);
        let s = shorten(&long);
        assert!(s.chars().count() < 260, "{}", s.len());
        assert!(s.ends_with("… (9800 more characters)"), "{s}");
        // Multibyte characters are cut on a character boundary.
        let s = shorten(&"é".repeat(300));
        assert!(s.starts_with("éé") && s.contains('…'));
    }

    #[test]
    fn a_refused_session_is_recognised() {
        assert!(refused_session(
            "mux_client_request_session: session request failed: Session open refused by peer"
        ));
        assert!(refused_session(
            "channel 3: open failed: administratively prohibited: open failed"
        ));
        assert!(!refused_session(
            "ssh: connect to host x port 22: Connection refused"
        ));
        assert!(refused_session_text("b").contains("MaxSessions"));
    }
}
