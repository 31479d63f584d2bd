//! What a name search and a name sort mean, the same on the Users page (in the browser) and in
//! the service (on SQLite and on PostgreSQL): both compare names folded by one rule, and a
//! search finds the names that contain the folded query. The rule: lower-case by Unicode's
//! default case mapping, decompose canonically (NFD), and drop the combining diacritical marks
//! (U+0300 to U+036F), so "ecole" finds "École" and "ÉCOLE" whether typed composed or not.
//! Marks outside that block (the vowel signs of Indic scripts, say) are letters to their
//! readers and stay.
//!
//! The service folds with `fold` (the `unicode` feature) and stores each name folded; the
//! browser folds with its own `toLowerCase` and `normalize` (the same Unicode mappings, without
//! linking Rust's tables into the app), and `CASES` is the table both are tested against.

/// Whether `c` is one of the marks the fold drops.
pub fn is_dropped_mark(c: char) -> bool {
    ('\u{300}'..='\u{36f}').contains(&c)
}

/// A name or a query as search and sort compare it.
#[cfg(feature = "unicode")]
pub fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.to_lowercase().nfd().filter(|c| !is_dropped_mark(*c)).collect()
}

/// Cases of name, query and whether the query finds the name: accents, the capital sharp s,
/// Turkish dotted I, CJK and emoji. Lower-casing is not case folding: "ẞ" lowers to "ß", which
/// "ss" does not find on either side.
pub const CASES: [(&str, &str, bool); 14] = [
    ("ÉCOLE nightly", "école", true),
    ("école nightly", "ÉCOLE", true),
    ("École nightly", "ecole", true),
    ("e\u{301}cole nightly", "école", true),
    ("Łódź sync", "lodz", false),
    ("Crème brûlée", "creme brulee", true),
    ("GROẞE Sync", "große", true),
    ("GROẞE Sync", "grosse", false),
    ("İstanbul edge", "i̇stanbul", true),
    ("部署 Prod", "部署 prod", true),
    ("部署 Prod", "部署", true),
    ("🚀 Rocket", "🚀 rocket", true),
    ("🚀 Rocket", "rocket 🚀", false),
    ("CI deploy", "DEPLOY", true),
];

#[cfg(all(test, feature = "unicode"))]
mod tests {
    use super::{fold, CASES};

    #[test]
    fn the_cases_hold_for_fold() {
        for (name, query, found) in CASES {
            assert_eq!(fold(name).contains(&fold(query)), found, "{name:?} / {query:?}");
        }
    }
}
