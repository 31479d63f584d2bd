//! The validation rules of what people type (a token's name and lifetime, a password, an email
//! address, a workspace's name), applied alike by the forms, the command line and the server.

/// The longest name, counted in characters after trimming.
pub const NAME_MAX_CHARS: usize = 100;
/// The shortest and longest lifetime of a refresh token, in days.
pub const LIFETIME_DAYS: std::ops::RangeInclusive<u32> = 1..=365;
/// The lifetime the Generate dialog proposes.
pub const DEFAULT_LIFETIME_DAYS: u32 = 30;
/// The most ids one batch request may carry.
pub const BATCH_MAX_IDS: usize = 1_000;
/// The longest email address, in bytes (RFC 5321's path limit).
pub const EMAIL_MAX_BYTES: usize = 254;

/// The shortest password, in characters; the longest is `NAME_MAX_CHARS`.
pub const PASSWORD_MIN_CHARS: usize = 12;

crate::wire_enum! {
    /// Why a value was refused. The code (`as_str`) is stable; the client turns it into words in
    /// the user's locale, and reads a code this build does not know as none (`FromStr`).
    pub enum Invalid {
        Required = "required",
        TooLong = "too_long",
        ControlCharacters = "control_characters",
        OutOfRange = "out_of_range",
        TooMany = "too_many",
        /// The value has the wrong JSON type (a string where a number belongs, a fraction, ...).
        InvalidType = "invalid_type",
        /// The request names a field this endpoint does not take.
        UnknownField = "unknown_field",
        /// A password shorter than `PASSWORD_MIN_CHARS`.
        TooShort = "too_short",
        /// Not an email address.
        NotAnEmail = "not_an_email",
        /// A one-time secret that is unknown, used up or past its time.
        Expired = "expired",
        /// The person to add is a member of this workspace already.
        AlreadyMember = "already_member",
        /// The person to add has an account on the service: only the operator adds it to another
        /// workspace (an admin who could would hold a password another workspace trusts).
        HasAccount = "has_account",
        /// A lifetime longer than the workspace's policy allows.
        AbovePolicy = "above_policy",
        /// Invisible characters that change how the text around them reads: zero-width
        /// characters, bidi controls and the like (`is_invisible`).
        InvisibleCharacters = "invisible_characters",
        /// An email address whose parts mix scripts the way a lookalike of another address does
        /// (Cyrillic with Latin, say: Unicode TS #39's moderately restrictive or worse).
        Lookalike = "lookalike",
        /// The account's workspaces sign in through their identity provider: a password opens
        /// none of them.
        ProviderRequired = "provider_required",
        /// Not a permission this workspace's catalogue holds, or not a scope token (RFC 6749 §3.3).
        NotAPermission = "not_a_permission",
        /// Not an address range in CIDR notation, or one with its host bits set.
        NotARange = "not_a_range",
        /// A name listed twice.
        Duplicate = "duplicate",
        /// Beyond what the workspace's policy lets this person choose.
        NotAllowed = "not_allowed",
        /// Not an `https://` URL with a host (no credentials in it), or one the service may
        /// not send to.
        NotAUrl = "not_a_url",
        /// Not a header a destination may send: a bad or reserved name, an empty or too long
        /// value, or more than `streams::MAX_HEADERS`.
        NotAHeader = "not_a_header",
    }
}

