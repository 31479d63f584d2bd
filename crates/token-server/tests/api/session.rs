//! Sign-in, sessions and CSRF.

use axum::http::{header, Method, StatusCode};
use serde_json::json;

use crate::support::{Browser, TestApp};

async fn sign_in_sets_a_strict_http_only_cookie_and_lists_workspaces(app: TestApp) {
    let reply = app
        .send(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": " Ben@Acme.test ", "password": "demo-password"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let cookie = &reply.set_cookie("tc_session").expect("the session cookie is set");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!cookie.contains("Secure"), "plain-http issuer must not set Secure");
    assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
    let names: Vec<&str> = reply.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme", "Globex"]);
    assert_eq!(reply.body["workspaces"][0]["role"], "member");

    let ada = app.sign_in("ada@acme.test").await;
    let me = app.get("/api/me", &ada).await;
    assert_eq!(me.body["user"]["email"], "ada@acme.test");
    assert_eq!(me.body["workspaces"][0]["role"], "admin");
}

async fn wrong_password_and_unknown_email_get_the_same_answer(app: TestApp) {
    let wrong = app
        .send(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": "ben@acme.test", "password": "nope"})),
        )
        .await;
    let unknown = app
        .send(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": "nobody@acme.test", "password": "nope"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.said(), unknown.said());
    assert!(!wrong.headers.contains_key(header::SET_COOKIE));
    assert!(!wrong.text.contains("nope"), "the password must not be echoed");
}

async fn without_a_session_the_api_answers_401(app: TestApp) {
    let reply = app.send(Method::GET, "/api/me", None, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
    let forged = Browser {
        cookie: "forged".into(),
        csrf: "x".into(),
    };
    assert_eq!(app.get("/api/me", &forged).await.status, StatusCode::UNAUTHORIZED);
}

async fn writes_without_the_csrf_token_are_refused_and_write_nothing(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let before = app.grant_count().await;
    for csrf in ["", "wrong"] {
        let browser = Browser {
            csrf: csrf.into(),
            ..ben.clone()
        };
        let reply = app
            .post(
                "/api/workspaces/ws-acme/tokens",
                &browser,
                json!({"name": "x", "lifetime_days": 3, "all_permissions": true}),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "csrf {csrf:?}");
    }
    assert_eq!(app.grant_count().await, before);
    // Reading needs no CSRF token.
    let reader = Browser {
        csrf: String::new(),
        ..ben
    };
    assert_eq!(app.get("/api/me", &reader).await.status, StatusCode::OK);
}

async fn sign_out_ends_the_session(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let reply = app.send(Method::DELETE, "/api/session", Some(&ben), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert!(reply.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(app.get("/api/me", &ben).await.status, StatusCode::UNAUTHORIZED);
}

crate::on_both_databases!(
    sign_in_sets_a_strict_http_only_cookie_and_lists_workspaces,
    wrong_password_and_unknown_email_get_the_same_answer,
    without_a_session_the_api_answers_401,
    writes_without_the_csrf_token_are_refused_and_write_nothing,
    sign_out_ends_the_session,
);
