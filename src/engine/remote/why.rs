//! What Proctor says when an `ssh` fails: bounded (a host name or an
//! error of 10 KB is not echoed whole).

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
}
