//! How many tokens a bulk action changes, on both token pages: the one home of the rule that
//! Disable changes the active tokens only (it leaves the disabled and the expired alone) and
//! Delete changes every one; for selected rows, and for "all that match a filter" on the Admins
//! page, whose counts come from the service.

use chrono::{DateTime, Utc};
use token_api::query::TokenFilter;
use token_api::tokens::{BatchAction, TokenStatus, TokenView};

use crate::selection::Selection;
use crate::token_query::status_now;

/// Whether `action` changes `token` now.
pub fn changes(action: BatchAction, token: &TokenView, now: DateTime<Utc>) -> bool {
    action == BatchAction::Delete || status_now(token, now) == TokenStatus::Active
}

/// What the toolbar says of a selection: how many are selected, and how many of them Disable
/// changes (`None` while that is being counted).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BulkCount {
    pub selected: usize,
    pub disableable: Option<usize>,
}

impl BulkCount {
    /// Among `tokens`, the selected ones: counted, never cloned.
    pub fn of_rows(tokens: &[TokenView], selection: &Selection, now: DateTime<Utc>) -> Self {
        let chosen = tokens.iter().filter(|t| selection.contains(&t.id));
        let (selected, active) = chosen.fold((0, 0), |(n, active), t| {
            (n + 1, active + usize::from(changes(BatchAction::Disable, t, now)))
        });
        BulkCount {
            selected,
            disableable: Some(active),
        }
    }

    /// How many `action` changes; `None` while that is being counted.
    pub fn changed_by(self, action: BatchAction) -> Option<usize> {
        match action {
            BatchAction::Disable => self.disableable.map(|n| n.min(self.selected)),
            BatchAction::Delete => Some(self.selected),
        }
    }

    /// How many selected tokens `action` leaves alone, told with its button; `None` while that
    /// is being counted.
    pub fn left_alone(self, action: BatchAction) -> Option<usize> {
        self.changed_by(action)
            .map(|n| left_alone(self.selected, n as u64) as usize)
    }
}

/// How many of `selected` tokens an action that changes `changed` of them leaves alone: told
/// in its result. Worked out from the action's own target when it is asked for, so the two
/// agree even if a token expired since the toolbar counted.
pub fn left_alone(selected: usize, changed: u64) -> u64 {
    (selected as u64).saturating_sub(changed)
}

/// The selected tokens `action` changes, ids and names.
pub fn targets(
    action: BatchAction,
    tokens: &[TokenView],
    selection: &Selection,
    now: DateTime<Utc>,
) -> Vec<(String, String)> {
    tokens
        .iter()
        .filter(|t| selection.contains(&t.id) && changes(action, t, now))
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect()
}

/// Every token a filter matches, as the service counted them at `as_of`.
#[derive(Clone, Debug, PartialEq)]
pub struct Counted {
    pub filter: TokenFilter,
    pub count: u64,
    pub as_of: DateTime<Utc>,
}

/// Every token `filter` matches: the page's count when it is exact and counts this filter, else
/// an exact count asked for it; `None` when neither is there yet.
pub fn matching(filter: &TokenFilter, page: Option<Counted>, asked: &[Counted]) -> Option<Counted> {
    page.filter(|p| &p.filter == filter)
        .or_else(|| asked.iter().find(|c| &c.filter == filter).cloned())
}

