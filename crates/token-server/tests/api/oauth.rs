//! The OAuth 2.0 endpoints, driven as a standard client drives them (form-encoded bodies).

use axum::http::{header, Method, StatusCode};
use base64::Engine;
use serde_json::json;
use token_api::token_format;

use crate::support::{Reply, TestApp};

/// A fresh token of Ben's in Acme: (id, refresh token, access token).
async fn bens_token(app: &TestApp, name: &str) -> (String, String, String) {
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", name).await;
    let s = |k: &str| created[k].as_str().unwrap().to_owned();
    (
        created["token"]["id"].as_str().unwrap().to_owned(),
        s("refresh_token"),
        s("access_token"),
    )
}

fn oauth_error(reply: &Reply) -> &str {
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store", "{}", reply.text);
    reply.body["error"].as_str().unwrap_or_default()
}

async fn a_refresh_rotates_and_its_access_token_works_in_its_workspace_only(app: TestApp) {
    let (id, refresh, _) = bens_token(&app, "cli").await;
    let reply = app.refresh("tcc_acme", &refresh).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(reply.headers[header::PRAGMA], "no-cache");
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 3600);
    let new_refresh = reply.body["refresh_token"].as_str().unwrap();
    assert_ne!(new_refresh, refresh);
    assert_eq!(token_format::check(new_refresh), Ok(()));
    let access = reply.body["access_token"].as_str().unwrap();

    let who = app.whoami("ws-acme", access).await;
    assert_eq!(who.status, StatusCode::OK, "{}", who.text);
    assert_eq!(who.body["email"], "ben@acme.test");
    assert_eq!(who.body["workspace_name"], "Acme");
    assert_eq!(who.body["token_id"], id.as_str());
    // Ben is a member of Globex too, but this token works in Acme only.
    let elsewhere = app.whoami("ws-globex", access).await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    let challenge = elsewhere.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(challenge.contains("error=\"insufficient_scope\""), "{challenge}");

    // The list shows the use and the new hint.
    let ben = app.sign_in("ben@acme.test").await;
    let token = app.token(&ben, "ws-acme", &id).await;
    assert!(token["last_used_at"].is_string());
    assert_eq!(token["hint"], token_format::hint(new_refresh));
    // And the new refresh token refreshes in turn.
    assert_eq!(app.refresh("tcc_acme", new_refresh).await.status, StatusCode::OK);
}

async fn every_dead_refresh_token_gets_invalid_grant(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let (disabled_id, disabled, _) = bens_token(&app, "disabled").await;
    app.post(
        &format!("/api/workspaces/ws-acme/tokens/{disabled_id}/disable"),
        &ben,
        json!({}),
    )
    .await;
    let (deleted_id, deleted, _) = bens_token(&app, "deleted").await;
    app.send(
        Method::DELETE,
        &format!("/api/workspaces/ws-acme/tokens/{deleted_id}"),
        Some(&ben),
        None,
    )
    .await;
    let (expired_id, expired, _) = bens_token(&app, "expired").await;
    sqlx::query("UPDATE grants SET expires_at = $1 WHERE id = $2")
        .bind(chrono::Utc::now().timestamp_millis() - 1)
        .bind(&expired_id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let (_, acme_token, _) = bens_token(&app, "acme only").await;
    let unknown = token_format::encode(&"A".repeat(token_format::BODY_LEN));
    // The last checksum character changed: to 'x', or to 'y' where it already was 'x'.
    let (head, last) = acme_token.split_at(acme_token.len() - 1);
    let malformed = format!("{head}{}", if last == "x" { 'y' } else { 'x' });

    for (what, client, token) in [
        ("disabled", "tcc_acme", disabled.as_str()),
        ("deleted", "tcc_acme", deleted.as_str()),
        ("expired", "tcc_acme", expired.as_str()),
        ("unknown", "tcc_acme", unknown.as_str()),
        ("bad checksum", "tcc_acme", malformed.as_str()),
        ("other workspace's client", "tcc_globex", acme_token.as_str()),
    ] {
        let reply = app.refresh(client, token).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}: {}", reply.text);
        assert_eq!(oauth_error(&reply), "invalid_grant", "{what}");
        assert!(!reply.text.contains(token), "{what}: the token must not be echoed");
    }
    // The Acme token still works in Acme after being tried at Globex.
    assert_eq!(app.refresh("tcc_acme", &acme_token).await.status, StatusCode::OK);
}

