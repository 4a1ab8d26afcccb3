//! `ssh_options` read as `ssh` reads its command line (getopt): Proctor
//! puts its own `-o` options, `--`, the host and the wrapped command after
//! them, so a word that is not an option (ssh takes it for the host: the
//! work would run on a host the session does not list), an option whose
//! value is missing (it eats Proctor's next word), or an option that
//! changes what the session is (no command, a terminal, stdin from
//! `/dev/null`, going to the background, a subsystem, stdio forwarding,
//! printing and exiting) would break every remote run. `ProxyCommand`,
//! `ProxyJump` (`-J`) and the like only change how the connection is made
//! and are allowed (docs/session-file.md).

/// ssh's options that take no value, and those that take one (OpenSSH 9).
const FLAGS: &str = "46AaCfGgKkMNnqsTtVvXxYy";
const WITH_VALUE: &str = "BbcDEeFIiJLlmOoPpQRSWw";

/// Flags that break the remote run, and why.
fn flag_problem(c: char) -> Option<&'static str> {
    Some(match c {
        'N' => "runs no command",
        'f' => "puts ssh in the background",
        't' => "asks for a terminal (the wrapper needs its stdin as a pipe)",
        'n' => "gives the command no stdin (its end is what stops the remote side)",
        's' => "runs a subsystem, not the command",
        'G' | 'V' => "prints and exits without connecting",
        _ => return None,
    })
}

/// Options with a value that break the remote run.
fn valued_problem(c: char) -> Option<&'static str> {
    Some(match c {
        'W' => "forwards stdio instead of running the command",
        'O' => "sends a control command instead of running the command",
        _ => return None,
    })
}

/// `-o` settings (by key, any case) that break the remote run.
fn setting_problem(value: &str) -> Option<&'static str> {
    let key: String = value
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    Some(match key.as_str() {
        "requesttty" => "asks for a terminal (the wrapper needs its stdin as a pipe)",
        "sessiontype" => "changes what the session runs",
        "stdinnull" => "gives the command no stdin (its end is what stops the remote side)",
        "forkafterauthentication" => "puts ssh in the background",
        "remotecommand" => "replaces the command Proctor runs",
        _ => return None,
    })
}

/// The first word of `items` that would break the command line, and why.
pub(super) fn problem(items: &[String]) -> Option<String> {
    let mut words = items.iter();
    while let Some(w) = words.next() {
        let shown = super::placement::shown_word(w);
        let Some(letters) = w
            .strip_prefix('-')
            .filter(|l| !l.is_empty() && !l.starts_with('-'))
        else {
            return Some(format!(
                "the ssh option `{shown}` is not an option: ssh would take it for the host (give options only, as `-p`, `2222` or `-oPort=2222`)"
            ));
        };
        for (i, c) in letters.char_indices() {
            if FLAGS.contains(c) {
                if let Some(why) = flag_problem(c) {
                    return Some(format!("the ssh option `-{c}` {why}: leave it out"));
                }
                continue;
            }
            if !WITH_VALUE.contains(c) {
                return Some(format!("`{shown}`: `-{c}` is not an ssh option"));
            }
            if let Some(why) = valued_problem(c) {
                return Some(format!("the ssh option `-{c}` {why}: leave it out"));
            }
            let rest = &letters[i + c.len_utf8()..];
            let value = if rest.is_empty() {
                match words.next() {
                    Some(v) => v.as_str(),
                    None => {
                        return Some(format!(
                            "the ssh option `-{c}` needs a value after it (it would take Proctor's own next word)"
                        ))
                    }
                }
            } else {
                rest
            };
            if c == 'o' {
                if let Some(why) = setting_problem(value) {
                    let shown = super::placement::shown_word(value);
                    return Some(format!("the ssh setting `{shown}` {why}: leave it out"));
                }
            }
            break;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    fn p(words: &[&str]) -> Option<String> {
        problem(&words.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_that_keep_the_command_line_pass() {
        for ok in [
            &["-F", "cfg"][..],
            &["-p", "2222", "-i", "key", "-4", "-v"],
            &["-p2222", "-oProxyCommand=ssh -W %h:%p bastion"],
            &["-o", "ProxyJump=bastion", "-J", "b2", "-qC"],
            &["-T"],
            &[],
        ] {
            assert_eq!(p(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn options_that_break_it_are_refused() {
        for (bad, says) in [
            (&["-F"][..], "needs a value"),
            (&["-F", "cfg", "-p"], "needs a value"),
            (&["-F", "cfg", "127.0.0.3"], "not an option"),
            (&["--"], "not an option"),
            (&["-"], "not an option"),
            (&["-N"], "runs no command"),
            (&["-tt"], "terminal"),
            (&["-vt"], "terminal"),
            (&["-f"], "background"),
            (&["-n"], "no stdin"),
            (&["-s"], "subsystem"),
            (&["-W", "h:22"], "forwards stdio"),
            (&["-G"], "prints and exits"),
            (&["-o", "RequestTTY=force"], "terminal"),
            (&["-oRemoteCommand=ls"], "replaces"),
            (&["-o", "stdinnull yes"], "no stdin"),
            (&["-Z"], "not an ssh option"),
        ] {
            let got = p(bad).unwrap_or_else(|| panic!("{bad:?} passed"));
            assert!(got.contains(says), "{bad:?}: {got}");
        }
    }
}
