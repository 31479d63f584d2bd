//! Audit streaming against a receiver of our own on loopback that verifies signatures, answers
//! 500, drops connections, stalls and restarts: every event arrives, signed, in order, once in
//! the normal case and at least once under faults, with two instances on one database and
//! across a restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{Method, StatusCode};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{Browser, TestApp};

/// How the receiver answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Ok,
    Fail,
    Drop,
    Stall,
}

#[derive(Default)]
struct Inner {
    mode: Option<Mode>,
    secret: String,
    /// Verified deliveries, in arrival order.
    deliveries: Vec<Value>,
    /// Every request that arrived, answered or not.
    attempts: usize,
    bad_signatures: usize,
    headers: Vec<HashMap<String, String>>,
}

/// A webhook receiver on a loopback port, stopped when dropped.
pub struct Receiver {
    pub url: String,
    port: u16,
    inner: Arc<Mutex<Inner>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        Receiver::on(0, Arc::default()).await
    }

    async fn on(port: u16, inner: Arc<Mutex<Inner>>) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (stop, mut stopped) = tokio::sync::oneshot::channel();
        let shared = inner.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    accepted = listener.accept() => {
                        let Ok((socket, _)) = accepted else { return };
                        tokio::spawn(serve(socket, shared.clone()));
                    }
                }
            }
        });
        Receiver {
            url: format!("http://127.0.0.1:{port}/collect"),
            port,
            inner,
            stop: Some(stop),
        }
    }

    /// Stops listening (connections are refused) and starts again on the same port, keeping
    /// what it received.
    pub async fn restart(&mut self) {
        drop(self.stop.take());
        tokio::time::sleep(Duration::from_millis(50)).await;
        let again = Receiver::on(self.port, self.inner.clone()).await;
        *self = again;
    }

    pub fn set(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = Some(mode);
    }

    pub fn know_secret(&self, secret: &str) {
        self.inner.lock().unwrap().secret = secret.to_owned();
    }

    /// The audit events received, in order, test deliveries left out.
    pub fn events(&self) -> Vec<Value> {
        let inner = self.inner.lock().unwrap();
        inner
            .deliveries
            .iter()
            .filter(|d| d["test"] != true)
            .flat_map(|d| d["events"].as_array().unwrap().clone())
            .collect()
    }

    pub fn deliveries(&self) -> Vec<Value> {
        self.inner.lock().unwrap().deliveries.clone()
    }

    fn attempts(&self) -> usize {
        self.inner.lock().unwrap().attempts
    }

    fn bad_signatures(&self) -> usize {
        self.inner.lock().unwrap().bad_signatures
    }

    fn headers(&self) -> Vec<HashMap<String, String>> {
        self.inner.lock().unwrap().headers.clone()
    }

    /// Waits (up to 20 s) until `done` holds of the events received.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..200 {
            let events = self.events();
            if done(&events) {
                return events;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the receiver never got {what}: {:#?}", self.events());
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.stop.take());
    }
}

/// Reads one request, and answers as the mode says; a delivery whose signature verifies (and
/// whose time is within the replay window) is recorded.
async fn serve(mut socket: tokio::net::TcpStream, inner: Arc<Mutex<Inner>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head_end, headers) = loop {
        let Ok(n) = socket.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let headers: HashMap<String, String> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            break (end + 4, headers);
        }
    };
    let length: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while buf.len() < head_end + length {
        let Ok(n) = socket.read(&mut chunk).await else { return };
        if n == 0 {
            return;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + length].to_vec();
    let mode = {
        let mut inner = inner.lock().unwrap();
        inner.attempts += 1;
        inner.mode.unwrap_or(Mode::Ok)
    };
    match mode {
        Mode::Drop => return,
        Mode::Stall => {
            tokio::time::sleep(Duration::from_secs(15)).await;
            return;
        }
        Mode::Fail => {
            let _ = socket
                .write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\noops")
                .await;
            return;
        }
        Mode::Ok => {}
    }
    {
        let mut inner = inner.lock().unwrap();
        if verifies(&inner.secret, headers.get("token-console-signature"), &body) {
            inner.deliveries.push(serde_json::from_slice(&body).unwrap());
            inner.headers.push(headers);
        } else {
            inner.bad_signatures += 1;
        }
    }
    let _ = socket
        .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        .await;
}

