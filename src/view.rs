//! The Users page's view (sort, status filter, name search) applied to the user's tokens in the
//! browser, with the same meaning as the admin API's server-side filter and the same URL form.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use token_api::admin::{SortDir, SortField, TokenPageQuery};
use token_api::tokens::{TokenStatus, TokenView};

/// A token's status now: derived from its dates, so it is never stale.
pub fn status_now(token: &TokenView, now: DateTime<Utc>) -> TokenStatus {
    TokenStatus::at(token.disabled_at.is_some(), token.expires_at, now)
}

fn compare(a: &TokenView, b: &TokenView, field: SortField) -> Ordering {
    match field {
        SortField::Created => a.created_at.cmp(&b.created_at),
        SortField::Expires => a.expires_at.cmp(&b.expires_at),
        SortField::LastUsed => a.last_used_at.cmp(&b.last_used_at),
        SortField::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
        SortField::Owner => a.owner.email.cmp(&b.owner.email),
    }
}

/// The selected tokens among `tokens`, each with its status now.
pub fn selected_with_status(
    tokens: &[TokenView],
    selection: &crate::selection::Selection,
    now: DateTime<Utc>,
) -> Vec<(TokenView, TokenStatus)> {
    tokens
        .iter()
        .filter(|t| selection.contains(&t.id))
        .map(|t| (t.clone(), status_now(t, now)))
        .collect()
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
    let needle = query.filter.q.as_deref().map(str::to_lowercase);
    let mut rows: Vec<usize> = (0..tokens.len())
        .filter(|&i| {
            let t = &tokens[i];
            query.filter.status.is_none_or(|s| status_now(t, now) == s)
                && needle.as_deref().is_none_or(|n| t.name.to_lowercase().contains(n))
        })
        .collect();
    rows.sort_by(|&a, &b| {
        let order = compare(&tokens[a], &tokens[b], query.sort).then_with(|| tokens[a].id.cmp(&tokens[b].id));
        match query.dir {
            SortDir::Asc => order,
            SortDir::Desc => order.reverse(),
        }
    });
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use token_api::admin::TokenFilter;
    use token_api::tokens::Person;

    fn token(id: &str, name: &str, age_days: i64, lifetime: i64, disabled: bool) -> TokenView {
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
            hint: "abcd".into(),
        }
    }

    fn names(tokens: &[TokenView], q: &TokenPageQuery) -> Vec<String> {
        apply(tokens, q, Utc::now())
            .into_iter()
            .map(|i| tokens[i].name.clone())
            .collect()
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
