//! `--seed-demo`: the demo workspaces, people and tokens, created once and never duplicated.

use crate::store::users::hash_password;
use crate::{db, secrets, AppState};

/// Everyone's demo password.
pub const DEMO_PASSWORD: &str = "demo-password";

const WORKSPACES: [(&str, &str, &str); 2] = [("ws-acme", "Acme", "tcc_acme"), ("ws-globex", "Globex", "tcc_globex")];
const USERS: [(&str, &str, &str); 4] = [
    ("u-ada", "ada@acme.test", "Ada Lovelace"),
    ("u-ben", "ben@acme.test", "Ben Okafor"),
    ("u-cy", "cy@acme.test", "Cy Tanaka"),
    ("u-gus", "gus@globex.test", "Gus Moreno"),
];
const MEMBERSHIPS: [(&str, &str, &str); 5] = [
    ("ws-acme", "u-ada", "admin"),
    ("ws-acme", "u-ben", "member"),
    ("ws-acme", "u-cy", "member"),
    ("ws-globex", "u-gus", "admin"),
    ("ws-globex", "u-ben", "member"),
];

/// A demo token: workspace, owner, name, days since created, lifetime in days, days since last
/// use, and whether its owner disabled it.
type DemoToken = (&'static str, &'static str, &'static str, i64, i64, Option<i64>, bool);
const TOKENS: [DemoToken; 8] = [
    ("ws-acme", "u-ben", "CI deploy", 20, 90, Some(0), false),
    ("ws-acme", "u-ben", "Laptop CLI", 25, 30, Some(2), false),
    ("ws-acme", "u-ben", "Old backup script", 60, 365, Some(40), true),
    ("ws-acme", "u-ben", "Hackathon demo", 40, 30, None, false),
    ("ws-acme", "u-ada", "Audit exporter", 3, 180, Some(1), false),
    ("ws-acme", "u-cy", "Grafana datasource", 10, 365, None, false),
    ("ws-globex", "u-gus", "Globex sync", 5, 90, Some(0), false),
    ("ws-globex", "u-ben", "Globex reports", 2, 7, None, false),
];

/// Creates what is missing of the demo data.
pub async fn demo(state: &AppState) -> anyhow::Result<()> {
    let pool = &state.db.writer;
    let now = db::now_ms();
    let day = 86_400_000;
    let mut tx = crate::db::begin_write(pool).await?;
    for (id, name, client_id) in WORKSPACES {
        sqlx::query(
            "INSERT INTO workspaces (id, name, client_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(name)
        .bind(client_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let mut new_users = Vec::new();
    for (id, email, name) in USERS {
        let inserted = sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, 'operator') ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(email)
        .bind(name)
        .bind(hash_password(DEMO_PASSWORD)?)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            new_users.push(id);
        }
    }
    for (ws, user, role) in MEMBERSHIPS {
        sqlx::query("INSERT INTO memberships (workspace_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(ws)
            .bind(user)
            .bind(role)
            .execute(&mut *tx)
            .await?;
    }
    // Tokens only for people created just now, so a restart never adds a second set.
    for (ws, user, name, age, lifetime, used, disabled) in TOKENS.into_iter().filter(|t| new_users.contains(&t.1)) {
        let created = now - age * day;
        let secret = secrets::new_refresh_token();
        sqlx::query(
            "INSERT INTO grants (id, workspace_id, user_id, name, created_at, expires_at, last_used_at,
                                 disabled_at, disabled_by, refresh_digest, refresh_hint, name_folded)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(secrets::random_id())
        .bind(ws)
        .bind(user)
        .bind(name)
        .bind(created)
        .bind(created + lifetime * day)
        .bind(used.map(|d| now - d * day - 3_600_000))
        .bind(disabled.then_some(now - 30 * day))
        .bind(disabled.then_some(user))
        .bind(secrets::digest(&secret))
        .bind(token_api::token_format::hint(&secret))
        .bind(token_api::search::fold(name))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    db::fill_skeletons(pool).await?;
    if !new_users.is_empty() {
        tracing::info!(users = new_users.len(), "seeded the demo workspaces Acme and Globex");
    }
    Ok(())
}

/// Adds `users` synthetic members to the demo workspace Acme and `tokens` tokens spread over
/// them (a fixed pseudo-random mix of ages, lifetimes, use and disabled ones, the same every
/// time), for benchmarks. Their passwords cannot sign in.
pub async fn scale(state: &AppState, users: usize, tokens: usize) -> anyhow::Result<()> {
    use sqlx::Executor;
    const DAY: i64 = 86_400_000;
    let pool = &state.db.writer;
    let seeded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id = 'b-0000'")
        .fetch_one(pool)
        .await?;
    if seeded > 0 {
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = crate::db::begin_write(pool).await?;
    for chunk in (0..users).collect::<Vec<_>>().chunks(500) {
        let users: Vec<String> = chunk
            .iter()
            .map(|i| format!("('b-{i:04}', 'user{i:04}@acme.test', 'User {i:04}', 'x', {now})"))
            .collect();
        tx.execute(
            format!(
                "INSERT INTO users (id, email, name, password_hash, created_at) VALUES {}",
                users.join(",")
            )
            .as_str(),
        )
        .await?;
        let members: Vec<String> = chunk
            .iter()
            .map(|i| format!("('ws-acme', 'b-{i:04}', 'member')"))
            .collect();
        tx.execute(
            format!(
                "INSERT INTO memberships (workspace_id, user_id, role) VALUES {}",
                members.join(",")
            )
            .as_str(),
        )
        .await?;
    }
    // A fixed pseudo-random spread, so every run seeds the same data.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let names = [
        "deploy",
        "ci",
        "backup",
        "grafana",
        "laptop",
        "export",
        "sync",
        "terraform",
    ];
    for start in (0..tokens).step_by(500) {
        let rows: Vec<String> = (start..(start + 500).min(tokens))
            .map(|i| {
                let r = next();
                let created = now - (r % 365) as i64 * DAY - (r % 86_400_000) as i64;
                let expires = created + (1 + (r >> 9) % 365) as i64 * DAY;
                let used = if r % 10 < 3 { "NULL".to_owned() } else { (created + ((r >> 20) % 30) as i64 * DAY).min(now).to_string() };
                let disabled = if r % 10 == 9 { (now - DAY).to_string() } else { "NULL".to_owned() };
                format!(
                    "('t{i:06}', 'ws-acme', 'b-{:04}', '{name} {i}', '{name} {i}', {created}, {expires}, {used}, {disabled}, 'd{i:06}', '{:04}')",
                    (r >> 32) as usize % users,
                    i % 10_000,
                    // Lower-case ASCII already: its own folded form.
                    name = names[(r >> 40) as usize % names.len()],
                )
            })
            .collect();
        tx.execute(
            format!(
                "INSERT INTO grants (id, workspace_id, user_id, name, name_folded, created_at, expires_at, last_used_at, disabled_at,
                 refresh_digest, refresh_hint) VALUES {}",
                rows.join(",")
            )
            .as_str(),
        )
        .await?;
    }
    tx.commit().await?;
    if state.db.backend == db::Backend::Sqlite {
        pool.execute("ANALYZE").await?;
    } else {
        // As autovacuum would have within a minute of a bulk insert: the visibility map set, so
        // counts can read an index alone (active tokens: 17 ms a count before, 6 ms after).
        pool.execute("VACUUM ANALYZE grants").await?;
    }
    db::fill_skeletons(pool).await?;
    tracing::info!(users, tokens, "seeded synthetic tokens into Acme");
    Ok(())
}
