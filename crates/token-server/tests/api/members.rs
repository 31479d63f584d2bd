//! The Members tab's changes: a role changed by an admin, never leaving the workspace without
//! one, and a removed member added back with their own password and none of their old tokens.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::onboarding::cli;
use crate::support::{Browser, TestApp};

async fn set_role(app: &TestApp, by: &Browser, ws: &str, user: &str, role: &str) -> crate::support::Reply {
    app.send(
        Method::PUT,
        &format!("/api/workspaces/{ws}/admin/members/{user}/role"),
        Some(by),
        Some(json!({ "role": role })),
    )
    .await
}

async fn audit(app: &TestApp, by: &Browser, action: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/workspaces/ws-acme/admin/audit?action={action}"), by)
        .await;
    reply.body["events"].as_array().unwrap().clone()
}

async fn admins(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = 'ws-acme' AND role = 'admin' AND removed_at IS NULL",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

async fn an_admin_changes_roles_and_the_workspace_keeps_an_admin(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;

    // Not by a member, nor by another workspace's admin; a bad role is named; nothing written.
    assert_eq!(
        set_role(&app, &cy, "ws-acme", "u-cy", "admin").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set_role(&app, &gus, "ws-acme", "u-cy", "admin").await.status,
        StatusCode::NOT_FOUND
    );
    let bad = set_role(&app, &ada, "ws-acme", "u-cy", "owner").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.text);
    assert!(bad.text.contains("role"), "{}", bad.text);
    assert_eq!(
        set_role(&app, &ada, "ws-acme", "u-nobody", "admin").await.status,
        StatusCode::NOT_FOUND
    );
    // The last admin cannot become a member.
    let last = set_role(&app, &ada, "ws-acme", "u-ada", "member").await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.text);
    assert!(last.text.contains("last admin"), "{}", last.text);
    assert_eq!(admins(&app).await, 1);
    assert!(audit(&app, &ada, "role_changed").await.is_empty(), "nothing written");

    // Cy becomes an admin: the Admins page opens to them, and the change is audited once.
    let promoted = set_role(&app, &ada, "ws-acme", "u-cy", "admin").await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.text);
    assert_eq!(promoted.body["role"], "admin");
    assert_eq!(
        app.get("/api/workspaces/ws-acme/admin/members", &cy).await.status,
        StatusCode::OK
    );
    assert_eq!(
        set_role(&app, &ada, "ws-acme", "u-cy", "admin").await.status,
        StatusCode::OK
    );
    let changed = audit(&app, &ada, "role_changed").await;
    assert_eq!(changed.len(), 1, "the same role again changes nothing: {changed:?}");
    assert_eq!(changed[0]["actor"]["email"], "ada@acme.test");
    assert_eq!(changed[0]["owner"]["email"], "cy@acme.test");
    assert_eq!(changed[0]["reason"], "from member to admin, through the Admins page");
    let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
    let listed: Vec<&str> = members.body["admins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(listed.contains(&"u-cy"), "{listed:?}");

    // Now Ada may step down; then Cy is the last admin, and Ada's admin pages close.
    assert_eq!(
        set_role(&app, &ada, "ws-acme", "u-ada", "member").await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/workspaces/ws-acme/admin/members", &ada).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set_role(&app, &cy, "ws-acme", "u-cy", "member").await.status,
        StatusCode::CONFLICT
    );

    // Two admins demoting each other at once: one wins, the workspace keeps an admin.
    assert_eq!(
        set_role(&app, &cy, "ws-acme", "u-ada", "admin").await.status,
        StatusCode::OK
    );
    for _ in 0..3 {
        let (a, c) = tokio::join!(
            set_role(&app, &ada, "ws-acme", "u-cy", "member"),
            set_role(&app, &cy, "ws-acme", "u-ada", "member"),
        );
        let statuses = [a.status, c.status];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{statuses:?}: {} / {}",
            a.text,
            c.text
        );
        assert_eq!(admins(&app).await, 1);
        sqlx::query(
            "UPDATE memberships SET role = 'admin' WHERE workspace_id = 'ws-acme' AND user_id IN ('u-ada', 'u-cy')",
        )
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    }
}

