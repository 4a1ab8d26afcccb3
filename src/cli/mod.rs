//! The command line: `proctor` opens the desktop app; subcommands run the
//! same engine headless.

/// `eprintln!` that never panics (stderr may be closed or full).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `println!` that never panics (stdout may be a closed pipe: `| head`).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

pub mod docs;
mod output_paths;
pub mod picture;
mod run;
pub use run::signal_ignored;
mod summary;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "proctor",
    version,
    about = "A process manager for Linux: named child processes, worker pools, one event log",
    long_about = "A process manager for Linux: named child processes, worker pools, one event log.\n\n\
        Without a subcommand Proctor opens the desktop app, with SESSION loaded if given. \
        The subcommands run the same engine headless.\n\n\
        Settings and the autosaved definitions are kept in $XDG_CONFIG_HOME/proctor/ \
        (default ~/.config/proctor/); the journals of past sessions in \
        $XDG_STATE_HOME/proctor/sessions/ (default ~/.local/state/proctor/sessions/)."
)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Sub>,
    /// A session file to open in the desktop app.
    pub session: Option<PathBuf>,
    /// Start the session's autostart tasks and pools once it is open.
    #[arg(long)]
    pub start: bool,
}

#[derive(Subcommand, Debug)]
pub enum Sub {
    /// Check a session file; print every error with file:line and field.
    Check { session: PathBuf },
    /// Run a session headless: start its tasks and pools, stream the event
    /// log, wait for them, print a summary.
    Run(run::RunArgs),
    /// Convert an event log (a JSON Lines journal or export) to .jsonl, .csv
    /// or .txt, or draw it: OUT ending in .svg is the session's timeline,
    /// speedup and CPU and memory plots.
    Export {
        journal: PathBuf,
        out: PathBuf,
        /// jsonl, csv or text (default: from OUT's extension).
        #[arg(long)]
        format: Option<String>,
        /// Colour codes of children's output in a text or CSV export
        /// (auto and never: removed; always: kept as they were). JSON Lines
        /// keeps everything.
        #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
        color: crate::ansi::ColorChoice,
    },
    /// List past sessions' journals, newest first.
    History,
    /// Print the completion script for a shell (bash, zsh, fish, elvish, powershell).
    Completions { shell: docs::Shell },
    /// Print the manual page, or write one page per command into DIR.
    Man { dir: Option<PathBuf> },
}

/// What the binary should do after parsing arguments.
pub enum Action {
    /// Open the desktop app.
    Gui { session: Option<PathBuf>, start: bool },
    /// Exit with this status.
    Exit(i32),
}

pub fn main(cli: Cli) -> Result<Action> {
    match cli.command {
        None => Ok(Action::Gui {
            session: cli.session,
            start: cli.start,
        }),
        Some(Sub::Check { session }) => Ok(Action::Exit(check(&session))),
        Some(Sub::Run(args)) => run::run(args).map(Action::Exit),
        Some(Sub::Export {
            journal,
            out,
            format,
            color,
        }) => {
            export(&journal, &out, format.as_deref(), color.in_file())?;
            Ok(Action::Exit(0))
        }
        Some(Sub::History) => {
            history();
            Ok(Action::Exit(0))
        }
        Some(Sub::Completions { shell }) => {
            docs::print(&docs::completions(shell))?;
            Ok(Action::Exit(0))
        }
        Some(Sub::Man { dir: None }) => {
            docs::print(&docs::man_page()?)?;
            Ok(Action::Exit(0))
        }
        Some(Sub::Man { dir: Some(dir) }) => {
            docs::write_man_pages(&dir)?;
            Ok(Action::Exit(0))
        }
    }
}

fn check(path: &std::path::Path) -> i32 {
    match crate::session::parse_session_file(path) {
        Ok(s) => {
            out!(
                "{}: OK ({} task{}, {} pool{})",
                path.display(),
                s.tasks.len(),
                if s.tasks.len() == 1 { "" } else { "s" },
                s.pools.len(),
                if s.pools.len() == 1 { "" } else { "s" }
            );
            for w in crate::session::placement_warnings::warnings(&s) {
                say!("warning: {w}");
            }
            0
        }
        Err(errors) => {
            for e in &errors.0 {
                say!("{e}");
            }
            say!(
                "{} error{} found; nothing would run.",
                errors.0.len(),
                if errors.0.len() == 1 { "" } else { "s" }
            );
            2
        }
    }
}