impl Invalid {
    /// An English sentence for logs, API clients and the problem body.
    pub fn message(self) -> String {
        match self {
            Invalid::Required => "is required".to_owned(),
            Invalid::TooLong => format!("must be at most {NAME_MAX_CHARS} characters"),
            Invalid::ControlCharacters => "must not contain control characters".to_owned(),
            Invalid::OutOfRange => format!(
                "must be a whole number of days from {} to {}",
                LIFETIME_DAYS.start(),
                LIFETIME_DAYS.end()
            ),
            Invalid::TooMany => format!("must list at most {BATCH_MAX_IDS} ids"),
            Invalid::InvalidType => "has the wrong type or an impossible value".to_owned(),
            Invalid::UnknownField => "is not a field of this request".to_owned(),
            Invalid::TooShort => format!("must be at least {PASSWORD_MIN_CHARS} characters"),
            Invalid::NotAnEmail => "must be an email address such as ada@example.com".to_owned(),
            Invalid::Expired => "has expired or was already used".to_owned(),
            Invalid::AlreadyMember => "is a member of this workspace already".to_owned(),
            Invalid::HasAccount => {
                "has an account on this service: the operator adds it (token-server user add)".to_owned()
            }
            Invalid::AbovePolicy => "is longer than this workspace's policy allows".to_owned(),
            Invalid::InvisibleCharacters => {
                "must not contain invisible or direction-changing characters (zero-width, bidi controls)".to_owned()
            }
            Invalid::Lookalike => "mixes scripts the way a lookalike of another address does".to_owned(),
            Invalid::NotAPermission => "must name permissions of this workspace's catalogue (datasets:read)".to_owned(),
            Invalid::NotARange => {
                "must be address ranges such as 10.0.0.0/8 or 2001:db8::/32, host bits zero".to_owned()
            }
            Invalid::Duplicate => "lists a name twice".to_owned(),
            Invalid::NotAllowed => "is beyond what this workspace's policy lets you choose".to_owned(),
            Invalid::NotAUrl => {
                "must be an https:// URL of a public address, such as https://siem.example.com/collect".to_owned()
            }
            Invalid::NotAHeader => {
                "must be at most 10 headers, each a name such as X-Api-Key (not one the service sets) with a value"
                    .to_owned()
            }
            Invalid::ProviderRequired => {
                "belongs to workspaces that sign in through their identity provider: use Sign in with SSO".to_owned()
            }
        }
    }
}

/// `scheme://host[:port]` and nothing more (http or https, no path, query, wildcard or
/// credentials): an origin a CSP source or a `postMessage` target may safely name. Used by the
/// service for `--frame-ancestors` and by the page for the iframe's `?parent=`.
pub fn bare_origin(value: &str) -> Option<&str> {
    let (scheme, rest) = value.split_once("://")?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    (matches!(scheme, "http" | "https") && host_ok).then_some(value)
}

/// Checks a token name and returns it trimmed, as it will be stored.
pub fn token_name(raw: &str) -> Result<String, Invalid> {
    display_name(raw)
}

/// Checks a name people read (a token's, a workspace's, a person's) and returns it trimmed: 1
/// to 100 characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, Invalid> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(Invalid::Required);
    }
    if name.chars().any(char::is_control) {
        return Err(Invalid::ControlCharacters);
    }
    if name.chars().any(reorders) {
        return Err(Invalid::InvisibleCharacters);
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(Invalid::TooLong);
    }
    Ok(name.to_owned())
}

/// Whether `c` may not stand in text people write for others to read (names, descriptions):
/// `is_invisible`, but for the joiners and variation selectors that Persian words and emoji
/// sequences need.
fn reorders(c: char) -> bool {
    is_invisible(c) && !matches!(c, '\u{200C}' | '\u{200D}' | '\u{FE00}'..='\u{FE0F}')
}

/// Whether `c` is invisible yet changes how text reads: Unicode's default-ignorable code points
/// (zero-width spaces and joiners, soft hyphen, variation selectors, tags) and the bidi
/// controls, which reorder what stands around them.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Checks a new password: 12 to 100 characters, no control characters. Kept as typed (no
/// trimming): a space is a character like any other.
pub fn password(raw: &str) -> Result<(), Invalid> {
    let chars = raw.chars().count();
    if chars == 0 {
        return Err(Invalid::Required);
    }
    if raw.chars().any(char::is_control) {
        return Err(Invalid::ControlCharacters);
    }
    if chars < PASSWORD_MIN_CHARS {
        return Err(Invalid::TooShort);
    }
    if chars > NAME_MAX_CHARS {
        return Err(Invalid::TooLong);
    }
    Ok(())
}

