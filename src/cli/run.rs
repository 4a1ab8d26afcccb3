//! `proctor run`: the headless runner. It starts the session, prints every
//! event as a line, waits like `join()` for every non-daemon process and
//! every pool, then stops the daemons, prints a summary and exits 0 only if
//! everything succeeded.

use super::summary;
use crate::engine::command::{Command, StopHow};
use crate::engine::{Engine, EngineConfig};
use crate::event::{Event, EventKind};
use crate::journal::export::{AtomicFile, ExportFile, Format};
use crate::journal::JournalConfig;
use crate::model::SessionModel;
use crate::session::{parse_session_file, Session};
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    pub session: PathBuf,
    /// Also write every event to this file (.jsonl, .csv or .txt).
    #[arg(long)]
    pub export: Option<PathBuf>,
    /// jsonl, csv or text; overrides the export file's extension.
    #[arg(long)]
    pub format: Option<String>,
    /// Write pool results in input order, one JSON object a line.
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// Draw the run (timeline, speedup, CPU and memory) into this SVG file
    /// when it ends, from its journal.
    #[arg(long)]
    pub timeline: Option<PathBuf>,
    /// Colour codes of children's output: on standard output (auto: when
    /// it is a terminal and NO_COLOR is unset or empty) and in a text or
    /// CSV export (auto: removed). Other escape sequences never pass.
    #[arg(long, value_enum, default_value_t, value_name = "WHEN")]
    pub color: crate::ansi::ColorChoice,
    /// Print only the summary, not each event.
    #[arg(long, short)]
    pub quiet: bool,
    /// Keep no journal of this run (by default every event is also appended
    /// to a file under $XDG_STATE_HOME/proctor/sessions/).
    #[arg(long)]
    pub no_journal: bool,
}

