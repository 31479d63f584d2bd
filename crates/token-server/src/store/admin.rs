//! What admins read: every grant of their workspace, filtered and keyset-paged by the server;
//! the counts; the audit trail. Each statement repeats the admin check, so a demoted admin's
//! next request finds nothing.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sqlx::{AnyConnection, Row};
use token_api::admin::{FilterActionRequest, TokenPage, TokenSummary, COUNT_CAP};
use token_api::audit::{AuditAction, AuditEvent, AuditPage, AuditQuery};
use token_api::query::{SortDir, SortField, TokenFilter, TokenPageQuery, DEFAULT_PAGE_SIZE};
use token_api::tokens::{BatchAction, BatchItem, BatchOutcome};
use token_api::tokens::{Person, TokenRef, TokenStatus, TokenView};

use super::audit::{record_changes, Acting, Action, GrantRow, OPERATOR, RETURNING_GRANT};
use super::sql::{contains_pattern, Arg, Sql};
use super::tokens::{view_from_row, VIEW_COLUMNS, VIEW_FROM};
use crate::{db, secrets};

const DAY_MS: i64 = 86_400_000;
const IS_ADMIN: &str =
    "EXISTS (SELECT 1 FROM memberships a WHERE a.workspace_id = $1 AND a.user_id = $2 AND a.role = 'admin'
       AND a.removed_at IS NULL)";

/// A cursor that does not belong to this sort, or is not one of ours.
#[derive(Debug, PartialEq, Eq)]
pub struct BadCursor;

/// How a filter's conditions are spelt for the database and the statement at hand.
#[derive(Clone, Copy)]
pub struct Spelling {
    sqlite: bool,
    /// The statement walks the sort's index: a page, as opposed to a count or an action.
    ordered: bool,
}

impl Spelling {
    /// For this connection's database; `ordered` for a statement that keeps the sort's order.
    pub fn new(conn: &AnyConnection, ordered: bool) -> Spelling {
        Spelling {
            sqlite: crate::db::Backend::of(conn) == crate::db::Backend::Sqlite,
            ordered,
        }
    }

    /// On SQLite, for an ordered statement, the unary `+` keeps the filter's columns out of
    /// index selection, so the planner walks the sort's index and filters as it goes, instead of
    /// range-scanning by the filter and then sorting tens of thousands of rows (measured on
    /// 100,000 tokens: 60 to 190 ms a page without it). A count or an action has no order to
    /// keep. PostgreSQL needs no such hint, and a `+` hides its statistics: it guessed 167 rows
    /// of 44,840, scanned and sorted them all (63 ms a page).
    fn plus(self) -> &'static str {
        if self.sqlite && self.ordered {
            "+"
        } else {
            ""
        }
    }
}

/// The name as the search pattern (folded) is matched against: the folded column, which the
/// name index holds on SQLite and the trigram index covers on PostgreSQL (`db.rs`).
const NAME_COLUMN: &str = "g.name_folded";

/// The conditions of a filter, for a statement whose `$1` is the workspace and `$2` the admin.
fn filter_sql(sql: &mut Sql, filter: &TokenFilter, now: i64, spelling: Spelling) -> String {
    let plus = spelling.plus();
    let mut conds = vec![format!("g.workspace_id = $1 AND {IS_ADMIN}")];
    let now_p = sql.arg(Arg::Int(now));
    if let Some(owner) = &filter.owner {
        conds.push(format!("g.user_id = {}", sql.arg(Arg::Text(owner.clone()))));
    }
    match filter.status {
        Some(TokenStatus::Active) => {
            conds.push(format!("{plus}g.disabled_at IS NULL AND {plus}g.expires_at > {now_p}"))
        }
        Some(TokenStatus::Disabled) => conds.push(format!("{plus}g.disabled_at IS NOT NULL")),
        Some(TokenStatus::Expired) => {
            conds.push(format!("{plus}g.disabled_at IS NULL AND {plus}g.expires_at <= {now_p}"))
        }
        None => {}
    }
    if let Some(days) = filter.expiring_within_days {
        let until = sql.arg(Arg::Int(now + i64::from(days) * DAY_MS));
        conds.push(format!(
            "{plus}g.disabled_at IS NULL AND {plus}g.expires_at > {now_p} AND {plus}g.expires_at <= {until}"
        ));
    }
    if filter.never_used {
        conds.push(format!("{plus}g.last_used_at IS NULL"));
    }
    if let Some(days) = filter.unused_for_days {
        let since = sql.arg(Arg::Int(now - i64::from(days) * DAY_MS));
        conds.push(format!("COALESCE({plus}g.last_used_at, {plus}g.created_at) < {since}"));
    }
    if let Some(q) = &filter.q {
        // In the name or the description (an admin's search only).
        let pattern = sql.arg(Arg::Text(contains_pattern(q)));
        conds.push(format!(
            "({} LIKE {pattern} ESCAPE '\\' OR g.description_folded LIKE {pattern} ESCAPE '\\')",
            NAME_COLUMN,
        ));
    }
    if let Some(hint) = &filter.hint {
        conds.push(format!("g.refresh_hint = {}", sql.arg(Arg::Text(hint.clone()))));
    }
    if let Some(permission) = &filter.permission {
        // A name among the scope's, spaces around each; a token of every permission carries it.
        let find = if spelling.sqlite { "instr" } else { "strpos" };
        let word = sql.arg(Arg::Text(format!(" {permission} ")));
        conds.push(format!(
            "(g.scope IS NULL OR {find}(' ' || g.scope || ' ', {word}) > 0)"
        ));
    }
    conds.join(" AND ")
}