/// Checks an email address and returns it as accounts are keyed: `email_shape`, then one
/// spelling (lower case; on the service, the `unicode` feature's NFC, IDNA and lookalike rules).
pub fn email(raw: &str) -> Result<String, Invalid> {
    let email = email_shape(raw)?;
    #[cfg(feature = "unicode")]
    let email = one_spelling(email)?;
    #[cfg(not(feature = "unicode"))]
    let email = email.to_lowercase();
    email_shape(&email)?;
    Ok(email)
}

/// The shape of an email address as typed, trimmed: one `@`, something before it, a dotted
/// domain after it, no spaces, control or invisible characters, at most 254 bytes (RFC 5321's
/// path limit). The page checks this much before it sends (without Rust's Unicode case tables,
/// which `email`'s lower-casing would add to the bundle); the service checks all of `email`.
pub fn email_shape(raw: &str) -> Result<&str, Invalid> {
    let email = raw.trim();
    if email.is_empty() {
        return Err(Invalid::Required);
    }
    if email.chars().any(is_invisible) {
        return Err(Invalid::InvisibleCharacters);
    }
    let well_formed = email.len() <= EMAIL_MAX_BYTES
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|label| !label.is_empty())
        });
    if well_formed {
        Ok(email)
    } else {
        Err(Invalid::NotAnEmail)
    }
}

/// One spelling per address (the service's half of `email`, behind the `unicode` feature): the
/// whole in Unicode's composed form (NFC), lower case; the domain through IDNA (UTS #46, so
/// `BÜCHER.example`, `bu\u{0308}cher.example` and `xn--bcher-kva.example` are one domain,
/// kept in its Unicode form); and refused as a lookalike when the local part or a domain label
/// mixes scripts beyond what TS #39 calls highly restrictive (Latin with Han and Kana, say, is
/// fine; Latin with Cyrillic is not).
#[cfg(feature = "unicode")]
fn one_spelling(email: &str) -> Result<String, Invalid> {
    use unicode_normalization::UnicodeNormalization;
    use unicode_security::{RestrictionLevel, RestrictionLevelDetection};
    let composed: String = email.nfc().collect::<String>().to_lowercase();
    let Some((local, domain)) = composed.rsplit_once('@') else {
        return Err(Invalid::NotAnEmail);
    };
    let ascii = idna::domain_to_ascii(domain).map_err(|_| Invalid::NotAnEmail)?;
    let (domain, checked) = idna::domain_to_unicode(&ascii);
    checked.map_err(|_| Invalid::NotAnEmail)?;
    let mixes = |part: &str| {
        let letters: String = part.chars().filter(|c| c.is_alphanumeric()).collect();
        letters.detect_restriction_level() > RestrictionLevel::HighlyRestrictive
    };
    if mixes(local) || domain.split('.').any(mixes) {
        return Err(Invalid::Lookalike);
    }
    Ok(format!("{local}@{domain}"))
}

/// The confusable skeleton of an address (TS #39): two addresses with one skeleton look alike
/// (`асе@acme.test` in Cyrillic and `ace@acme.test`), whatever scripts each uses.
#[cfg(feature = "unicode")]
pub fn skeleton(email: &str) -> String {
    unicode_security::skeleton(email).collect::<String>().to_lowercase()
}

/// Checks a person to add: their email (keyed as `email` keys it) and their name (trimmed; the
/// email's part before `@` when none is given, cut to the names' length rule). A fault names
/// its field, `email` or `name`.
pub fn person(email: &str, name: Option<&str>) -> Result<(String, String), (&'static str, Invalid)> {
    let email = self::email(email).map_err(|e| ("email", e))?;
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => display_name(name).map_err(|e| ("name", e))?,
        None => email
            .split('@')
            .next()
            .unwrap_or_default()
            .chars()
            .take(NAME_MAX_CHARS)
            .collect(),
    };
    Ok((email, name))
}

/// Checks a lifetime in days.
pub fn lifetime_days(days: i64) -> Result<u32, Invalid> {
    u32::try_from(days)
        .ok()
        .filter(|d| LIFETIME_DAYS.contains(d))
        .ok_or(Invalid::OutOfRange)
}

