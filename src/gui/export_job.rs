//! Exports on a helper thread. A log export reads the session's journal
//! (so it is complete whatever the size of the in-memory window), waits
//! briefly for the journal to catch up with what the app has seen, then
//! adds whatever newer events the app holds that the journal lacks. The
//! file is written atomically: a temp file, then a rename; a failure leaves
//! an earlier file intact and comes back as words.

use super::log::LogFilter;
use crate::event::{parse_json_line, Event};
use crate::journal::export::{AtomicFile, EventWriter, Format};
use crossbeam_channel::{unbounded, Receiver};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long a live export waits for the journal to reach the newest event.
const CATCH_UP: Duration = Duration::from_secs(3);

/// What to export.
pub enum ExportWhat {
    Log(LogExport),
    /// Already-rendered text (the process table as CSV).
    Text(String),
    /// The pictures as an SVG document (File ▸ Export picture…).
    Picture(String),
}

pub struct LogExport {
    pub format: Format,
    /// `None`: every event; else only those this filter passes.
    pub filter: Option<LogFilter>,
    /// The journal to read; `None` when the session keeps none.
    pub journal: Option<PathBuf>,
    /// The journal is still being written (a live session).
    pub live: bool,
    /// The newest seq the app has seen: a live journal is read until it
    /// reaches it (or `CATCH_UP` passes).
    pub upto: u64,
    /// Events held in memory, oldest first; those newer than the journal's
    /// last are added after it (all of them if there is no journal).
    pub tail: Vec<Event>,
    /// Children's output without its colour codes (text and CSV).
    pub plain: bool,
}

/// The unit of a picture's export (said as "the timeline picture").
pub const PICTURE: &str = "picture";

/// How an export went.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    pub dest: PathBuf,
    /// Events (or table rows) written.
    pub count: u64,
    /// "events", "rows" or [`PICTURE`].
    pub unit: &'static str,
    /// Something the user should know (e.g. unreadable journal lines).
    pub note: Option<String>,
}

enum Msg {
    Progress(u64),
    Done(Result<Exported, String>),
}

/// A running export.
pub struct ExportJob {
    rx: Receiver<Msg>,
    pub dest: PathBuf,
    pub progress: u64,
}