fn sort_expr(field: SortField) -> &'static str {
    match field {
        SortField::Created => "g.created_at",
        SortField::Expires => "g.expires_at",
        SortField::LastUsed => "COALESCE(g.last_used_at, 0)",
        SortField::Name => "g.name_folded",
        SortField::Owner => "o.email",
    }
}

fn is_text(field: SortField) -> bool {
    matches!(field, SortField::Name | SortField::Owner)
}

const SEP: char = '\u{1f}';

fn encode_cursor(field: SortField, value: &str, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}{SEP}{value}{SEP}{id}", field.as_str()))
}

fn decode_cursor(field: SortField, cursor: &str) -> Result<(Arg, String), BadCursor> {
    let raw = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or(BadCursor)?;
    let (head, id) = raw.rsplit_once(SEP).ok_or(BadCursor)?;
    let (name, value) = head.split_once(SEP).ok_or(BadCursor)?;
    if name != field.as_str() {
        return Err(BadCursor);
    }
    let value = if is_text(field) {
        Arg::Text(value.to_owned())
    } else {
        Arg::Int(value.parse().map_err(|_| BadCursor)?)
    };
    Ok((value, id.to_owned()))
}

/// One page of the workspace's grants under a filter and sort, and the total that match.
/// `None` when the user is not an admin there. `count`: a page for people, counted and with
/// where its previous page starts; an export's chunk needs neither.
pub async fn token_page(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    query: &TokenPageQuery,
    limit: u32,
    count: bool,
) -> sqlx::Result<Result<TokenPage, BadCursor>> {
    let now = db::now_ms();
    let (unordered, ordered) = (Spelling::new(conn, false), Spelling::new(conn, true));
    let filtered = |spelling| filtered(workspace_id, admin_id, &query.filter, now, spelling);

    // The count has no order to keep, so every index is the planner's to choose. It stops past
    // `COUNT_CAP` unless asked for the exact number: counting 70,000 matches took 10-20 ms.
    let total: i64 = if count {
        let (sql, filter) = filtered(unordered);
        let count_text = if query.exact_count {
            format!("SELECT COUNT(*) AS n FROM grants g WHERE {filter}")
        } else {
            format!(
                "SELECT COUNT(*) AS n FROM (SELECT 1 FROM grants g WHERE {filter} LIMIT {}) AS matching",
                COUNT_CAP + 1
            )
        };
        sql.query(&count_text).fetch_one(&mut *conn).await?.try_get("n")?
    } else {
        -1
    };
    let capped = !query.exact_count && total > COUNT_CAP as i64;
    // A filter that matches few tokens is best read through its own index and sorted: walking
    // the sort's index to the last of a few matches can pass the whole workspace (the last page
    // of tokens expiring within 7 days by last use: 95 ms walked, 4 ms sorted, on 100,000).
    let spelling = if (0..=COUNT_CAP as i64).contains(&total) {
        unordered
    } else {
        ordered
    };
    let (mut sql, filter) = filtered(spelling);

    // Never-used tokens all sort as 0 by last use: then the order is the id's alone, and an
    // index walk by last use would first pass every used token.
    let ties = query.filter.never_used && query.sort == SortField::LastUsed;
    let expr = if ties { "0" } else { sort_expr(query.sort) };
    let (op, dir) = match query.dir {
        SortDir::Asc => (">", "ASC"),
        SortDir::Desc => ("<", "DESC"),
    };
    // The previous page is read backwards from this one's cursor, under the same filter.
    let before = sql.clone();
    let mut text = format!("SELECT {VIEW_COLUMNS}, {expr} AS sort_key {VIEW_FROM} WHERE {filter}");
    // Unused for N days implies created, and last used if ever, before the cutoff (a token is
    // used after it is created). Said in the sort's own terms, the index walk starts at the
    // cutoff instead of passing every recent token first (62-83 ms a first page on SQLite).
    // A descending page after a cursor has the cursor for its upper bound, a tighter one, and
    // SQLite seeks by one upper bound only: given both, it started at the cutoff and walked to
    // the cursor (5,000 rows deep: 27 ms a page, against 14 for the first).
    let cursor_below = query.after.is_some() && query.dir == SortDir::Desc;
    if let Some(days) = query.filter.unused_for_days {
        if matches!(query.sort, SortField::Created | SortField::LastUsed) && !ties && !cursor_below {
            let since = sql.arg(Arg::Int(now - i64::from(days) * DAY_MS));
            text.push_str(&format!(" AND {expr} < {since}"));
        }
    }
    let mut prev_cursor = None;
    if let Some(cursor) = &query.after {
        let Ok((value, id)) = decode_cursor(query.sort, cursor) else {
            return Ok(Err(BadCursor));
        };
        // For a page people read (counted), not for an export's chunks.
        if count {
            prev_cursor = previous_start(
                conn,
                before,
                (&format!("{VIEW_FROM} WHERE {filter}"), expr, ties),
                query,
                (value.clone(), id.clone()),
                limit,
            )
            .await?;
        }
        let (v, i) = (sql.arg(value), sql.arg(Arg::Text(id)));
        // `(expr, id) > (v, i)` spelt out, with the redundant `expr >= v` first: a range both
        // planners seek to in the sort's index. SQLite did not seek on the row value over an
        // expression index, and walked from the start (390 ms for a page 5,000 rows deep).
        text.push_str(&format!(" AND {expr} {op}= {v} AND ({expr} {op} {v} OR g.id {op} {i})"));
    }
    let order = if ties {
        format!("g.id {dir}")
    } else {
        format!("{expr} {dir}, g.id {dir}")
    };
    text.push_str(&format!(" ORDER BY {order} LIMIT {}", limit + 1));
    let rows = sql.query(&text).fetch_all(&mut *conn).await?;
    let more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = match rows.last().filter(|_| more) {
        Some(last) => {
            let value = if is_text(query.sort) {
                last.try_get::<String, _>("sort_key")?
            } else {
                last.try_get::<i64, _>("sort_key")?.to_string()
            };
            Some(encode_cursor(query.sort, &value, &last.try_get::<String, _>("t_id")?))
        }
        None => None,
    };
    let tokens = rows
        .iter()
        .map(|r| view_from_row(r, now))
        .collect::<sqlx::Result<_>>()?;
    Ok(Ok(TokenPage {
        tokens,
        total: if capped { COUNT_CAP } else { total.max(0) as u64 },
        total_capped: capped,
        as_of: db::to_time(now),
        next_cursor,
        prev_cursor,
    }))
}

