//! The event schema's one source, and what derives from it.
//!
//! `EventKind` (in `event`) is declared through [`event_kinds!`]: that one
//! list of variants gives its serde form (`{"kind": NAME, ..fields}`, the
//! record of the journal and of JSON Lines exports), `name()` and `NAMES`.
//! The CSV columns are read from the same serde form here. Adding a kind is
//! one variant in `event.rs` (and its line in `Event::text`); see
//! docs/events.md.

use super::Event;
use serde_json::Value;

/// Declares the event kinds: each variant with its kind name and its
/// fields (with their serde attributes). Derives `Serialize`/`Deserialize`
/// internally tagged by `kind`, `name()` and `NAMES` from that one list.
macro_rules! event_kinds {
    (
        $(#[$enum_attr:meta])*
        pub enum $Enum:ident {
            $(
                $(#[$var_attr:meta])*
                $Variant:ident = $name:literal $({
                    $( $(#[$field_attr:meta])* $field:ident : $fty:ty ),* $(,)?
                })?
            ),* $(,)?
        }
    ) => {
        $(#[$enum_attr])*
        #[derive(::serde::Serialize, ::serde::Deserialize)]
        #[serde(tag = "kind")]
        pub enum $Enum {
            $(
                $(#[$var_attr])*
                #[serde(rename = $name)]
                $Variant $({ $( $(#[$field_attr])* $field : $fty ),* })?
            ),*
        }

        impl $Enum {
            /// Every kind name, in declaration order (for filters).
            pub const NAMES: &'static [&'static str] = &[$($name),*];

            /// The kind name: the `kind` field of the event's record.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$Variant { .. } => $name ),*
                }
            }
        }
    };
}
pub(crate) use event_kinds;

/// Event times in records: RFC 3339 with milliseconds and the UTC offset
/// (`2026-11-26T13:18:22.187+00:00`).
pub(crate) mod time_millis {
    use chrono::{DateTime, Datelike, FixedOffset, SecondsFormat, Timelike};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 29];
        match format(t, &mut buf) {
            Some(text) => s.serialize_str(text),
            None => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Millis, false)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let s = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s).map_err(|e| serde::de::Error::custom(format!("bad time `{s}`: {e}")))
    }

    /// The common case without allocating: a four-digit year, no leap
    /// second, an offset of whole minutes. `None`: let chrono do it.
    pub(crate) fn format<'b>(t: &DateTime<FixedOffset>, buf: &'b mut [u8; 29]) -> Option<&'b str> {
        let year = t.year();
        let off = t.offset().local_minus_utc();
        if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 || off % 60 != 0 {
            return None;
        }
        fn put(buf: &mut [u8], at: usize, v: u32, digits: usize) {
            let mut v = v;
            for i in (0..digits).rev() {
                buf[at + i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        }
        let (sign, off) = if off < 0 { (b'-', -off) } else { (b'+', off) };
        let off = off as u32 / 60;
        buf.copy_from_slice(b"0000-00-00T00:00:00.000+00:00");
        put(buf, 0, year as u32, 4);
        put(buf, 5, t.month(), 2);
        put(buf, 8, t.day(), 2);
        put(buf, 11, t.hour(), 2);
        put(buf, 14, t.minute(), 2);
        put(buf, 17, t.second(), 2);
        put(buf, 20, t.nanosecond() / 1_000_000, 3);
        buf[23] = sign;
        put(buf, 24, off / 60, 2);
        put(buf, 27, off % 60, 2);
        std::str::from_utf8(buf).ok()
    }
}

/// The CSV columns: the fields every consumer of an event log expects, in
/// this order. `input` is the input's value (its text), `input_index` its
/// place in the pool's queue; `runtime_seconds` is how long a run took, on
/// the events that end one (`exited`, `task_done`, `task_failed`).
pub const CSV_COLUMNS: [&str; 14] = [
    "seq",
    "time",
    "kind",
    "process",
    "pid",
    "pool",
    "input",
    "input_index",
    "line",
    "exit_code",
    "signal",
    "result",
    "message",
    "runtime_seconds",
];

/// Fields every event may have; the rest belong to its kind.
const COMMON: [&str; 7] = ["seq", "time", "kind", "process", "pid", "pool", "input"];

/// One CSV row: each column is the record's field of that name, but
/// `input` (the value: the event's own `input_text`, else `input_value`,
/// which the writer learned from the input's `task_queued`),
/// `input_index` (the record's `input`) and `runtime_seconds`. A kind with
/// no text field of its own (exited, pool_state, pool_done, ..) puts its
/// human-readable text in `message`.
pub fn csv_values(e: &Event, input_value: Option<&str>) -> [String; 14] {
    use super::EventKind;
    // Output, most rows by far, without going through a JSON value (the
    // same row, 10 times faster).
    if let EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } = &e.kind {
        let mut buf = [0u8; 29];
        let time = time_millis::format(&e.time, &mut buf)
            .map(str::to_string)
            .unwrap_or_else(|| e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, false));
        let text = |v: Option<String>| v.unwrap_or_default();
        return [
            e.seq.to_string(),
            time,
            e.kind.name().to_string(),
            text(e.process.clone()),
            text(e.pid.map(|p| p.to_string())),
            text(e.pool.clone()),
            input_value.unwrap_or_default().to_string(),
            text(e.input.map(|i| i.to_string())),
            line.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ];
    }
    csv_values_of_any(e, input_value)
}

/// [`csv_values`] for any kind, through the event's JSON fields.
fn csv_values_of_any(e: &Event, input_value: Option<&str>) -> [String; 14] {
    use super::EventKind;
    let map = match serde_json::to_value(e) {
        Ok(Value::Object(m)) => m,
        _ => Default::default(),
    };
    let field = |k: &str| match map.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    };
    let mut row = CSV_COLUMNS.map(field);
    row[6] = match map.get("input_text") {
        Some(Value::String(s)) => s.clone(),
        _ => input_value.unwrap_or_default().to_string(),
    };
    row[7] = field("input");
    row[13] = match &e.kind {
        EventKind::Exited { runtime, .. } => number(*runtime),
        EventKind::TaskDone { duration, .. } | EventKind::TaskFailed { duration, .. } => number(*duration),
        EventKind::TaskCancelled {
            duration: Some(d), ..
        } => number(*d),
        _ => String::new(),
    };
    let own_text = map
        .iter()
        .any(|(k, v)| v.is_string() && !COMMON.contains(&k.as_str()));
    // A Slurm state's own text is its state's name: the row says it all.
    if !own_text || matches!(e.kind, EventKind::SlurmState { .. }) {
        row[12] = e.text();
    }
    row
}

/// Seconds as a plain decimal number (what JSON writes: `1.25`, `0.0`).
fn number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    serde_json::to_string(&v).unwrap_or_default()
}

