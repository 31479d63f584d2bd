//! Percent-encoding for URL components, in Rust so it is tested natively: the same characters
//! stay as `encodeURIComponent` leaves them.

/// Encodes a query value or path segment.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::encode_component;

    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(
            encode_component("/tokens?sort=name&q=a b"),
            "%2Ftokens%3Fsort%3Dname%26q%3Da%20b"
        );
        assert_eq!(encode_component("部署"), "%E9%83%A8%E7%BD%B2");
        assert_eq!(encode_component("A-z_0.9!~*'()"), "A-z_0.9!~*'()");
    }
}
