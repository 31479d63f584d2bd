//! The refresh token's scannable format: `tcr_` + 30 base62 characters of randomness + a
//! 6-character base62 CRC32 of them (GitHub's token format is the model).
//!
//! The prefix lets secret scanners recognise a leaked token; the checksum lets the page and the
//! server reject a mistyped or truncated one without a database lookup. The randomness itself
//! comes from the server's CSPRNG: this module only encodes and checks.

/// The fixed prefix of every refresh token.
pub const PREFIX: &str = "tcr_";
/// Characters of randomness after the prefix (30 × log2(62) ≈ 178 bits).
pub const BODY_LEN: usize = 30;
/// Characters of checksum after the body.
pub const CHECKSUM_LEN: usize = 6;
/// The whole token's length.
pub const TOKEN_LEN: usize = PREFIX.len() + BODY_LEN + CHECKSUM_LEN;
/// How many trailing characters the pages show to tell tokens apart.
pub const HINT_LEN: usize = 4;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a string is not a well-formed refresh token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatError {
    Prefix,
    Length,
    Alphabet,
    Checksum,
}

/// Maps a random byte to a base62 character, or `None` when the byte must be drawn again (a byte
/// at or above 248 would make the first characters of the alphabet likelier than the rest).
pub fn base62_char(byte: u8) -> Option<char> {
    (byte < 248).then(|| ALPHABET[usize::from(byte % 62)] as char)
}

/// Builds a token from its body of `BODY_LEN` base62 characters.
pub fn encode(body: &str) -> String {
    debug_assert_eq!(body.len(), BODY_LEN);
    let mut token = String::with_capacity(TOKEN_LEN);
    token.push_str(PREFIX);
    token.push_str(body);
    token.push_str(&checksum(body));
    token
}

/// Checks prefix, length, alphabet and checksum.
pub fn check(token: &str) -> Result<(), FormatError> {
    let rest = token.strip_prefix(PREFIX).ok_or(FormatError::Prefix)?;
    if rest.len() != BODY_LEN + CHECKSUM_LEN {
        return Err(FormatError::Length);
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(FormatError::Alphabet);
    }
    let (body, sum) = rest.split_at(BODY_LEN);
    if checksum(body) != sum {
        return Err(FormatError::Checksum);
    }
    Ok(())
}

/// The non-secret hint of a token: its last `HINT_LEN` characters.
pub fn hint(token: &str) -> &str {
    let start = token.len().saturating_sub(HINT_LEN);
    token.get(start..).unwrap_or("")
}

fn checksum(body: &str) -> String {
    let mut n = crc32(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

/// CRC-32 (IEEE 802.3), bit by bit: a token is 30 bytes, a table would cost more than it saves.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Whether `s` has the shape of an access token (a JWT: three base64url parts, a JSON header
/// first), which someone checking a leak may paste in place of a refresh token.
pub fn looks_like_access_token(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_access_token_is_told_from_a_refresh_token() {
        assert!(looks_like_access_token(
            "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1LWJlbiJ9.c2lnbmF0dXJl"
        ));
        assert!(!looks_like_access_token(&encode(&"a".repeat(BODY_LEN))));
        assert!(!looks_like_access_token("eyJ.only-two"));
        assert!(!looks_like_access_token("abc.def.ghi"));
        assert!(!looks_like_access_token("eyJa.b c.d"));
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn hints_are_the_last_four_characters() {
        assert_eq!(hint("tcr_abcdefWXYZ"), "WXYZ");
        assert_eq!(hint("ab"), "ab");
    }

    #[test]
    fn base62_rejects_biased_bytes() {
        assert_eq!(base62_char(0), Some('0'));
        assert_eq!(base62_char(61), Some('z'));
        assert_eq!(base62_char(247), Some(ALPHABET[247 % 62] as char));
        assert_eq!(base62_char(248), None);
    }

    fn body() -> impl Strategy<Value = String> {
        proptest::collection::vec(0usize..62, BODY_LEN)
            .prop_map(|ix| ix.into_iter().map(|i| ALPHABET[i] as char).collect())
    }

    proptest! {
        #[test]
        fn every_encoded_token_checks(body in body()) {
            let token = encode(&body);
            prop_assert_eq!(token.len(), TOKEN_LEN);
            prop_assert_eq!(check(&token), Ok(()));
        }

        #[test]
        fn any_single_character_change_is_rejected(body in body(), pos in 0usize..TOKEN_LEN, with in 0usize..62) {
            let token = encode(&body);
            let mut bytes = token.clone().into_bytes();
            let replacement = if pos < PREFIX.len() { b'Q' } else { ALPHABET[with] };
            prop_assume!(bytes[pos] != replacement);
            bytes[pos] = replacement;
            let mutated = String::from_utf8(bytes).unwrap();
            prop_assert!(check(&mutated).is_err(), "{} accepted", mutated);
        }

        #[test]
        fn truncated_or_extended_tokens_are_rejected(body in body(), cut in 1usize..TOKEN_LEN) {
            let token = encode(&body);
            prop_assert!(check(&token[..TOKEN_LEN - cut]).is_err());
            prop_assert_eq!(check(&format!("{token}0")), Err(FormatError::Length));
        }

        #[test]
        fn arbitrary_strings_are_never_accepted_by_accident(s in "\\PC{0,50}") {
            prop_assume!(s.len() != TOKEN_LEN);
            prop_assert!(check(&s).is_err());
        }
    }
}