async fn replaying_a_rotated_refresh_token_disables_the_grant(app: TestApp) {
    let (id, first, _) = bens_token(&app, "replayed").await;
    let refreshed = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move {
            let reply = app.refresh("tcc_acme", &token).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            reply.body["refresh_token"].as_str().unwrap().to_owned()
        }
    };
    let second = refreshed(&first).await;
    // The owner uses the successor: from now on the first token is a thief's copy.
    let third = refreshed(&second).await;
    let replay = app.refresh("tcc_acme", &first).await;
    assert_eq!(oauth_error(&replay), "invalid_grant");
    // The thief's replay killed the legitimate client's current token too.
    assert_eq!(oauth_error(&app.refresh("tcc_acme", &third).await), "invalid_grant");
    let ben = app.sign_in("ben@acme.test").await;
    let token = app.token(&ben, "ws-acme", &id).await;
    assert_eq!(token["status"], "disabled");
    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM audit_events WHERE grant_id = $1 ORDER BY at, action")
            .bind(&id)
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|(a,)| a.as_str()).collect();
    assert!(actions.contains(&"reuse_detected"), "{actions:?}");
}

/// What is wrong, the form, an Authorization header, and the expected status and error code.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, Option<String>, StatusCode, &'a str);

async fn the_token_endpoint_answers_bad_requests_in_the_rfc_6749_shape(app: TestApp) {
    let (_, refresh, _) = bens_token(&app, "shape").await;
    let r = refresh.as_str();
    let cases: Vec<Case> = vec![
        (
            "no grant_type",
            vec![("refresh_token", r), ("client_id", "tcc_acme")],
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "password grant",
            vec![
                ("grant_type", "password"),
                ("username", "ben"),
                ("client_id", "tcc_acme"),
            ],
            None,
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            "repeated parameter",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", r),
                ("refresh_token", r),
                ("client_id", "tcc_acme"),
            ],
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "no refresh_token",
            vec![("grant_type", "refresh_token"), ("client_id", "tcc_acme")],
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "no client",
            vec![("grant_type", "refresh_token"), ("refresh_token", r)],
            None,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "unknown client",
            vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", r),
                ("client_id", "tcc_nobody"),
            ],
            None,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            "a client secret",
            vec![("grant_type", "refresh_token"), ("refresh_token", r)],
            Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("tcc_acme:s3cret")
            )),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
    ];
    for (what, params, auth, status, code) in cases {
        let reply = app.form("/oauth2/token", &params, auth.as_deref()).await;
        assert_eq!(reply.status, status, "{what}: {}", reply.text);
        assert_eq!(oauth_error(&reply), code, "{what}");
        assert!(!reply.text.contains(r), "{what}: the token must not be echoed");
    }
    let json_body = app
        .send(
            Method::POST,
            "/oauth2/token",
            None,
            Some(json!({"grant_type": "refresh_token"})),
        )
        .await;
    assert_eq!(oauth_error(&json_body), "invalid_request");
    // None of that consumed the token.
    assert_eq!(app.refresh("tcc_acme", r).await.status, StatusCode::OK);
}

