//! No secret in any log line: every flow that handles one runs under a subscriber that keeps
//! every line at TRACE level, and the secrets are looked for in what it kept.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Capture, TestApp};

// A current-thread runtime, so the thread-local subscriber sees every task of the test.
#[tokio::test(flavor = "current_thread")]
async fn no_secret_reaches_a_log_line() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::sqlite().await;
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", "logged").await;
    let first = created["refresh_token"].as_str().unwrap().to_owned();
    let access = created["access_token"].as_str().unwrap().to_owned();
    let second = app.refresh("tcc_acme", &first).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A retry within the window is logged, and must not carry either token.
    assert_eq!(app.refresh("tcc_acme", &first).await.status, StatusCode::OK);
    let third = app.refresh("tcc_acme", &second).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A replay is logged as a warning, and must not carry the replayed token.
    assert_eq!(app.refresh("tcc_acme", &first).await.status, StatusCode::BAD_REQUEST);
    app.form("/oauth2/revoke", &[("token", &third), ("client_id", "tcc_acme")], None)
        .await;
    app.form(
        "/oauth2/introspect",
        &[("token", &second)],
        Some(&format!("Bearer {access}")),
    )
    .await;
    app.whoami("ws-acme", &access).await;
    let wrong = app
        .send(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": "ben@acme.test", "password": "hunter2-wrong"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // A secret pasted into a field of the wrong type is not echoed either.
    app.post(
        "/api/workspaces/ws-acme/tokens",
        &ben,
        json!({"name": "x", "lifetime_days": first, "all_permissions": true}),
    )
    .await;

    let logs = capture.text();
    assert!(
        logs.contains("refresh token reuse detected") && logs.contains("retry window"),
        "the capture must see the service's lines:\n{logs}"
    );
    for (what, secret) in [
        ("first refresh token", first.as_str()),
        ("rotated refresh token", second.as_str()),
        ("its successor", third.as_str()),
        ("access token", access.as_str()),
        ("session cookie", ben.cookie.as_str()),
        ("CSRF token", ben.csrf.as_str()),
        ("password", "hunter2-wrong"),
        ("demo password", "demo-password"),
    ] {
        assert!(!logs.contains(secret), "the {what} appears in the log");
    }
}
