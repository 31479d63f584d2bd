//! Secrets: random values from the OS CSPRNG, and the digests that are all the database keeps.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use token_api::token_format;

/// `n` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS generator failing is not something a request can recover from.
    getrandom::getrandom(&mut bytes).expect("the OS random number generator failed");
    bytes
}

/// A random identifier or session value: 128 bits, URL-safe base64.
pub fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<16>())
}

/// A random secret: 256 bits, URL-safe base64.
pub fn random_secret() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// A new refresh token in the scannable format.
pub fn new_refresh_token() -> String {
    let mut body = String::with_capacity(token_format::BODY_LEN);
    while body.len() < token_format::BODY_LEN {
        for byte in random_bytes::<32>() {
            if body.len() == token_format::BODY_LEN {
                break;
            }
            if let Some(c) = token_format::base62_char(byte) {
                body.push(c);
            }
        }
    }
    token_format::encode(&body)
}

/// The digest stored in place of a secret: SHA-256, hex.
pub fn digest(secret: &str) -> String {
    let hash = Sha256::digest(secret.as_bytes());
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_well_formed_and_distinct() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_eq!(token_format::check(&a), Ok(()));
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }
}
