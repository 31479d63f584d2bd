//! A leaked token revokes itself: the test plays GitHub's secret scanning, with a P-256 key pair
//! it makes and a keys document it serves on loopback, and posts reports to
//! `POST /api/secret-scanning/github`, signed and not.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::{EncodePublicKey, LineEnding};
use serde_json::{json, Value};

use crate::support::{Browser, Reply, TestApp};

pub const PATH: &str = "/api/secret-scanning/github";

/// GitHub, as far as a partner sees it: a key pair, and the keys document on loopback.
pub struct Scanner {
    pub key_id: String,
    pub key: SigningKey,
    pub url: String,
    /// How many times the keys document was fetched.
    pub fetches: Arc<AtomicUsize>,
}

pub fn new_key() -> SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).unwrap();
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

pub fn pem(key: &SigningKey) -> String {
    key.verifying_key().to_public_key_pem(LineEnding::LF).unwrap()
}

impl Scanner {
    /// Serves a keys document holding one new key (as GitHub's does, with an older one beside it).
    pub async fn start() -> Scanner {
        let key = new_key();
        let key_id = hex(&rand_bytes());
        let old = new_key();
        let document = Arc::new(json!({"public_keys": [
            {"key_identifier": hex(&rand_bytes()), "key": pem(&old), "is_current": false},
            {"key_identifier": key_id, "key": pem(&key), "is_current": true},
        ]}));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (document, fetches.clone());
        let router = axum::Router::new().route(
            "/meta/public_keys/secret_scanning",
            axum::routing::get(move || {
                let (served, counted) = (served.clone(), counted.clone());
                async move {
                    counted.fetch_add(1, Ordering::SeqCst);
                    axum::Json((*served).clone())
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Scanner {
            key_id,
            key,
            url: format!("http://{addr}/meta/public_keys/secret_scanning"),
            fetches,
        }
    }

    /// Points the service at this scanner's keys (a restart, as the operator's would be).
    pub async fn configure(&self, app: &mut TestApp) {
        let url = self.url.clone();
        app.reconfigure(|c| c.secret_scanning_keys_url = Some(url)).await;
    }

    /// A report of `matches`, signed over its exact bytes.
    pub fn signed(&self, body: &[u8]) -> Request<Body> {
        let signature: Signature = self.key.sign(body);
        report(
            body,
            Some(&self.key_id),
            Some(&STANDARD.encode(signature.to_der().as_bytes())),
        )
    }
}

/// A report with the headers given.
pub fn report(body: &[u8], key_id: Option<&str>, signature: Option<&str>) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(PATH)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(id) = key_id {
        req = req.header("Github-Public-Key-Identifier", id);
    }
    if let Some(sig) = signature {
        req = req.header("Github-Public-Key-Signature", sig);
    }
    req.body(Body::from(body.to_vec())).unwrap()
}

/// GitHub's match for a string found at `url`.
pub fn found(token: &str, url: &str) -> Value {
    json!({"token": token, "type": "token_console_refresh_token", "url": url, "source": "content"})
}

fn rand_bytes() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).unwrap();
    bytes
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A well-formed refresh token the service never issued.
fn stranger() -> String {
    let body: String = rand_bytes()
        .iter()
        .chain(rand_bytes().iter())
        .filter_map(|b| token_api::token_format::base62_char(*b))
        .take(token_api::token_format::BODY_LEN)
        .collect();
    token_api::token_format::encode(&body)
}

/// A new token of `who` in `ws`: (id, refresh token).
async fn token(app: &TestApp, who: &Browser, ws: &str, name: &str) -> (String, String) {
    let made = app.create_token(who, ws, name).await;
    (
        made["token"]["id"].as_str().unwrap().to_owned(),
        made["refresh_token"].as_str().unwrap().to_owned(),
    )
}

/// The alarms of a workspace's audit trail, as its admin reads them.
async fn alarms(app: &TestApp, ws: &str, admin: &Browser) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/workspaces/{ws}/admin/audit?alarms=true"), admin)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["events"].as_array().unwrap().clone()
}

/// How many audit events and leak reports the database holds.
async fn written(app: &TestApp) -> (i64, i64) {
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let (reports,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM leak_reports")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    (events, reports)
}

fn labels(reply: &Reply) -> Vec<(String, String)> {
    reply
        .body
        .as_array()
        .unwrap_or_else(|| panic!("an array of labels: {}", reply.text))
        .iter()
        .map(|v| {
            (
                v["token_raw"].as_str().unwrap().to_owned(),
                v["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_signed_report_disables_the_live_tokens_it_names_in_their_own_workspaces(mut app: TestApp) {
    let scanner = Scanner::start().await;
    scanner.configure(&mut app).await;
    let (ben, ada, gus) = (
        app.sign_in("ben@acme.test").await,
        app.sign_in("ada@acme.test").await,
        app.sign_in("gus@globex.test").await,
    );
    let (leaked, leaked_token) = token(&app, &ben, "ws-acme", "ci deploy").await;
    let (kept, kept_token) = token(&app, &ben, "ws-acme", "laptop").await;
    let (globex, globex_token) = token(&app, &gus, "ws-globex", "globex ci").await;
    // A rotated-out refresh token of a live grant: the client's store leaked.
    let (rotated, first) = token(&app, &ben, "ws-acme", "rotated").await;
    let rotated_now = app.refresh("tcc_acme", &first).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Disabled already by its owner: ours, and left as it is.
    let (disabled, disabled_token) = token(&app, &ben, "ws-acme", "old").await;
    let off = app
        .post(
            &format!("/api/workspaces/ws-acme/tokens/{disabled}/disable"),
            &ben,
            json!({}),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let (events_before, _) = written(&app).await;

    let url = "https://github.com/acme/app/blob/0123abc/.env";
    let unknown = stranger();
    let matches = json!([
        found(&leaked_token, url),
        found("tcr_not-a-token", "https://github.com/acme/app/blob/0123abc/README.md"),
        found(&unknown, url),
        // The same token again, elsewhere: one disable.
        found(&leaked_token, "https://gist.github.com/someone/abc"),
        found(&globex_token, "https://github.com/globex/site/blob/main/deploy.sh"),
        found(&first, "javascript:alert(1)"),
        found(&disabled_token, url),
        found("ghp_16C7e42F292c6912E7710c838347Ae178B4a", url),
    ]);
    let body = matches.to_string();
    let reply = app.raw(scanner.signed(body.as_bytes())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let tp = "true_positive".to_owned();
    let fp = "false_positive".to_owned();
    assert_eq!(
        labels(&reply),
        [
            (leaked_token.clone(), tp.clone()),
            ("tcr_not-a-token".to_owned(), fp.clone()),
            (unknown.clone(), fp.clone()),
            (leaked_token.clone(), tp.clone()),
            (globex_token.clone(), tp.clone()),
            (first.clone(), tp.clone()),
            (disabled_token.clone(), tp.clone()),
            ("ghp_16C7e42F292c6912E7710c838347Ae178B4a".to_owned(), fp.clone()),
        ]
    );
    assert!(reply.body[0]["token_type"] == "token_console_refresh_token");
    // Nothing more is said: no workspace, no owner, no state.
    let fields: Vec<&String> = reply.body[0].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["label", "token_raw", "token_type"]);
    assert!(reply.secret, "the answer carries the tokens: never compressed");
    // Exactly three events were written: nothing for the stranger, the malformed, the disabled.
    let (events_after, _) = written(&app).await;
    assert_eq!(events_after - events_before, 3);

    // Disabled within the request: their refresh tokens are refused now, the others work.
    for dead in [&leaked_token, &rotated_now] {
        let refused = app.refresh("tcc_acme", dead).await;
        assert_eq!(refused.body["error"], "invalid_grant", "{}", refused.text);
    }
    assert_eq!(
        app.refresh("tcc_globex", &globex_token).await.body["error"],
        "invalid_grant"
    );
    assert_eq!(app.refresh("tcc_acme", &kept_token).await.status, StatusCode::OK);

    // The owner's list says why, and where.
    let row = app.token(&ben, "ws-acme", &leaked).await;
    assert_eq!(row["status"], "disabled");
    assert_eq!(row["disabled_cause"], "leaked");
    assert_eq!(row["disabled_reason"], format!("found public at {url}"));
    let row = app.token(&ben, "ws-acme", &rotated).await;
    assert_eq!(
        (row["disabled_cause"].as_str(), row["disabled_reason"].as_str()),
        (Some("leaked"), Some("found public")),
        "a place that is not an https URL is left out"
    );
    let row = app.token(&ben, "ws-acme", &disabled).await;
    assert_eq!(row["disabled_cause"], "person", "a disabled token is left as it was");
    assert_eq!(app.token(&ben, "ws-acme", &kept).await["status"], "active");
    let row = app.token(&gus, "ws-globex", &globex).await;
    assert_eq!(
        row["disabled_reason"],
        "found public at https://github.com/globex/site/blob/main/deploy.sh"
    );

    // Acme's admin is alarmed of Acme's two, by GitHub's secret scanning, and of nothing in Globex.
    let acme = alarms(&app, "ws-acme", &ada).await;
    let leaks: Vec<&Value> = acme.iter().filter(|e| e["action"] == "leak_reported").collect();
    let mut named: Vec<&str> = leaks.iter().map(|e| e["token_id"].as_str().unwrap()).collect();
    named.sort();
    let mut expected = vec![leaked.as_str(), rotated.as_str()];
    expected.sort();
    assert_eq!(named, expected, "one event per grant: {leaks:?}");
    for e in &leaks {
        assert_eq!(e["by_secret_scanning"], true, "{e}");
        assert!(e["actor"].is_null(), "no person acted: {e}");
        assert_eq!(e["owner"]["email"], "ben@acme.test");
    }
    let leaked_event = leaks.iter().find(|e| e["token_id"] == leaked.as_str()).unwrap();
    assert_eq!(leaked_event["reason"], format!("found public at {url}"));
    let summary = app.get("/api/workspaces/ws-acme/admin/tokens/summary", &ada).await;
    assert_eq!(summary.body["leaks_reported_recently"], 2, "{}", summary.text);
    let globex_alarms = alarms(&app, "ws-globex", &gus).await;
    let ids: Vec<&str> = globex_alarms
        .iter()
        .filter(|e| e["action"] == "leak_reported")
        .map(|e| e["token_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [globex.as_str()]);
    // No token value is kept anywhere an admin reads.
    let trail = app.get("/api/workspaces/ws-acme/admin/audit.csv", &ada).await;
    for secret in [&leaked_token, &first, &unknown] {
        assert!(!trail.text.contains(secret.as_str()));
    }
}

async fn refused_reports_change_nothing_and_say_nothing(mut app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let (_, live) = token(&app, &ben, "ws-acme", "live").await;
    let body = json!([found(&live, "https://github.com/acme/app/blob/main/x")]).to_string();

    // Not configured: the endpoint takes nothing; unsigned is refused as unsigned all the same
    // (the fuzzer's check that a required header is required).
    let reply = app.raw(report(body.as_bytes(), Some("k"), Some("c2ln"))).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.text);
    let reply = app.raw(report(body.as_bytes(), Some("k"), None)).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);

    let scanner = Scanner::start().await;
    scanner.configure(&mut app).await;
    let before = written(&app).await;
    let signature = |key: &SigningKey, bytes: &[u8]| {
        let s: Signature = key.sign(bytes);
        STANDARD.encode(s.to_der().as_bytes())
    };
    let stranger_key = new_key();
    let other_body = json!([found(&live, "https://github.com/elsewhere")]).to_string();
    let refusals = [
        ("unsigned", report(body.as_bytes(), None, None)),
        (
            "no key id",
            report(body.as_bytes(), None, Some(&signature(&scanner.key, body.as_bytes()))),
        ),
        (
            "an unknown key id",
            report(
                body.as_bytes(),
                Some("no-such-key"),
                Some(&signature(&scanner.key, body.as_bytes())),
            ),
        ),
        (
            "another key's signature",
            report(
                body.as_bytes(),
                Some(&scanner.key_id),
                Some(&signature(&stranger_key, body.as_bytes())),
            ),
        ),
        (
            "the signature of another body",
            report(
                body.as_bytes(),
                Some(&scanner.key_id),
                Some(&signature(&scanner.key, other_body.as_bytes())),
            ),
        ),
        (
            "not base64",
            report(body.as_bytes(), Some(&scanner.key_id), Some("%%%")),
        ),
        (
            "not DER",
            report(body.as_bytes(), Some(&scanner.key_id), Some("c2lnbmF0dXJl")),
        ),
    ];
    let mut said = Vec::new();
    for (what, request) in refusals {
        let reply = app.raw(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{what}: {}", reply.text);
        assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
        assert!(!reply.text.contains(&live), "{what}");
        said.push(reply.said());
    }
    assert!(said.windows(2).all(|w| w[0] == w[1]), "one refusal for all: {said:?}");
    assert_eq!(written(&app).await, before, "nothing written");
    assert_eq!(
        app.refresh("tcc_acme", &live).await.status,
        StatusCode::OK,
        "the token still works"
    );
    // The keys were fetched once: an unknown key id fetches them again at most once a minute.
    assert_eq!(scanner.fetches.load(Ordering::SeqCst), 1);
    let before = written(&app).await;

    // Too large, too many matches, not JSON, malformed: refused before the signature is read.
    let huge = json!([found(&"x".repeat(1024 * 1024), "https://github.com/a")]).to_string();
    let reply = app.raw(scanner.signed(huge.as_bytes())).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.text);
    let many: Vec<Value> = (0..1001).map(|_| found(&stranger(), "https://github.com/a")).collect();
    let many = Value::Array(many).to_string();
    let reply = app.raw(scanner.signed(many.as_bytes())).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", reply.text);
    let mut not_json = scanner.signed(body.as_bytes());
    not_json
        .headers_mut()
        .insert(header::CONTENT_TYPE, "text/plain".parse().unwrap());
    assert_eq!(app.raw(not_json).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let reply = app.raw(scanner.signed(b"{\"token\": ")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    let reply = app.raw(scanner.signed(br#"{"token": "x"}"#)).await;
    assert_eq!(
        reply.status,
        StatusCode::BAD_REQUEST,
        "an object, not an array: {}",
        reply.text
    );
    assert_eq!(written(&app).await, before, "nothing written");

    // A replay: the first post is taken, the same signed body again is refused, changing nothing.
    let (_, second) = token(&app, &ben, "ws-acme", "second").await;
    let first_report = json!([found(&second, "https://github.com/acme/app/blob/main/y")]).to_string();
    let taken = app.raw(scanner.signed(first_report.as_bytes())).await;
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text);
    let after_first = written(&app).await;
    let again = app.raw(scanner.signed(first_report.as_bytes())).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text);
    assert!(!again.text.contains(&second));
    assert_eq!(written(&app).await, after_first, "a replay writes nothing");
    // Another instance on the same database knows it too.
    let (other, _) = app.second_instance().await;
    let req = scanner.signed(first_report.as_bytes());
    let res = tower::ServiceExt::oneshot(other, req).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);

    // The digests are forgotten after a day, by the upkeep.
    let day_later = token_server::db::now_ms() + 24 * 3600 * 1000 + 1;
    token_server::maintenance::run_once_at(&app.state, day_later)
        .await
        .unwrap();
    assert_eq!(written(&app).await.1, 0);
}

async fn the_keys_cannot_be_fetched_so_nothing_is_verified(mut app: TestApp) {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/keys", listener.local_addr().unwrap());
    drop(listener);
    app.reconfigure(|c| c.secret_scanning_keys_url = Some(url)).await;
    let scanner = Scanner::start().await;
    let ben = app.sign_in("ben@acme.test").await;
    let (_, live) = token(&app, &ben, "ws-acme", "live").await;
    let body = json!([found(&live, "https://github.com/a")]).to_string();
    let reply = app.raw(scanner.signed(body.as_bytes())).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{}", reply.text);
    assert!(reply.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(app.refresh("tcc_acme", &live).await.status, StatusCode::OK);
}

async fn a_flood_of_reports_is_slowed(mut app: TestApp) {
    let scanner = Scanner::start().await;
    scanner.configure(&mut app).await;
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let reply = app.raw(report(b"[]", Some("k"), Some("c2ln"))).await;
        statuses.push(reply.status);
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = reply.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
            assert!((1..=2).contains(&wait), "{wait}");
            assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
        }
    }
    let first_refused = statuses.iter().position(|s| *s == StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first_refused, Some(30), "{statuses:?}");
    assert!(statuses[..30].iter().all(|s| *s == StatusCode::UNAUTHORIZED));
}

crate::on_both_databases!(
    a_signed_report_disables_the_live_tokens_it_names_in_their_own_workspaces,
    refused_reports_change_nothing_and_say_nothing,
    the_keys_cannot_be_fetched_so_nothing_is_verified,
    a_flood_of_reports_is_slowed,
);

/// No token a report names reaches a log line, taken or refused.
#[tokio::test(flavor = "current_thread")]
async fn no_reported_token_reaches_a_log_line() {
    let capture = crate::support::Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut app = TestApp::sqlite().await;
    let scanner = Scanner::start().await;
    scanner.configure(&mut app).await;
    let ben = app.sign_in("ben@acme.test").await;
    let (_, live) = token(&app, &ben, "ws-acme", "live").await;
    let unknown = stranger();
    let body = json!([
        found(&live, "https://github.com/a"),
        found(&unknown, "https://github.com/a")
    ])
    .to_string();
    assert_eq!(
        app.raw(report(body.as_bytes(), Some(&scanner.key_id), Some("c2ln")))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.raw(scanner.signed(body.as_bytes())).await.status, StatusCode::OK);
    assert_eq!(
        app.raw(scanner.signed(body.as_bytes())).await.status,
        StatusCode::CONFLICT
    );
    let logs = capture.text();
    assert!(
        logs.contains("a secret scanning report was taken") && logs.contains("was refused"),
        "the capture must see the service's lines:\n{logs}"
    );
    assert!(!logs.contains(&live) && !logs.contains(&unknown), "{logs}");
}