/// Where the page before the one after `(value, id)` starts: the cursor of the row `limit` rows
/// back from the cursor's own row (the previous page's last), in the sort's order; `None` when
/// fewer rows are there, so that the previous page is the first. `from` is the statement's
/// `FROM ... WHERE filter`, bound in `sql`.
async fn previous_start(
    conn: &mut AnyConnection,
    mut sql: Sql,
    (from, expr, ties): (&str, &str, bool),
    query: &TokenPageQuery,
    (value, id): (Arg, String),
    limit: u32,
) -> sqlx::Result<Option<String>> {
    // Backwards: the opposite comparison and order, the cursor's row included.
    let (op, dir) = match query.dir {
        SortDir::Asc => ("<", "DESC"),
        SortDir::Desc => (">", "ASC"),
    };
    let (v, i) = (sql.arg(value), sql.arg(Arg::Text(id)));
    let order = if ties {
        format!("g.id {dir}")
    } else {
        format!("{expr} {dir}, g.id {dir}")
    };
    let text = format!(
        "SELECT g.id, {expr} {from} AND {expr} {op}= {v} AND ({expr} {op} {v} OR g.id {op}= {i})
         ORDER BY {order} LIMIT 1 OFFSET {limit}"
    );
    let Some(row) = sql.query(&text).fetch_optional(&mut *conn).await? else {
        return Ok(None);
    };
    let value = if is_text(query.sort) {
        row.try_get::<String, _>(1)?
    } else {
        row.try_get::<i64, _>(1)?.to_string()
    };
    Ok(Some(encode_cursor(query.sort, &value, &row.try_get::<String, _>(0)?)))
}

