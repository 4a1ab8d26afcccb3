//! How a remote worker's or task's command is shown in its `spawned`
//! event: the local `ssh` or `srun` with the user's command, not the
//! wrapper script around it (see `argv::WRAPPER`), which is the same for
//! every run and would fill the log with 1.5 KB of shell per start.

use super::argv::WRAPPER;

/// `ssh DEST -- COMMAND` or `srun OPTIONS -- COMMAND` for an argument
/// vector built by `argv` around the wrapper; `None` for any other.
pub fn command(argv: &[String]) -> Option<String> {
    let first = argv.first()?;
    if first == "srun" {
        let at = argv.iter().position(|a| a == WRAPPER)?;
        let dashes = argv[..at].iter().rposition(|a| a == "--")?;
        let head = join(&argv[..dashes]);
        return Some(format!("{head} -- {}", user_command(&argv[at..])?));
    }
    if first == "ssh" && argv.last()?.contains(" proctor-remote ") {
        let n = argv.len();
        let dest = argv.get(n.checked_sub(2)?)?;
        let words = shlex::split(argv.last()?)?;
        let at = words.iter().position(|a| a == WRAPPER)?;
        return Some(format!(
            "ssh {} -- {}",
            join(std::slice::from_ref(dest)),
            user_command(&words[at..])?
        ));
    }
    None
}

/// The user's command from the words that start at the wrapper: the
/// wrapper's own arguments, then `env RUN_LINE VAR=value...`, then it.
fn user_command(words: &[String]) -> Option<String> {
    // WRAPPER, its $0, marker, signal, timeout, grace, run line.
    let rest = words.get(7..)?;
    let rest = rest.strip_prefix(&["env".to_string()])?.get(1..)?;
    let is_var = |w: &String| {
        w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty()
                && !k.starts_with(|c: char| c.is_ascii_digit())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    let skip = rest.iter().take_while(|w| is_var(w)).count();
    Some(join(&rest[skip..]))
}

fn join(words: &[String]) -> String {
    words
        .iter()
        .map(|w| super::argv::quote(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::super::argv::{remote_line, srun_argv, ssh_argv, wrapped_argv, Wrap};
    use super::*;

    fn wrap() -> Wrap<'static> {
        Wrap {
            marker: "proctor-exit-1-2=",
            stop_signal: 15,
            stop_timeout_secs: 5,
            grace_secs: None,
            env: vec![
                ("PROCTOR_SESSION".into(), "1-2".into()),
                ("PROCTOR_PROCESS".into(), "t".into()),
            ],
            run: 1,
        }
    }

    #[test]
    fn the_users_command_is_shown_without_the_wrapper() {
        let cmd: Vec<String> = ["sh", "-c", "echo 'a b'; exit 3"].map(String::from).to_vec();
        let ssh = ssh_argv(
            "u@b1",
            &["-F".into(), "cfg".into()],
            "/tmp/c",
            &remote_line(&wrap(), &cmd),
        );
        assert_eq!(
            command(&ssh).unwrap(),
            r#"ssh u@b1 -- sh -c 'echo '\''a b'\''; exit 3'"#
        );
        let spec = crate::session::SlurmSpec::default();
        let srun = srun_argv(&spec, "1-2", "p:3", wrapped_argv(&wrap(), &cmd));
        let shown = command(&srun).unwrap();
        assert!(
            shown.starts_with("srun --job-name=proctor-1-2 --comment=p:3"),
            "{shown}"
        );
        assert!(
            shown.ends_with(r#" -- sh -c 'echo '\''a b'\''; exit 3'"#),
            "{shown}"
        );
        assert!(!shown.contains("proctor-remote"), "{shown}");
        // Anything else is not touched.
        assert_eq!(command(&["ssh".into(), "h".into(), "ls".into()]), None);
        assert_eq!(command(&["echo".into()]), None);
        assert_eq!(command(&[]), None);
    }
}
