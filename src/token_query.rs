//! A token query (sort, status filter, name search) applied in the browser to the member's own
//! tokens, with the same meaning as the admin API's server-side filter and the same URL form.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use token_api::query::{SortDir, SortField, TokenPageQuery};
use token_api::tokens::{TokenStatus, TokenView};

/// A token's status now: derived from its dates, so it is never stale.
pub fn status_now(token: &TokenView, now: DateTime<Utc>) -> TokenStatus {
    TokenStatus::at(token.disabled_at.is_some(), token.expires_at, now)
}

/// A name or a query folded for search and sort by the contract's rule
/// (`token_api::search`): lower case, decomposed, the accents dropped. Outside ASCII, the
/// browser's `toLowerCase` and `normalize`: it carries Unicode's tables already, and Rust's own
/// copy of the case tables alone cost 4.6 KiB brotli of the bundle.
pub(crate) fn fold(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    #[cfg(target_arch = "wasm32")]
    let decomposed = String::from(js_sys::JsString::from(s).to_lower_case().normalize("NFD"));
    #[cfg(not(target_arch = "wasm32"))]
    let decomposed = s.to_lowercase();
    decomposed
        .chars()
        .filter(|c| !token_api::search::is_dropped_mark(*c))
        .collect()
}

/// `folded` holds the tokens' folded names when the sort is by name.
fn compare(a: usize, b: usize, tokens: &[TokenView], folded: &[String], field: SortField) -> Ordering {
    let (ta, tb) = (&tokens[a], &tokens[b]);
    match field {
        SortField::Created => ta.created_at.cmp(&tb.created_at),
        SortField::Expires => ta.expires_at.cmp(&tb.expires_at),
        SortField::LastUsed => ta.last_used_at.cmp(&tb.last_used_at),
        SortField::Name => folded[a].cmp(&folded[b]),
        SortField::Owner => ta.owner.email.cmp(&tb.owner.email),
    }
}

/// Pressing a column's header: the same column flips direction; a new one starts A to Z for
/// names and owners, newest first for dates.
pub fn toggle_sort(query: &mut TokenPageQuery, field: SortField) {
    query.dir = match (query.sort == field, query.dir) {
        (true, SortDir::Asc) => SortDir::Desc,
        (true, SortDir::Desc) => SortDir::Asc,
        (false, _) if matches!(field, SortField::Name | SortField::Owner) => SortDir::Asc,
        (false, _) => SortDir::Desc,
    };
    query.sort = field;
    query.after = None;
}

