//! What a name search and a name sort mean, the same on the Users page (in the browser) and in
//! the service (on SQLite and on PostgreSQL): both compare names lower-cased by Unicode's
//! default case mapping, and a search finds the names that contain the lower-cased query.
//!
//! The service stores each name folded with `fold`; the browser folds with its own
//! `toLowerCase` (the same Unicode mapping, without linking Rust's case tables into the app),
//! and `CASES` is the table both implementations are tested against.

/// A name or a query as search and sort compare it.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Cases of name, query and whether the query finds the name: accents, the capital sharp s,
/// Turkish dotted I, CJK and emoji. Lower-casing is not case folding: "ẞ" lowers to "ß", which
/// "ss" does not find on either side.
pub const CASES: [(&str, &str, bool); 10] = [
    ("ÉCOLE nightly", "école", true),
    ("école nightly", "ÉCOLE", true),
    ("GROẞE Sync", "große", true),
    ("GROẞE Sync", "grosse", false),
    ("İstanbul edge", "i̇stanbul", true),
    ("部署 Prod", "部署 prod", true),
    ("部署 Prod", "部署", true),
    ("🚀 Rocket", "🚀 rocket", true),
    ("🚀 Rocket", "rocket 🚀", false),
    ("CI deploy", "DEPLOY", true),
];

#[cfg(test)]
mod tests {
    use super::{fold, CASES};

    #[test]
    fn the_cases_hold_for_fold() {
        for (name, query, found) in CASES {
            assert_eq!(fold(name).contains(&fold(query)), found, "{name:?} / {query:?}");
        }
    }
}