/// A filter's statement, with the workspace and admin bound first: the builder holding the
/// values, and the conditions.
fn filtered(workspace_id: &str, admin_id: &str, filter: &TokenFilter, now: i64, spelling: Spelling) -> (Sql, String) {
    let mut sql = Sql::default();
    sql.arg(Arg::Text(workspace_id.to_owned()));
    sql.arg(Arg::Text(admin_id.to_owned()));
    let cond = filter_sql(&mut sql, filter, now, spelling);
    (sql, cond)
}

/// `filtered`, with creation bounded by `as_of`.
fn filter_as_of(
    workspace_id: &str,
    admin_id: &str,
    filter: &TokenFilter,
    (now, as_of): (i64, i64),
    spelling: Spelling,
) -> (Sql, String) {
    let (mut sql, cond) = filtered(workspace_id, admin_id, filter, now, spelling);
    let as_of = sql.arg(Arg::Int(as_of));
    (sql, format!("{cond} AND g.created_at <= {as_of}"))
}

/// Applies an action to every grant the filter matches that was created by `as_of`, in one
/// statement that re-applies the filter as it writes. The outcome per grant; or, when the
/// number that matched is not `expected_count`, that number (the caller then rolls back).
pub async fn act_on_filter(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    request: &FilterActionRequest,
    acting: Acting<'_>,
) -> sqlx::Result<Result<Vec<BatchItem>, u64>> {
    let now = db::now_ms();
    let as_of = request.as_of.timestamp_millis();
    let (mut sql, cond) = filter_as_of(
        workspace_id,
        admin_id,
        &request.filter,
        (now, as_of),
        Spelling::new(conn, false),
    );
    let text = match request.action {
        BatchAction::Disable => {
            let at = sql.arg(Arg::Int(now));
            let reason = sql.arg(Arg::MaybeText(acting.reason.map(str::to_owned)));
            format!(
                "UPDATE grants AS g SET disabled_at = {at}, disabled_by = $2, disabled_reason = {reason}, disabled_cause = 'person'
                 WHERE {cond} AND g.disabled_at IS NULL {RETURNING_GRANT}"
            )
        }
        BatchAction::Delete => format!("DELETE FROM grants AS g WHERE {cond} {RETURNING_GRANT}"),
    };
    let changed: Vec<GrantRow> = sql
        .query(&text)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(super::audit::grant_row)
        .collect::<sqlx::Result<_>>()?;
    // Matching tokens the action left alone: disabled before (only a disable leaves any).
    let mut untouched: Vec<String> = Vec::new();
    if request.action == BatchAction::Disable {
        let (sql, cond) = filter_as_of(
            workspace_id,
            admin_id,
            &request.filter,
            (now, as_of),
            Spelling::new(conn, false),
        );
        let text = format!("SELECT g.id FROM grants g WHERE {cond} AND g.disabled_at < {now}");
        untouched = sql
            .query(&text)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<sqlx::Result<_>>()?;
    }
    let matched = (changed.len() + untouched.len()) as u64;
    if matched != request.expected_count {
        return Ok(Err(matched));
    }
    let action = match request.action {
        BatchAction::Disable => Action::Disabled,
        BatchAction::Delete => Action::Deleted,
    };
    let changes: Vec<_> = changed.iter().map(|grant| (grant, acting)).collect();
    record_changes(conn, action, &changes, Some(admin_id)).await?;
    let mut results = Vec::with_capacity(changed.len() + untouched.len());
    results.extend(changed.into_iter().map(|(id, ..)| BatchItem {
        id,
        outcome: BatchOutcome::Done,
    }));
    results.extend(untouched.into_iter().map(|id| BatchItem {
        id,
        outcome: BatchOutcome::AlreadyDisabled,
    }));
    Ok(Ok(results))
}