/// The longest description of a token, in characters.
pub const DESCRIPTION_MAX_CHARS: usize = 500;

/// A token's optional description, trimmed: `None` when empty; at most `DESCRIPTION_MAX_CHARS`
/// characters (`too_long`); line breaks and tabs allowed, other control characters not.
pub fn description(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(Invalid::ControlCharacters);
    }
    if text.chars().any(reorders) {
        return Err(Invalid::InvisibleCharacters);
    }
    if text.chars().any(reorders) {
        return Err(Invalid::InvisibleCharacters);
    }
    if text.chars().count() > DESCRIPTION_MAX_CHARS {
        return Err(Invalid::TooLong);
    }
    Ok(Some(text.to_owned()))
}

/// A lifetime within the service's range and the workspace's cap (`above_policy` past it).
pub fn lifetime_within(days: i64, max_days: u32) -> Result<u32, Invalid> {
    lifetime_days(days).and_then(|d| {
        if d <= max_days {
            Ok(d)
        } else {
            Err(Invalid::AbovePolicy)
        }
    })
}

/// The most active tokens a policy may allow one member.
pub const MAX_ACTIVE_CAP: std::ops::RangeInclusive<u32> = 1..=1_000;

/// The longest reason an admin may give, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// Checks an admin's reason for an action and returns it trimmed; empty means none.
pub fn reason(raw: Option<&str>) -> Result<Option<String>, Invalid> {
    let Some(reason) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if reason.chars().any(|c| c.is_control() && c != '\n') {
        return Err(Invalid::ControlCharacters);
    }
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(Invalid::TooLong);
    }
    Ok(Some(reason.to_owned()))
}

