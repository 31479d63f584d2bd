//! The admin list endpoint on 100,000 tokens across 1,000 users: p50 and p99 of the first page
//! and of a page 5,000 rows deep, under each filter and sort, through the router and a real
//! database (SQLite; PostgreSQL too when TEST_POSTGRES_URL is set). Prints figures only.
//! Run: cargo bench -p token-server --bench admin_list

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt;
use sqlx::Executor;
use token_server::config::Config;
use token_server::{app, seed, AppState};
use tower::ServiceExt;

const USERS: usize = 1_000;
const TOKENS: usize = 100_000;
const RUNS: usize = 30;
const DEEP_PAGES: usize = 50;
const DAY: i64 = 86_400_000;

async fn seed_scale(state: &AppState) {
    let pool = &state.db.pool;
    let now = chrono::Utc::now().timestamp_millis();
    let mut tx = pool.begin().await.unwrap();
    for chunk in (0..USERS).collect::<Vec<_>>().chunks(500) {
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
        .await
        .unwrap();
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
        .await
        .unwrap();
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
    for start in (0..TOKENS).step_by(500) {
        let rows: Vec<String> = (start..start + 500)
            .map(|i| {
                let r = next();
                let created = now - (r % 365) as i64 * DAY - (r % 86_400_000) as i64;
                let expires = created + (1 + (r >> 9) % 365) as i64 * DAY;
                let used = if r % 10 < 3 { "NULL".to_owned() } else { (created + ((r >> 20) % 30) as i64 * DAY).min(now).to_string() };
                let disabled = if r % 10 == 9 { (now - DAY).to_string() } else { "NULL".to_owned() };
                format!(
                    "('t{i:06}', 'ws-acme', 'b-{:04}', '{} {i}', {created}, {expires}, {used}, {disabled}, 'd{i:06}', '{:04}')",
                    (r >> 32) as usize % USERS,
                    names[(r >> 40) as usize % names.len()],
                    i % 10_000
                )
            })
            .collect();
        tx.execute(
            format!(
                "INSERT INTO grants (id, workspace_id, user_id, name, created_at, expires_at, last_used_at, disabled_at,
                 refresh_digest, refresh_hint) VALUES {}",
                rows.join(",")
            )
            .as_str(),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    if state.db.backend == token_server::db::Backend::Sqlite {
        pool.execute("ANALYZE").await.unwrap();
    } else {
        pool.execute("ANALYZE grants").await.unwrap();
    }
}

async fn get(router: &axum::Router, cookie: &str, uri: &str) -> (Duration, serde_json::Value) {
    let req = Request::builder()
        .uri(uri)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap();
    let start = Instant::now();
    let res = router.clone().oneshot(req).await.unwrap();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let took = start.elapsed();
    (took, serde_json::from_slice(&bytes).unwrap_or_default())
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

async fn run(label: &str, database_url: String) {
    let dir = std::env::temp_dir().join(format!("token-console-admin-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("dist")).unwrap();
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database_url,
        dist: dir.join("dist"),
        public_url: None,
        seed_demo: true,
        frame_ancestors: vec![],
    };
    let state = AppState::new(config).await.unwrap();
    seed::demo(&state).await.unwrap();
    let t = Instant::now();
    seed_scale(&state).await;
    println!(
        "\n{label}: seeded {TOKENS} tokens for {USERS} users in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let router = app(state);
    let sign_in = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"email":"ada@acme.test","password":"demo-password"}"#))
        .unwrap();
    let res = router.clone().oneshot(sign_in).await.unwrap();
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let filters = [
        ("all", ""),
        ("owner", "owner=b-0042&"),
        ("active", "status=active&"),
        ("disabled", "status=disabled&"),
        ("expiring 7d", "expiring_within_days=7&"),
        ("never used", "never_used=true&"),
        ("unused 90d", "unused_for_days=90&"),
        ("name search", "q=deploy&"),
    ];
    let sorts = [
        ("created", "desc"),
        ("expires", "asc"),
        ("last_used", "desc"),
        ("name", "asc"),
        ("owner", "asc"),
    ];
    println!(
        "{:<12} {:<10} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "filter", "sort", "total", "1st p50", "1st p99", "deep p50", "deep p99"
    );
    let mut worst: f64 = 0.0;
    for (fname, filter) in filters {
        for (sort, dir) in sorts {
            let base = format!("/api/workspaces/ws-acme/admin/tokens?{filter}sort={sort}&dir={dir}&limit=100");
            let (_, first) = get(&router, &cookie, &base).await;
            let total = first["total"].as_u64().unwrap_or(0);
            // Walk to a deep page by its cursors.
            let mut deep = base.clone();
            let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
            for _ in 0..DEEP_PAGES {
                let Some(c) = cursor.take() else { break };
                deep = format!("{base}&after={c}");
                let (_, page) = get(&router, &cookie, &deep).await;
                cursor = page["next_cursor"].as_str().map(str::to_owned);
            }
            let mut firsts = Vec::with_capacity(RUNS);
            let mut deeps = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                firsts.push(get(&router, &cookie, &base).await.0);
                deeps.push(get(&router, &cookie, &deep).await.0);
            }
            firsts.sort();
            deeps.sort();
            let row = [
                pct(&firsts, 0.5),
                pct(&firsts, 0.99),
                pct(&deeps, 0.5),
                pct(&deeps, 0.99),
            ];
            worst = worst.max(row[1]).max(row[3]);
            println!(
                "{fname:<12} {:<10} {total:>8} {:>6.1} ms {:>6.1} ms {:>6.1} ms {:>6.1} ms",
                format!("{sort} {dir}"),
                row[0],
                row[1],
                row[2],
                row[3]
            );
        }
    }
    println!("{label}: worst p99 {worst:.1} ms (goal 20 ms)");
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::env::temp_dir().join(format!("token-console-admin-bench-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        run("SQLite", format!("sqlite://{}/bench.db", dir.display())).await;
        let _ = std::fs::remove_dir_all(&dir);
        if let Ok(admin) = std::env::var("TEST_POSTGRES_URL") {
            sqlx::any::install_default_drivers();
            let name = format!("bench_{}", std::process::id());
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .unwrap();
            conn.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            run("PostgreSQL", format!("{base}/{name}")).await;
        }
    });
}