/// As a receiver checks: `t=<t>,v1=<hex>`, the HMAC of `<t>.<body>`, `t` within 5 minutes.
fn verifies(secret: &str, header: Option<&String>, body: &[u8]) -> bool {
    let Some(header) = header else { return false };
    let parts: HashMap<&str, &str> = header.split(',').filter_map(|p| p.split_once('=')).collect();
    let (Some(t), Some(v1)) = (parts.get("t"), parts.get("v1")) else {
        return false;
    };
    let Ok(t) = t.parse::<i64>() else { return false };
    if (chrono::Utc::now().timestamp() - t).abs() > token_api::streams::REPLAY_WINDOW_SECONDS {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == *v1
}

/// The service in development mode (an `http://` loopback destination), signed in as Acme's admin.
async fn development(mut app: TestApp) -> (TestApp, Browser) {
    app.reconfigure(|c| c.development = true).await;
    let ada = app.sign_in("ada@acme.test").await;
    (app, ada)
}

const STREAMS: &str = "/api/workspaces/ws-acme/admin/streams";

/// Adds a destination for `receiver`, which learns its secret.
async fn add(app: &TestApp, admin: &Browser, receiver: &Receiver) -> Value {
    let added = app
        .post(
            STREAMS,
            admin,
            json!({"url": receiver.url, "headers": [{"name": "Authorization", "value": "Splunk hec-secret-1"}]}),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text);
    assert!(added.secret, "the answer with the signing secret is marked secret");
    receiver.know_secret(added.body["secret"].as_str().unwrap());
    added.body["destination"].clone()
}

fn actions(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| e["id"].as_str().unwrap().to_owned()).collect()
}

async fn make_tokens(app: &TestApp, who: &Browser, n: usize, prefix: &str) -> Vec<String> {
    let mut made = Vec::new();
    for i in 0..n {
        made.push(app.create_token_id(who, "ws-acme", &format!("{prefix} {i}")).await);
    }
    made
}

async fn every_event_arrives_signed_once_in_order_with_its_headers(app: TestApp) {
    let (app, ada) = development(app).await;
    let receiver = Receiver::start().await;
    let destination = add(&app, &ada, &receiver).await;
    assert_eq!(destination["state"], "active");
    assert_eq!(destination["header_names"], json!(["Authorization"]));
    let made = make_tokens(&app, &ada, 5, "streamed").await;
    let events = receiver
        .wait_for("six events", |e| {
            e.iter().filter(|e| e["action"] == "created").count() == 5
        })
        .await;
    // The destination's own adding is its first event; then the five, in the order made.
    assert_eq!(actions(&events)[0], "stream_changed");
    let created: Vec<&Value> = events.iter().filter(|e| e["action"] == "created").collect();
    let order: Vec<&str> = created.iter().map(|e| e["token_id"].as_str().unwrap()).collect();
    assert_eq!(order, made.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(created[0]["actor"]["email"], "ada@acme.test");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ids = ids(&receiver.events());
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "no event twice in the normal case");
    assert_eq!(receiver.bad_signatures(), 0);
    let sent = receiver.headers();
    assert!(sent
        .iter()
        .all(|h| h.get("authorization").map(String::as_str) == Some("Splunk hec-secret-1")));
    assert!(sent
        .iter()
        .all(|h| h.get("token-console-delivery").is_some_and(|d| d.starts_with("dl-"))));
    // Nothing of the secret or the header's value is read back, and no token of the other
    // workspace went to Acme's destination.
    let listed = app.get(STREAMS, &ada).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(!listed.text.contains("hec-secret-1") && !listed.text.contains("tcwhsec_"));
    // The URL's path and query may carry a collector's key (Sumo Logic's does): only the
    // origin is read back.
    assert_eq!(
        listed.body["destinations"][0]["url"],
        receiver.url.replace("/collect", "/…")
    );
    assert_eq!(destination["url"], listed.body["destinations"][0]["url"]);
    assert_eq!(listed.body["destinations"][0]["backlog"], 0);
    assert!(listed.body["destinations"][0]["last_delivered_at"].is_string());
    let gus = app.sign_in("gus@globex.test").await;
    app.create_token_id(&gus, "ws-globex", "globex only").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(receiver.events().iter().all(|e| e["token_name"] != "globex only"));
}

