//! Figures for the service under abuse, printed for `BENCHMARKS.md` (never a test):
//!
//! 1. `/healthz` latency on a quiet service, then while four clients send form bombs (128 KiB of
//!    31,000 distinct keys to `/oauth2/token`) and 48 send wrong passwords, all at once.
//! 2. With `TEST_POSTGRES_URL` set: two instances on one fresh PostgreSQL database, fifty
//!    refreshes of one token split across them, for a number of rounds: how many distinct
//!    successors came back, how many refresh tokens still work, how many reuse events.
//!
//! Everything runs in this process against 127.0.0.1, bounded in count and time.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use token_server::config::Config;
use token_server::{app, seed, server, AppState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One request with `Connection: close`; the status and body.
async fn http(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return (0, String::new());
    };
    if stream.write_all(request).await.is_err() {
        return (0, String::new());
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn post(path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

/// `/healthz`, 400 times one after the other: p50, p99 and max in ms.
async fn health_latency(addr: SocketAddr) -> (f64, f64, f64) {
    let mut took = Vec::with_capacity(400);
    for _ in 0..400 {
        let start = Instant::now();
        let (status, _) = http(addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        if status == 200 {
            took.push(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    took.sort();
    (
        percentile(&took, 0.5),
        percentile(&took, 0.99),
        took.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0),
    )
}

async fn abuse(database_url: String) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("token-console-fault-bench-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("dist"))?;
    let mut config = Config::with_database(&database_url);
    config.dist = dir.join("dist");
    let state = AppState::new(config).await?;
    seed::demo(&state).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let limits = server::Limits::from(&*state.config);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server::serve(listener, app(state), limits, async {
        let _ = stopped.await;
    }));

    let quiet = health_latency(addr).await;
    let until = Instant::now() + Duration::from_secs(8);
    // 128 KiB of distinct short keys: about 26,000 of them.
    let mut bomb = String::with_capacity(128 * 1024);
    for i in 0.. {
        let key = format!("{i:x}&");
        if bomb.len() + key.len() > 128 * 1024 {
            break;
        }
        bomb.push_str(&key);
    }
    let bomb = post("/oauth2/token", "application/x-www-form-urlencoded", &bomb);
    let mut abusers = Vec::new();
    for _ in 0..4 {
        let bomb = bomb.clone();
        abusers.push(tokio::spawn(async move {
            let mut counts = std::collections::BTreeMap::<u16, u32>::new();
            while Instant::now() < until {
                *counts.entry(http(addr, &bomb).await.0).or_default() += 1;
            }
            counts
        }));
    }
    for i in 0..48 {
        let body = format!(r#"{{"email":"person{}@acme.test","password":"guess-{i}"}}"#, i % 6);
        let request = post("/api/session", "application/json", &body);
        abusers.push(tokio::spawn(async move {
            let mut counts = std::collections::BTreeMap::<u16, u32>::new();
            while Instant::now() < until {
                *counts.entry(http(addr, &request).await.0).or_default() += 1;
            }
            counts
        }));
    }
    let loaded = health_latency(addr).await;
    let mut answered = std::collections::BTreeMap::<u16, u32>::new();
    for abuser in abusers {
        for (status, n) in abuser.await? {
            *answered.entry(status).or_default() += n;
        }
    }
    let _ = stop.send(());
    let _ = served.await;
    let _ = std::fs::remove_dir_all(&dir);
    println!("/healthz latency, 400 sequential requests (ms)   p50     p99     max");
    println!(
        "  quiet                                      {:>7.2} {:>7.2} {:>7.2}",
        quiet.0, quiet.1, quiet.2
    );
    println!(
        "  4 form bombs + 48 bad sign-ins at once     {:>7.2} {:>7.2} {:>7.2}",
        loaded.0, loaded.1, loaded.2
    );
    let answers: Vec<String> = answered.iter().map(|(s, n)| format!("{s}: {n}")).collect();
    println!("  the abusers' answers by status: {}", answers.join(", "));
    Ok(())
}

/// Two instances on one fresh PostgreSQL database; fifty refreshes of one token split across them.
async fn race(admin_url: &str, rounds: usize) -> anyhow::Result<()> {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let name = format!("race_{}", std::process::id());
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(admin_url).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {name}").as_str())
        .await?;
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await?;
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    let dir = std::env::temp_dir().join(format!("token-console-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let key = dir.join("shared.key");
    token_server::keyfile::write_new(&key)?;
    let mut config = Config::with_database(&format!("{base}/{name}"));
    config.key_file = Some(key);
    let (a, b) = tokio::join!(AppState::new(config.clone()), AppState::new(config));
    let (a, b) = (a?, b?);
    let same_keys = a.signer.jwks() == b.signer.jwks();
    seed::demo(&a).await?;
    let (ra, rb) = (app(a.clone()), app(b));
    let mut totals = (0usize, 0usize, 0usize, 0usize);
    for round in 0..rounds {
        let token = token_server::secrets::new_refresh_token();
        let now = token_server::db::now_ms();
        sqlx::query(
            "INSERT INTO grants (id, workspace_id, user_id, name, name_folded, created_at, expires_at, refresh_digest, refresh_hint)
             SELECT $1, 'ws-acme', id, $2, $2, $3, $4, $5, 'x' FROM users WHERE email = 'ben@acme.test'",
        )
        .bind(format!("race-{round}"))
        .bind(format!("race {round}"))
        .bind(now)
        .bind(now + 86_400_000)
        .bind(token_server::secrets::digest(&token))
        .execute(&a.db.writer)
        .await?;
        let mut tasks = Vec::new();
        for i in 0..50 {
            let router = if i % 2 == 0 { ra.clone() } else { rb.clone() };
            let body = format!("grant_type=refresh_token&client_id=tcc_acme&refresh_token={token}");
            tasks.push(tokio::spawn(async move {
                let req = axum::http::Request::post("/oauth2/token")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(axum::body::Body::from(body))
                    .unwrap_or_default();
                let res = tower::ServiceExt::oneshot(router, req).await.ok()?;
                let bytes = http_body_util::BodyExt::collect(res.into_body()).await.ok()?.to_bytes();
                let body: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
                body["refresh_token"].as_str().map(str::to_owned)
            }));
        }
        let mut successors = std::collections::BTreeSet::new();
        let mut ok = 0;
        for task in tasks {
            if let Some(t) = task.await? {
                ok += 1;
                successors.insert(t);
            }
        }
        let mut live = 0;
        for s in &successors {
            let (found,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM grants WHERE refresh_digest = $1 AND disabled_at IS NULL")
                    .bind(token_server::secrets::digest(s))
                    .fetch_one(&a.db.pool)
                    .await?;
            live += found as usize;
        }
        let (reuse,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE grant_id = $1 AND action = 'reuse_detected'")
                .bind(format!("race-{round}"))
                .fetch_one(&a.db.pool)
                .await?;
        totals.0 += ok;
        totals.1 += successors.len();
        totals.2 += live;
        totals.3 += reuse as usize;
    }
    println!("two instances on one PostgreSQL, {rounds} rounds of 50 refreshes of one token split across both:");
    println!("  instances started together published the same key: {same_keys}");
    println!(
        "  answered 200: {} of {}; distinct successors: {} ({:.2} a round); live refresh tokens after: {} ({:.2} a round); reuse events: {}",
        totals.0,
        rounds * 50,
        totals.1,
        totals.1 as f64 / rounds as f64,
        totals.2,
        totals.2 as f64 / rounds as f64,
        totals.3
    );
    drop((ra, rb, a));
    let _ = admin
        .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
        .await;
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("token-console-fault-db-{}", std::process::id()));
    abuse(format!("sqlite://{}/abuse.db", dir.display())).await?;
    let _ = std::fs::remove_dir_all(dir);
    if let Ok(url) = std::env::var("TEST_POSTGRES_URL") {
        race(&url, 20).await?;
    } else {
        println!("(TEST_POSTGRES_URL not set: no cross-instance race)");
    }
    Ok(())
}