async fn a_removed_member_comes_back_with_their_own_password_and_no_old_token(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    let token = app.create_token(&ben, "ws-acme", "before leaving").await;
    let refresh = token["refresh_token"].as_str().unwrap().to_owned();
    let feed = app.post("/api/workspaces/ws-acme/calendar", &ben, json!({})).await;
    let feed_url = feed.body["url"].as_str().unwrap().to_owned();
    let feed_path = feed_url[feed_url.find("/api/calendar/").unwrap()..].to_owned();
    // The remove dialog can say how many tokens removing Ben disables.
    let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
    let open: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM grants WHERE workspace_id = 'ws-acme' AND user_id = 'u-ben' AND disabled_at IS NULL",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let listed = members.body["open_tokens"].as_array().unwrap();
    let bens = listed.iter().find(|o| o["id"] == "u-ben").unwrap();
    assert_eq!(bens["count"], open);
    let removed = app
        .send(
            Method::DELETE,
            "/api/workspaces/ws-acme/admin/members/u-ben",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(removed.body["disabled"], open, "what the dialog said");

    // Added back: no link (Ben keeps his password), the role asked for, the old token disabled.
    let back = app
        .post(
            "/api/workspaces/ws-acme/admin/members",
            &ada,
            json!({ "email": "ben@acme.test", "role": "member" }),
        )
        .await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text);
    assert_eq!(back.body["member"]["id"], "u-ben");
    assert_eq!(back.body["set_password_link"], Value::Null);
    assert!(!back.text.contains("set-password"), "{}", back.text);
    let signed_in = app.sign_in_from("ben@acme.test", "demo-password", "198.51.100.7").await;
    assert_eq!(signed_in.status, StatusCode::OK, "his own password works");
    assert!(signed_in.text.contains("ws-acme"), "{}", signed_in.text);
    assert_eq!(
        app.refresh("tcc_acme", &refresh).await.status,
        StatusCode::BAD_REQUEST,
        "tokens disabled at removal stay disabled"
    );
    assert_eq!(
        app.send(Method::GET, &feed_path, None, None).await.status,
        StatusCode::NOT_FOUND,
        "the calendar link ended with the membership, and does not come back with it"
    );
    let added = audit(&app, &ada, "member_added").await;
    assert_eq!(added[0]["owner"]["email"], "ben@acme.test");
    assert_eq!(
        added[0]["reason"],
        "as member, through the Admins page, a former member back"
    );

    // An account the operator took over since it left is the operator's to bring back: the
    // take-over took it out of this workspace's reach on purpose.
    let gus = app.sign_in("gus@globex.test").await;
    let made = app
        .post(
            "/api/workspaces/ws-globex/admin/members",
            &gus,
            json!({ "email": "drifter@globex.test", "role": "member" }),
        )
        .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    let drifter = made.body["member"]["id"].as_str().unwrap().to_owned();
    let (code, _, err) = cli(
        &app,
        &[
            "user",
            "add",
            "drifter@globex.test",
            "--workspace",
            "ws-acme",
            "--role",
            "member",
            "--take-over",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let out_of_globex: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM memberships WHERE workspace_id = 'ws-globex' AND user_id = $1 AND removed_at IS NOT NULL",
    )
    .bind(&drifter)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(out_of_globex, 1, "the take-over took it out of Globex");
    let again = app
        .post(
            "/api/workspaces/ws-globex/admin/members",
            &gus,
            json!({ "email": "drifter@globex.test", "role": "admin" }),
        )
        .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.text);
    assert_eq!(again.body["errors"][0]["code"], "has_account");
    // And an admin of another workspace never brings in someone removed from this one.
    let ada_removes_cy = app
        .send(
            Method::DELETE,
            "/api/workspaces/ws-acme/admin/members/u-cy",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(ada_removes_cy.status, StatusCode::OK);
    let into_globex = app
        .post(
            "/api/workspaces/ws-globex/admin/members",
            &gus,
            json!({ "email": "cy@acme.test", "role": "member" }),
        )
        .await;
    assert_eq!(into_globex.body["errors"][0]["code"], "has_account");
}

/// An admin demoted while their Add member was on its way adds no one: the role is read again
/// in the transaction that writes.
async fn a_demoted_admin_adds_no_one(app: TestApp) {
    use token_server::store::onboarding::{add_user, AddError, AddedBy};
    sqlx::query("UPDATE memberships SET role = 'member' WHERE workspace_id = 'ws-acme' AND user_id = 'u-ada'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let by = AddedBy::Admin { id: "u-ada", ip: None };
    let added = add_user(
        &app.state.db.writer,
        ("late@acme.test", "late"),
        "ws-acme",
        token_api::auth::Role::Admin,
        None,
        by,
    )
    .await;
    assert!(matches!(added, Err(AddError::NotAdmin)), "{added:?}");
    let people: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE email = 'late@acme.test'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(people, 0, "nothing was written");
}

crate::on_both_databases!(
    a_demoted_admin_adds_no_one,
    an_admin_changes_roles_and_the_workspace_keeps_an_admin,
    a_removed_member_comes_back_with_their_own_password_and_no_old_token,
);
