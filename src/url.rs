//! Percent-encoding and query-string decoding for URL components, in Rust so they are tested
//! natively: the same characters stay as `encodeURIComponent` leaves them.

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

/// The one query encoder: `a=1&b=x%20y`, keys and values encoded, in the order given.
pub fn query_string<K: AsRef<str>, V: AsRef<str>>(pairs: impl IntoIterator<Item = (K, V)>) -> String {
    let encoded: Vec<String> = pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", encode_component(k.as_ref()), encode_component(v.as_ref())))
        .collect();
    encoded.join("&")
}

/// Decodes `a=1&b=x%20y` (with or without a leading `?`).
pub fn form_pairs(search: &str) -> Vec<(String, String)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::{encode_component, form_pairs};

    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(
            encode_component("/tokens?sort=name&q=a b"),
            "%2Ftokens%3Fsort%3Dname%26q%3Da%20b"
        );
        assert_eq!(encode_component("部署"), "%E9%83%A8%E7%BD%B2");
        assert_eq!(encode_component("A-z_0.9!~*'()"), "A-z_0.9!~*'()");
    }

    #[test]
    fn query_strings_decode() {
        assert_eq!(
            form_pairs("?q=a%20b&owner=u-1&x=%E9%83%A8+%"),
            [
                ("q".into(), "a b".into()),
                ("owner".into(), "u-1".into()),
                ("x".into(), "部 %".into())
            ]
        );
        assert!(form_pairs("").is_empty());
    }
}
