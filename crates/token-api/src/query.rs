//! How a list of tokens is asked for, on both pages: the filter, the sort and the page, with
//! their wire form as a query string (which is also how the pages keep their view in the URL).

use serde::{Deserialize, Serialize};

use crate::tokens::TokenStatus;
use crate::validate::Invalid;

/// The rows a page may ask for.
pub const PAGE_SIZES: [u32; 2] = [50, 100];
/// The page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// The days the token list's day filters (`expiring_within_days`, `unused_for_days`) take.
pub const FILTER_DAYS: std::ops::RangeInclusive<u32> = 1..=3650;

crate::wire_enum! {
    /// A column to sort by.
    #[derive(Default)]
    pub enum SortField {
        #[default]
        Created = "created",
        Expires = "expires",
        LastUsed = "last_used",
        Name = "name",
        Owner = "owner",
    }
}

crate::wire_enum! {
    /// Ascending or descending.
    #[derive(Default)]
    pub enum SortDir {
        Asc = "asc",
        #[default]
        Desc = "desc",
    }
}

/// Which tokens: every field narrows, none set means all. The same filter drives the list, the
/// counts, the CSV export and a bulk action over everything that matches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenFilter {
    /// The owner's user id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TokenStatus>,
    /// Active tokens that expire within this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring_within_days: Option<u32>,
    /// Tokens never used.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub never_used: bool,
    /// Tokens not used (or, if never used, created) within this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unused_for_days: Option<u32>,
    /// A part of the name, any case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The refresh token's last characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Tokens that carry this permission (those of every permission among them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
}

/// `GET /api/workspaces/{ws}/admin/tokens`: a filter, a sort, and where the page starts. Its
/// wire form is a query string (`to_pairs` and `from_pairs`), which is also how both token pages
/// keep their view in the URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenPageQuery {
    pub filter: TokenFilter,
    pub sort: SortField,
    pub dir: SortDir,
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub after: Option<String>,
    /// Count every match, past `COUNT_CAP` too (`count=exact`).
    pub exact_count: bool,
}

impl TokenPageQuery {
    /// The query-string pairs, defaults left out, in a stable order.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        let f = &self.filter;
        let mut pairs = Vec::new();
        let mut put = |key: &'static str, value: Option<String>| {
            if let Some(v) = value {
                pairs.push((key, v));
            }
        };
        put("owner", f.owner.clone());
        put("status", f.status.map(|s| s.as_str().to_owned()));
        put("expiring_within_days", f.expiring_within_days.map(|d| d.to_string()));
        put("never_used", f.never_used.then(|| "true".to_owned()));
        put("unused_for_days", f.unused_for_days.map(|d| d.to_string()));
        put("q", f.q.clone());
        put("hint", f.hint.clone());
        put("permission", f.permission.clone());
        put(
            "sort",
            (self.sort != SortField::default()).then(|| self.sort.as_str().to_owned()),
        );
        put(
            "dir",
            (self.dir != SortDir::default()).then(|| self.dir.as_str().to_owned()),
        );
        put("limit", self.limit.map(|l| l.to_string()));
        put("after", self.after.clone());
        put("count", self.exact_count.then(|| "exact".to_owned()));
        pairs
    }

    /// Reads the pairs of a query string (already percent-decoded). Unknown keys are ignored, so
    /// a host app may add its own; a bad value names its key.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<TokenPageQuery, (String, Invalid)> {
        let mut q = TokenPageQuery::default();
        for (key, value) in pairs {
            let bad = |i: Invalid| (key.to_owned(), i);
            let days = || {
                value
                    .parse::<u32>()
                    .ok()
                    .filter(|d| FILTER_DAYS.contains(d))
                    .ok_or(bad(Invalid::OutOfRange))
            };
            let text = || Some(value.trim().to_owned()).filter(|v| !v.is_empty());
            match key {
                "owner" => q.filter.owner = text(),
                "status" => q.filter.status = Some(value.parse().map_err(|_| bad(Invalid::InvalidType))?),
                "expiring_within_days" => q.filter.expiring_within_days = Some(days()?),
                "never_used" => q.filter.never_used = value == "true",
                "unused_for_days" => q.filter.unused_for_days = Some(days()?),
                "q" => q.filter.q = text(),
                "hint" => q.filter.hint = text(),
                "permission" => {
                    crate::permissions::permission_name(value).map_err(bad)?;
                    q.filter.permission = Some(value.to_owned());
                }
                "sort" => q.sort = value.parse().map_err(|_| bad(Invalid::InvalidType))?,
                "dir" => q.dir = value.parse().map_err(|_| bad(Invalid::InvalidType))?,
                "limit" => {
                    let limit = value
                        .parse::<u32>()
                        .ok()
                        .filter(|l| PAGE_SIZES.contains(l))
                        .ok_or(bad(Invalid::OutOfRange))?;
                    q.limit = Some(limit);
                }
                "after" => q.after = text(),
                "count" => {
                    q.exact_count = match value {
                        "exact" => true,
                        _ => return Err(bad(Invalid::InvalidType)),
                    }
                }
                _ => {}
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_round_trips_through_its_pairs() {
        let q = TokenPageQuery {
            filter: TokenFilter {
                owner: Some("u-ben".into()),
                status: Some(TokenStatus::Expired),
                expiring_within_days: Some(7),
                never_used: true,
                unused_for_days: Some(90),
                q: Some("部署 bot".into()),
                hint: Some("AbCd".into()),
                permission: Some("datasets:read".into()),
            },
            sort: SortField::LastUsed,
            dir: SortDir::Asc,
            limit: Some(100),
            after: Some("cursor".into()),
            exact_count: true,
        };
        let pairs = q.to_pairs();
        let back = TokenPageQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert_eq!(back, q);
        assert!(
            TokenPageQuery::default().to_pairs().is_empty(),
            "defaults stay out of the URL"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = |pairs: &[(&str, &str)]| TokenPageQuery::from_pairs(pairs.iter().copied()).unwrap_err();
        assert_eq!(err(&[("limit", "7")]), ("limit".into(), Invalid::OutOfRange));
        assert_eq!(err(&[("status", "zombie")]), ("status".into(), Invalid::InvalidType));
        assert_eq!(
            err(&[("expiring_within_days", "-1")]),
            ("expiring_within_days".into(), Invalid::OutOfRange)
        );
        assert_eq!(err(&[("sort", "secret")]), ("sort".into(), Invalid::InvalidType));
        assert!(
            TokenPageQuery::from_pairs([("utm_source", "x")]).is_ok(),
            "unknown keys are ignored"
        );
    }
}
