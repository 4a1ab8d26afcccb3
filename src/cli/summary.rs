//! The end-of-run summary and pool results, as plain text and JSON.

use crate::event::exit::describe_exit;
use crate::model::{InputStatus, PoolRow, ProcessRow, SessionModel};
use chrono::{DateTime, FixedOffset};

/// Rows of the summary table: name, pid, exit code, runtime, restarts.
pub fn summary_rows(model: &SessionModel, now: DateTime<FixedOffset>) -> Vec<[String; 5]> {
    model.processes.iter().map(|r| summary_row(r, now)).collect()
}

fn summary_row(r: &ProcessRow, now: DateTime<FixedOffset>) -> [String; 5] {
    let exit = match (&r.state, r.exit_code) {
        (crate::model::RowState::FailedToStart { .. }, _) => "failed to start".to_string(),
        (_, Some(c)) => describe_exit(c),
        (s, None) => s.label().to_string(),
    };
    [
        r.name.clone(),
        r.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into()),
        exit,
        r.runtime(now)
            .map(|s| format!("{s:.2}s"))
            .unwrap_or_else(|| "-".into()),
        r.restarts.to_string(),
    ]
}

/// The widest a table cell is shown, in characters; longer text is cut
/// with `…` (the whole value stays in the journal, exports and --results).
pub const MAX_CELL: usize = 120;

/// A cell as a terminal may show it: control characters escaped (a child's
/// escape sequences never reach the terminal), at most `max` characters.
pub fn cell(text: &str, max: usize) -> String {
    shown_cell(text, max).0.into_owned()
}

/// [`cell`] without a copy where none is needed, with its width in
/// characters.
fn shown_cell(text: &str, max: usize) -> (std::borrow::Cow<'_, str>, usize) {
    let safe = terminal_safe(text);
    let width = if safe.is_ascii() {
        safe.len()
    } else {
        safe.chars().count()
    };
    if width <= max {
        return (safe, width);
    }
    let mut cut: String = safe.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    (std::borrow::Cow::Owned(cut), max.max(1))
}

