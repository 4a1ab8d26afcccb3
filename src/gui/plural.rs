//! Counts in words: "1 event", "2 events", "1 process", "3 processes".

/// The plural of an English noun as the app uses them.
pub fn plural(noun: &str) -> String {
    if noun.ends_with("ss") || noun.ends_with('x') || noun.ends_with("sh") || noun.ends_with("ch") {
        format!("{noun}es")
    } else if let Some(stem) = noun
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{noun}s")
    }
}

/// `n` and the noun, singular for exactly one.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {}", plural(noun))
    }
}

/// For `usize` counts (every table length).
pub fn count_usize(n: usize, noun: &str) -> String {
    count(n as u64, noun)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1u64, "event"), "1 event");
        assert_eq!(count(0u64, "event"), "0 events");
        assert_eq!(count(2u64, "process"), "2 processes");
        assert_eq!(count(1u64, "process"), "1 process");
        assert_eq!(count(3u64, "entry"), "3 entries");
        assert_eq!(count(3u64, "key"), "3 keys");
        assert_eq!(count_usize(12, "input"), "12 inputs");
    }
}
