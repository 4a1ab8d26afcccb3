//! A pool's inputs in the form's text box, one input a line: an input that
//! holds a line break is shown on one line with `¶` (and `¤` for a carriage return) in its place,
//! and comes back exactly as the session file had it.

const NL: char = '\u{b6}';
const CR: char = '\u{a4}';

/// One input as a line of the text box.
fn line_of(input: &str) -> String {
    input
        .replace('\n', &NL.to_string())
        .replace('\r', &CR.to_string())
}

/// The text box's content for `inputs`.
pub fn shown(inputs: &[String]) -> String {
    inputs.iter().map(|i| line_of(i)).collect::<Vec<_>>().join("\n")
}

/// The inputs in `text`, one a line (trailing empty lines ignored). A line
/// that shows one of `kept` (the inputs as loaded) is that input, exactly;
/// elsewhere `¶` and `¤` stand for a line break.
pub fn parsed(text: &str, kept: &[String]) -> Vec<String> {
    let mut v: Vec<String> = text
        .lines()
        .map(|l| {
            if !l.contains([NL, CR]) {
                return l.to_string();
            }
            kept.iter()
                .find(|k| line_of(k) == l)
                .cloned()
                .unwrap_or_else(|| l.replace(NL, "\n").replace(CR, "\r"))
        })
        .collect();
    while v.last().is_some_and(|l| l.is_empty()) {
        v.pop();
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_with_a_line_break_stays_one_input_and_comes_back_unchanged() {
        let inputs: Vec<String> = ["a", "line1\nline2", "b", "x\r\ny", "lit\u{b6}eral"]
            .map(String::from)
            .to_vec();
        let text = shown(&inputs);
        assert_eq!(text.lines().count(), 5);
        assert_eq!(parsed(&text, &inputs), inputs);
        // Typed: ¶ is a line break.
        assert_eq!(parsed("p\u{b6}q\n", &[]), vec!["p\nq".to_string()]);
    }
}