/// Checks the size of a batch.
pub fn batch_ids(ids: &[String]) -> Result<(), Invalid> {
    match ids.len() {
        0 => Err(Invalid::Required),
        n if n > BATCH_MAX_IDS => Err(Invalid::TooMany),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_characters_are_refused_in_emails_and_names() {
        for email in [
            "ada\u{200b}@acme.test",
            "ada@acme.test\u{202e}",
            "\u{2066}ada@acme.test",
        ] {
            assert_eq!(super::email(email), Err(Invalid::InvisibleCharacters), "{email:?}");
        }
        assert_eq!(
            display_name("deploy \u{202e}gnp.exe"),
            Err(Invalid::InvisibleCharacters)
        );
        assert_eq!(display_name("zero\u{200b}width"), Err(Invalid::InvisibleCharacters));
        // Joiners that real words and emoji need stay.
        assert!(display_name("می\u{200c}خواهم").is_ok());
        assert!(display_name("dev \u{1f468}\u{200d}\u{1f4bb}").is_ok());
        assert_eq!(
            description(Some("rotate \u{202e}yearly")),
            Err(Invalid::InvisibleCharacters)
        );
    }

    #[test]
    fn a_default_name_follows_the_length_rule() {
        let long = format!("{}@acme.test", "a".repeat(241));
        let (_, name) = person(&long, None).unwrap();
        assert_eq!(name.chars().count(), NAME_MAX_CHARS);
    }

    #[cfg(feature = "unicode")]
    #[test]
    fn every_address_has_one_spelling_and_lookalikes_are_refused() {
        assert_eq!(
            super::email("\u{430}da@acme.test"),
            Err(Invalid::Lookalike),
            "Cyrillic а"
        );
        assert_eq!(
            super::email("ada@\u{430}cme.test"),
            Err(Invalid::Lookalike),
            "in the domain"
        );
        assert_eq!(
            super::email("caf\u{e9}@acme.test"),
            super::email("cafe\u{301}@acme.test")
        );
        assert_eq!(super::email("Caf\u{c9}@ACME.test").unwrap(), "caf\u{e9}@acme.test");
        assert_eq!(
            super::email("x@xn--bcher-kva.example").unwrap(),
            super::email("x@B\u{dc}CHER.example").unwrap()
        );
        assert_eq!(
            super::email("x@xn--bcher-kva.example").unwrap(),
            "x@b\u{fc}cher.example"
        );
        // One script, or Latin with Han and Kana (highly restrictive), is anyone's address.
        assert!(
            super::email("\u{432}\u{430}\u{441}\u{44f}@\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.\u{440}\u{444}")
                .is_ok()
        );
        assert!(super::email("taro\u{5c71}\u{7530}@example.jp").is_ok());
    }

    #[test]
    fn passwords_emails_and_names_people_type() {
        assert_eq!(password(""), Err(Invalid::Required));
        assert_eq!(password("short pass"), Err(Invalid::TooShort));
        assert_eq!(password("correct horse"), Ok(()));
        assert_eq!(password("tab\there is bad"), Err(Invalid::ControlCharacters));
        assert_eq!(password(&"x".repeat(101)), Err(Invalid::TooLong));
        assert_eq!(password("пароль-очень-длинный"), Ok(()), "characters, not bytes");
        assert_eq!(email("  Boss@Initech.TEST "), Ok("boss@initech.test".to_owned()));
        for bad in [
            "",
            "boss",
            "boss@",
            "@initech.test",
            "boss@initech",
            "bo ss@initech.test",
            "a@b@c.test",
            "boss@initech..test",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(display_name("  Initech  "), Ok("Initech".to_owned()));
        assert_eq!(display_name("   "), Err(Invalid::Required));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(token_name("  ci deploy  "), Ok("ci deploy".to_owned()));
        assert_eq!(token_name("   "), Err(Invalid::Required));
        assert_eq!(token_name(""), Err(Invalid::Required));
        assert_eq!(token_name(&"x".repeat(100)).map(|n| n.len()), Ok(100));
        assert_eq!(token_name(&"x".repeat(101)), Err(Invalid::TooLong));
        assert_eq!(token_name("a\u{0}b"), Err(Invalid::ControlCharacters));
        assert_eq!(token_name("line\nbreak"), Err(Invalid::ControlCharacters));
    }

    #[test]
    fn names_count_characters_not_bytes() {
        // 100 Chinese characters are 300 bytes and still a valid name.
        let chinese = "部".repeat(100);
        assert_eq!(token_name(&chinese), Ok(chinese.clone()));
        assert_eq!(token_name("部署 🚀"), Ok("部署 🚀".to_owned()));
        assert_eq!(token_name(&"🚀".repeat(101)), Err(Invalid::TooLong));
    }

    #[test]
    fn lifetimes_are_one_to_365_days() {
        for ok in [1, 7, 30, 365] {
            assert_eq!(lifetime_days(ok), Ok(ok as u32));
        }
        for bad in [0, 366, -1, 1_000_000_000, i64::MIN] {
            assert_eq!(lifetime_days(bad), Err(Invalid::OutOfRange), "{bad}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for i in Invalid::ALL {
            assert_eq!(i.as_str().parse::<Invalid>().ok(), Some(*i));
        }
        assert!("nonsense".parse::<Invalid>().is_err());
    }

    #[test]
    fn reasons_are_optional_trimmed_and_bounded() {
        assert_eq!(reason(None), Ok(None));
        assert_eq!(reason(Some("  ")), Ok(None));
        assert_eq!(
            reason(Some(" leaked in a log \n")),
            Ok(Some("leaked in a log".to_owned()))
        );
        assert_eq!(reason(Some("two\nlines")), Ok(Some("two\nlines".to_owned())));
        assert_eq!(reason(Some("tab\there")), Err(Invalid::ControlCharacters));
        assert_eq!(reason(Some(&"r".repeat(501))), Err(Invalid::TooLong));
    }

    #[test]
    fn batches_hold_one_to_a_thousand_ids() {
        assert_eq!(batch_ids(&[]), Err(Invalid::Required));
        assert_eq!(batch_ids(&vec!["a".to_owned(); 1000]), Ok(()));
        assert_eq!(batch_ids(&vec!["a".to_owned(); 1001]), Err(Invalid::TooMany));
    }
}