/// Text with every control character (but tab) written as an escape:
/// `\n`, `\r`, `\x1b`, ... Text without any is returned as it is.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    // Printable ASCII (the common case) needs no look at each character.
    if text.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t') {
        return std::borrow::Cow::Borrowed(text);
    }
    if !text
        .chars()
        .any(|c| (c.is_control() && c != '\t') || is_bidi_control(c))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push('\t'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_bidi_control(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c if c.is_control() => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02x}"));
                } else {
                    out.push_str(&format!("\\u{{{n:x}}}"));
                }
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// The invisible marks that reorder what a terminal shows after them
/// (right-to-left overrides and isolates): a name or a line could hide
/// what it says behind them.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Formats rows as an aligned text table with a header. Cells are made
/// terminal-safe and cut to [`MAX_CELL`] characters, so no width is ever
/// out of the formatter's range and one long value cannot bury the table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<(std::borrow::Cow<'_, str>, usize)>> = rows
        .iter()
        .map(|r| r.iter().map(|c| shown_cell(c, MAX_CELL)).collect())
        .collect();
    let head: Vec<(std::borrow::Cow<'_, str>, usize)> =
        header.iter().map(|h| shown_cell(h, MAX_CELL)).collect();
    let mut widths: Vec<usize> = head.iter().map(|h| h.1).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(widths.len()) {
            widths[i] = widths[i].max(c.1);
        }
    }
    let rule: Vec<(std::borrow::Cow<'_, str>, usize)> =
        widths.iter().map(|&w| ("-".repeat(w).into(), w)).collect();
    let mut out = String::with_capacity((rows.len() + 2) * (widths.iter().sum::<usize>() + 2 * widths.len()));
    let line = |out: &mut String, cells: &[(std::borrow::Cow<'_, str>, usize)]| {
        let start = out.len();
        for (i, (c, w)) in cells.iter().enumerate().take(widths.len()) {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(c);
            out.extend(std::iter::repeat_n(' ', widths[i].saturating_sub(*w)));
        }
        let kept = out[start..].trim_end().len();
        out.truncate(start + kept);
    };
    line(&mut out, &head);
    out.push('\n');
    line(&mut out, &rule);
    for r in &rows {
        out.push('\n');
        line(&mut out, r);
    }
    out
}

pub fn summary_table(model: &SessionModel, now: DateTime<FixedOffset>) -> String {
    let rows: Vec<Vec<String>> = summary_rows(model, now).into_iter().map(|r| r.to_vec()).collect();
    table(&["NAME", "PID", "EXIT", "RUNTIME", "RESTARTS"], &rows)
}

/// Each pool's speedup in words (wall, the inputs' time added up, speedup,
/// efficiency, each worker's busy share, the stragglers).
pub fn speedup_lines(model: &SessionModel) -> Vec<String> {
    let p = &model.pictures;
    let mut out = Vec::new();
    for pool in &p.pools {
        let s = crate::pictures::speedup::speedup(pool, p.last);
        out.extend(
            crate::pictures::speedup::describe(&pool.name, &s)
                .into_iter()
                .map(|l| terminal_safe(&l).into_owned()),
        );
    }
    out
}

/// A pool's results in input order (`map` order); a Slurm pool's with
/// each input's last Slurm state (and its status said as Slurm says it:
/// `timeout`, `node failure`).
pub fn results_in_order(pool: &PoolRow) -> String {
    let slurm = pool.inputs.iter().any(|r| r.slurm.is_some());
    let rows: Vec<Vec<String>> = pool
        .inputs
        .iter()
        .map(|r| {
            let mut row = vec![
                r.index.to_string(),
                r.input.clone(),
                r.status_text(),
                r.exit_code.map(describe_exit).unwrap_or_default(),
                r.worker.clone().unwrap_or_default(),
                r.duration.map(|d| format!("{d:.3}s")).unwrap_or_default(),
                match r.status {
                    InputStatus::Done => r.result.clone().unwrap_or_default(),
                    _ => r.message.clone().unwrap_or_default(),
                },
            ];
            if slurm {
                let s = r.slurm.as_ref().map(|s| s.text()).unwrap_or_default();
                row.insert(6, s);
            }
            row
        })
        .collect();
    if slurm {
        return table(
            &[
                "#", "INPUT", "STATUS", "EXIT", "WORKER", "TIME", "SLURM", "RESULT",
            ],
            &rows,
        );
    }
    table(
        &["#", "INPUT", "STATUS", "EXIT", "WORKER", "TIME", "RESULT"],
        &rows,
    )
}

/// Per-host figures of a pool that ran on hosts or Slurm nodes: inputs
/// done and failed there, their time, inputs done a second over the
/// pool's wall time, and whether the host went down.
pub fn hosts_table(pool: &PoolRow) -> Option<String> {
    let figures = pool.per_host();
    if figures.is_empty() {
        return None;
    }
    let wall = pool.finished.map_or(0.0, |t| t.wall);
    let rows: Vec<Vec<String>> = figures
        .iter()
        .map(|f| {
            vec![
                f.host.clone(),
                f.done.to_string(),
                f.failed.to_string(),
                format!("{:.3}s", f.busy),
                format!("{:.2}/s", f.throughput(wall)),
                if f.down { "down".into() } else { String::new() },
            ]
        })
        .collect();
    Some(table(&["HOST", "DONE", "FAILED", "BUSY", "RATE", ""], &rows))
}

/// One JSON object a line, in input order.
pub fn results_json_lines(pool: &PoolRow) -> String {
    let mut out = String::new();
    for r in &pool.inputs {
        let mut v = serde_json::json!({
            "pool": pool.name,
            "index": r.index,
            "input": r.input,
            "status": r.status.label(),
            "exit_code": r.exit_code,
            "result": r.result,
            "message": r.message,
            "worker": r.worker,
            "duration": r.duration,
        });
        if let (Some(h), Some(o)) = (&r.host, v.as_object_mut()) {
            o.insert("host".into(), h.clone().into());
        }
        // Slurm's word: `"slurm": {"state": "timeout"}`, `{"state":
        // "failed", "exit_code": 3}`, `{"state": "pending", "reason": ..}`.
        if let (Some(s), Some(o)) = (&r.slurm, v.as_object_mut()) {
            if let Ok(s) = serde_json::to_value(s) {
                o.insert("slurm".into(), s);
            }
        }
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns() {
        let t = table(&["A", "BB"], &[vec!["long".into(), "x".into()]]);
        assert_eq!(t, "A     BB\n----  --\nlong  x");
    }

    #[test]
    fn huge_cells_are_cut_not_a_panic() {
        let huge = "y".repeat(70_000);
        let t = table(
            &["A", "B"],
            &[vec![huge.clone(), "x".into()], vec!["s".into(), huge]],
        );
        for line in t.lines() {
            assert!(line.chars().count() <= 2 * MAX_CELL + 2, "{}", line.len());
        }
        assert!(t.contains('…'));
    }

    #[test]
    fn slurm_states_reach_the_summary_and_the_results() {
        use crate::event::slurm::SlurmState;
        use crate::event::{Event, EventKind};
        let mut m = SessionModel::default();
        let on = |k: EventKind| Event::now(k).pool("p", Some(0)).process("p/worker-1", None);
        m.apply(&on(EventKind::TaskQueued {
            input_text: "x".into(),
        }));
        m.apply(&on(EventKind::TaskStarted {
            input_text: "x".into(),
        }));
        m.apply(&on(EventKind::SlurmState {
            job: "9".into(),
            state: SlurmState::Timeout,
        }));
        m.apply(&on(EventKind::TaskFailed {
            exit_code: None,
            message: "ran past its time limit".into(),
            duration: 61.0,
            will_retry: false,
        }));
        let pool = m.pool("p").unwrap();
        let t = results_in_order(pool);
        assert!(t.lines().next().unwrap().contains("SLURM"), "{t}");
        assert!(t.lines().nth(2).unwrap().contains("timeout"), "{t}");
        let j: serde_json::Value = serde_json::from_str(results_json_lines(pool).trim()).unwrap();
        assert_eq!(j["status"], "failed");
        assert_eq!(j["slurm"]["state"], "timeout");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(cell("a\x1b[31mred\n", 100), "a\\x1b[31mred\\n");
        assert_eq!(terminal_safe("plain\ttab"), "plain\ttab");
        assert_eq!(cell("\u{9b}2J", 100), "\\x9b2J");
        assert_eq!(terminal_safe("ab\u{202e}cd"), "ab\\u{202e}cd");
    }
}