/// Finds the grant of this workspace that a pasted refresh token belongs to, by its digest: as
/// its current token, or as one rotated out earlier. Nothing for another workspace's token.
pub async fn lookup(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    presented: &str,
) -> sqlx::Result<Option<(TokenView, bool)>> {
    let text = format!(
        "SELECT {VIEW_COLUMNS}, CASE WHEN g.refresh_digest = $3 THEN 1 ELSE 0 END AS is_current {VIEW_FROM}
         WHERE g.workspace_id = $1 AND {IS_ADMIN}
           AND (g.refresh_digest = $3 OR g.id = (SELECT r.grant_id FROM rotated_refresh_tokens r WHERE r.digest = $3))"
    );
    let row = sqlx::query(&text)
        .bind(workspace_id)
        .bind(admin_id)
        .bind(secrets::digest(presented))
        .fetch_optional(conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let current: i64 = row.try_get("is_current")?;
    Ok(Some((view_from_row(&row, db::now_ms())?, current == 1)))
}

/// The counts at the top of the Admins page.
pub async fn summary(conn: &mut AnyConnection, workspace_id: &str, admin_id: &str) -> sqlx::Result<TokenSummary> {
    let now = db::now_ms();
    let row = sqlx::query(&format!(
        "SELECT
            COALESCE(SUM(CASE WHEN g.disabled_at IS NULL AND g.expires_at > $3 THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN g.disabled_at IS NULL AND g.expires_at > $3 AND g.expires_at <= $4 THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN g.disabled_at IS NOT NULL THEN 1 ELSE 0 END), 0),
            COALESCE(SUM(CASE WHEN g.last_used_at IS NULL THEN 1 ELSE 0 END), 0)
         FROM grants g WHERE g.workspace_id = $1 AND {IS_ADMIN}"
    ))
    .bind(workspace_id)
    .bind(admin_id)
    .bind(now)
    .bind(now + 7 * DAY_MS)
    .fetch_one(&mut *conn)
    .await?;
    let n = |i: usize| row.try_get::<i64, _>(i).map(|v| v as u64);
    // Through the (action, at) index: only the recent alarms are read.
    let mut sql = Sql::default();
    sql.arg(Arg::Text(workspace_id.to_owned()));
    sql.arg(Arg::Text(admin_id.to_owned()));
    let since = sql.arg(Arg::Int(now - token_api::admin::ALARM_DAYS * DAY_MS));
    let text = format!(
        "SELECT e.action AS action, COUNT(*) AS n FROM audit_events e
         WHERE {} AND e.at >= {since} AND e.workspace_id = $1 AND {IS_ADMIN}
         GROUP BY e.action",
        is_alarm(&mut sql)
    );
    let recent: Vec<(String, i64)> = sql
        .query(&text)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("action")?, r.try_get("n")?)))
        .collect::<sqlx::Result<_>>()?;
    let alarms = |action: AuditAction| {
        recent
            .iter()
            .find(|(a, _)| a == action.as_str())
            .map_or(0, |(_, n)| *n as u64)
    };
    Ok(TokenSummary {
        active: n(0)?,
        expiring_within_7_days: n(1)?,
        disabled: n(2)?,
        never_used: n(3)?,
        reuse_detected_recently: alarms(AuditAction::ReuseDetected),
        sign_in_bursts_recently: alarms(AuditAction::SignInBurst),
        leaks_reported_recently: alarms(AuditAction::LeakReported),
        outside_ranges_recently: alarms(AuditAction::RefreshOutsideRanges),
    })
}

/// The condition that an audit event `e` is an alarm, its names bound to `sql`: through the
/// (action, at) index.
fn is_alarm(sql: &mut Sql) -> String {
    let names: Vec<String> = AuditAction::ALARMS
        .iter()
        .map(|a| sql.arg(Arg::Text(a.as_str().to_owned())))
        .collect();
    format!("e.action IN ({})", names.join(", "))
}

