//! A member's own tokens: the one-time reveal, validation, isolation, disable, delete, batches.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use token_api::token_format;

use crate::support::TestApp;

async fn generating_reveals_both_secrets_once_and_never_again(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let reply = app
        .post(
            "/api/workspaces/ws-acme/tokens",
            &ben,
            json!({"name": "  deploy bot  ", "lifetime_days": 30, "all_permissions": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    let refresh = reply.body["refresh_token"].as_str().unwrap();
    let access = reply.body["access_token"].as_str().unwrap();
    assert_eq!(token_format::check(refresh), Ok(()));
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    let token = &reply.body["token"];
    assert_eq!(token["name"], "deploy bot", "names are stored trimmed");
    assert_eq!(token["status"], "active");
    assert_eq!(token["hint"], token_format::hint(refresh));
    assert_eq!(token["last_used_at"], Value::Null);
    let created = chrono::DateTime::parse_from_rfc3339(token["created_at"].as_str().unwrap()).unwrap();
    let expires = chrono::DateTime::parse_from_rfc3339(token["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(expires - created, chrono::Duration::days(30));

    let claims = app
        .state
        .signer
        .verify(access, "http://issuer.test", chrono::Utc::now().timestamp())
        .unwrap();
    assert_eq!(claims.sub, "u-ben");
    assert_eq!(claims.workspace, "ws-acme");
    assert_eq!(claims.client_id, "tcc_acme");
    assert_eq!(claims.exp - claims.iat, 3600);

    // Nothing that can be read back holds either secret, and the database keeps only a digest.
    let list = app.get("/api/workspaces/ws-acme/tokens", &ben).await;
    assert!(list.text.contains("deploy bot"));
    for secret in [refresh, access] {
        assert!(!list.text.contains(secret));
        assert!(!app.get("/api/me", &ben).await.text.contains(secret));
    }
    let body = &refresh[token_format::PREFIX.len()..token_format::PREFIX.len() + token_format::BODY_LEN];
    let stored: Vec<(String,)> = sqlx::query_as("SELECT refresh_digest FROM grants")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert!(stored.iter().all(|(d,)| !d.contains(body) && d.len() == 64));
}

async fn bad_input_names_the_field_and_writes_nothing(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let before = app.grant_count().await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"name": "a", "lifetime_days": 0, "all_permissions": true}),
            "lifetime_days",
            "out_of_range",
        ),
        (
            json!({"name": "a", "lifetime_days": 366, "all_permissions": true}),
            "lifetime_days",
            "out_of_range",
        ),
        (
            json!({"name": "a", "lifetime_days": -1, "all_permissions": true}),
            "lifetime_days",
            "invalid_type",
        ),
        (
            json!({"name": "a", "lifetime_days": 1e9, "all_permissions": true}),
            "lifetime_days",
            "invalid_type",
        ),
        (
            json!({"name": "a", "lifetime_days": 1_000_000_000_000u64, "all_permissions": true}),
            "lifetime_days",
            "invalid_type",
        ),
        (
            json!({"name": "a", "lifetime_days": "abc", "all_permissions": true}),
            "lifetime_days",
            "invalid_type",
        ),
        (
            json!({"name": "a", "lifetime_days": 7.5, "all_permissions": true}),
            "lifetime_days",
            "invalid_type",
        ),
        (
            json!({"name": "", "lifetime_days": 7, "all_permissions": true}),
            "name",
            "required",
        ),
        (
            json!({"name": "   ", "lifetime_days": 7, "all_permissions": true}),
            "name",
            "required",
        ),
        (
            json!({"name": "x".repeat(101), "lifetime_days": 7, "all_permissions": true}),
            "name",
            "too_long",
        ),
        (
            json!({"name": "bell\u{7}", "lifetime_days": 7, "all_permissions": true}),
            "name",
            "control_characters",
        ),
        (
            json!({"name": "\u{1b}[31mred", "lifetime_days": 7, "all_permissions": true}),
            "name",
            "control_characters",
        ),
        (
            json!({"name": 5, "lifetime_days": 7, "all_permissions": true}),
            "name",
            "invalid_type",
        ),
        (json!({"lifetime_days": 7, "all_permissions": true}), "name", "required"),
        (json!({"name": "a"}), "lifetime_days", "required"),
        (
            json!({"name": "a", "lifetime_days": 7, "all_permissions": true, "owner": "u-ada"}),
            "owner",
            "unknown_field",
        ),
    ];
    for (body, field, code) in cases {
        let reply = app.post("/api/workspaces/ws-acme/tokens", &ben, body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
        assert_eq!(reply.body["errors"][0]["field"], field, "{body}: {}", reply.text);
        assert_eq!(reply.body["errors"][0]["code"], code, "{body}: {}", reply.text);
    }
    // Malformed JSON and the wrong media type.
    let malformed = Request::builder()
        .method(Method::POST)
        .uri("/api/workspaces/ws-acme/tokens")
        .header(header::COOKIE, format!("tc_session={}", ben.cookie))
        .header("x-csrf-token", &ben.csrf)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name": "a", "lifetime_days": "#))
        .unwrap();
    let reply = app.raw(malformed).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body["detail"].as_str().unwrap().contains("malformed JSON"));
    let form = Request::builder()
        .method(Method::POST)
        .uri("/api/workspaces/ws-acme/tokens")
        .header(header::COOKIE, format!("tc_session={}", ben.cookie))
        .header("x-csrf-token", &ben.csrf)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("name=a&lifetime_days=3"))
        .unwrap();
    assert_eq!(app.raw(form).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(app.grant_count().await, before, "no bad request may write");
}

async fn chinese_and_emoji_names_work_and_boundaries_are_inclusive(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    for (name, days) in [("部署机器人", 1), ("🚀 deploy", 365), (&*"名".repeat(100), 7)] {
        let reply = app
            .post(
                "/api/workspaces/ws-acme/tokens",
                &ben,
                json!({"name": name, "lifetime_days": days, "all_permissions": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{name}: {}", reply.text);
        assert_eq!(reply.body["token"]["name"], name);
    }
    let names = app.token_names(&ben, "ws-acme").await;
    assert!(names.contains(&"部署机器人".to_owned()) && names.contains(&"🚀 deploy".to_owned()));
}

async fn users_and_workspaces_are_isolated(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;
    let bens = app.create_token(&ben, "ws-acme", "ben's acme token").await;
    let id = bens["token"]["id"].as_str().unwrap();

    // Cy (same workspace) and Gus (admin of another workspace) cannot see or touch Ben's token:
    // the same 404 as a token that does not exist.
    for (intruder, ws) in [(&cy, "ws-acme"), (&gus, "ws-acme"), (&gus, "ws-globex")] {
        let missing = app
            .post(
                &format!("/api/workspaces/{ws}/tokens/no-such-id/disable"),
                intruder,
                json!({}),
            )
            .await;
        let disable = app
            .post(
                &format!("/api/workspaces/{ws}/tokens/{id}/disable"),
                intruder,
                json!({}),
            )
            .await;
        assert_eq!(disable.status, StatusCode::NOT_FOUND);
        assert_eq!(disable.said(), missing.said());
        let delete = app
            .send(
                Method::DELETE,
                &format!("/api/workspaces/{ws}/tokens/{id}"),
                Some(intruder),
                None,
            )
            .await;
        assert_eq!(delete.status, StatusCode::NOT_FOUND);
    }
    assert!(!app
        .token_names(&cy, "ws-acme")
        .await
        .contains(&"ben's acme token".to_owned()));
    // Ben's token does not show in his other workspace either.
    assert!(!app
        .token_names(&ben, "ws-globex")
        .await
        .contains(&"ben's acme token".to_owned()));

    // Cy is no member of Globex: listing and generating there are 404s and write nothing.
    let before = app.grant_count().await;
    assert_eq!(
        app.get("/api/workspaces/ws-globex/tokens", &cy).await.status,
        StatusCode::NOT_FOUND
    );
    let reply = app
        .post(
            "/api/workspaces/ws-globex/tokens",
            &cy,
            json!({"name": "sneaky", "lifetime_days": 3, "all_permissions": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(app.grant_count().await, before);

    // And Ben's token is untouched after all that.
    let token = app.token(&ben, "ws-acme", id).await;
    assert_eq!(token["status"], "active");
}

async fn disabling_is_irreversible_and_idempotent_and_deleting_removes(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", "to disable").await;
    let id = created["token"]["id"].as_str().unwrap();
    let path = format!("/api/workspaces/ws-acme/tokens/{id}/disable");
    let first = app.post(&path, &ben, json!({})).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.body["status"], "disabled");
    assert_eq!(first.body["disabled_by"]["email"], "ben@acme.test");
    let second = app.post(&path, &ben, json!({})).await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(
        second.body["disabled_at"], first.body["disabled_at"],
        "a second disable changes nothing"
    );

    let delete = app
        .send(
            Method::DELETE,
            &format!("/api/workspaces/ws-acme/tokens/{id}"),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::NO_CONTENT);
    assert!(!app
        .token_names(&ben, "ws-acme")
        .await
        .contains(&"to disable".to_owned()));
    let again = app
        .send(
            Method::DELETE,
            &format!("/api/workspaces/ws-acme/tokens/{id}"),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE grant_id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(events, 3, "created, disabled once, deleted");
}

async fn a_batch_reports_each_id_and_refuses_oversized_batches(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let a = app.create_token_id(&ben, "ws-acme", "a").await;
    let b = app.create_token_id(&ben, "ws-acme", "b").await;
    let cys = app.create_token_id(&cy, "ws-acme", "cy's").await;
    app.post(&format!("/api/workspaces/ws-acme/tokens/{b}/disable"), &ben, json!({}))
        .await;

    let reply = app
        .post(
            "/api/workspaces/ws-acme/tokens/batch",
            &ben,
            json!({"action": "disable", "ids": [a, b, cys, "missing"]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let outcomes = reply.outcomes();
    assert_eq!(outcomes, ["done", "already_disabled", "not_found", "not_found"]);

    let reply = app
        .post(
            "/api/workspaces/ws-acme/tokens/batch",
            &ben,
            json!({"action": "delete", "ids": [a, cys]}),
        )
        .await;
    let outcomes = reply.outcomes();
    assert_eq!(outcomes, ["done", "not_found"]);
    assert!(
        app.token_names(&cy, "ws-acme").await.contains(&"cy's".to_owned()),
        "cy's token survives"
    );

    let before = app.grant_count().await;
    let too_many: Vec<String> = (0..1001).map(|i| format!("id{i}")).collect();
    for (ids, code) in [(too_many, "too_many"), (vec![], "required")] {
        let reply = app
            .post(
                "/api/workspaces/ws-acme/tokens/batch",
                &ben,
                json!({"action": "delete", "ids": ids}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.body["errors"][0]["field"], "ids");
        assert_eq!(reply.body["errors"][0]["code"], code);
    }
    let reply = app
        .post(
            "/api/workspaces/ws-acme/tokens/batch",
            &ben,
            json!({"action": "explode", "ids": ["x"]}),
        )
        .await;
    assert_eq!(reply.body["errors"][0]["field"], "action");
    assert_eq!(app.grant_count().await, before);
}

crate::on_both_databases!(
    generating_reveals_both_secrets_once_and_never_again,
    bad_input_names_the_field_and_writes_nothing,
    chinese_and_emoji_names_work_and_boundaries_are_inclusive,
    users_and_workspaces_are_isolated,
    disabling_is_irreversible_and_idempotent_and_deleting_removes,
    a_batch_reports_each_id_and_refuses_oversized_batches,
);
