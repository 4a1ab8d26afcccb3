//! A child's exact bytes where they are not text. Output lines travel as
//! `String`s (what the log shows, with U+FFFD where a byte was not UTF-8,
//! U+009B for a lone 8-bit CSI byte);
//! when a line was not valid UTF-8 its event also carries the bytes
//! themselves, in standard base64 (RFC 4648, with padding), so that the
//! journal and JSON Lines exports keep what the child wrote exactly.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The text of `bytes` for display, and the bytes in base64 if the text
/// is not exactly them.
pub fn text_and_raw(bytes: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), None),
        Err(_) => (lossy(bytes), Some(encode(bytes))),
    }
}

/// As `String::from_utf8_lossy`, but a lone byte 0x9b (the 8-bit CSI of
/// ECMA-48, not UTF-8) becomes U+009B, so that the sequence it opens is
/// taken whole as one (`crate::ansi`) rather than left as `\u{fffd}31m`.
fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        match chunk.invalid() {
            [] => {}
            [0x9b] => out.push('\u{9b}'),
            _ => out.push('\u{fffd}'),
        }
    }
    out
}

pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of a base64 text; `None` if it is not base64.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let t = text.as_bytes();
    if t.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(t.len() / 4 * 3);
    for (q, quad) in t.chunks(4).enumerate() {
        let last = q == t.len() / 4 - 1;
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            let v = ALPHABET.iter().position(|&a| a == c)? as u32;
            n = (n << 6) | v;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lone_8_bit_csi_is_taken_whole_and_other_bad_bytes_are_replaced() {
        let (text, raw) = text_and_raw(b"\x9b31mred\x9b0m \xff \xc4\x9b");
        assert!(raw.is_some());
        assert_eq!(crate::ansi::strip(&text), "red \u{fffd} \u{11b}");
    }

    #[test]
    fn round_trips_every_length_and_byte() {
        let all: Vec<u8> = (0..=255u8).collect();
        for len in 0..all.len() {
            let b = &all[..len];
            assert_eq!(decode(&encode(b)).as_deref(), Some(b), "length {len}");
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(encode(b"f"), "Zg==");
    }

    #[test]
    fn text_is_carried_raw_only_when_it_is_not_utf8() {
        assert_eq!(text_and_raw(b"plain"), ("plain".to_string(), None));
        let (text, raw) = text_and_raw(b"caf\xe9 \xff");
        assert_eq!(text, "caf\u{fffd} \u{fffd}");
        assert_eq!(decode(&raw.unwrap()).unwrap(), b"caf\xe9 \xff");
    }

    #[test]
    fn bad_base64_is_none_not_a_panic() {
        for bad in ["A", "AB=C", "====", "A===", "ZZ==ZZ==", "é123"] {
            assert_eq!(decode(bad), None, "{bad}");
        }
    }
}