/// Of `all`, the tokens Disable changes: known from the filter when it asks for a status (all
/// of them when it asks for active ones, none for any other status), else the count asked for
/// the same filter narrowed to active tokens; `Err` with that filter while it is not counted.
pub fn disableable_matching(all: &Counted, asked: &[Counted]) -> Result<Counted, TokenFilter> {
    let active = TokenFilter {
        status: Some(TokenStatus::Active),
        ..all.filter.clone()
    };
    match all.filter.status {
        Some(TokenStatus::Active) => Ok(all.clone()),
        Some(_) => Ok(Counted {
            filter: active,
            count: 0,
            as_of: all.as_of,
        }),
        None => matching(&active, None, asked).ok_or(active),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token of 40 days' lifetime that expires in `expires_in_days`.
    fn token(id: &str, expires_in_days: i64, disabled: bool) -> TokenView {
        crate::token_query::tests::token(id, &format!("token {id}"), 40, 40 + expires_in_days, disabled)
    }

    fn select(ids: &[&str]) -> Selection {
        let mut s = Selection::default();
        for id in ids {
            s.toggle(id);
        }
        s
    }

    fn counted(filter: TokenFilter, count: u64) -> Counted {
        Counted {
            filter,
            count,
            as_of: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn disable_counts_the_active_rows_and_delete_counts_every_one() {
        let rows = [
            token("live", 5, false),
            token("off", 5, true),
            token("old", -1, false),
            token("other", 5, false),
        ];
        let count = BulkCount::of_rows(&rows, &select(&["live", "off", "old"]), Utc::now());
        assert_eq!(
            count,
            BulkCount {
                selected: 3,
                disableable: Some(1)
            }
        );
        assert_eq!(count.changed_by(BatchAction::Disable), Some(1));
        assert_eq!(
            count.left_alone(BatchAction::Disable),
            Some(2),
            "the disabled and the expired one"
        );
        assert_eq!(count.changed_by(BatchAction::Delete), Some(3));
        assert_eq!(count.left_alone(BatchAction::Delete), Some(0));
        let ids = |a| targets(a, &rows, &select(&["live", "off", "old"]), Utc::now());
        assert_eq!(
            ids(BatchAction::Disable),
            [("live".to_owned(), "token live".to_owned())]
        );
        assert_eq!(ids(BatchAction::Delete).len(), 3, "an unselected row is never a target");
    }

    #[test]
    fn while_counting_nothing_is_said_of_what_disable_leaves_alone() {
        let count = BulkCount {
            selected: 1_200,
            disableable: None,
        };
        assert_eq!(count.changed_by(BatchAction::Disable), None);
        assert_eq!(count.left_alone(BatchAction::Disable), None);
        assert_eq!(
            count.changed_by(BatchAction::Delete),
            Some(1_200),
            "Delete needs no second count"
        );
    }

    #[test]
    fn a_disable_count_never_exceeds_the_selection() {
        // Counted later than the selection, after more tokens were made.
        let count = BulkCount {
            selected: 10,
            disableable: Some(12),
        };
        assert_eq!(count.left_alone(BatchAction::Disable), Some(0));
    }

    #[test]
    fn all_matching_is_the_page_count_only_for_the_same_filter() {
        let mine = TokenFilter {
            q: Some("deploy".into()),
            ..TokenFilter::default()
        };
        let page = Some(counted(TokenFilter::default(), 7));
        assert_eq!(matching(&mine, page.clone(), &[]), None, "a page of another filter");
        assert_eq!(matching(&TokenFilter::default(), page, &[]).map(|c| c.count), Some(7));
        let asked = [counted(mine.clone(), 3_000)];
        assert_eq!(matching(&mine, None, &asked).map(|c| c.count), Some(3_000));
    }

    #[test]
    fn the_active_among_all_matching_are_known_from_a_status_else_asked_for() {
        let active = TokenFilter {
            status: Some(TokenStatus::Active),
            ..TokenFilter::default()
        };
        let of = |status| {
            counted(
                TokenFilter {
                    status,
                    ..TokenFilter::default()
                },
                500,
            )
        };
        assert_eq!(
            disableable_matching(&of(Some(TokenStatus::Active)), &[]).map(|c| c.count),
            Ok(500)
        );
        assert_eq!(
            disableable_matching(&of(Some(TokenStatus::Expired)), &[]).map(|c| c.count),
            Ok(0)
        );
        assert_eq!(
            disableable_matching(&of(Some(TokenStatus::Disabled)), &[]).map(|c| c.count),
            Ok(0)
        );
        assert_eq!(
            disableable_matching(&of(None), &[]),
            Err(active.clone()),
            "to be counted"
        );
        let asked = [counted(active, 120)];
        assert_eq!(disableable_matching(&of(None), &asked).map(|c| c.count), Ok(120));
    }
}
