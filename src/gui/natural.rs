//! Natural order of names: runs of digits compare as numbers, so
//! `many-14` comes before `many-139` and `worker-2` before `worker-10`.

use std::cmp::Ordering;

/// One piece of a name: text (compared case-insensitively) or a number.
#[derive(PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    /// The digits without leading zeros (compared by length, then by
    /// text), so numbers of any length compare without overflow.
    Number(&'a str),
}

fn pieces(s: &str) -> impl Iterator<Item = Piece<'_>> {
    let mut rest = s;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let digit = first.is_ascii_digit();
        let end = rest
            .char_indices()
            .find(|(_, c)| c.is_ascii_digit() != digit)
            .map_or(rest.len(), |(i, _)| i);
        let (head, tail) = rest.split_at(end);
        rest = tail;
        Some(if digit {
            let trimmed = head.trim_start_matches('0');
            Piece::Number(if trimmed.is_empty() { "0" } else { trimmed })
        } else {
            Piece::Text(head)
        })
    })
}

fn cmp_piece(a: &Piece, b: &Piece) -> Ordering {
    match (a, b) {
        (Piece::Number(x), Piece::Number(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Piece::Number(_), Piece::Text(_)) => Ordering::Less,
        (Piece::Text(_), Piece::Number(_)) => Ordering::Greater,
        (Piece::Text(x), Piece::Text(y)) => x
            .chars()
            .flat_map(char::to_lowercase)
            .cmp(y.chars().flat_map(char::to_lowercase)),
    }
}

/// Natural order; names equal that way fall back to plain text order, so
/// the order is total and stable (`a01` and `a1` are never "equal").
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut x = pieces(a);
    let mut y = pieces(b);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => match cmp_piece(&p, &q) {
                Ordering::Equal => continue,
                o => return o,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_names_sort_by_value() {
        let mut v = vec![
            "many-139",
            "many-14",
            "many-2",
            "Many-3",
            "many",
            "many-14a",
            "pool/worker-10",
            "pool/worker-9",
        ];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            v,
            [
                "many",
                "many-2",
                "Many-3",
                "many-14",
                "many-14a",
                "many-139",
                "pool/worker-9",
                "pool/worker-10"
            ]
        );
    }

    #[test]
    fn the_order_is_total_even_for_huge_numbers_and_leading_zeros() {
        let big = "x99999999999999999999999999999999999999";
        assert_eq!(natural_cmp(big, "x100"), Ordering::Greater);
        assert_ne!(natural_cmp("a01", "a1"), Ordering::Equal);
        assert_eq!(natural_cmp("a01", "a1"), natural_cmp("a01", "a1"));
        assert_eq!(natural_cmp("", ""), Ordering::Equal);
        assert_eq!(natural_cmp("é2", "é10"), Ordering::Less);
    }
}
