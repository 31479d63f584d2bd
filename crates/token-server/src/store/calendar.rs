//! Calendar feeds: a member's tokens' expiry dates in one workspace, as iCalendar (RFC 5545),
//! behind a secret URL a calendar app subscribes to. Only the secret's digest is stored.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use crate::{db, secrets};

/// A new feed secret for a member of the workspace, replacing (revoking) any earlier one; `None`
/// when they are not a member.
pub async fn create(conn: &mut AnyConnection, workspace_id: &str, user_id: &str) -> sqlx::Result<Option<String>> {
    if super::users::role_in(conn, workspace_id, user_id).await?.is_none() {
        return Ok(None);
    }
    revoke(conn, workspace_id, user_id).await?;
    let secret = secrets::random_secret();
    sqlx::query(
        "INSERT INTO calendar_feeds (workspace_id, user_id, secret_digest, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(workspace_id)
    .bind(user_id)
    .bind(secrets::digest(&secret))
    .bind(db::now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(Some(secret))
}

/// Revokes the member's feed in the workspace, if any; whether there was one.
pub async fn revoke(conn: &mut AnyConnection, workspace_id: &str, user_id: &str) -> sqlx::Result<bool> {
    let gone = sqlx::query("DELETE FROM calendar_feeds WHERE workspace_id = $1 AND user_id = $2")
        .bind(workspace_id)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(gone.rows_affected() > 0)
}

/// One token in a feed.
#[derive(Debug)]
pub struct Expiry {
    pub id: String,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

/// The workspace's name and the member's tokens that are not disabled, by expiry, for a feed
/// secret; `None` for an unknown or revoked secret, or a member since removed.
pub async fn feed(conn: &mut AnyConnection, secret: &str) -> sqlx::Result<Option<(String, Vec<Expiry>)>> {
    let found: Option<(String, String, String)> = sqlx::query_as(
        "SELECT f.workspace_id, f.user_id, w.name FROM calendar_feeds f
         JOIN workspaces w ON w.id = f.workspace_id
         JOIN memberships m ON m.workspace_id = f.workspace_id AND m.user_id = f.user_id AND m.removed_at IS NULL
         WHERE f.secret_digest = $1",
    )
    .bind(secrets::digest(secret))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((workspace_id, user_id, workspace_name)) = found else {
        return Ok(None);
    };
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT id, name, expires_at FROM grants
         WHERE workspace_id = $1 AND user_id = $2 AND disabled_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM grants s WHERE s.id = grants.replaced_by) ORDER BY expires_at, id",
    )
    .bind(&workspace_id)
    .bind(&user_id)
    .fetch_all(&mut *conn)
    .await?;
    let tokens = rows
        .into_iter()
        .map(|(id, name, at)| Expiry {
            id,
            name,
            expires_at: db::to_time(at),
        })
        .collect();
    Ok(Some((workspace_name, tokens)))
}

/// Text escaped for an iCalendar TEXT value (RFC 5545 §3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets, never inside a character (RFC 5545 §3.1), with CRLF.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

/// The feed as iCalendar: an event at each token's expiry, with a reminder a week before.
pub fn ics(workspace_name: &str, tokens: &[Expiry], host: &str, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//Token Console//Token expiry dates//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(
        &mut out,
        &format!("X-WR-CALNAME:{}", text(&format!("Token expiry · {workspace_name}"))),
    );
    for token in tokens {
        let summary = text(&format!("Token “{}” expires", token.name));
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}@{}", token.id, text(host)));
        line(&mut out, &format!("DTSTAMP:{}", stamp(now)));
        line(&mut out, &format!("DTSTART:{}", stamp(token.expires_at)));
        line(&mut out, "DURATION:PT15M");
        line(&mut out, &format!("SUMMARY:{summary}"));
        line(
            &mut out,
            &format!(
                "DESCRIPTION:{}",
                text(&format!(
                    "Its refresh token stops working in {workspace_name} at this time. Regenerate it before then, from its row on My tokens."
                ))
            ),
        );
        line(&mut out, "BEGIN:VALARM");
        line(&mut out, "ACTION:DISPLAY");
        line(&mut out, &format!("DESCRIPTION:{summary} in 7 days"));
        line(&mut out, "TRIGGER:-P7D");
        line(&mut out, "END:VALARM");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_between_characters_and_text_is_escaped() {
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "部署".repeat(40)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        assert_eq!(text("a;b,c\\d\ne\u{7}"), "a\\;b\\,c\\\\d\\ne");
    }
}
