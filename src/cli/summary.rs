//! The end-of-run summary and pool results, as plain text and JSON.

use crate::engine::exit::describe_exit;
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

/// Formats rows as an aligned text table with a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| -> String {
        let parts: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:<w$}", c, w = widths[i]))
            .collect();
        parts.join("  ").trim_end().to_string()
    };
    let mut out = line(header.iter().map(|s| s.to_string()).collect());
    out.push('\n');
    out.push_str(&line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    for r in rows {
        out.push('\n');
        out.push_str(&line(r.clone()));
    }
    out
}

pub fn summary_table(model: &SessionModel, now: DateTime<FixedOffset>) -> String {
    let rows: Vec<Vec<String>> = summary_rows(model, now).into_iter().map(|r| r.to_vec()).collect();
    table(&["NAME", "PID", "EXIT", "RUNTIME", "RESTARTS"], &rows)
}

/// A pool's results in input order (`map` order).
pub fn results_in_order(pool: &PoolRow) -> String {
    let rows: Vec<Vec<String>> = pool
        .inputs
        .iter()
        .map(|r| {
            vec![
                r.index.to_string(),
                r.input.clone(),
                r.status.label().to_string(),
                r.exit_code.map(describe_exit).unwrap_or_default(),
                r.worker.clone().unwrap_or_default(),
                r.duration.map(|d| format!("{d:.3}s")).unwrap_or_default(),
                match r.status {
                    InputStatus::Done => r.result.clone().unwrap_or_default().replace('\n', "\\n"),
                    _ => r.message.clone().unwrap_or_default(),
                },
            ]
        })
        .collect();
    table(
        &["#", "INPUT", "STATUS", "EXIT", "WORKER", "TIME", "RESULT"],
        &rows,
    )
}

/// One JSON object a line, in input order.
pub fn results_json_lines(pool: &PoolRow) -> String {
    let mut out = String::new();
    for r in &pool.inputs {
        let v = serde_json::json!({
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
}