/// Runs a session; the exit status is 0, 1, 2 or 130 (docs/exit-codes.md).
pub fn run(args: RunArgs) -> Result<i32> {
    let session = match parse_session_file(&args.session) {
        Ok(s) => s,
        Err(errors) => {
            for e in &errors.0 {
                say!("{e}");
            }
            say!("nothing was started.");
            return Ok(2);
        }
    };
    // No output may overwrite the session file or the other output.
    if let Err(message) = check_output_paths(&args, &session) {
        say!("error: {message}");
        say!("nothing was started.");
        return Ok(2);
    }
    // Open outputs before anything starts: a bad path is an error now.
    let mut export = match &args.export {
        Some(path) => {
            let format = match &args.format {
                Some(f) => Format::from_name(f)
                    .with_context(|| format!("unknown --format `{f}` (use jsonl, csv or text)"))?,
                None => Format::from_path(path).unwrap_or(Format::JsonLines),
            };
            Some(
                ExportFile::create(path, format, !args.color.in_file()).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot write the export file {}: {e}; nothing was started",
                        path.display()
                    )
                })?,
            )
        }
        None => None,
    };
    let results_file = match &args.results {
        Some(p) => Some(AtomicFile::create(p).map_err(|e| {
            anyhow::anyhow!(
                "cannot write the results file {}: {e}; nothing was started",
                p.display()
            )
        })?),
        None => None,
    };

    let journal = match args.no_journal {
        true => None,
        false => {
            Some(JournalConfig::default_location().map_err(|e| anyhow::anyhow!("{e}; nothing was started"))?)
        }
    };
    let engine = Engine::start(EngineConfig {
        journal,
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("{e}; nothing was started"))?;
    let engine_journal_failed = engine.journal_failed();
    let journal_path = engine.journal_path().map(Path::to_path_buf);
    if let Some(p) = engine.journal_path() {
        say!("proctor: journal {}", p.display());
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    install_signal_handlers(&engine, interrupted.clone())?;

    let join = Join::new(&session);
    for task in session.tasks.iter().filter(|t| t.autostart) {
        engine.send(Command::Start { task: task.clone() })?;
    }
    for pool in session.pools.iter().filter(|p| p.autostart) {
        engine.send(Command::StartPool { pool: pool.clone() })?;
    }
    // Tests only: make the engine panic once everything has started.
    if let Some(message) = std::env::var_os("PROCTOR_TEST_PANIC") {
        engine.send(Command::TestPanic(message.to_string_lossy().into_owned()))?;
    }

    let mut out = Printer::stdout();
    let colour = {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR");
        args.color
            .on_terminal(std::io::stdout().is_terminal(), no_color.as_deref())
    };
    let mut model = SessionModel::default();
    let mut stage = Stage::Joining;
    let mut last_flush = Instant::now();
    let mut ended = false;
    // Output lines not printed after a stop signal: what was queued then
    // is in the journal, and printing it could keep Proctor for minutes.
    let mut unprinted: u64 = 0;
    while !ended {
        let first = engine.events().recv_timeout(Duration::from_millis(100));
        let mut batch: Vec<Event> = first.into_iter().collect();
        while batch.len() < 4096 {
            match engine.events().try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        let batch_len = batch.len();
        for e in batch {
            model.apply(&e);
            // Samples are data for the pictures (and the journal), not a
            // line to read every second.
            let samples = matches!(e.kind, EventKind::Samples { .. });
            let stopping = interrupted.load(Ordering::Relaxed);
            if !args.quiet && !samples && stopping && e.output_lines() > 0 {
                unprinted += e.output_lines() as u64;
            } else if !args.quiet && !samples {
                if e.output_lines() > 1 {
                    // Lines read together: one line each (none holds a newline).
                    for line in e.text_line().split('\n') {
                        out.line(&crate::ansi::for_terminal(line, colour));
                    }
                } else {
                    out.line(&crate::ansi::for_terminal(&e.text_line(), colour));
                }
            } else if matches!(e.kind, EventKind::Error { .. }) {
                // Errors are never silent, not even with -q.
                say!("{}", crate::ansi::for_terminal(&e.text_line(), false));
            }
            if matches!(e.kind, EventKind::SessionEnded { .. }) {
                ended = true;
            }
            if let Some(x) = export.as_mut() {
                x.write(&e);
            }
        }
        if last_flush.elapsed() > Duration::from_millis(50) || ended {
            out.flush();
            last_flush = Instant::now();
        }
        if ended {
            break;
        }
        if batch_len < 1024 {
            // Take the queue in batches rather than one wake-up per event:
            // fewer context switches leave the CPUs to the children.
            std::thread::sleep(Duration::from_millis(10));
        }
        if engine.is_finished() && engine.events().is_empty() {
            break;
        }
        if interrupted.load(Ordering::SeqCst) {
            stage = Stage::ShuttingDown;
        }
        if stage == Stage::Joining && join.done(&model) {
            // Every non-daemon process has ended: stop the daemons.
            for name in join.daemons() {
                if model.row(&name).is_some_and(|r| !r.state.is_ended()) {
                    engine.send(Command::Stop {
                        process: name,
                        how: StopHow::Terminate,
                    })?;
                }
            }
            engine.send(Command::Shutdown)?;
            stage = Stage::ShuttingDown;
        }
    }
    out.flush();
    if unprinted > 0 {
        say!(
            "proctor: {unprinted} output line{} not printed after the stop signal{}",
            if unprinted == 1 { "" } else { "s" },
            if args.no_journal {
                ""
            } else if engine_journal_failed.load(Ordering::SeqCst) {
                " (the journal could not be written in full: see the error above)"
            } else {
                " (the journal has them)"
            }
        );
    }
    let failure = engine.failure();
    let now = chrono::Local::now().fixed_offset();
    // Drain anything left (the engine thread has ended).
    let mut rest = Vec::new();
    engine.shutdown(|e| rest.push(e));
    for e in rest {
        model.apply(&e);
        if let Some(x) = export.as_mut() {
            x.write(&e);
        }
    }

    out.line(&format!("\n{}", summary::summary_table(&model, now)));
    for pool in &model.pools {
        out.line(&format!(
            "\nResults of pool `{}` in input order:\n{}",
            summary::cell(&pool.name, summary::MAX_CELL),
            summary::results_in_order(pool)
        ));
        if let Some(t) = &pool.finished {
            out.line(&format!(
                "{} inputs: {} done, {} failed, {} cancelled; wall {:.3}s, busy {:.3}s, speedup {:.2}x",
                t.inputs,
                t.done,
                t.failed,
                t.cancelled,
                t.wall,
                t.busy,
                t.speedup()
            ));
        }
        if let Some(hosts) = summary::hosts_table(pool) {
            out.line(&format!("Per host:\n{hosts}"));
        }
    }
    for line in summary::speedup_lines(&model) {
        out.line(&line);
    }
    out.flush();

    // Every output is attempted, whatever became of the others; each
    // failure is said, and any one makes the exit status non-zero.
    let mut failed = false;
    if engine_journal_failed.load(Ordering::SeqCst) {
        say!("error: the journal could not be written in full (see the error above)");
        failed = true;
    }
    if let Some(e) = out.error() {
        say!("error: cannot write to standard output: {e}");
        failed = true;
    }
    if let (Some(x), Some(path)) = (export, args.export.as_ref()) {
        match x.finish() {
            Ok(n) => say!("wrote {n} events to {}", path.display()),
            Err(e) => {
                say!("error: cannot write the export file {}: {e}", path.display());
                failed = true;
            }
        }
    }
    if let Some(path) = &args.timeline {
        // From the journal when one was kept (what a past session draws);
        // else from the same events, folded here.
        let drawn = match journal_path.as_deref() {
            Some(j) => super::picture::journal_to_svg(j, path).map(|_| ()),
            None => super::picture::write(path, &crate::pictures::svg::svg(&model.pictures, false)),
        };
        match drawn {
            Ok(()) => say!("drew the timeline into {}", path.display()),
            Err(e) => {
                say!("error: {e:#}");
                failed = true;
            }
        }
    }
    if let (Some(mut file), Some(path)) = (results_file, args.results.as_ref()) {
        let mut text = String::new();
        for pool in &model.pools {
            text.push_str(&summary::results_json_lines(pool));
        }
        let written = file
            .writer()
            .write_all(text.as_bytes())
            .and_then(|_| file.commit());
        match written {
            Ok(()) => say!(
                "wrote the results of {} pool(s) to {}",
                model.pools.len(),
                path.display()
            ),
            Err(e) => {
                say!("error: cannot write the results file {}: {e}", path.display());
                failed = true;
            }
        }
    }

    if let Some(why) = failure {
        say!("error: the engine stopped after an internal error: {why}; every process it started was killed");
        return Ok(ENGINE_FAILED);
    }
    if interrupted.load(Ordering::SeqCst) {
        return Ok(130);
    }
    if failed {
        return Ok(1);
    }
    Ok(if join.all_succeeded(&model) { 0 } else { 1 })
}

/// Standard output for the event lines and the summary. A write that fails
/// (a closed pipe, a full disk) ends the printing, not the run: the error
/// is kept, said at the end, and makes the exit status non-zero.
struct Printer {
    out: BufWriter<std::io::Stdout>,
    error: Option<std::io::Error>,
}

impl Printer {
    fn stdout() -> Self {
        Self {
            out: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            error: None,
        }
    }

    fn line(&mut self, text: &str) {
        if self.error.is_none() {
            if let Err(e) = writeln!(self.out, "{text}") {
                self.error = Some(e);
            }
        }
    }

    fn flush(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.flush() {
                self.error = Some(e);
            }
        }
    }

    fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }
}

