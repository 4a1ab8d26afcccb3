//! `proctor completions SHELL` and `proctor man`: the shell completions and
//! the manual pages, generated from the command line's own definition so
//! that they never disagree with it.

use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

pub use clap_complete::Shell;

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut super::Cli::command(), "proctor", &mut out);
    out
}

/// The manual page `proctor.1` (roff).
pub fn man_page() -> Result<Vec<u8>> {
    let mut out = Vec::new();
    // As `generate_to` does: `help` has no page of its own.
    clap_mangen::Man::new(super::Cli::command().disable_help_subcommand(true))
        .render(&mut out)
        .context("cannot render the manual page")?;
    Ok(out)
}

/// Writes `proctor.1` and one page per subcommand (`proctor-run.1`, ...)
/// into `dir`, creating it if needed.
pub fn write_man_pages(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    clap_mangen::generate_to(super::Cli::command(), dir)
        .with_context(|| format!("cannot write the manual pages to {}", dir.display()))
}

/// Writes `bytes` to standard output; a closed pipe is an error, not a panic.
pub fn print(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("cannot write to standard output")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_know_every_subcommand() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = String::from_utf8(completions(shell)).unwrap();
            for sub in ["check", "run", "export", "history", "completions", "man"] {
                assert!(text.contains(sub), "{shell}: no `{sub}`");
            }
            assert!(text.contains("results"), "{shell}: no option of run");
        }
    }

    #[test]
    fn the_man_page_has_the_name_and_the_subcommands() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(page.starts_with(".ie"), "roff: {}", &page[..40]);
        assert!(page.contains(".TH proctor 1"));
        for sub in ["check", "run", "export", "history"] {
            assert!(page.contains(&format!("proctor\\-{sub}(1)")), "no {sub}");
        }
        assert!(!page.contains("proctor\\-help"), "a page that does not exist");
        let dir = tempfile::tempdir().unwrap();
        write_man_pages(dir.path()).unwrap();
        for page in ["proctor.1", "proctor-run.1", "proctor-check.1"] {
            assert!(dir.path().join(page).is_file(), "no {page}");
        }
    }
}
