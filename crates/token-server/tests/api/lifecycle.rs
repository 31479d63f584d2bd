//! A token's whole life as its owner and the workspace's admins see it: who disabled it, when and
//! why, and its history, which nobody else may read.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::TestApp;

/// Ben's new token in Acme: its id and refresh token.
async fn bens(app: &TestApp, name: &str) -> (String, String) {
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", name).await;
    (
        created["token"]["id"].as_str().unwrap().to_owned(),
        created["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn the_owner_is_told_who_disabled_it_when_and_why(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;

    // An admin, with a reason.
    let (by_admin, _) = bens(&app, "leaked one").await;
    let reply = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{by_admin}/disable"),
            &ada,
            json!({ "reason": "posted in #general" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let seen = app.token(&ben, "ws-acme", &by_admin).await;
    assert_eq!(seen["status"], "disabled");
    assert_eq!(seen["disabled_cause"], "person");
    assert_eq!(seen["disabled_by"]["email"], "ada@acme.test");
    assert_eq!(seen["disabled_reason"], "posted in #general");
    assert!(seen["disabled_at"].is_string());

    // The owner, without one.
    let (by_owner, _) = bens(&app, "retired").await;
    let reply = app
        .post(
            &format!("/api/workspaces/ws-acme/tokens/{by_owner}/disable"),
            &ben,
            json!({}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let seen = app.token(&ben, "ws-acme", &by_owner).await;
    assert_eq!(seen["disabled_cause"], "person");
    assert_eq!(seen["disabled_by"]["email"], "ben@acme.test");
    assert_eq!(seen["disabled_reason"], Value::Null);

    // The service, on a replayed refresh token: no person, and the cause says so.
    let (replayed, first) = bens(&app, "replayed").await;
    let second = app.refresh("tcc_acme", &first).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let _ = app
        .refresh("tcc_acme", second.body["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(app.refresh("tcc_acme", &first).await.status, StatusCode::BAD_REQUEST);
    let seen = app.token(&ben, "ws-acme", &replayed).await;
    assert_eq!(seen["disabled_cause"], "reuse_detected");
    assert_eq!(seen["disabled_by"], Value::Null);

    // Its client, at the revocation endpoint.
    let (revoked, refresh) = bens(&app, "revoked").await;
    let reply = app
        .form(
            "/oauth2/revoke",
            &[("token", &refresh), ("client_id", "tcc_acme")],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let seen = app.token(&ben, "ws-acme", &revoked).await;
    assert_eq!(seen["disabled_cause"], "revoked");

    // An active token has no cause; the admin's list says the same as the owner's.
    let (active, _) = bens(&app, "still fine").await;
    assert_eq!(app.token(&ben, "ws-acme", &active).await["disabled_cause"], Value::Null);
    let admin_view = app.get("/api/workspaces/ws-acme/admin/tokens?q=leaked", &ada).await;
    assert_eq!(admin_view.body["tokens"][0]["disabled_reason"], "posted in #general");
}

async fn a_tokens_history_is_its_owners_and_its_admins_only(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;
    let (id, mut refresh) = bens(&app, "with a past").await;
    // 51 refreshes from one address: more than a page.
    for _ in 0..51 {
        let reply = app.refresh_from(&refresh, "203.0.113.9").await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        refresh = reply.body["refresh_token"].as_str().unwrap().to_owned();
    }
    let reply = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{id}/disable"),
            &ada,
            json!({ "reason": "rotate after the audit" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let path = format!("/api/workspaces/ws-acme/tokens/{id}/history");

    for (who, browser) in [("the owner", &ben), ("an admin", &ada)] {
        let page = app.get(&path, browser).await;
        assert_eq!(page.status, StatusCode::OK, "{who}: {}", page.text);
        let events = page.body["events"].as_array().unwrap();
        assert_eq!(events.len(), 50, "{who}");
        assert_eq!(page.body["total"], 53, "{who}: created, 51 refreshed, disabled");
        // Newest first: the disable, by whom and why, then the refreshes and where from.
        assert_eq!(events[0]["action"], "disabled");
        assert_eq!(events[0]["actor"]["email"], "ada@acme.test");
        assert_eq!(events[0]["reason"], "rotate after the audit");
        assert_eq!(events[1]["action"], "refreshed");
        assert_eq!(events[1]["ip"], "203.0.113.9");
        // The next page ends with its creation.
        let after = page.body["next_cursor"].as_str().unwrap();
        let rest = app.get(&format!("{path}?after={after}"), browser).await;
        let rest = rest.body["events"].as_array().unwrap().clone();
        assert_eq!(rest.len(), 3, "{who}");
        assert_eq!(rest.last().unwrap()["action"], "created");
        assert!(
            rest.iter().chain(events).all(|e| e["token_id"] == id.as_str()),
            "{who}: only this token's"
        );
    }

    // Another member, an admin of another workspace, and the right path with the wrong
    // workspace: the 404 of a token that does not exist, and no event.
    for (who, browser, path) in [
        ("another member", &cy, path.clone()),
        ("another workspace's admin", &gus, path.clone()),
        (
            "another workspace's admin, at home",
            &gus,
            format!("/api/workspaces/ws-globex/tokens/{id}/history"),
        ),
    ] {
        let reply = app.get(&path, browser).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{who}: {}", reply.text);
        assert!(!reply.text.contains("203.0.113.9"), "{who}");
    }
    // The owner cannot read another's history either, nor the whole trail.
    let cys = app.create_token_id(&cy, "ws-acme", "cy's own").await;
    let reply = app
        .get(&format!("/api/workspaces/ws-acme/tokens/{cys}/history"), &ben)
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app.get("/api/workspaces/ws-acme/admin/audit", &ben).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    let reply = app
        .get(&format!("/api/workspaces/ws-acme/admin/audit?token={cys}"), &ben)
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

crate::on_both_databases!(
    the_owner_is_told_who_disabled_it_when_and_why,
    a_tokens_history_is_its_owners_and_its_admins_only,
);