fn export(
    journal: &std::path::Path,
    out: &std::path::Path,
    format: Option<&str>,
    colour: bool,
) -> Result<()> {
    use crate::journal::export::Format;
    // Whatever the format: the output must not be the input.
    if run::same_file(journal, out) {
        anyhow::bail!("{} is the journal itself; it would be overwritten", out.display());
    }
    if format.is_none() && picture::is_picture(out) {
        let n = picture::journal_to_svg(journal, out)?;
        say!("drew {n} events into {}", out.display());
        return Ok(());
    }
    let format = match format {
        Some(f) => {
            Format::from_name(f).with_context(|| format!("unknown format `{f}` (use jsonl, csv or text)"))?
        }
        None => Format::from_path(out).with_context(|| {
            format!(
                "cannot tell the format from `{}`: use .jsonl, .csv or .txt, or --format",
                out.display()
            )
        })?,
    };
    // One event at a time, in bounded memory whatever the journal's size.
    // A torn last line (the writer was killed) or a damaged line is skipped
    // and counted, never a reason to export nothing.
    let mut file = crate::journal::export::ExportFile::create(out, format, !colour)
        .with_context(|| format!("cannot write {}", out.display()))?;
    if is_fifo(journal) {
        // Read as `cat` reads one: opening waits for a program to write.
        say!(
            "{} is a pipe (FIFO): waiting for a program to write to it (Ctrl-C to give up)",
            journal.display()
        );
    }
    let (mut ended, mut any) = (false, false);
    let bad = crate::journal::for_each_event(journal, |e| {
        any = true;
        ended |= matches!(e.kind, crate::event::EventKind::SessionEnded { .. });
        file.write(&e)
    })
    .with_context(|| format!("cannot read {}", journal.display()))?;
    let lines = bad.lines();
    if let Some(first) = bad.first().filter(|_| lines > 0) {
        say!(
            "warning: skipped {} line{} that {} not an event (first: {first})",
            lines,
            if lines == 1 { "" } else { "s" },
            if lines == 1 { "is" } else { "are" },
        );
    }
    for note in bad.notes() {
        say!("warning: {note}");
    }
    if any && !ended && crate::journal::is_journal_name(journal) {
        if crate::journal::is_live(journal) {
            say!(
                "note: a session still writes {}: this is what it wrote so far",
                journal.display()
            );
        } else {
            say!("warning: {}: {}", journal.display(), crate::journal::UNFINISHED);
        }
    }
    let n = file
        .finish()
        .with_context(|| format!("cannot write {}", out.display()))?;
    say!("wrote {n} events to {}", out.display());
    Ok(())
}

fn history() {
    let dir = crate::journal::default_dir();
    let rows: Vec<Vec<String>> = crate::journal::list_journals(&dir)
        .into_iter()
        .map(|j| {
            vec![
                j.started.clone().unwrap_or_else(|| "-".into()),
                match (&j.problem, &j.damage) {
                    (Some(p), _) => format!("(cannot be read: {p})"),
                    (None, Some(_)) if j.unfinished() => {
                        format!("{} (damaged in part, unfinished)", j.names.join(", "))
                    }
                    (None, Some(_)) => format!("{} (damaged in part)", j.names.join(", ")),
                    (None, None) if j.unfinished() => format!("{} (unfinished)", j.names.join(", ")),
                    (None, None) => j.names.join(", "),
                },
                j.processes.to_string(),
                j.failures.to_string(),
                j.stopped.to_string(),
                j.events.to_string(),
                j.path.display().to_string(),
            ]
        })
        .collect();
    if rows.is_empty() {
        out!("no journals in {}", dir.display());
    } else {
        out!(
            "{}",
            summary::table(
                &[
                    "STARTED",
                    "TASKS",
                    "PROCESSES",
                    "FAILURES",
                    "STOPPED",
                    "EVENTS",
                    "JOURNAL"
                ],
                &rows
            )
        );
    }
}

/// Whether a path is a named pipe.
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}