/// The indices of the tokens in view, in view order.
pub fn apply(tokens: &[TokenView], query: &TokenPageQuery, now: DateTime<Utc>) -> Vec<usize> {
    let needle = query.filter.q.as_deref().map(fold);
    // Each name folded once, not once per comparison.
    let folded: Vec<String> = if needle.is_some() || query.sort == SortField::Name {
        tokens.iter().map(|t| fold(&t.name)).collect()
    } else {
        Vec::new()
    };
    let mut rows: Vec<usize> = (0..tokens.len())
        .filter(|&i| {
            query.filter.status.is_none_or(|s| status_now(&tokens[i], now) == s)
                && needle.as_deref().is_none_or(|n| folded[i].contains(n))
        })
        .collect();
    rows.sort_by(|&a, &b| {
        let order = compare(a, b, tokens, &folded, query.sort).then_with(|| tokens[a].id.cmp(&tokens[b].id));
        match query.dir {
            SortDir::Asc => order,
            SortDir::Desc => order.reverse(),
        }
    });
    rows
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::Duration;
    use token_api::query::TokenFilter;
    use token_api::tokens::Person;

    /// A token made `age_days` ago for `lifetime` days, disabled or not; served as active.
    pub(crate) fn token(id: &str, name: &str, age_days: i64, lifetime: i64, disabled: bool) -> TokenView {
        let now = Utc::now();
        TokenView {
            id: id.into(),
            name: name.into(),
            owner: Person {
                id: "u".into(),
                email: "u@x".into(),
                name: "U".into(),
            },
            workspace_id: "w".into(),
            created_at: now - Duration::days(age_days),
            expires_at: now - Duration::days(age_days) + Duration::days(lifetime),
            last_used_at: None,
            status: TokenStatus::Active,
            disabled_at: disabled.then_some(now),
            disabled_by: None,
            disabled_cause: None,
            disabled_reason: None,
            description: None,
            hint: "abcd".into(),
            replaced_by: None,
            all_permissions: false,
            permissions: vec!["datasets:read".into()],
            ranges: Vec::new(),
        }
    }

    fn names(tokens: &[TokenView], q: &TokenPageQuery) -> Vec<String> {
        apply(tokens, q, Utc::now())
            .into_iter()
            .map(|i| tokens[i].name.clone())
            .collect()
    }

    #[test]
    fn the_name_search_and_sort_ignore_case_beyond_ascii() {
        let tokens = [
            token("1", "ÉCOLE backup", 1, 30, false),
            token("2", "Zeta", 1, 30, false),
            token("3", "école export", 1, 30, false),
            token("4", "alpha", 1, 30, false),
        ];
        let mut q = TokenPageQuery {
            sort: SortField::Name,
            dir: SortDir::Asc,
            ..Default::default()
        };
        assert_eq!(names(&tokens, &q), ["alpha", "Zeta", "ÉCOLE backup", "école export"]);
        q.filter.q = Some("École".into());
        assert_eq!(names(&tokens, &q), ["ÉCOLE backup", "école export"]);
    }

    #[test]
    fn a_header_flips_its_own_column_and_starts_others_sensibly() {
        let mut q = TokenPageQuery {
            after: Some("cursor".into()),
            ..Default::default()
        };
        toggle_sort(&mut q, SortField::Created);
        assert_eq!(
            (q.sort, q.dir, q.after.clone()),
            (SortField::Created, SortDir::Asc, None)
        );
        toggle_sort(&mut q, SortField::Name);
        assert_eq!((q.sort, q.dir), (SortField::Name, SortDir::Asc));
        toggle_sort(&mut q, SortField::Name);
        assert_eq!(q.dir, SortDir::Desc);
        toggle_sort(&mut q, SortField::Expires);
        assert_eq!((q.sort, q.dir), (SortField::Expires, SortDir::Desc));
    }

    #[test]
    fn status_is_recomputed_from_the_dates() {
        let t = token("1", "a", 10, 5, false);
        assert_eq!(t.status, TokenStatus::Active, "stale as served");
        assert_eq!(status_now(&t, Utc::now()), TokenStatus::Expired);
    }

    #[test]
    fn filters_search_and_sorts() {
        let tokens = vec![
            token("1", "Deploy bot", 1, 30, false),
            token("2", "backup", 3, 30, true),
            token("3", "Old deploy", 40, 30, false),
        ];
        let mut q = TokenPageQuery::default();
        assert_eq!(
            names(&tokens, &q),
            ["Deploy bot", "backup", "Old deploy"],
            "newest first by default"
        );
        q.sort = SortField::Name;
        q.dir = SortDir::Asc;
        assert_eq!(
            names(&tokens, &q),
            ["backup", "Deploy bot", "Old deploy"],
            "names sort without regard to case"
        );
        q.filter = TokenFilter {
            q: Some("DEPLOY".into()),
            ..Default::default()
        };
        assert_eq!(names(&tokens, &q), ["Deploy bot", "Old deploy"]);
        q.filter.status = Some(TokenStatus::Expired);
        assert_eq!(names(&tokens, &q), ["Old deploy"]);
        q.filter = TokenFilter {
            status: Some(TokenStatus::Disabled),
            ..Default::default()
        };
        assert_eq!(names(&tokens, &q), ["backup"]);
    }
}