/// A stored action; the service writes only the contract's names.
fn parse_action(s: &str) -> sqlx::Result<AuditAction> {
    s.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// A person of an audit row: the live user, or the snapshot taken when the event was recorded
/// if the user is gone (events older than the snapshots name the id alone then).
/// The person whose columns are `{who}_id`, `{who}_email` and `{who}_name`, if any.
fn person(row: &sqlx::any::AnyRow, who: &str) -> sqlx::Result<Option<Person>> {
    let column = |what: &str| format!("{who}_{what}");
    Ok(match row.try_get::<Option<String>, _>(column("id").as_str())? {
        Some(id) => Some(Person {
            id,
            email: row
                .try_get::<Option<String>, _>(column("email").as_str())?
                .unwrap_or_default(),
            name: row
                .try_get::<Option<String>, _>(column("name").as_str())?
                .unwrap_or_default(),
        }),
        None => None,
    })
}

/// A page of the audit trail, newest first; `count` as for `token_page`. Read by an admin of
/// the workspace, or, for one token's history (`query.token`), by that token's owner too.
pub async fn audit_page(
    conn: &mut AnyConnection,
    workspace_id: &str,
    admin_id: &str,
    query: &AuditQuery,
    count: bool,
) -> sqlx::Result<Result<AuditPage, BadCursor>> {
    let limit = query
        .limit
        .filter(|l| (1..=500).contains(l))
        .unwrap_or(DEFAULT_PAGE_SIZE);
    let mut sql = Sql::default();
    sql.arg(Arg::Text(workspace_id.to_owned()));
    sql.arg(Arg::Text(admin_id.to_owned()));
    let access = match &query.token {
        Some(token) => {
            let token = sql.arg(Arg::Text(token.clone()));
            format!(
                "e.grant_id = {token} AND ({IS_ADMIN} OR EXISTS (SELECT 1 FROM grants h
                   WHERE h.id = {token} AND h.workspace_id = $1 AND h.user_id = $2))"
            )
        }
        None => IS_ADMIN.to_owned(),
    };
    let mut conds = vec![format!("e.workspace_id = $1 AND {access}")];
    if let Some(actor) = &query.actor {
        conds.push(format!("e.actor_id = {}", sql.arg(Arg::Text(actor.clone()))));
    }
    if let Some(owner) = &query.owner {
        conds.push(format!("e.owner_id = {}", sql.arg(Arg::Text(owner.clone()))));
    }
    if let Some(action) = query.action {
        conds.push(format!("e.action = {}", sql.arg(Arg::Text(action.as_str().to_owned()))));
    }
    if query.alarms {
        conds.push(is_alarm(&mut sql));
    }
    if let Some(from) = query.from {
        conds.push(format!("e.at >= {}", sql.arg(Arg::Int(from.timestamp_millis()))));
    }
    if let Some(to) = query.to {
        conds.push(format!("e.at < {}", sql.arg(Arg::Int(to.timestamp_millis()))));
    }
    let filter = conds.join(" AND ");
    // Counted up to `COUNT_CAP`: past it the page says "more than".
    let total: i64 = if count {
        let count_text = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM audit_events e WHERE {filter} LIMIT {}) AS matching",
            COUNT_CAP + 1
        );
        sql.query(&count_text).fetch_one(&mut *conn).await?.try_get("n")?
    } else {
        -1
    };
    let capped = total > COUNT_CAP as i64;

    let mut before = sql.clone();
    let mut text = format!("{EVENTS} WHERE {filter}");
    let mut prev_cursor = None;
    if let Some(cursor) = &query.after {
        let Ok((Arg::Int(at), id)) = decode_cursor(SortField::Created, cursor) else {
            return Ok(Err(BadCursor));
        };
        let (a, i) = (sql.arg(Arg::Int(at)), sql.arg(Arg::Text(id.clone())));
        text.push_str(&format!(" AND (e.at, e.id) < ({a}, {i})"));
        // The previous page: `limit` events back from the cursor's own (its last), oldest first.
        let (a, i) = (before.arg(Arg::Int(at)), before.arg(Arg::Text(id)));
        let back = format!(
            "SELECT e.id AS id, e.at AS at FROM audit_events e WHERE {filter} AND (e.at, e.id) >= ({a}, {i})
             ORDER BY e.at ASC, e.id ASC LIMIT 1 OFFSET {limit}"
        );
        // For a page people read (counted), not for an export's chunks.
        let found = if count {
            before.query(&back).fetch_optional(&mut *conn).await?
        } else {
            None
        };
        if let Some(row) = found {
            let at: i64 = row.try_get("at")?;
            prev_cursor = Some(encode_cursor(
                SortField::Created,
                &at.to_string(),
                &row.try_get::<String, _>("id")?,
            ));
        }
    }
    text.push_str(&format!(" ORDER BY e.at DESC, e.id DESC LIMIT {}", limit + 1));
    let rows = sql.query(&text).fetch_all(&mut *conn).await?;
    let more = rows.len() > limit as usize;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next_cursor = match rows.last().filter(|_| more) {
        Some(last) => Some(encode_cursor(
            SortField::Created,
            &last.try_get::<i64, _>("at")?.to_string(),
            &last.try_get::<String, _>("id")?,
        )),
        None => None,
    };
    let events = rows.iter().map(event).collect::<sqlx::Result<_>>()?;
    Ok(Ok(AuditPage {
        events,
        total: if capped { COUNT_CAP } else { total.max(0) as u64 },
        total_capped: capped,
        next_cursor,
        prev_cursor,
    }))
}

