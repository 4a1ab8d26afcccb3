//! Writing events as JSON Lines, CSV or text, atomically (a temp file with
//! a fresh random name in the same directory, then rename).

use crate::event::schema::{csv_values, CSV_COLUMNS};
use crate::event::Event;
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

pub use super::output::AtomicFile;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
    Text,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::JsonLines, Format::Csv, Format::Text];

    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "jsonl" | "json" | "ndjson" | "jsonlines" => Some(Self::JsonLines),
            "csv" => Some(Self::Csv),
            "txt" | "text" | "log" => Some(Self::Text),
            _ => None,
        }
    }

    /// From a path's extension.
    pub fn from_path(path: &Path) -> Option<Self> {
        path.extension()
            .and_then(|e| e.to_str())
            .and_then(Self::from_name)
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::JsonLines => "jsonl",
            Self::Csv => "csv",
            Self::Text => "txt",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::JsonLines => "JSON Lines",
            Self::Csv => "CSV",
            Self::Text => "Text",
        }
    }
}

/// Quotes one CSV field when it needs it (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn csv_row(fields: &[impl AsRef<str>]) -> String {
    let cells: Vec<String> = fields.iter().map(|f| csv_field(f.as_ref())).collect();
    cells.join(",")
}

/// Writes the CSV header (other formats have none).
pub fn write_header(out: &mut impl Write, format: Format) -> io::Result<()> {
    if format == Format::Csv {
        writeln!(out, "{}", csv_row(&CSV_COLUMNS))?;
    }
    Ok(())
}

/// Writes one event in a format (a CSV row's `input` is the value only on
/// the events that carry it; `EventWriter` fills it in on every row).
pub fn write_event(out: &mut impl Write, format: Format, event: &Event) -> io::Result<()> {
    match format {
        Format::JsonLines => {
            serde_json::to_writer(&mut *out, event)?;
            out.write_all(b"\n")
        }
        Format::Csv => csv_rows(out, event, None),
        Format::Text => writeln!(out, "{}", event.text_line()),
    }
}

/// An event's CSV rows: one, or one per line of output for lines read
/// together (one event whose `line` holds them joined by newlines).
fn csv_rows(out: &mut impl Write, event: &Event, input_value: Option<&str>) -> io::Result<()> {
    use crate::event::EventKind;
    let values = csv_values(event, input_value);
    let text = match &event.kind {
        EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } if line.contains('\n') => line,
        _ => return writeln!(out, "{}", csv_row(&values)),
    };
    // The lines differ only in their `line` cell: the others are made once.
    let before = csv_row(&values[..8]);
    let after = csv_row(&values[9..]);
    for piece in text.split('\n') {
        writeln!(out, "{before},{},{after}", csv_field(piece))?;
    }
    Ok(())
}

/// Each line of a text stripped on its own: the newlines that join lines
/// read together stay.
pub fn strip_lines(text: &str) -> String {
    if text.contains('\n') {
        text.split('\n')
            .map(crate::ansi::strip)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        crate::ansi::strip(text)
    }
}

/// An event with the escape sequences and control characters of a child's
/// output removed (see `crate::ansi::strip`), for plain exports.
pub fn plain_event(e: &Event) -> Event {
    use crate::event::EventKind;
    let mut e = e.clone();
    e.kind = match e.kind {
        EventKind::Stdout { line, .. } => EventKind::stdout(strip_lines(&line)),
        EventKind::Stderr { line, .. } => EventKind::stderr(strip_lines(&line)),
        k => k,
    };
    e
}