async fn failures_retry_with_backoff_and_every_event_arrives_at_least_once(app: TestApp) {
    let (app, ada) = development(app).await;
    let mut receiver = Receiver::start().await;
    add(&app, &ada, &receiver).await;
    receiver.wait_for("the adding", |e| !e.is_empty()).await;
    // 500s, then dropped connections, then nobody listening: nothing is lost.
    receiver.set(Mode::Fail);
    let mut made = make_tokens(&app, &ada, 3, "during 500s").await;
    wait_until(|| receiver.attempts() >= 3).await;
    let listed = app.get(STREAMS, &ada).await.body["destinations"][0].clone();
    assert_eq!(listed["last_error"], "HTTP 500");
    assert!(listed["failing_since"].is_string() && listed["next_attempt_at"].is_string());
    assert!(listed["backlog"].as_u64().unwrap() >= 3, "{listed}");
    receiver.set(Mode::Drop);
    made.extend(make_tokens(&app, &ada, 2, "during drops").await);
    receiver.restart().await;
    receiver.set(Mode::Ok);
    // The backoff has grown; resuming by hand is not needed, the next attempt comes by itself
    // (within the first few doublings: seconds).
    let events = receiver
        .wait_for("every token made during the faults", |e| {
            made.iter().all(|id| {
                e.iter()
                    .any(|e| e["token_id"] == id.as_str() && e["action"] == "created")
            })
        })
        .await;
    // In order: each token's event after the one before it (a repeat may come again later).
    let first_seen: Vec<usize> = made
        .iter()
        .map(|id| events.iter().position(|e| e["token_id"] == id.as_str()).unwrap())
        .collect();
    assert!(first_seen.windows(2).all(|w| w[0] < w[1]), "{first_seen:?}");
    wait_until_backlog_empty(&app, &ada).await;
    let now = app.get(STREAMS, &ada).await.body["destinations"][0].clone();
    assert!(now["last_error"].is_null(), "well again: {now}");
    assert!(now["failing_since"].is_null());
}

async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..300 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("waited 30 s");
}