/// The audit trail's rows as `event` reads them (`e` the event; `a`, `o` the actor and owner as
/// they are now, their snapshot when deleted); a caller adds `WHERE ...`.
pub const EVENTS: &str = "SELECT e.id AS id, e.at AS at, e.action AS action,
        e.actor_id AS actor_id, COALESCE(a.email, e.actor_email) AS actor_email, COALESCE(a.name, e.actor_name) AS actor_name,
        e.owner_id AS owner_id, COALESCE(o.email, e.owner_email) AS owner_email, COALESCE(o.name, e.owner_name) AS owner_name,
        e.grant_id AS grant_id, e.grant_name AS grant_name, e.ip AS ip, e.reason AS reason,
        e.other_grant_id AS other_id, e.other_grant_name AS other_name, e.until_at AS until_at
    FROM audit_events e LEFT JOIN users a ON a.id = e.actor_id LEFT JOIN users o ON o.id = e.owner_id";

/// One event of `EVENTS`, as the contract says it.
pub fn event(r: &sqlx::any::AnyRow) -> sqlx::Result<AuditEvent> {
    let actor_id = r.try_get::<Option<String>, _>("actor_id")?;
    let by_operator = actor_id.as_deref() == Some(OPERATOR);
    let by_provider = actor_id.as_deref() == Some(super::sso::BY_PROVIDER);
    let by_secret_scanning = actor_id.as_deref() == Some(super::leaks::BY_SECRET_SCANNING);
    Ok(AuditEvent {
        id: r.try_get("id")?,
        at: db::to_time(r.try_get("at")?),
        action: parse_action(&r.try_get::<String, _>("action")?)?,
        actor: if by_operator || by_provider || by_secret_scanning {
            None
        } else {
            person(r, "actor")?
        },
        by_operator,
        by_provider,
        by_secret_scanning,
        owner: person(r, "owner")?,
        token_id: r.try_get("grant_id")?,
        token_name: r.try_get("grant_name")?,
        ip: r.try_get("ip")?,
        reason: r.try_get("reason")?,
        other_token: match r.try_get::<Option<String>, _>("other_id")? {
            Some(id) => Some(TokenRef {
                id,
                name: r.try_get::<Option<String>, _>("other_name")?.unwrap_or_default(),
                hint: None,
            }),
            None => None,
        },
        until: r.try_get::<Option<i64>, _>("until_at")?.map(db::to_time),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_sort() {
        let c = encode_cursor(SortField::Name, "部署: ab", "id-1");
        assert_eq!(
            decode_cursor(SortField::Name, &c),
            Ok((Arg::Text("部署: ab".into()), "id-1".into()))
        );
        let c = encode_cursor(SortField::Expires, "1700000000000", "x");
        assert_eq!(
            decode_cursor(SortField::Expires, &c),
            Ok((Arg::Int(1_700_000_000_000), "x".into()))
        );
        assert_eq!(decode_cursor(SortField::Created, &c), Err(BadCursor));
        assert_eq!(decode_cursor(SortField::Created, "not base64 !"), Err(BadCursor));
    }
}
