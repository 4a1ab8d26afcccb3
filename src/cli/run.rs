//! `proctor run`: the headless runner. It starts the session, prints every
//! event as a line, waits like `join()` for every non-daemon process and
//! every pool, then stops the daemons, prints a summary and exits 0 only if
//! everything succeeded.

use super::summary;
use crate::engine::command::{Command, StopHow};
use crate::engine::event::{Event, EventKind};
use crate::engine::export::{AtomicFile, ExportFile, Format};
use crate::engine::journal::JournalConfig;
use crate::engine::spec::{parse_session_file, Session};
use crate::engine::{Engine, EngineConfig};
use crate::model::SessionModel;
use anyhow::{Context, Result};
use std::collections::HashSet;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
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
                eprintln!("{e}");
            }
            eprintln!("nothing was started.");
            return Ok(2);
        }
    };
    // Open outputs before anything starts: a bad path is an error now.
    let mut export = match &args.export {
        Some(path) => {
            let format = match &args.format {
                Some(f) => Format::from_name(f)
                    .with_context(|| format!("unknown --format `{f}` (use jsonl, csv or text)"))?,
                None => Format::from_path(path).unwrap_or(Format::JsonLines),
            };
            Some(
                ExportFile::create(path, format)
                    .with_context(|| format!("cannot write the export file {}", path.display()))?,
            )
        }
        None => None,
    };
    let results_file = match &args.results {
        Some(p) => Some(
            AtomicFile::create(p)
                .with_context(|| format!("cannot write the results file {}", p.display()))?,
        ),
        None => None,
    };

    let journal = (!args.no_journal).then(JournalConfig::default_location);
    let engine = Engine::start(EngineConfig {
        journal,
        ..Default::default()
    })?;
    if let Some(p) = engine.journal_path() {
        eprintln!("proctor: journal {}", p.display());
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

    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut model = SessionModel::default();
    let mut stage = Stage::Joining;
    let mut last_flush = Instant::now();
    let mut ended = false;
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
            if !args.quiet {
                let _ = writeln!(out, "{}", e.text_line());
            }
            if matches!(e.kind, EventKind::SessionEnded { .. }) {
                ended = true;
            }
            if let Some(x) = export.as_mut() {
                x.write(&e);
            }
        }
        if last_flush.elapsed() > Duration::from_millis(50) || ended {
            let _ = out.flush();
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
    let _ = out.flush();
    drop(out);
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

    println!("\n{}", summary::summary_table(&model, now));
    for pool in &model.pools {
        println!(
            "\nResults of pool `{}` in input order:\n{}",
            pool.name,
            summary::results_in_order(pool)
        );
        if let Some(t) = &pool.finished {
            println!(
                "{} inputs: {} done, {} failed, {} cancelled; wall {:.3}s, busy {:.3}s, speedup {:.2}x",
                t.inputs,
                t.done,
                t.failed,
                t.cancelled,
                t.wall,
                t.busy,
                t.speedup()
            );
        }
    }

    if let Some(x) = export {
        let path = args.export.as_ref().expect("export path");
        match x.finish() {
            Ok(n) => eprintln!("wrote {n} events to {}", path.display()),
            Err(e) => {
                eprintln!("error: cannot write the export file {}: {e}", path.display());
                return Ok(1);
            }
        }
    }
    if let Some(mut file) = results_file {
        let path = args.results.as_ref().expect("results path");
        let mut text = String::new();
        for pool in &model.pools {
            text.push_str(&summary::results_json_lines(pool));
        }
        let written = file
            .writer()
            .write_all(text.as_bytes())
            .and_then(|_| file.commit());
        if let Err(e) = written {
            eprintln!("error: cannot write the results file {}: {e}", path.display());
            return Ok(1);
        }
    }

    if interrupted.load(Ordering::SeqCst) {
        return Ok(130);
    }
    Ok(if join.all_succeeded(&model) { 0 } else { 1 })
}

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

fn install_signal_handlers(engine: &Engine, flag: Arc<AtomicBool>) -> Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).context("cannot install signal handlers")?;
    let sender = engine.sender();
    std::thread::Builder::new()
        .name("proctor-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let first = !flag.swap(true, Ordering::SeqCst);
                if first {
                    eprintln!("\nproctor: got signal {sig}; stopping every process…");
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
