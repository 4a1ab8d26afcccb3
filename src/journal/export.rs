//! Writing events as JSON Lines, CSV or text, atomically (a temp file with
//! a fresh random name in the same directory, then rename).

use crate::event::schema::{csv_values, CSV_COLUMNS};
use crate::event::Event;
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

/// Writes one event in a format.
pub fn write_event(out: &mut impl Write, format: Format, event: &Event) -> io::Result<()> {
    match format {
        Format::JsonLines => {
            serde_json::to_writer(&mut *out, event)?;
            out.write_all(b"\n")
        }
        // One row per line of output (lines read together are one event).
        Format::Csv if event.output_lines() > 1 => {
            let mut result = Ok(());
            event.clone().for_each_line(|e| {
                if result.is_ok() {
                    result = writeln!(out, "{}", csv_row(&csv_values(&e)));
                }
            });
            result
        }
        Format::Csv => writeln!(out, "{}", csv_row(&csv_values(event))),
        Format::Text => writeln!(out, "{}", event.text_line()),
    }
}

/// Writes events one at a time in a format (the header first for CSV).
pub struct EventWriter<W: Write> {
    out: W,
    format: Format,
}

impl<W: Write> EventWriter<W> {
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        write_header(&mut out, format)?;
        Ok(Self { out, format })
    }

    pub fn write(&mut self, event: &Event) -> io::Result<()> {
        write_event(&mut self.out, self.format, event)
    }

    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// An export written as the events come (memory stays flat however long
/// the run), to a file that appears, complete, only on `finish`.
pub struct ExportFile {
    file: AtomicFile,
    format: Format,
    count: u64,
    error: Option<io::Error>,
}

impl ExportFile {
    /// Creates the temporary file now: an unwritable path is an error before
    /// anything runs.
    pub fn create(path: &Path, format: Format) -> io::Result<Self> {
        let mut file = AtomicFile::create(path)?;
        write_header(file.writer(), format)?;
        Ok(Self {
            file,
            format,
            count: 0,
            error: None,
        })
    }

    pub fn write(&mut self, event: &Event) {
        if self.error.is_none() {
            match write_event(self.file.writer(), self.format, event) {
                Ok(()) => self.count += 1,
                Err(e) => self.error = Some(e),
            }
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

/// Writes all `events` to `dest` atomically.
pub fn export_events<'a>(
    dest: &Path,
    format: Format,
    events: impl IntoIterator<Item = &'a Event>,
) -> io::Result<()> {
    let mut file = AtomicFile::create(dest)?;
    {
        let mut w = EventWriter::new(file.writer(), format)?;
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
    fn unwritable_destination_is_an_error_up_front() {
        assert!(AtomicFile::create(Path::new("/nonexistent-dir/x.jsonl")).is_err());
    }
}