impl ExportJob {
    pub fn spawn(dest: PathBuf, what: ExportWhat, ctx: egui::Context) -> Result<Self, String> {
        let (tx, rx) = unbounded();
        let d = dest.clone();
        std::thread::Builder::new()
            .name("proctor-export".into())
            .spawn(move || {
                let progress = |n| {
                    let _ = tx.send(Msg::Progress(n));
                    ctx.request_repaint();
                };
                let r = match what {
                    ExportWhat::Log(req) => export_log(&d, req, progress),
                    ExportWhat::Text(text) => write_text(&d, &text),
                    ExportWhat::Picture(svg) => write_text(&d, &svg).map(|x| Exported {
                        count: 1,
                        unit: PICTURE,
                        ..x
                    }),
                };
                let r = r.map_err(|e| format!("could not write {}: {e}", d.display()));
                let _ = tx.send(Msg::Done(r));
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start the export: {e}"))?;
        Ok(Self {
            rx,
            dest,
            progress: 0,
        })
    }

    /// The result, once there is one.
    pub fn poll(&mut self) -> Option<Result<Exported, String>> {
        loop {
            match self.rx.try_recv() {
                Ok(Msg::Progress(n)) => self.progress = n,
                Ok(Msg::Done(r)) => return Some(r),
                Err(crossbeam_channel::TryRecvError::Empty) => return None,
                Err(crossbeam_channel::TryRecvError::Disconnected) => {
                    return Some(Err(format!(
                        "the export to {} stopped unexpectedly",
                        self.dest.display()
                    )))
                }
            }
        }
    }
}

fn write_text(dest: &std::path::Path, text: &str) -> std::io::Result<Exported> {
    let mut f = AtomicFile::create(dest)?;
    f.writer().write_all(text.as_bytes())?;
    f.commit()?;
    Ok(Exported {
        dest: dest.to_path_buf(),
        count: text.lines().count().saturating_sub(1) as u64,
        unit: "rows",
        note: None,
    })
}

/// Writes the events of `req` to `dest`; `progress` hears the count now and then.
pub fn export_log(
    dest: &std::path::Path,
    req: LogExport,
    progress: impl Fn(u64),
) -> std::io::Result<Exported> {
    let mut file = AtomicFile::create(dest)?;
    let mut count = 0u64;
    let mut last_seq = 0u64;
    let mut bad_lines = 0u64;
    let mut note = None;
    {
        let mut w = EventWriter::new(file.writer(), req.format)?.plain(req.plain);
        let keep = |e: &Event| req.filter.as_ref().is_none_or(|f| f.matches(e));
        if let Some(path) = &req.journal {
            match crate::journal::open_journal(path) {
                Ok(f) => {
                    let mut r = BufReader::with_capacity(256 * 1024, f);
                    let mut line = Vec::new();
                    let deadline = Instant::now() + CATCH_UP;
                    loop {
                        let n = r.read_until(b'\n', &mut line)?;
                        let whole = line.last() == Some(&b'\n');
                        let waiting = req.live && last_seq < req.upto && Instant::now() < deadline;
                        if !whole && waiting {
                            // The end of what is flushed; the rest comes within 100 ms.
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        }
                        if n == 0 && line.is_empty() {
                            break;
                        }
                        let text = String::from_utf8_lossy(&line);
                        if !text.trim().is_empty() {
                            match parse_json_line(&text) {
                                Ok(e) => {
                                    last_seq = last_seq.max(e.seq);
                                    if keep(&e) {
                                        w.write(&e)?;
                                        count += 1;
                                        if count % 20_000 == 0 {
                                            progress(count);
                                        }
                                    } else {
                                        w.observe(&e);
                                    }
                                }
                                Err(_) => bad_lines += 1,
                            }
                        }
                        line.clear();
                        if !whole {
                            break;
                        }
                    }
                }
                Err(e) => {
                    note = Some(format!(
                        "the journal {} could not be read ({e}); exported the events kept in memory",
                        path.display()
                    ))
                }
            }
        }
        for e in req.tail.iter().filter(|e| e.seq > last_seq || e.seq == 0) {
            if keep(e) {
                w.write(e)?;
                count += 1;
            } else {
                w.observe(e);
            }
        }
        w.into_inner()?;
    }
    file.commit()?;
    if bad_lines > 0 {
        note = Some(format!(
            "{} skipped",
            super::plural::count(bad_lines, "unreadable journal line")
        ));
    }
    Ok(Exported {
        dest: dest.to_path_buf(),
        count,
        unit: "events",
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    fn ev(seq: u64, line: &str) -> Event {
        let mut e = Event::now(EventKind::stdout(line)).process("p", Some(1));
        e.seq = seq;
        e
    }

    fn journal_of(dir: &std::path::Path, events: &[Event]) -> PathBuf {
        let p = dir.join("j.jsonl");
        let mut text = String::new();
        for e in events {
            text.push_str(&serde_json::to_string(e).unwrap_or_default());
            text.push('\n');
        }
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn journal_then_the_newer_tail_nothing_twice() {
        let dir = tempfile::tempdir().unwrap();
        let all: Vec<Event> = (1..=10).map(|i| ev(i, &format!("line {i}"))).collect();
        let journal = journal_of(dir.path(), &all[..7]);
        let dest = dir.path().join("out.jsonl");
        let req = LogExport {
            format: Format::JsonLines,
            filter: None,
            journal: Some(journal),
            live: false,
            upto: 10,
            tail: all[5..].to_vec(),
            plain: false,
        };
        let done = export_log(&dest, req, |_| {}).unwrap();
        assert_eq!(done.count, 10);
        let text = std::fs::read_to_string(&dest).unwrap();
        for i in 1..=10 {
            assert_eq!(text.matches(&format!("\"line {i}\"")).count(), 1, "{text}");
        }
    }

    #[test]
    fn a_live_journal_is_read_until_it_catches_up() {
        let dir = tempfile::tempdir().unwrap();
        let all: Vec<Event> = (1..=4).map(|i| ev(i, &format!("l{i}"))).collect();
        let journal = journal_of(dir.path(), &all[..2]);
        let late = journal.clone();
        let rest = all[2..].to_vec();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(150));
            let mut f = std::fs::OpenOptions::new().append(true).open(late).unwrap();
            for e in rest {
                let line = serde_json::to_string(&e).unwrap();
                writeln!(f, "{line}").unwrap();
            }
        });
        let dest = dir.path().join("out.csv");
        let req = LogExport {
            format: Format::Csv,
            filter: None,
            journal: Some(journal),
            live: true,
            upto: 4,
            tail: Vec::new(),
            plain: false,
        };
        let done = export_log(&dest, req, |_| {}).unwrap();
        writer.join().unwrap();
        assert_eq!(done.count, 4);
        assert_eq!(std::fs::read_to_string(&dest).unwrap().lines().count(), 5);
    }

    #[test]
    fn a_plain_export_has_the_text_without_its_colour_codes() {
        use crate::event::EventKind;
        use crate::journal::export::plain_event;
        let e = Event::now(EventKind::stdout(
            "\u{1b}[1;31mred\u{1b}[0m and \u{1b}]0;title\u{7}plain",
        ))
        .process("p", Some(1));
        let p = plain_event(&e);
        assert_eq!(p.text(), "red and plain");
        assert_eq!(p.seq, e.seq);
        let exit = Event::now(EventKind::Exited {
            exit_code: 0,
            runtime: 1.0,
            restart_in: None,
            usage: None,
            stopped: false,
        });
        assert_eq!(plain_event(&exit), exit, "other kinds as they were");
    }
}