async fn a_client_may_name_itself_with_http_basic(app: TestApp) {
    let (_, refresh, _) = bens_token(&app, "basic").await;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("tcc_acme:")
    );
    let reply = app
        .form(
            "/oauth2/token",
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some(&basic),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn revocation_disables_the_grant_and_is_quiet_about_unknown_tokens(app: TestApp) {
    let (_, refresh, access) = bens_token(&app, "revoked").await;
    let unknown = token_format::encode(&"B".repeat(token_format::BODY_LEN));
    for token in [unknown.as_str(), "garbage"] {
        let reply = app
            .form("/oauth2/revoke", &[("token", token), ("client_id", "tcc_acme")], None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{token}");
    }
    // Another workspace's client cannot revoke Acme's token.
    let reply = app
        .form(
            "/oauth2/revoke",
            &[("token", &refresh), ("client_id", "tcc_globex")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let reply = app
        .form("/oauth2/revoke", &[("token", &access), ("client_id", "tcc_acme")], None)
        .await;
    assert_eq!(oauth_error(&reply), "unsupported_token_type");
    assert_eq!(
        app.whoami("ws-acme", &access).await.status,
        StatusCode::OK,
        "access tokens live until they expire"
    );
    let reply = app
        .form(
            "/oauth2/revoke",
            &[("token", &refresh), ("client_id", "tcc_acme")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(oauth_error(&app.refresh("tcc_acme", &refresh).await), "invalid_grant");
    let again = app
        .form(
            "/oauth2/revoke",
            &[("token", &refresh), ("client_id", "tcc_acme")],
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "revoking twice is fine");
}

async fn introspection_needs_a_caller_and_tells_only_about_its_workspace(app: TestApp) {
    let (id, refresh, access) = bens_token(&app, "introspected").await;
    let unauthenticated = app.form("/oauth2/introspect", &[("token", &refresh)], None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    assert!(unauthenticated.headers.contains_key(header::WWW_AUTHENTICATE));

    let bearer = format!("Bearer {access}");
    let reply = app
        .form("/oauth2/introspect", &[("token", &refresh)], Some(&bearer))
        .await;
    assert_eq!(reply.body["active"], true, "{}", reply.text);
    assert_eq!(reply.body["token_type"], "refresh_token");
    assert_eq!(reply.body["sub"], "u-ben");
    let reply = app
        .form("/oauth2/introspect", &[("token", &access)], Some(&bearer))
        .await;
    assert_eq!(reply.body["active"], true);
    assert_eq!(reply.body["client_id"], "tcc_acme");

    // A caller from Globex learns nothing about Acme's tokens.
    let gus = app.sign_in("gus@globex.test").await;
    let globex_access = app.create_token(&gus, "ws-globex", "gus").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let globex = format!("Bearer {globex_access}");
    for token in [&refresh, &access] {
        let reply = app.form("/oauth2/introspect", &[("token", token)], Some(&globex)).await;
        assert_eq!(reply.body, json!({"active": false}));
    }
    let ben = app.sign_in("ben@acme.test").await;
    app.post(&format!("/api/workspaces/ws-acme/tokens/{id}/disable"), &ben, json!({}))
        .await;
    let reply = app
        .form("/oauth2/introspect", &[("token", &refresh)], Some(&bearer))
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNAUTHORIZED,
        "the caller's own token died with its grant"
    );
    let other = app.create_token(&ben, "ws-acme", "another caller").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {other}");
    let reply = app
        .form("/oauth2/introspect", &[("token", &refresh)], Some(&bearer))
        .await;
    assert_eq!(reply.body, json!({"active": false}));
    let reply = app
        .form("/oauth2/introspect", &[("token", "nonsense")], Some(&bearer))
        .await;
    assert_eq!(reply.body, json!({"active": false}));
}

async fn metadata_names_every_endpoint_and_the_jwks_holds_the_key(app: TestApp) {
    let meta = app
        .send(Method::GET, "/.well-known/oauth-authorization-server", None, None)
        .await;
    assert_eq!(meta.status, StatusCode::OK);
    assert_eq!(meta.body["issuer"], "http://issuer.test");
    for (field, path) in [
        ("token_endpoint", "/oauth2/token"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("introspection_endpoint", "/oauth2/introspect"),
        ("jwks_uri", "/oauth2/jwks"),
    ] {
        assert_eq!(meta.body[field], format!("http://issuer.test{path}"));
        if field == "jwks_uri" {
            let jwks = app.send(Method::GET, path, None, None).await;
            let key = &jwks.body["keys"][0];
            assert_eq!(
                (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
                (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
            );
            assert!(key.get("d").is_none(), "never the private key");
        }
    }
    assert_eq!(meta.body["grant_types_supported"], json!(["refresh_token"]));
}

async fn the_resource_answers_rfc_6750_errors(app: TestApp) {
    let none = app
        .send(Method::GET, "/api/resource/workspaces/ws-acme/whoami", None, None)
        .await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer realm=\"token-console\"");
    let (_, refresh, access) = bens_token(&app, "resource").await;
    for bad in [refresh.as_str(), "a.b.c", &access[..access.len() - 2]] {
        let reply = app.whoami("ws-acme", bad).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert!(reply.headers[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\""));
    }
}

/// Fifty presentations of one token at once (a client whose threads share it): one rotates it,
/// the others are retries and get the same successor, and nothing counts as reuse.
async fn fifty_concurrent_refreshes_of_one_token_share_one_successor(app: TestApp) {
    let (id, refresh, _) = bens_token(&app, "raced").await;
    let mut successors = race(std::slice::from_ref(&app.router), &refresh, 50).await;
    assert_eq!(successors.len(), 1, "exactly one live refresh token: {successors:?}");
    let successor = successors.pop_first().unwrap();
    assert_eq!(app.refresh("tcc_acme", &successor).await.status, StatusCode::OK);
    let (reuses,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE grant_id = $1 AND action = 'reuse_detected'")
            .bind(&id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(reuses, 0);
}

/// `n` refreshes of one token at once, spread over the routers (instances) in turn: each must
/// be answered 200; the set of refresh tokens they got back.
pub async fn race(routers: &[axum::Router], refresh: &str, n: usize) -> std::collections::BTreeSet<String> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (router, refresh) = (routers[i % routers.len()].clone(), refresh.to_owned());
            tokio::spawn(async move { exchange(router, &refresh).await })
        })
        .collect();
    let mut successors = std::collections::BTreeSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        successors.insert(body["refresh_token"].as_str().unwrap().to_owned());
    }
    successors
}

/// One refresh through a router, as a concurrent client sends it: status and JSON body.
pub async fn exchange(router: axum::Router, refresh: &str) -> (StatusCode, serde_json::Value) {
    token_form(
        router,
        format!("grant_type=refresh_token&client_id=tcc_acme&refresh_token={refresh}"),
    )
    .await
}

/// A form body, as it is, to the token endpoint through a router: status and JSON body.
pub async fn token_form(router: axum::Router, body: String) -> (StatusCode, serde_json::Value) {
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .unwrap();
    let res = tower::ServiceExt::oneshot(router, req).await.unwrap();
    let status = res.status();
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

/// Concurrent exchanges share the writer's transactions: each must still rotate its own token,
/// once, with its own audit event, and a refused one must not spoil the others.
async fn concurrent_refreshes_of_many_tokens_each_rotate_their_own(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let mut tokens = Vec::new();
    for i in 0..40 {
        let created = app.create_token(&ben, "ws-acme", &format!("fleet {i}")).await;
        let s = |k: &str| created[k].as_str().unwrap().to_owned();
        tokens.push((created["token"]["id"].as_str().unwrap().to_owned(), s("refresh_token")));
    }
    let (_, wrong_workspace, _) = bens_token(&app, "wrong client").await;
    let replies = futures_util::future::join_all(
        tokens
            .iter()
            .map(|(_, refresh)| app.refresh("tcc_acme", refresh))
            .chain([
                app.refresh("tcc_globex", &wrong_workspace),
                app.refresh("tcc_nobody", &tokens[0].1),
            ]),
    )
    .await;
    let (fleet, refused) = replies.split_at(tokens.len());
    assert_eq!(refused[0].status, StatusCode::BAD_REQUEST, "{}", refused[0].text);
    assert_eq!(oauth_error(&refused[0]), "invalid_grant");
    assert_eq!(refused[1].status, StatusCode::UNAUTHORIZED, "{}", refused[1].text);
    assert_eq!(oauth_error(&refused[1]), "invalid_client");
    let mut new_tokens = std::collections::HashSet::new();
    for ((id, old), reply) in tokens.iter().zip(fleet) {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let new_refresh = reply.body["refresh_token"].as_str().unwrap();
        assert!(
            new_tokens.insert(new_refresh.to_owned()),
            "a new refresh token was handed out twice"
        );
        assert_ne!(new_refresh, old);
        let access = reply.body["access_token"].as_str().unwrap();
        assert_eq!(app.whoami("ws-acme", access).await.body["token_id"], id.as_str());
        assert_eq!(
            app.token(&ben, "ws-acme", id).await["hint"],
            token_format::hint(new_refresh)
        );
        let (refreshed,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM audit_events WHERE grant_id = $1 AND action = 'refreshed'")
                .bind(id)
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(refreshed, 1, "token {id}");
    }
    // The token presented by the wrong client was neither rotated nor disabled.
    assert_eq!(app.refresh("tcc_acme", &wrong_workspace).await.status, StatusCode::OK);
    // Each new token refreshes in turn; an old one presented again within the retry window
    // gets its successor back, and once that successor is used it is a replay.
    let first_new = fleet[1].body["refresh_token"].as_str().unwrap();
    assert_eq!(app.refresh("tcc_acme", first_new).await.status, StatusCode::OK);
    let retried = app.refresh("tcc_acme", &tokens[2].1).await;
    assert_eq!(retried.body["refresh_token"], fleet[2].body["refresh_token"]);
    assert_eq!(
        oauth_error(&app.refresh("tcc_acme", &tokens[1].1).await),
        "invalid_grant"
    );
}

async fn a_refresh_racing_a_disable_leaves_no_live_refresh_token(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    for round in 0..10 {
        let created = app.create_token(&ben, "ws-acme", &format!("race {round}")).await;
        let id = created["token"]["id"].as_str().unwrap().to_owned();
        let refresh = created["refresh_token"].as_str().unwrap().to_owned();
        let disable_path = format!("/api/workspaces/ws-acme/tokens/{id}/disable");
        let (refreshed, _) = tokio::join!(
            app.refresh("tcc_acme", &refresh),
            app.post(&disable_path, &ben, json!({}))
        );
        assert!(
            refreshed.status.is_success() || refreshed.status == StatusCode::BAD_REQUEST,
            "{}",
            refreshed.text
        );
        if let Some(new_refresh) = refreshed.body["refresh_token"].as_str() {
            assert_eq!(
                oauth_error(&app.refresh("tcc_acme", new_refresh).await),
                "invalid_grant",
                "round {round}"
            );
        }
        assert_eq!(
            oauth_error(&app.refresh("tcc_acme", &refresh).await),
            "invalid_grant",
            "round {round}"
        );
    }
}

crate::on_both_databases!(
    a_refresh_rotates_and_its_access_token_works_in_its_workspace_only,
    every_dead_refresh_token_gets_invalid_grant,
    replaying_a_rotated_refresh_token_disables_the_grant,
    the_token_endpoint_answers_bad_requests_in_the_rfc_6749_shape,
    a_client_may_name_itself_with_http_basic,
    revocation_disables_the_grant_and_is_quiet_about_unknown_tokens,
    introspection_needs_a_caller_and_tells_only_about_its_workspace,
    metadata_names_every_endpoint_and_the_jwks_holds_the_key,
    the_resource_answers_rfc_6750_errors,
    fifty_concurrent_refreshes_of_one_token_share_one_successor,
    concurrent_refreshes_of_many_tokens_each_rotate_their_own,
    a_refresh_racing_a_disable_leaves_no_live_refresh_token,
);
