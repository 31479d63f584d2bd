//! Retention, with the upkeep run at a chosen time: routine audit events go after
//! `--audit-retention-days`, security events and failed sign-ins stay unless the operator says
//! otherwise, rotated-out refresh digests go once their grant has ended and the retry window has
//! passed, and sessions and set-password links go when they expire.

use axum::http::StatusCode;
use token_server::{db, maintenance};

use crate::support::TestApp;

const DAY_MS: i64 = 86_400_000;

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.state.db.pool).await.unwrap()
}

async fn events(app: &TestApp, action: &str) -> i64 {
    count(
        app,
        &format!("SELECT COUNT(*) FROM audit_events WHERE action = '{action}'"),
    )
    .await
}

async fn routine_events_go_after_their_days_and_security_events_stay(mut app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let first = app.create_token(&ben, "ws-acme", "kept a while").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app.refresh("tcc_acme", &first).await.body["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    app.refresh_as(&second, "203.0.113.9", Some(b"cron-job/1.0")).await;
    let last_refresh_origins =
        "SELECT COUNT(*) FROM grants WHERE last_used_ip IS NOT NULL OR last_used_agent IS NOT NULL";
    assert_eq!(count(&app, last_refresh_origins).await, 1);
    app.send(
        axum::http::Method::POST,
        "/api/session",
        None,
        Some(serde_json::json!({"email": "ben@acme.test", "password": "wrong password here"})),
    )
    .await;
    let (refreshed, created) = (events(&app, "refreshed").await, events(&app, "created").await);
    assert!(refreshed >= 2 && created >= 1);
    let failures = count(&app, "SELECT COUNT(*) FROM sign_in_failures").await;
    assert!(failures >= 1);

    // A day before the routine events' 400 days: nothing goes.
    let now = db::now_ms();
    maintenance::run_once_at(&app.state, now + 399 * DAY_MS).await.unwrap();
    assert_eq!(events(&app, "refreshed").await, refreshed);
    assert_eq!(count(&app, last_refresh_origins).await, 1);
    // After them: every refresh event goes, and where the last refresh came from with them
    // (when it was stays); security events and failed sign-ins stay for good.
    maintenance::run_once_at(&app.state, now + 401 * DAY_MS).await.unwrap();
    assert_eq!(events(&app, "refreshed").await, 0);
    assert_eq!(count(&app, last_refresh_origins).await, 0);
    let when = "SELECT COUNT(*) FROM grants WHERE name = 'kept a while' AND last_used_at IS NOT NULL";
    assert_eq!(count(&app, when).await, 1);
    assert_eq!(events(&app, "created").await, created);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sign_in_failures").await, failures);
    maintenance::run_once_at(&app.state, now + 5000 * DAY_MS).await.unwrap();
    assert_eq!(events(&app, "created").await, created, "kept for good by default");

    // Unless the operator says how long.
    app.reconfigure(|c| c.security_retention_days = 30).await;
    maintenance::run_once_at(&app.state, now + 29 * DAY_MS).await.unwrap();
    assert_eq!(events(&app, "created").await, created);
    maintenance::run_once_at(&app.state, now + 31 * DAY_MS).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM audit_events").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sign_in_failures").await, 0);
}

async fn a_backlog_is_removed_in_batches(app: TestApp) {
    // More than one batch of old refresh events, written straight to the table.
    let old = db::now_ms() - 500 * DAY_MS;
    for start in (0..2_500).step_by(500) {
        let rows: Vec<String> = (start..start + 500)
            .map(|i| format!("('old-{i}', 'ws-acme', {old}, 'refreshed')"))
            .collect();
        sqlx::query(&format!(
            "INSERT INTO audit_events (id, workspace_id, at, action) VALUES {}",
            rows.join(",")
        ))
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    }
    maintenance::run_once(&app.state).await.unwrap();
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM audit_events WHERE id LIKE 'old-%'").await,
        0
    );
}

async fn rotated_digests_go_once_their_grant_has_ended(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let mut live = Vec::new();
    for name in ["stays live", "gets disabled"] {
        let created = app.create_token(&ben, "ws-acme", name).await;
        let first = created["refresh_token"].as_str().unwrap().to_owned();
        let next = app.refresh("tcc_acme", &first).await.body["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
        live.push((created["token"]["id"].as_str().unwrap().to_owned(), first, next));
    }
    let (disabled_id, _, _) = &live[1];
    let path = format!("/api/workspaces/ws-acme/tokens/{disabled_id}/disable");
    assert_eq!(
        app.post(&path, &ben, serde_json::json!({})).await.status,
        StatusCode::OK
    );
    let rotated_of = |id: &str| format!("SELECT COUNT(*) FROM rotated_refresh_tokens WHERE grant_id = '{id}'");
    assert_eq!(count(&app, &rotated_of(&live[0].0)).await, 1);
    assert_eq!(count(&app, &rotated_of(disabled_id)).await, 1);

    // Within the retry window of the disable nothing goes; after it the ended grant's go.
    let now = db::now_ms();
    maintenance::run_once_at(&app.state, now).await.unwrap();
    assert_eq!(count(&app, &rotated_of(disabled_id)).await, 1);
    maintenance::run_once_at(&app.state, now + 31_000).await.unwrap();
    assert_eq!(count(&app, &rotated_of(disabled_id)).await, 0);
    // The live grant's stay, and still catch a replay.
    assert_eq!(count(&app, &rotated_of(&live[0].0)).await, 1);
    let replay = app.refresh("tcc_acme", &live[0].1).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        app.token(&ben, "ws-acme", &live[0].0).await["status"],
        "disabled",
        "reuse detected"
    );
}

async fn sessions_and_links_go_when_they_expire(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let added = token_server::store::onboarding::add_user(
        &app.state.db.writer,
        ("new@acme.test", "New"),
        "ws-acme",
        token_api::auth::Role::Member,
        None,
        token_server::store::onboarding::AddedBy::Operator {
            take_over: false,
            keep_credential: false,
        },
    )
    .await
    .unwrap();
    assert!(added.setup_secret.is_some());
    let now = db::now_ms();
    // Half an hour on: within the session's 60 idle minutes and the link's 72 hours.
    maintenance::run_once_at(&app.state, now + 1_800_000).await.unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM password_setups").await, 1);
    assert_eq!(app.get("/api/me", &ben).await.status, StatusCode::OK);
    // Past the 12-hour session and the 72-hour link.
    maintenance::run_once_at(&app.state, now + 73 * 3_600_000)
        .await
        .unwrap();
    assert_eq!(count(&app, "SELECT COUNT(*) FROM password_setups").await, 0);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(app.get("/api/me", &ben).await.status, StatusCode::UNAUTHORIZED);
}

crate::on_both_databases!(
    routine_events_go_after_their_days_and_security_events_stay,
    a_backlog_is_removed_in_batches,
    rotated_digests_go_once_their_grant_has_ended,
    sessions_and_links_go_when_they_expire,
);