async fn wait_until_backlog_empty(app: &TestApp, admin: &Browser) {
    for _ in 0..200 {
        let listed = app.get(STREAMS, admin).await.body["destinations"][0].clone();
        if listed["backlog"] == 0 && listed["last_error"].is_null() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the backlog never emptied");
}

async fn two_instances_share_the_work_and_a_dead_one_loses_nothing(app: TestApp) {
    let (app, ada) = development(app).await;
    let (second, second_state) = app.second_instance().await;
    let receiver = Receiver::start().await;
    add(&app, &ada, &receiver).await;
    // Events written through both instances; both workers look for work.
    let mut made = make_tokens(&app, &ada, 10, "first").await;
    for i in 0..10 {
        let req = axum::http::Request::post("/api/workspaces/ws-acme/tokens")
            .header("cookie", format!("tc_session={}", ada.cookie))
            .header("x-csrf-token", &ada.csrf)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(
                json!({"name": format!("second {i}"), "lifetime_days": 30, "all_permissions": true}).to_string(),
            ))
            .unwrap();
        let res = tower::ServiceExt::oneshot(second.clone(), req).await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let body = http_body_util::BodyExt::collect(res.into_body())
            .await
            .unwrap()
            .to_bytes();
        let body: Value = serde_json::from_slice(&body).unwrap();
        made.push(body["token"]["id"].as_str().unwrap().to_owned());
    }
    let events = receiver
        .wait_for("twenty tokens", |e| {
            e.iter().filter(|e| e["action"] == "created").count() >= 20
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let all = receiver.events();
    let ids = ids(&all);
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(
        unique.len(),
        ids.len(),
        "two instances send each event once in the normal case"
    );
    assert!(events.len() >= 21);
    // A delivery stalls, and the instance sending it dies: its lease runs out (here: is made to
    // have run out), and the other instance sends the events again.
    receiver.set(Mode::Stall);
    let stalled = make_tokens(&app, &ada, 2, "stalled").await;
    wait_until(|| receiver.attempts() > receiver.deliveries().len()).await;
    app.state.stop_streaming();
    second_state.stop_streaming();
    receiver.set(Mode::Ok);
    sqlx::query("UPDATE audit_destinations SET lease_until = 0")
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    let (_third, third) = app.second_instance().await;
    receiver
        .wait_for("the stalled events, from a new instance", |e| {
            stalled.iter().all(|id| e.iter().any(|e| e["token_id"] == id.as_str()))
        })
        .await;
    third.stop_streaming();
}

async fn admins_pause_resume_test_and_remove_audited_and_others_cannot(app: TestApp) {
    let (app, ada) = development(app).await;
    let receiver = Receiver::start().await;
    let destination = add(&app, &ada, &receiver).await;
    let id = destination["id"].as_str().unwrap();
    let one = format!("{STREAMS}/{id}");
    // A member is refused, another workspace's admin does not find it (and cannot reach it
    // through their own workspace's path).
    let ben = app.sign_in("ben@acme.test").await;
    assert_eq!(app.get(STREAMS, &ben).await.status, StatusCode::FORBIDDEN);
    let gus = app.sign_in("gus@globex.test").await;
    assert_eq!(app.get(STREAMS, &gus).await.status, StatusCode::NOT_FOUND);
    let globex_one = format!("/api/workspaces/ws-globex/admin/streams/{id}");
    let paused = app
        .send(Method::PATCH, &globex_one, Some(&gus), Some(json!({"state": "paused"})))
        .await;
    assert_eq!(paused.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.send(Method::DELETE, &globex_one, Some(&gus), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.send(Method::POST, &format!("{globex_one}/test"), Some(&gus), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // The test event: delivered now, marked test, not part of the trail's order.
    let tested = app.send(Method::POST, &format!("{one}/test"), Some(&ada), None).await;
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.text);
    assert_eq!(tested.body, json!({"delivered": true, "status": 204, "error": null}));
    assert!(receiver
        .deliveries()
        .iter()
        .any(|d| d["test"] == true && d["events"][0]["action"] == "stream_tested"));
    receiver.set(Mode::Fail);
    let failed = app.send(Method::POST, &format!("{one}/test"), Some(&ada), None).await;
    assert_eq!(
        failed.body,
        json!({"delivered": false, "status": 500, "error": "HTTP 500"})
    );
    receiver.set(Mode::Ok);
    // Paused: events wait; resumed: they arrive.
    let paused = app
        .send(Method::PATCH, &one, Some(&ada), Some(json!({"state": "paused"})))
        .await;
    assert_eq!(paused.body["state"], "paused", "{}", paused.text);
    let during = app.create_token_id(&ada, "ws-acme", "while paused").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(receiver.events().iter().all(|e| e["token_id"] != during.as_str()));
    let listed = app.get(STREAMS, &ada).await.body["destinations"][0].clone();
    assert!(listed["backlog"].as_u64().unwrap() >= 1);
    let resumed = app
        .send(Method::PATCH, &one, Some(&ada), Some(json!({"state": "active"})))
        .await;
    assert_eq!(resumed.body["state"], "active");
    receiver
        .wait_for("the event made while paused", |e| {
            e.iter().any(|e| e["token_id"] == during.as_str())
        })
        .await;
    // Every one of these was audited, with the URL and what the test got.
    let trail = app.get("/api/workspaces/ws-acme/admin/audit?limit=50", &ada).await.body["events"].clone();
    let reasons: Vec<String> = trail
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "stream_changed" || e["action"] == "stream_tested")
        .map(|e| e["reason"].as_str().unwrap().to_owned())
        .collect();
    // The URL as shown: its origin, the path (which may carry a collector's key) hidden.
    let shown = receiver.url.replace("/collect", "/…");
    assert!(!trail.to_string().contains("/collect"));
    for word in ["added", "paused", "resumed", "answered HTTP 204", "failed: HTTP 500"] {
        assert!(
            reasons.iter().any(|r| r.contains(word) && r.contains(&shown)),
            "{word}: {reasons:?}"
        );
    }
    assert!(!trail.to_string().contains("hec-secret-1"));
    // Removed: gone, and its events with it.
    assert_eq!(
        app.send(Method::DELETE, &one, Some(&ada), None).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get(STREAMS, &ada).await.body["destinations"], json!([]));
    assert_eq!(
        app.send(Method::DELETE, &one, Some(&ada), None).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn bad_destinations_are_refused_naming_the_field_and_nothing_is_written(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    // Not in development mode: no http, no loopback or private or metadata address.
    for (url, field) in [
        ("http://siem.example.com/", "url"),
        ("https://127.0.0.1/", "url"),
        ("https://10.0.0.8/", "url"),
        ("https://169.254.169.254/latest/meta-data", "url"),
        ("https://localhost:8088/", "url"),
        ("https://user:pass@siem.example.com/", "url"),
        ("ftp://siem.example.com/", "url"),
        ("", "url"),
    ] {
        let refused = app.post(STREAMS, &ada, json!({"url": url})).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{url}");
        assert_eq!(refused.body["errors"][0]["field"], field, "{url}: {}", refused.text);
    }
    for headers in [
        json!([{"name": "Content-Type", "value": "text/plain"}]),
        json!([{"name": "X-Key", "value": "a\r\nX-Evil: 1"}]),
        json!([{"name": "X-Key", "value": "1"}, {"name": "x-key", "value": "2"}]),
    ] {
        let refused = app
            .post(
                STREAMS,
                &ada,
                json!({"url": "https://siem.example.com/", "headers": headers}),
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{headers}");
        assert_eq!(refused.body["errors"][0]["field"], "headers");
    }
    assert_eq!(app.get(STREAMS, &ada).await.body["destinations"], json!([]));
    // Three at most.
    for i in 0..3 {
        let added = app
            .post(STREAMS, &ada, json!({"url": format!("https://siem{i}.example.com/")}))
            .await;
        assert_eq!(added.status, StatusCode::CREATED);
    }
    let fourth = app
        .post(STREAMS, &ada, json!({"url": "https://siem4.example.com/"}))
        .await;
    assert_eq!(fourth.status, StatusCode::CONFLICT);
    assert_eq!(
        app.get(STREAMS, &ada).await.body["destinations"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

async fn a_backlog_of_many_batches_arrives_whole_once_in_batches_of_500(app: TestApp) {
    let (app, ada) = development(app).await;
    let receiver = Receiver::start().await;
    let destination = add(&app, &ada, &receiver).await;
    let one = format!("{STREAMS}/{}", destination["id"].as_str().unwrap());
    receiver.wait_for("the adding", |e| !e.is_empty()).await;
    let paused = app
        .send(Method::PATCH, &one, Some(&ada), Some(json!({"state": "paused"})))
        .await;
    assert_eq!(paused.status, StatusCode::OK);
    // 1,234 events in one millisecond (as a refresh batch records them), of Acme, and 10 of
    // Globex's beside them, which Acme's destination must never carry.
    let at = chrono::Utc::now().timestamp_millis();
    for (ws, n) in [("ws-acme", 1_234), ("ws-globex", 10)] {
        for chunk in (0..n).collect::<Vec<_>>().chunks(400) {
            let rows: Vec<String> = chunk
                .iter()
                .map(|i| format!("('bulk-{ws}-{i:04}', '{ws}', {at}, 'refreshed', 'u-ben', 'g-bulk', 'bulk')"))
                .collect();
            sqlx::query(&format!(
                "INSERT INTO audit_events (id, workspace_id, at, action, owner_id, grant_id, grant_name) VALUES {}",
                rows.join(",")
            ))
            .execute(&app.state.db.writer)
            .await
            .unwrap();
        }
    }
    let waiting = app.get(STREAMS, &ada).await.body["destinations"][0]["backlog"]
        .as_u64()
        .unwrap();
    assert!(waiting >= 1_234, "{waiting}");
    app.send(Method::PATCH, &one, Some(&ada), Some(json!({"state": "active"})))
        .await;
    let events = receiver
        .wait_for("all 1,234", |e| {
            e.iter().filter(|e| e["token_name"] == "bulk").count() >= 1_234
        })
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let bulk: Vec<String> = receiver
        .events()
        .iter()
        .filter(|e| e["id"].as_str().unwrap().starts_with("bulk-"))
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(events.len() >= 1_234);
    let unique: std::collections::HashSet<&String> = bulk.iter().collect();
    assert_eq!(unique.len(), 1_234, "each once");
    assert_eq!(bulk.len(), 1_234, "none twice");
    assert!(
        bulk.iter().all(|id| id.starts_with("bulk-ws-acme-")),
        "no Globex event reached Acme's destination"
    );
    assert!(receiver
        .deliveries()
        .iter()
        .all(|d| d["events"].as_array().unwrap().len() <= 500));
    wait_until_backlog_empty(&app, &ada).await;
}

crate::on_both_databases!(
    a_backlog_of_many_batches_arrives_whole_once_in_batches_of_500,
    every_event_arrives_signed_once_in_order_with_its_headers,
    failures_retry_with_backoff_and_every_event_arrives_at_least_once,
    two_instances_share_the_work_and_a_dead_one_loses_nothing,
    admins_pause_resume_test_and_remove_audited_and_others_cannot,
    bad_destinations_are_refused_naming_the_field_and_nothing_is_written,
);
