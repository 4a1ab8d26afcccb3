//! `--color` of `proctor run` and `proctor export`, and the CSV's input
//! values and runtimes: the real binary, real children, real files.

use std::path::Path;
use std::process::Command;

fn proctor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_proctor"));
    c.env("XDG_STATE_HOME", std::env::temp_dir().join("proctor-test-state"));
    c.env_remove("NO_COLOR");
    c
}

/// A child printing a colour, a window title (OSC ended by BEL), a bell,
/// a hyperlink (OSC ended by ST) and what `tput sgr0` ends with.
const PAINTER: &str = "[[task]]\nname = \"painter\"\nrun = [\"printf\", \
    \"\\\\033]0;pwned\\\\007\\\\033[31mred\\\\033[0m\\\\033(B\\\\007 \\\\033]8;;http://x\\\\033\\\\\\\\link\\\\033]8;;\\\\033\\\\\\\\\\\\tend\\\\n\"]\n";

fn run(dir: &Path, color: &str, export: &str) -> (String, std::path::PathBuf) {
    let session = dir.join("s.toml");
    std::fs::write(&session, PAINTER).unwrap();
    let path = dir.join(export);
    let out = proctor()
        .args(["run", "--no-journal", "--color", color])
        .arg(&session)
        .arg("--export")
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8(out.stdout).unwrap(), path)
}

fn painted_line(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|l| l.contains("painter") && l.contains("stdout:"))
        .unwrap_or_else(|| panic!("no output line in {stdout}"))
}

#[test]
fn only_colours_reach_the_terminal_and_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    // never: the text alone; the bell written as an escape, tab kept.
    let (out, txt) = run(dir.path(), "never", "e.txt");
    let line = painted_line(&out);
    assert!(line.ends_with("stdout: red\\x07 link\tend"), "{line:?}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(std::fs::read_to_string(&txt)
        .unwrap()
        .contains("stdout: red link\tend"));
    // always: the colour passes, nothing else does, in the export too.
    let (out, txt) = run(dir.path(), "always", "e.txt");
    let line = painted_line(&out);
    assert!(
        line.ends_with("stdout: \u{1b}[31mred\u{1b}[0m\\x07 link\tend\u{1b}[0m"),
        "{line:?}"
    );
    assert!(
        !out.contains("\u{1b}]") && !out.contains('\u{7}') && !out.contains("\u{1b}("),
        "{out:?}"
    );
    let text = std::fs::read_to_string(&txt).unwrap();
    assert!(text.contains("\u{1b}[31mred\u{1b}[0m"), "{text:?}");
    assert!(
        !text.contains("\u{1b}]") && !text.contains('\u{7}') && !text.contains("\u{1b}("),
        "{text:?}"
    );
    // auto: standard output is a pipe here, so no colour; the export file
    // is not a terminal either.
    let (out, txt) = run(dir.path(), "auto", "e.txt");
    assert!(!out.contains('\u{1b}'), "{out:?}");
    let text = std::fs::read_to_string(&txt).unwrap();
    assert!(text.contains("stdout: red link\tend"), "{text:?}");
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
}

#[test]
fn export_color_strips_or_keeps_and_jsonl_is_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let (_, journal) = run(dir.path(), "always", "e.jsonl");
    for (color, csv_has_esc) in [("auto", false), ("never", false), ("always", true)] {
        let csv = dir.path().join(format!("{color}.csv"));
        let out = proctor()
            .args(["export", "--color", color])
            .arg(&journal)
            .arg(&csv)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = std::fs::read_to_string(&csv).unwrap();
        assert_eq!(text.contains('\u{1b}'), csv_has_esc, "{color}: {text:?}");
        assert!(text.contains("red"), "{text}");
        if !csv_has_esc {
            assert!(text.contains("red link\tend"), "tabs kept: {text:?}");
        }
    }
    let raw = std::fs::read_to_string(&journal).unwrap();
    assert!(raw.contains("\\u001b]0;pwned\\u0007"), "{raw}");
}