/// Parses one JSON Lines line (a journal's or an export's) into an event.
pub fn parse_json_line(line: &str) -> Result<Event, String> {
    serde_json::from_str(line).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_output_row_is_the_row_its_json_fields_make() {
        use crate::event::{Event, EventKind};
        use chrono::TimeZone;
        let mut cases = vec![
            Event::now(EventKind::stdout("a, \"quoted\" line")),
            Event::now(EventKind::stderr("err")).process("p", Some(42)),
            Event::now(EventKind::Stdout {
                line: "\u{fffd}".into(),
                bytes: Some("/w==".into()),
            })
            .pool("pool", Some(7)),
        ];
        let mut odd = Event::now(EventKind::stdout("year 12345"));
        odd.time = chrono::FixedOffset::east_opt(30)
            .unwrap()
            .with_ymd_and_hms(12345, 1, 2, 3, 4, 5)
            .unwrap();
        cases.push(odd);
        for (i, mut e) in cases.into_iter().enumerate() {
            e.seq = i as u64 + 1;
            for input in [None, Some("the input")] {
                assert_eq!(
                    super::csv_values(&e, input),
                    super::csv_values_of_any(&e, input),
                    "{e:?}"
                );
            }
        }
    }

    use super::time_millis;
    use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone};

    #[test]
    fn time_format_is_chronos_rfc3339_with_millis() {
        let offsets = [0, 3600, -5 * 3600 - 30 * 60, 14 * 3600, -12 * 3600];
        let stamps = [0i64, 1_764_163_102_187, 253_402_300_799_999, 951_782_400_001];
        for off in offsets {
            let tz = FixedOffset::east_opt(off).unwrap();
            for ms in stamps {
                let t: DateTime<FixedOffset> = tz.timestamp_millis_opt(ms).unwrap();
                let mut buf = [0u8; 29];
                let want = t.to_rfc3339_opts(SecondsFormat::Millis, false);
                match time_millis::format(&t, &mut buf) {
                    Some(got) => assert_eq!(got, want),
                    None => assert!(t.format("%Y").to_string().len() != 4, "{want}"),
                }
            }
        }
        // A year past 9999 falls back to chrono rather than lying.
        let far = FixedOffset::east_opt(0)
            .unwrap()
            .with_ymd_and_hms(12345, 1, 1, 0, 0, 0)
            .unwrap();
        assert!(time_millis::format(&far, &mut [0u8; 29]).is_none());
    }
}
