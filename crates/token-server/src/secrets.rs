//! Secrets: random values from the OS CSPRNG, and the digests that are all the database keeps.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
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

/// A random identifier or session value: 128 bits, URL-safe base64, never starting with `-`,
/// so an operator's command line never takes one (a signing key's kid, a host key's id) for an
/// option: one in 64 did, and `--retire-signing-key -cX…` was refused.
pub fn random_id() -> String {
    loop {
        let id = URL_SAFE_NO_PAD.encode(random_bytes::<16>());
        if !id.starts_with('-') {
            return id;
        }
    }
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
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Lower-case hex, into one allocation (a `format!` per byte was 32 of them, twice a refresh).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// A 256-bit key derived from `material` for one `purpose`: SHA-256 over both, with the purpose
/// length-prefixed so that no two purposes can collide. `material` is high-entropy (a refresh
/// token, an operator's key file), so a plain hash is a sound key derivation here.
pub fn derive_key(purpose: &str, material: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update((purpose.len() as u64).to_be_bytes());
    hash.update(purpose.as_bytes());
    hash.update(material);
    hash.finalize().into()
}

/// Encrypts and authenticates `plain` under `key` (ChaCha20-Poly1305, a random 96-bit nonce):
/// URL-safe base64 of nonce and ciphertext.
pub fn seal(key: &[u8; 32], plain: &[u8]) -> String {
    let nonce = random_bytes::<12>();
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    // Encryption fails only for plaintexts of more than 256 GiB.
    let mut out = cipher
        .encrypt(Nonce::from_slice(&nonce), plain)
        .expect("ChaCha20-Poly1305 encrypts any short message");
    out.splice(0..0, nonce);
    URL_SAFE_NO_PAD.encode(out)
}

/// The plaintext of what `seal` made with the same key; `None` for any other key or a tampered value.
pub fn open(key: &[u8; 32], sealed: &str) -> Option<Vec<u8>> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, body) = bytes.split_at(12);
    ChaCha20Poly1305::new(Key::from_slice(key))
        .decrypt(Nonce::from_slice(nonce), body)
        .ok()
}

/// Compares two secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_sha256_in_lower_case_hex() {
        // FIPS 180-2's "abc" vector: stored digests must not change with the encoder.
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hex(&[0x00, 0x0f, 0xf0, 0xff]), "000ff0ff");
    }

    #[test]
    fn no_id_starts_like_an_option() {
        // 4,000 ids: about 62 of them started with `-` before.
        for _ in 0..4000 {
            let id = random_id();
            assert!(!id.starts_with('-'), "{id}");
            assert_eq!(id.len(), 22);
        }
    }

    #[test]
    fn refresh_tokens_are_well_formed_and_distinct() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_eq!(token_format::check(&a), Ok(()));
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let key = derive_key("test", b"material");
        let sealed = seal(&key, b"tcr_secret");
        assert_eq!(open(&key, &sealed).as_deref(), Some(&b"tcr_secret"[..]));
        assert_ne!(seal(&key, b"tcr_secret"), sealed, "a fresh nonce each time");
        assert_eq!(open(&derive_key("test", b"other"), &sealed), None);
        assert_eq!(open(&derive_key("other", b"material"), &sealed), None);
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(open(&key, std::str::from_utf8(&tampered).unwrap()), None);
        assert_eq!(open(&key, "short"), None);
    }
}
