//! The admin list endpoint on 100,000 tokens across 1,000 users: p50 and p99 of the first page
//! and of a page 5,000 rows deep, under each filter and sort, through the router and a real
//! database (SQLite; PostgreSQL too when TEST_POSTGRES_URL is set). Prints figures only.
//! Then the bulk disable of 1,000 tokens in one request, against 1,000 single requests.
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
    let mut config = Config::with_database(&database_url);
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.dist = dir.join("dist");
    // PostgreSQL keeps the signing keys sealed by a key file the operator names.
    let key = dir.join("token-console.key");
    if !key.exists() {
        token_server::keyfile::write_new(&key).unwrap();
    }
    config.key_file = Some(key);
    config.seed_demo = true;
    let state = AppState::new(config).await.unwrap();
    seed::demo(&state).await.unwrap();
    let t = Instant::now();
    seed::scale(&state, USERS, TOKENS).await.unwrap();
    println!(
        "\n{label}: seeded {TOKENS} tokens for {USERS} users in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let pool = state.db.pool.clone();
    let router = app(state);
    let sign_in = Request::builder()
        .method("POST")
        .uri("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"email":"ada@acme.test","password":"demo-password"}"#))
        .unwrap();
    let res = router.clone().oneshot(sign_in).await.unwrap();
    // The session cookie by its name: the device cookie comes with it, in either order.
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next())
        .find(|c| c.starts_with("tc_session="))
        .expect("signing in sets the session cookie")
        .to_owned();
    let me: serde_json::Value = serde_json::from_slice(&res.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let csrf = me["csrf_token"].as_str().unwrap().to_owned();

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
    let mut exact_counts = Vec::new();
    for (fname, filter) in filters {
        // "Select all matching" asks for the exact count once: its cost, per filter.
        let mut counts = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let uri = format!("/api/workspaces/ws-acme/admin/tokens?{filter}count=exact&limit=50");
            counts.push(get(&router, &cookie, &uri).await.0);
        }
        counts.sort();
        exact_counts.push((fname, pct(&counts, 0.5), pct(&counts, 0.99)));
        for (sort, dir) in sorts {
            let base = format!("/api/workspaces/ws-acme/admin/tokens?{filter}sort={sort}&dir={dir}&limit=100");
            let (_, first) = get(&router, &cookie, &base).await;
            // The page counts up to 5,000; the table shows the exact number, asked for once.
            let (_, exact) = get(&router, &cookie, &format!("{base}&count=exact")).await;
            let total = exact["total"].as_u64().unwrap_or(0);
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
    println!("{label}: a page with the exact count (\"Select all matching\"), once per filter:");
    for (fname, p50, p99) in exact_counts {
        println!("  {fname:<12} p50 {p50:>5.1} ms  p99 {p99:>5.1} ms");
    }
    bulk_disable(label, &router, &pool, &cookie, &csrf).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn post(router: &axum::Router, cookie: &str, csrf: &str, uri: &str, body: String) -> u16 {
    let req = Request::builder()
        .method("POST")
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header("x-csrf-token", csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap();
    let res = router.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let _ = res.into_body().collect().await.unwrap();
    status
}

/// 1,000 active tokens disabled by one batch request, and 1,000 others by one request each.
async fn bulk_disable(label: &str, router: &axum::Router, pool: &sqlx::AnyPool, cookie: &str, csrf: &str) {
    let now = chrono::Utc::now().timestamp_millis();
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM grants WHERE workspace_id = 'ws-acme' AND disabled_at IS NULL AND expires_at > $1 ORDER BY id LIMIT 2000",
    )
    .bind(now)
    .fetch_all(pool)
    .await
    .unwrap();
    assert_eq!(ids.len(), 2000, "the seed has 2,000 active tokens to disable");
    let (batch, singles) = ids.split_at(1000);
    let body = serde_json::json!({ "action": "disable", "ids": batch, "reason": "bench" }).to_string();
    let t = Instant::now();
    let status = post(router, cookie, csrf, "/api/workspaces/ws-acme/admin/tokens/batch", body).await;
    let one = t.elapsed();
    assert_eq!(status, 200, "the batch must succeed");
    let t = Instant::now();
    for id in singles {
        let uri = format!("/api/workspaces/ws-acme/admin/tokens/{id}/disable");
        let status = post(router, cookie, csrf, &uri, r#"{"reason":"bench"}"#.to_owned()).await;
        assert_eq!(status, 200, "each single disable must succeed");
    }
    let many = t.elapsed();
    println!(
        "{label}: disable 1,000 tokens: one batch request {:.1} ms, 1,000 single requests {:.1} ms ({:.1}x)",
        one.as_secs_f64() * 1000.0,
        many.as_secs_f64() * 1000.0,
        many.as_secs_f64() / one.as_secs_f64()
    );
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