use super::output_paths::check_output_paths;
pub(super) use super::output_paths::same_file;

/// The exit code when the engine stopped on an internal error (a panic in
/// the supervisor thread); see the exit codes in README.md.
pub const ENGINE_FAILED: i32 = 3;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Joining,
    ShuttingDown,
}

/// What `proctor run` waits for: the non-daemon processes of autostart
/// tasks, and autostart pools.
struct Join {
    waited: Vec<String>,
    daemons: Vec<String>,
    pools: Vec<String>,
}

impl Join {
    fn new(session: &Session) -> Self {
        let mut waited = Vec::new();
        let mut daemons = Vec::new();
        for t in session.tasks.iter().filter(|t| t.autostart) {
            if t.daemon {
                daemons.extend(t.instance_names());
            } else {
                waited.extend(t.instance_names());
            }
        }
        let pools = session
            .pools
            .iter()
            .filter(|p| p.autostart)
            .map(|p| p.name.clone())
            .collect();
        Self {
            waited,
            daemons,
            pools,
        }
    }

    fn daemons(&self) -> Vec<String> {
        self.daemons.clone()
    }

    fn done(&self, model: &SessionModel) -> bool {
        self.waited
            .iter()
            .all(|n| model.row(n).is_some_and(|r| r.state.is_ended()))
            && self
                .pools
                .iter()
                .all(|p| model.pool(p).is_some_and(|p| p.finished.is_some()))
    }

    fn all_succeeded(&self, model: &SessionModel) -> bool {
        let daemons: HashSet<&String> = self.daemons.iter().collect();
        let tasks_ok = model
            .processes
            .iter()
            .filter(|r| r.pool.is_none() && !daemons.contains(&r.name))
            .all(|r| {
                r.exit_code == Some(0) && !matches!(r.state, crate::model::RowState::FailedToStart { .. })
            });
        let pools_ok = model
            .pools
            .iter()
            .all(|p| p.finished.is_some_and(|t| t.failed == 0 && t.cancelled == 0));
        tasks_ok && pools_ok
    }
}

/// SIGINT, SIGTERM and SIGHUP (the terminal closed, an ssh link dropped)
/// stop the session gracefully; a second one kills. A signal that was
/// ignored when Proctor started (`nohup` ignores SIGHUP) stays ignored, as
/// the shell asked.
fn install_signal_handlers(engine: &Engine, flag: Arc<AtomicBool>) -> Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let wanted: Vec<i32> = [SIGINT, SIGTERM, SIGHUP]
        .into_iter()
        .filter(|&s| !signal_ignored(s))
        .collect();
    let mut signals = signal_hook::iterator::Signals::new(&wanted)
        .context("cannot install signal handlers; nothing was started")?;
    let sender = engine.sender();
    std::thread::Builder::new()
        .name("proctor-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let first = !flag.swap(true, Ordering::SeqCst);
                if first {
                    say!("\nproctor: got signal {sig}; stopping every process…");
                    let _ = sender.send(Command::Shutdown);
                } else {
                    // A second Ctrl-C: kill at once.
                    let _ = sender.send(Command::StopAll { how: StopHow::Kill });
                }
            }
        })
        .context("cannot start the signal thread")?;
    Ok(())
}

/// Whether `sig`'s action is SIG_IGN now.
pub fn signal_ignored(sig: i32) -> bool {
    // SAFETY: sigaction only reads the current action into `old`.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}
