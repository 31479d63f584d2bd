//! The service on a real loopback socket, under the faults a network and an operator bring: a
//! response lost on the way back, half-sent requests, a flood past the limits, the database
//! going away and coming back, and a second instance on the same database. Every test talks
//! to 127.0.0.1 only, is bounded in count and time, and stops its servers itself.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::oauth::{exchange, race};
use crate::support::TestApp;

/// The longest any read in these tests waits: a hang fails the test instead of stalling it.
const PATIENCE: Duration = Duration::from_secs(15);

/// Sends one raw HTTP/1.1 request with `Connection: close` and reads the whole answer.
async fn http(addr: SocketAddr, request: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(PATIENCE, stream.read_to_end(&mut out))
        .await
        .expect("the server answered in time")
        .unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn refresh_request(token: &str) -> String {
    let body = format!("grant_type=refresh_token&client_id=tcc_acme&refresh_token={token}");
    format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_default()
}

/// The client sends a refresh and hangs up without reading the answer; its retry with the same
/// token works, and so does the successor it is given. Ten rounds, so both orders (the server
/// committing before or after it notices the hang-up) are met.
async fn a_refresh_whose_answer_is_lost_can_be_retried(app: TestApp) {
    let (addr, _stop) = app.listen().await;
    let ben = app.sign_in("ben@acme.test").await;
    let mut token = app.create_token(&ben, "ws-acme", "lossy link").await;
    let mut refresh = token["refresh_token"].as_str().unwrap().to_owned();
    for round in 0..10 {
        let mut lost = TcpStream::connect(addr).await.unwrap();
        lost.write_all(refresh_request(&refresh).as_bytes()).await.unwrap();
        if round % 2 == 0 {
            // Give the exchange time to commit before the hang-up.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        drop(lost);
        let (status, body) = http(addr, &refresh_request(&refresh)).await;
        assert_eq!(status, 200, "round {round}: {body}");
        refresh = json(&body)["refresh_token"].as_str().unwrap().to_owned();
    }
    let id = token["token"]["id"].take();
    let listed = app.token(&ben, "ws-acme", id.as_str().unwrap()).await;
    assert_eq!(listed["status"], "active");
}

/// A client that asks and hangs up before the writer reaches its exchange: nothing is
/// committed, and its token is still the live one. (A current-thread runtime, so the writer
/// cannot run between the asking and the hanging up.)
#[tokio::test(flavor = "current_thread")]
async fn an_exchange_whose_client_left_before_its_turn_is_not_committed() {
    let app = TestApp::sqlite().await;
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", "impatient").await;
    let (id, token) = (
        created["token"]["id"].as_str().unwrap(),
        created["refresh_token"].as_str().unwrap(),
    );
    // Polled once, so the exchange is queued, then dropped, as a handler is when its client goes.
    let asked = app.state.rotator.rotate("tcc_acme", token, None, None, None);
    assert!(
        futures_util::FutureExt::now_or_never(asked).is_none(),
        "hung up before an answer"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let rotations = "SELECT COUNT(*) FROM rotated_refresh_tokens WHERE grant_id = $1";
    let count = || async {
        let (n,): (i64,) = sqlx::query_as(rotations)
            .bind(id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
        n
    };
    assert_eq!(count().await, 0, "nothing committed for the client that left");
    assert_eq!(app.refresh("tcc_acme", token).await.status, StatusCode::OK);
    assert_eq!(count().await, 1, "the next exchange is an ordinary rotation");
}

/// Forty connections that send a request line and one header, then nothing, are closed by the
/// header timeout; so is a keep-alive connection left idle.
async fn half_sent_requests_and_idle_connections_are_closed(mut app: TestApp) {
    app.reconfigure(|c| c.header_timeout_seconds = 1).await;
    let (addr, _stop) = app.listen().await;
    let mut slow = Vec::new();
    for _ in 0..40 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        slow.push(s);
    }
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 512];
    let n = tokio::time::timeout(PATIENCE, idle.read(&mut first))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    slow.push(idle);
    for mut s in slow {
        let mut rest = Vec::new();
        // Closed by the server: the read ends (a 408 or nothing), within the test's patience.
        let read = tokio::time::timeout(PATIENCE, s.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "a connection was held open");
    }
    // The service still answers everyone else.
    assert_eq!(
        http(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .0,
        200
    );
}

/// Past the concurrency limit a request is refused at once with 503 and Retry-After; a request
/// whose body never comes ends with 408; past the connection cap, a connection waits its turn.
async fn floods_are_shed_and_slow_bodies_time_out(mut app: TestApp) {
    app.reconfigure(|c| {
        c.max_concurrent_requests = 1;
        c.request_timeout_seconds = 2;
    })
    .await;
    let (addr, _stop) = app.listen().await;
    let mut held = TcpStream::connect(addr).await.unwrap();
    held.write_all(
        b"POST /oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Content-Length: 100\r\n\r\ngrant_type=",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = http(addr, "GET /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(json(&body)["status"], 503);
    let (status, body) = http(
        addr,
        "GET /oauth2/jwks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        json(&body)["error"],
        "temporarily_unavailable",
        "the OAuth endpoints' own shape: {body}"
    );
    // The liveness probe stands outside the limit: a busy instance is alive.
    assert_eq!(
        http(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .0,
        200
    );
    let mut answer = Vec::new();
    tokio::time::timeout(PATIENCE, held.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"invalid_request\""), "{answer}");
    assert_eq!(
        http(addr, "GET /api/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .0,
        401
    );

    app.reconfigure(|c| {
        c.max_connections = 2;
        c.header_timeout_seconds = 2;
    })
    .await;
    let (addr, _stop) = app.listen().await;
    let mut holders = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        holders.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let waiting =
        tokio::spawn(async move { http(addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !waiting.is_finished(),
        "a third connection was served while two held the cap"
    );
    // Once the holders time out, the waiting connection is served.
    assert_eq!(waiting.await.unwrap().0, 200);
}

/// A loopback TCP proxy in front of PostgreSQL that the test can take down and bring back, as
/// a database restart or a network partition would.
struct Proxy {
    port: u16,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            port: listener.local_addr().unwrap().port(),
            target,
            tasks: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (target, tasks) = (self.target, self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    /// Every connection cut, and new ones refused.
    fn down(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    async fn up(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

/// With the database gone, requests answer 503 problem+json within seconds, the process stays
/// live (`/healthz`) but not ready (`/readyz`), a refresh changes nothing; when the database
/// returns the service recovers by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_answers_503_and_recovers() {
    let Some(app) = TestApp::postgres().await else { return };
    let url = app.state.config.database_url.clone();
    let (head, rest) = url.rsplit_once('@').unwrap();
    let (host_port, db) = rest.split_once('/').unwrap();
    let proxy = Proxy::start(host_port.parse().unwrap()).await;
    let mut config = (*app.state.config).clone();
    config.database_url = format!("{head}@127.0.0.1:{}/{db}", proxy.port);
    let state = token_server::AppState::new(config).await.unwrap();
    let router = token_server::app(state);
    let ben = app.sign_in("ben@acme.test").await;
    let refresh = app.create_token(&ben, "ws-acme", "outage").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let get = |path: &'static str, cookie: Option<String>| {
        let router = router.clone();
        async move {
            let mut req = axum::http::Request::get(path);
            if let Some(c) = cookie {
                req = req.header("cookie", format!("tc_session={c}"));
            }
            let res = tower::ServiceExt::oneshot(router, req.body(axum::body::Body::empty()).unwrap())
                .await
                .unwrap();
            let status = res.status();
            let headers = res.headers().clone();
            let bytes = http_body_util::BodyExt::collect(res.into_body())
                .await
                .unwrap()
                .to_bytes();
            (
                status,
                headers,
                serde_json::from_slice::<Value>(&bytes).unwrap_or_default(),
            )
        }
    };
    assert_eq!(get("/api/me", Some(ben.cookie.clone())).await.0, StatusCode::OK);

    proxy.down();
    let started = Instant::now();
    let (status, headers, body) = get("/api/me", Some(ben.cookie.clone())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(headers["content-type"], "application/problem+json");
    assert_eq!(body["status"], 503);
    assert!(headers.contains_key("retry-after"));
    // The app's page still loads at once for someone signed in: the hint of its first list
    // (a session look-up) is given up after a moment, not waited out with the pool.
    let started = Instant::now();
    let (status, headers, _) = get("/tokens", Some(ben.cookie.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "took {:?}",
        started.elapsed()
    );
    assert!(!headers.contains_key("link"));
    // Refreshes queued together during the outage all fail at once, none waiting out the
    // pool's timeout after another's.
    let started = Instant::now();
    let outage: Vec<_> = (0..16)
        .map(|_| {
            let (router, refresh) = (router.clone(), refresh.clone());
            tokio::spawn(async move { exchange(router, &refresh).await })
        })
        .collect();
    for task in outage {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(get("/healthz", None).await.0, StatusCode::OK);
    assert_eq!(get("/readyz", None).await.0, StatusCode::SERVICE_UNAVAILABLE);

    proxy.up().await;
    let mut ready = false;
    for _ in 0..20 {
        if get("/readyz", None).await.0 == StatusCode::OK {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "the service did not recover by itself");
    assert_eq!(get("/api/me", Some(ben.cookie.clone())).await.0, StatusCode::OK);
    // The refresh tried during the outage wrote nothing: the token still works, once.
    assert_eq!(exchange(router.clone(), &refresh).await.0, StatusCode::OK);
    proxy.down();
}

/// Two instances on one database, as behind a load balancer: a token made on one refreshes on
/// the other, an access token of one is accepted by the other, and fifty refreshes of one token
/// split across both leave exactly one live refresh token.
async fn two_instances_on_one_database_agree(app: TestApp) {
    let (other, _) = app.second_instance().await;
    let ben = app.sign_in("ben@acme.test").await;
    let refresh = app.create_token(&ben, "ws-acme", "replicated").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = exchange(other.clone(), &refresh).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(app.whoami("ws-acme", access).await.status, StatusCode::OK);
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    let mut successors = race(&[app.router.clone(), other.clone()], &refresh, 50).await;
    assert_eq!(successors.len(), 1, "{successors:?}");
    let last = successors.pop_first().unwrap();
    assert_eq!(exchange(other, &last).await.0, StatusCode::OK);
}

/// A burst of failed sign-ins spread over two instances at once is one alarm: ten wrong
/// passwords for Cy from ten addresses, alternately through each instance, all in flight
/// together, make one `sign_in_burst` event in Acme (two if a quarter hour turned meanwhile).
async fn a_sign_in_burst_across_two_instances_is_one_alarm(app: TestApp) {
    let (other, _) = app.second_instance().await;
    let routers = [app.router.clone(), other];
    let quarter = || chrono::Utc::now().timestamp_millis() / (15 * 60_000);
    let started = quarter();
    let tries: Vec<_> = (0..10)
        .map(|i| {
            let router = routers[i % 2].clone();
            let req = axum::http::Request::builder()
                .method(axum::http::Method::POST)
                .uri("/api/session")
                .header(axum::http::header::CONTENT_TYPE, "application/json")
                .extension(crate::support::from_address(&format!("198.51.100.{}", 10 + i)))
                .body(axum::body::Body::from(
                    serde_json::json!({ "email": "cy@acme.test", "password": "not-hers" }).to_string(),
                ))
                .unwrap();
            tokio::spawn(async move { tower::ServiceExt::oneshot(router, req).await.unwrap().status() })
        })
        .collect();
    for tried in tries {
        assert_eq!(tried.await.unwrap(), StatusCode::UNAUTHORIZED);
    }
    let quarters = quarter() - started + 1;
    let alarms: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'sign_in_burst'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(alarms, quarters.min(2));
}

/// Instances started together on an empty database publish the same single key (five rounds).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn instances_started_together_publish_the_same_key() {
    for round in 0..5 {
        let Some((url, dir)) = crate::support::empty_database(round % 2 == 1).await else {
            continue;
        };
        let mut config = token_server::config::Config::with_database(&url);
        let key = dir.join("shared.key");
        token_server::keyfile::write_new(&key).unwrap();
        config.key_file = Some(key);
        let (a, b) = tokio::join!(
            token_server::AppState::new(config.clone()),
            token_server::AppState::new(config)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.signer.jwks(), b.signer.jwks(), "round {round}");
        assert_eq!(a.signer.jwks()["keys"].as_array().unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(dir);
    }
}

crate::on_both_databases!(
    a_refresh_whose_answer_is_lost_can_be_retried,
    half_sent_requests_and_idle_connections_are_closed,
    floods_are_shed_and_slow_bodies_time_out,
    two_instances_on_one_database_agree,
    a_sign_in_burst_across_two_instances_is_one_alarm,
);