#[test]
fn the_csv_says_each_inputs_value_and_index_and_runtimes_in_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.toml");
    std::fs::write(
        &session,
        "[[pool]]\nname = \"p\"\nworkers = 2\nrun = \"sh -c 'sleep 0.{}; echo ok'\"\ninputs = [\"3\", \"1\"]\n",
    )
    .unwrap();
    let csv = dir.path().join("e.csv");
    let out = proctor()
        .args(["run", "--no-journal", "-q"])
        .arg(&session)
        .arg("--export")
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (kind, input, index, runtime) = (
        col("kind"),
        col("input"),
        col("input_index"),
        col("runtime_seconds"),
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let done: Vec<&Vec<&str>> = rows.iter().filter(|r| r[kind] == "task_done").collect();
    assert_eq!(done.len(), 2, "{text}");
    for r in &done {
        let expected = match r[index] {
            "0" => "3",
            "1" => "1",
            other => panic!("index {other}"),
        };
        assert_eq!(r[input], expected, "the value on the row that ends it: {r:?}");
        let secs: f64 = r[runtime].parse().unwrap_or_else(|_| panic!("a number: {r:?}"));
        assert!(secs > 0.0 && secs < 60.0, "{r:?}");
    }
    for r in rows.iter().filter(|r| r[kind] == "exited") {
        assert!(r[runtime].parse::<f64>().is_ok(), "{r:?}");
    }
    for r in rows.iter().filter(|r| r[kind] == "spawned") {
        assert_eq!(r[runtime], "", "{r:?}");
    }
}

/// Clipboard set (OSC 52), alternate screen, bell, backspace, carriage
/// return, an 8-bit OSC and an SGR of 5,000 parameters, then a colour.
const HOSTILE: &str = "[[task]]\nname = \"h\"\nrun = [\"sh\", \"-c\", \
    \"printf '\\\\033]52;c;cHduZWQ=\\\\007\\\\033[?1049hA\\\\bB\\\\rC\\\\302\\\\235evil\\\\302\\\\234'; \
    printf '\\\\033['; i=0; while [ $i -lt 5000 ]; do printf '1;'; i=$((i+1)); done; \
    printf '1mbig\\\\033[32mgreen\\\\033[0m\\\\n'\"]\n";

#[test]
fn colours_kept_means_only_short_sgr_in_run_and_in_exports() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("h.toml");
    std::fs::write(&session, HOSTILE).unwrap();
    let journal = dir.path().join("e.jsonl");
    let out = proctor()
        .args(["run", "--no-journal", "--color", "always"])
        .arg(&session)
        .arg("--export")
        .arg(&journal)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let check = |what: &str, text: &str| {
        assert!(
            text.contains("\u{1b}[32mgreen"),
            "{what}: the colour kept: {text:?}"
        );
        for bad in [
            "\u{1b}]",
            "\u{1b}[?1049h",
            "\u{7}",
            "\u{8}",
            "\r",
            "\u{9d}",
            "1;1;1;1;1;1;1;1;1;1;1;1",
        ] {
            assert!(!text.contains(bad), "{what}: {bad:?} passed: {text:?}");
        }
    };
    check("run", painted_line_of(&stdout, "h"));
    for format in ["txt", "csv"] {
        let path = dir.path().join(format!("out.{format}"));
        let out = proctor()
            .args(["export", "--color", "always"])
            .arg(&journal)
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        check(format, &std::fs::read_to_string(&path).unwrap());
    }
}

fn painted_line_of<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(name) && l.contains("stdout:"))
        .unwrap_or_else(|| panic!("no output line in {stdout}"))
}

#[test]
fn an_8_bit_csi_byte_leaves_no_junk() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("c1.toml");
    std::fs::write(
        &session,
        "[[task]]\nname = \"c1\"\nrun = [\"printf\", \"\\\\23331mred\\\\2330m-end\\\\n\"]\n",
    )
    .unwrap();
    for color in ["never", "always"] {
        let out = proctor()
            .args(["run", "--no-journal", "--color", color])
            .arg(&session)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let line = painted_line_of(&stdout, "c1");
        assert!(
            !line.contains('\u{fffd}') && !line.contains('\u{9b}'),
            "{color}: {line:?}"
        );
        let want = if color == "never" {
            "red-end"
        } else {
            "\u{1b}[31mred\u{1b}[0m-end"
        };
        assert!(line.contains(want), "{color}: {line:?}");
    }
}