/// An event whose output keeps its colours (SGR) and nothing else of the
/// child's control sequences, as `proctor run --color always` prints it:
/// for text and CSV exports with colours kept (JSON Lines escapes them).
pub fn coloured_event(e: &Event) -> Event {
    use crate::ansi::for_terminal;
    use crate::event::EventKind;
    // Each line on its own: the newlines that join lines read together
    // stay newlines (a control character inside a line is escaped).
    let coloured = |text: &str| {
        text.split('\n')
            .map(|l| for_terminal(l, true))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut e = e.clone();
    e.kind = match e.kind {
        EventKind::Stdout { line, .. } => EventKind::stdout(coloured(&line)),
        EventKind::Stderr { line, .. } => EventKind::stderr(coloured(&line)),
        k => k,
    };
    e
}

/// The values of pool inputs by pool and index, learned from
/// `task_queued` (and `task_started`), so that every CSV row of an input
/// says its value.
#[derive(Default)]
pub struct InputValues {
    values: HashMap<(String, u64), String>,
}

impl InputValues {
    pub fn observe(&mut self, e: &Event) {
        use crate::event::EventKind;
        if let (
            Some(pool),
            Some(i),
            EventKind::TaskQueued { input_text } | EventKind::TaskStarted { input_text },
        ) = (&e.pool, e.input, &e.kind)
        {
            self.values
                .entry((pool.clone(), i))
                .or_insert_with(|| input_text.clone());
        }
    }

    pub fn get(&self, e: &Event) -> Option<&str> {
        let (pool, i) = (e.pool.as_ref()?, e.input?);
        self.values.get(&(pool.clone(), i)).map(String::as_str)
    }
}

fn is_output(e: &Event) -> bool {
    use crate::event::EventKind;
    matches!(e.kind, EventKind::Stdout { .. } | EventKind::Stderr { .. })
}

/// Writes one event as an export shows it: children's output plain or with
/// only its colours, and for CSV a row per line with its input's value.
fn write_shown(
    out: &mut impl Write,
    format: Format,
    plain: bool,
    inputs: &mut InputValues,
    event: &Event,
) -> io::Result<()> {
    if format == Format::Csv {
        inputs.observe(event);
    }
    let shown;
    let event = if is_output(event) && (plain || format != Format::JsonLines) {
        shown = if plain {
            plain_event(event)
        } else {
            coloured_event(event)
        };
        &shown
    } else {
        event
    };
    match format {
        Format::Csv => csv_rows(out, event, inputs.get(event)),
        f => write_event(out, f, event),
    }
}

/// Writes events one at a time in a format (the header first for CSV),
/// optionally plain (output without colour codes in text and CSV).
pub struct EventWriter<W: Write> {
    out: W,
    format: Format,
    plain: bool,
    inputs: InputValues,
}

impl<W: Write> EventWriter<W> {
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        write_header(&mut out, format)?;
        Ok(Self {
            out,
            format,
            plain: false,
            inputs: InputValues::default(),
        })
    }

    /// Children's output without escape sequences (text and CSV; JSON
    /// Lines stays lossless).
    pub fn plain(mut self, plain: bool) -> Self {
        self.plain = plain && self.format != Format::JsonLines;
        self
    }

    /// An event that is not written (filtered out) but may name an input's
    /// value.
    pub fn observe(&mut self, event: &Event) {
        if self.format == Format::Csv {
            self.inputs.observe(event);
        }
    }

    pub fn write(&mut self, event: &Event) -> io::Result<()> {
        write_shown(&mut self.out, self.format, self.plain, &mut self.inputs, event)
    }

    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// An export written as the events come (memory stays flat however long
/// the run, but for the values of pool inputs a CSV names), to a file that
/// appears, complete, only on `finish`.
pub struct ExportFile {
    file: AtomicFile,
    format: Format,
    plain: bool,
    inputs: InputValues,
    count: u64,
    error: Option<io::Error>,
}

impl ExportFile {
    /// Creates the temporary file now: an unwritable path is an error before
    /// anything runs. `plain`: children's output without escape sequences
    /// (text and CSV).
    pub fn create(path: &Path, format: Format, plain: bool) -> io::Result<Self> {
        let mut file = AtomicFile::create(path)?;
        write_header(file.writer(), format)?;
        Ok(Self {
            file,
            format,
            plain: plain && format != Format::JsonLines,
            inputs: InputValues::default(),
            count: 0,
            error: None,
        })
    }

    pub fn write(&mut self, event: &Event) {
        if self.error.is_some() {
            return;
        }
        let r = write_shown(
            self.file.writer(),
            self.format,
            self.plain,
            &mut self.inputs,
            event,
        );
        match r {
            Ok(()) => self.count += 1,
            Err(e) => self.error = Some(e),
        }
    }

    /// Renames the file into place; the number of events written.
    pub fn finish(self) -> io::Result<u64> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let n = self.count;
        self.file.commit()?;
        Ok(n)
    }
}

/// Writes all `events` to `dest` atomically, output as it was.
pub fn export_events<'a>(
    dest: &Path,
    format: Format,
    events: impl IntoIterator<Item = &'a Event>,
) -> io::Result<()> {
    export_events_with(dest, format, events, false)
}

/// Writes all `events` to `dest` atomically; `plain`: children's output
/// without escape sequences (text and CSV).
pub fn export_events_with<'a>(
    dest: &Path,
    format: Format,
    events: impl IntoIterator<Item = &'a Event>,
    plain: bool,
) -> io::Result<()> {
    let mut file = AtomicFile::create(dest)?;
    {
        let mut w = EventWriter::new(file.writer(), format)?.plain(plain);
        for e in events {
            w.write(e)?;
        }
        w.into_inner()?;
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_commas_quotes_and_newlines() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(
            Format::from_path(Path::new("a/run.jsonl")),
            Some(Format::JsonLines)
        );
        assert_eq!(Format::from_path(Path::new("run.CSV")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("run.txt")), Some(Format::Text));
        assert_eq!(Format::from_path(Path::new("run")), None);
    }

    #[test]
    fn lines_read_together_are_a_row_each_with_colours_kept_or_not() {
        use crate::event::EventKind;
        let raw = b"\x1b[31mred\x1b[0m\nplain \\n literal\n\xff\x07bell";
        let e = Event::now(EventKind::Stdout {
            line: "\u{1b}[31mred\u{1b}[0m\nplain \\n literal\n\u{fffd}\u{7}bell".into(),
            bytes: Some(crate::event::raw::encode(raw)),
        })
        .process("p", Some(1));
        for format in [Format::Text, Format::Csv] {
            for plain in [true, false] {
                let mut w = EventWriter::new(Vec::new(), format).unwrap().plain(plain);
                w.write(&e).unwrap();
                let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
                let rows: Vec<&str> = text.lines().filter(|l| l.contains("stdout")).collect();
                assert_eq!(rows.len(), 3, "{format:?} plain {plain}: {text}");
                assert!(
                    rows[1].contains("plain \\n literal"),
                    "a written backslash-n stays: {text}"
                );
                assert!(
                    !rows[2].contains('\u{7}'),
                    "a control character never reaches the file raw"
                );
                assert_eq!(
                    rows[0].contains("\u{1b}[31m"),
                    !plain,
                    "colours kept only when asked: {text}"
                );
            }
        }
    }

    #[test]
    fn unwritable_destination_is_an_error_up_front() {
        assert!(AtomicFile::create(Path::new("/nonexistent-dir/x.jsonl")).is_err());
    }
}
