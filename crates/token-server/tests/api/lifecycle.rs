//! A token's whole life as its owner and the workspace's admins see it: who disabled it, when and
//! why, and its history, which nobody else may read.

use axum::http::{Method, StatusCode};
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

/// Ben's new token "replayed", refreshed twice, then its first refresh token presented again:
/// used after its successor was, so no retry of a lost answer but a replay. Returns its id.
async fn bens_replayed(app: &TestApp) -> String {
    let (id, first) = bens(app, "replayed").await;
    let second = app.refresh("tcc_acme", &first).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    let _ = app
        .refresh("tcc_acme", second.body["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(app.refresh("tcc_acme", &first).await.status, StatusCode::BAD_REQUEST);
    id
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
    let replayed = bens_replayed(&app).await;
    let seen = app.token(&ben, "ws-acme", &replayed).await;
    assert_eq!(seen["disabled_cause"], "reuse_detected");
    assert_eq!(seen["disabled_by"], Value::Null);
    // The admins see it as an alarm.
    let summary = app.get("/api/workspaces/ws-acme/admin/tokens/summary", &ada).await;
    assert_eq!(summary.body["reuse_detected_recently"], 1, "{}", summary.text);

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
    // The admin acts from an address of theirs.
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri(format!("/api/workspaces/ws-acme/admin/tokens/{id}/disable"))
        .header(axum::http::header::COOKIE, format!("tc_session={}", ada.cookie))
        .header("x-csrf-token", &ada.csrf)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .extension(crate::support::from_address("198.51.100.7"))
        .body(axum::body::Body::from(r#"{"reason":"rotate after the audit"}"#))
        .unwrap();
    let reply = app.raw(req).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let path = format!("/api/workspaces/ws-acme/tokens/{id}/history");
    // The owner sees the refreshes' address (their own program's), never the admin's.
    let owners = app.get(&path, &ben).await;
    assert_eq!(owners.body["events"][0]["ip"], Value::Null, "{}", owners.text);
    assert!(!owners.text.contains("198.51.100.7"));
    let admins = app.get(&path, &ada).await;
    assert_eq!(admins.body["events"][0]["ip"], "198.51.100.7");

    for (who, browser) in [("the owner", &ben), ("an admin", &ada)] {
        let page = app.get(&path, browser).await;
        assert_eq!(page.status, StatusCode::OK, "{who}: {}", page.text);
        let events = page.body["events"].as_array().unwrap();
        assert_eq!(events.len(), 50, "{who}");
        // Where the last refresh came from, on the first page.
        assert_eq!(page.body["last_refresh"]["ip"], "203.0.113.9", "{who}");
        // Newest first: the disable, by whom and why, then the refreshes and where from.
        assert_eq!(events[0]["action"], "disabled");
        assert_eq!(events[0]["actor"]["email"], "ada@acme.test");
        assert_eq!(events[0]["reason"], "rotate after the audit");
        assert_eq!(events[1]["action"], "refreshed");
        assert_eq!(events[1]["ip"], "203.0.113.9");
        // The next page ends with its creation.
        let after = page.body["next_cursor"].as_str().unwrap();
        let rest = app.get(&format!("{path}?after={after}"), browser).await;
        assert_eq!(rest.body["last_refresh"], Value::Null, "{who}: the first page's only");
        let rest = rest.body["events"].as_array().unwrap().clone();
        assert_eq!(rest.len(), 3, "{who}: created, 51 refreshed, disabled");
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

/// The token's details say when, from which address and with which user agent it was last
/// refreshed: as the last refresh sent them, kept short and printable.
async fn a_tokens_last_refresh_says_from_where_and_with_what(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let (id, refresh) = bens(&app, "from where").await;
    let path = format!("/api/workspaces/ws-acme/tokens/{id}/history");
    let history = app.get(&path, &ben).await;
    assert_eq!(history.status, StatusCode::OK, "{}", history.text);
    assert_eq!(history.body["last_refresh"], Value::Null, "never refreshed");

    let refreshed = app
        .refresh_as(
            &refresh,
            "203.0.113.9",
            Some(b"billing-sync/2.3 (linux; +https://ops.example)"),
        )
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    for (who, browser) in [("the owner", &ben), ("an admin", &ada)] {
        let last = &app.get(&path, browser).await.body["last_refresh"];
        assert_eq!(last["ip"], "203.0.113.9", "{who}");
        assert_eq!(
            last["user_agent"], "billing-sync/2.3 (linux; +https://ops.example)",
            "{who}"
        );
        let at: chrono::DateTime<chrono::Utc> = serde_json::from_value(last["at"].clone()).unwrap();
        assert!((chrono::Utc::now() - at).num_seconds().abs() < 60, "{who}: {at}");
    }

    // A header of bytes that are not UTF-8, with a tab, far too long: printable and 200 long.
    let mut agent = b"\xff evil\t/".to_vec();
    agent.extend([b'x'; 5_000]);
    let next = refreshed.body["refresh_token"].as_str().unwrap();
    let refreshed = app.refresh_as(next, "2001:db8::7", Some(&agent)).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    let last = app.get(&path, &ben).await.body["last_refresh"].clone();
    assert_eq!(last["ip"], "2001:db8::7");
    let kept = last["user_agent"].as_str().unwrap();
    assert!(kept.starts_with("\u{FFFD} evil/xxx"), "{kept}");
    assert_eq!(kept.chars().count(), 200);

    // A client that sends none: the last refresh's, not an older one's.
    let next = refreshed.body["refresh_token"].as_str().unwrap();
    assert_eq!(app.refresh_from(next, "203.0.113.10").await.status, StatusCode::OK);
    let last = app.get(&path, &ben).await.body["last_refresh"].clone();
    assert_eq!(
        (last["ip"].as_str(), last["user_agent"].as_str()),
        (Some("203.0.113.10"), None)
    );
}

/// Five failed sign-ins to one account within a quarter of an hour, from anywhere, are an alarm
/// in each workspace the person belongs to, and only there: one event per quarter however long
/// it goes on, counted with the reuse detections and found by the audit trail's alarm filter.
async fn a_burst_of_failed_sign_ins_is_an_alarm_where_the_person_belongs(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;
    let summary = |admin, ws: &'static str| {
        let path = format!("/api/workspaces/{ws}/admin/tokens/summary");
        let app = &app;
        async move { app.get(&path, admin).await.body["sign_in_bursts_recently"].clone() }
    };
    let alarms = |admin, ws: &'static str| {
        let path = format!("/api/workspaces/{ws}/admin/audit?alarms=true");
        let app = &app;
        async move {
            let reply = app.get(&path, admin).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
            reply.body["events"].as_array().unwrap().clone()
        }
    };
    let quarter = || chrono::Utc::now().timestamp_millis() / (15 * 60_000);
    // Four, each from its own address, so no address is throttled: not yet a burst.
    for i in 1..=4 {
        let reply = app
            .sign_in_from("ben@acme.test", "not-his", &format!("198.51.100.{i}"))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    }
    // Nor are failures for an address nobody has, or another person's.
    for i in 1..=5 {
        app.sign_in_from("nobody@acme.test", "x", &format!("198.51.100.{}", 10 + i))
            .await;
    }
    app.sign_in_from("cy@acme.test", "not-hers", "198.51.100.20").await;
    assert_eq!(summary(&ada, "ws-acme").await, 0);
    assert!(alarms(&ada, "ws-acme").await.is_empty());

    // The fifth: an alarm in Acme and in Globex, Ben's two workspaces, with the last address.
    let started = quarter();
    app.sign_in_from("ben@acme.test", "not-his", "198.51.100.5").await;
    for (admin, ws) in [(&ada, "ws-acme"), (&gus, "ws-globex")] {
        assert_eq!(summary(admin, ws).await, 1, "{ws}");
        let events = alarms(admin, ws).await;
        assert_eq!(events.len(), 1, "{ws}: {events:?}");
        assert_eq!(events[0]["action"], "sign_in_burst");
        assert_eq!(events[0]["owner"]["email"], "ben@acme.test");
        assert_eq!(events[0]["actor"], Value::Null, "the service saw it");
        assert_eq!(events[0]["ip"], "198.51.100.5");
        assert_eq!(events[0]["token_id"], Value::Null);
    }
    // It goes on: still one alarm in the quarter (two if the test ran across its end).
    for i in 6..=9 {
        app.sign_in_from("ben@acme.test", "not-his", &format!("198.51.100.{i}"))
            .await;
    }
    let quarters = (quarter() - started + 1) as usize;
    assert_eq!(alarms(&ada, "ws-acme").await.len(), quarters.min(2));

    // Cy belongs to Acme only: Globex's admin is told nothing of her.
    for i in 1..=4 {
        app.sign_in_from("cy@acme.test", "not-hers", &format!("192.0.2.{i}"))
            .await;
    }
    let acme = alarms(&ada, "ws-acme").await;
    assert!(acme.iter().any(|e| e["owner"]["email"] == "cy@acme.test"), "{acme:?}");
    let globex = alarms(&gus, "ws-globex").await;
    assert!(
        globex.iter().all(|e| e["owner"]["email"] == "ben@acme.test"),
        "{globex:?}"
    );

    // A reuse detection is an alarm too: the filter shows both kinds, newest first, and the
    // action filter either one.
    bens_replayed(&app).await;
    let acme = alarms(&ada, "ws-acme").await;
    assert_eq!(acme[0]["action"], "reuse_detected");
    assert!(acme
        .iter()
        .all(|e| ["reuse_detected", "sign_in_burst"].contains(&e["action"].as_str().unwrap())));
    let bursts = app
        .get("/api/workspaces/ws-acme/admin/audit?action=sign_in_burst", &ada)
        .await;
    assert_eq!(bursts.body["events"].as_array().unwrap().len(), acme.len() - 1);
    let counts = app.get("/api/workspaces/ws-acme/admin/tokens/summary", &ada).await;
    assert_eq!(counts.body["reuse_detected_recently"], 1);
    assert_eq!(counts.body["sign_in_bursts_recently"], acme.len() as u64 - 1);
    // Members see no alarms.
    let ben = app.sign_in("ben@acme.test").await;
    let reply = app.get("/api/workspaces/ws-acme/admin/audit?alarms=true", &ben).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

/// A person removed from a workspace is no longer its admins' concern: a burst against their
/// account is an alarm only where they still belong.
async fn a_removed_members_sign_in_burst_is_not_their_old_workspaces_alarm(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;
    let removed = app
        .send(
            Method::DELETE,
            "/api/workspaces/ws-globex/admin/members/u-ben",
            Some(&gus),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    for i in 1..=5 {
        app.sign_in_from("ben@acme.test", "not-his", &format!("198.51.100.{i}"))
            .await;
    }
    let acme = app.get("/api/workspaces/ws-acme/admin/audit?alarms=true", &ada).await;
    assert_eq!(
        acme.body["events"][0]["owner"]["email"], "ben@acme.test",
        "{}",
        acme.text
    );
    let globex = app.get("/api/workspaces/ws-globex/admin/audit?alarms=true", &gus).await;
    assert_eq!(globex.body["events"], json!([]), "{}", globex.text);
}

/// The alarm is written after the failure is recorded; if writing it fails, the person signing
/// in is still told their password was wrong (401), not that the service broke.
async fn a_failing_alarm_still_answers_a_wrong_password_with_401(app: TestApp) {
    sqlx::query("ALTER TABLE audit_events RENAME TO audit_events_away")
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    for i in 1..=6 {
        let reply = app
            .sign_in_from("cy@acme.test", "not-hers", &format!("198.51.100.{i}"))
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    }
    let failures: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures WHERE email = 'cy@acme.test'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(failures, 6, "each failure is still recorded");
}

async fn removing_a_member_disables_their_tokens_and_ends_their_access_at_once(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let gus = app.sign_in("gus@globex.test").await;
    let created = app.create_token(&ben, "ws-acme", "offboarded").await;
    let (id, refresh, access) = (
        created["token"]["id"].as_str().unwrap().to_owned(),
        created["refresh_token"].as_str().unwrap().to_owned(),
        created["access_token"].as_str().unwrap().to_owned(),
    );
    let retired = app.create_token_id(&ben, "ws-acme", "retired before").await;
    app.post(
        &format!("/api/workspaces/ws-acme/tokens/{retired}/disable"),
        &ben,
        json!({}),
    )
    .await;
    // Cy's integration, which introspects others' tokens with its own access token.
    let cys = app.create_token(&cy, "ws-acme", "introspector").await;
    let caller = format!("Bearer {}", cys["access_token"].as_str().unwrap());
    let introspect = |token: String| {
        let (app, caller) = (&app, caller.clone());
        async move {
            app.form("/oauth2/introspect", &[("token", &token)], Some(&caller))
                .await
        }
    };
    assert_eq!(app.whoami("ws-acme", &access).await.status, StatusCode::OK);
    assert_eq!(introspect(access.clone()).await.body["active"], true);
    let before = app.grant_count().await;
    // Every token not disabled yet is marked, the expired ones too.
    let mut open = 0;
    for status in ["active", "expired"] {
        let page = app
            .get(
                &format!("/api/workspaces/ws-acme/admin/tokens?owner=u-ben&status={status}"),
                &ada,
            )
            .await;
        open += page.body["total"].as_u64().unwrap();
    }

    // Not by a member, nor by another workspace's admin; the last admin stays.
    let path = "/api/workspaces/ws-acme/admin/members/u-ben";
    assert_eq!(
        app.send(Method::DELETE, path, Some(&cy), None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.send(Method::DELETE, path, Some(&gus), None).await.status,
        StatusCode::NOT_FOUND
    );
    let last = app
        .send(
            Method::DELETE,
            "/api/workspaces/ws-acme/admin/members/u-ada",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(last.status, StatusCode::CONFLICT, "{}", last.text);
    assert!(last.text.contains("last admin"), "{}", last.text);
    assert_eq!(
        app.get("/api/workspaces/ws-acme/admin/members", &ada).await.status,
        StatusCode::OK
    );

    let removed = app.send(Method::DELETE, path, Some(&ada), None).await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert_eq!(removed.body["disabled"], open, "those not disabled before");
    let still = app
        .get("/api/workspaces/ws-acme/admin/tokens?owner=u-ben&status=active", &ada)
        .await;
    assert_eq!(still.body["total"], 0);
    // Again: they are not a member any more.
    assert_eq!(
        app.send(Method::DELETE, path, Some(&ada), None).await.status,
        StatusCode::NOT_FOUND
    );

    // Their access token is refused and reported inactive at once, though not expired; their
    // refresh token is refused; they no longer get into the workspace.
    assert_eq!(app.whoami("ws-acme", &access).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(access.clone()).await.body["active"], false);
    assert_eq!(introspect(refresh.clone()).await.body["active"], false);
    assert_eq!(app.refresh("tcc_acme", &refresh).await.status, StatusCode::BAD_REQUEST);
    let own = format!("Bearer {access}");
    let self_check = app.form("/oauth2/introspect", &[("token", &refresh)], Some(&own)).await;
    assert_eq!(self_check.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &ben).await.status,
        StatusCode::NOT_FOUND
    );
    // Nor can they delete, disable or read the tokens kept for the admins.
    let kept = app.grant_count().await;
    let own = format!("/api/workspaces/ws-acme/tokens/{id}");
    assert_eq!(
        app.send(Method::DELETE, &own, Some(&ben), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("{own}/disable"), &ben, json!({})).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("{own}/history"), &ben).await.status,
        StatusCode::NOT_FOUND
    );
    let batch = app
        .post(
            "/api/workspaces/ws-acme/tokens/batch",
            &ben,
            json!({ "action": "delete", "ids": [id.clone(), retired.clone()] }),
        )
        .await;
    assert_eq!(batch.text.matches("not_found").count(), 2, "{}", batch.text);
    assert_eq!(app.grant_count().await, kept, "nothing deleted");
    let me = app.get("/api/me", &ben).await;
    let workspaces: Vec<&str> = me.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(workspaces, ["ws-globex"], "still a member elsewhere");
    app.create_token(&ben, "ws-globex", "still works at Globex").await;

    // Nothing was deleted: their tokens stay, disabled and marked, for the admins.
    assert_eq!(app.grant_count().await, before + 1, "only the Globex token was added");
    let list = app
        .get("/api/workspaces/ws-acme/admin/tokens?owner=u-ben&limit=100", &ada)
        .await;
    let token = |id: &str| crate::support::listed(&list.body, id);
    assert_eq!(token(&id)["disabled_cause"], "owner_left");
    assert_eq!(token(&id)["disabled_by"]["email"], "ada@acme.test");
    assert_eq!(
        token(&retired)["disabled_cause"],
        "person",
        "disabled before: as it was"
    );
    let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
    assert!(!members.text.contains("u-ben"), "{}", members.text);
    // The audit trail says who removed whom, and keeps Ben's name.
    let audit = app
        .get("/api/workspaces/ws-acme/admin/audit?action=member_removed", &ada)
        .await;
    assert_eq!(audit.body["events"][0]["actor"]["email"], "ada@acme.test");
    assert_eq!(audit.body["events"][0]["owner"]["email"], "ben@acme.test");
    let disabled = app
        .get(
            &format!("/api/workspaces/ws-acme/admin/audit?token={id}&action=disabled"),
            &ada,
        )
        .await;
    assert_eq!(disabled.body["events"][0]["reason"], "owner removed from the workspace");
}

/// Two admins removing each other at the same moment: one goes, the other stays, and the
/// workspace is never left without an admin.
async fn two_admins_removing_each_other_at_once_leave_one(app: TestApp) {
    sqlx::query("UPDATE memberships SET role = 'admin' WHERE workspace_id = 'ws-acme' AND user_id = 'u-cy'")
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    for _ in 0..3 {
        let (a, c) = tokio::join!(
            app.send(
                Method::DELETE,
                "/api/workspaces/ws-acme/admin/members/u-cy",
                Some(&ada),
                None
            ),
            app.send(
                Method::DELETE,
                "/api/workspaces/ws-acme/admin/members/u-ada",
                Some(&cy),
                None
            ),
        );
        let statuses = [a.status, c.status];
        assert_eq!(
            statuses.iter().filter(|s| **s == StatusCode::OK).count(),
            1,
            "{statuses:?}: {} / {}",
            a.text,
            c.text
        );
        let (admins,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM memberships WHERE workspace_id = 'ws-acme' AND role = 'admin' AND removed_at IS NULL",
        )
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        assert_eq!(admins, 1);
        // Both admins again, for the next round.
        sqlx::query("UPDATE memberships SET removed_at = NULL, removed_by = NULL WHERE workspace_id = 'ws-acme'")
            .execute(&app.state.db.pool)
            .await
            .unwrap();
    }
}

async fn the_workspace_policy_is_enforced_audited_and_never_touches_existing_tokens(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    let long_lived = app.create_token_id(&ben, "ws-acme", "before the policy").await;
    let policy = |body: Value| {
        let (app, ada) = (&app, &ada);
        async move {
            app.send(
                Method::PUT,
                "/api/workspaces/ws-acme/admin/policy",
                Some(ada),
                Some(body),
            )
            .await
        }
    };
    // Bad values name their field and change nothing; only admins set it.
    for (body, field) in [
        (
            json!({ "max_lifetime_days": 0, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [] }),
            "max_lifetime_days",
        ),
        (
            json!({ "max_lifetime_days": 366, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [] }),
            "max_lifetime_days",
        ),
        (
            json!({ "max_lifetime_days": 30, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [], "max_active_per_member": 0 }),
            "max_active_per_member",
        ),
        (
            json!({ "max_lifetime_days": 30, "creators": "everyone", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [] }),
            "creators",
        ),
    ] {
        let reply = policy(body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.text);
        assert_eq!(reply.body["errors"][0]["field"], field, "{body}: {}", reply.text);
    }
    let by_member = app
        .send(
            Method::PUT,
            "/api/workspaces/ws-acme/admin/policy",
            Some(&ben),
            Some(json!({ "max_lifetime_days": 365, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [] })),
        )
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let me = app.get("/api/me", &ben).await;
    assert_eq!(me.body["workspaces"][0]["policy"]["max_lifetime_days"], 365);

    // 30 days at most: 31 is refused naming the rule, 30 is fine; /api/me says so.
    let set = policy(json!({ "max_lifetime_days": 30, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [], "max_active_per_member": null })).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let me = app.get("/api/me", &ben).await;
    let acme = me.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == "ws-acme")
        .unwrap()
        .clone();
    assert_eq!(acme["policy"]["max_lifetime_days"], 30);
    let create = |days: u32, who: &'static str| {
        let app = &app;
        async move {
            let browser = app.sign_in(who).await;
            app.post(
                "/api/workspaces/ws-acme/tokens",
                &browser,
                json!({ "name": format!("{days} days"), "lifetime_days": days , "all_permissions": true}),
            )
            .await
        }
    };
    let count = app.grant_count().await;
    let refused = create(31, "ben@acme.test").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text);
    assert_eq!(refused.body["errors"][0]["field"], "lifetime_days");
    assert_eq!(refused.body["errors"][0]["code"], "above_policy");
    assert!(refused.text.contains("at most 30 days"), "{}", refused.text);
    assert_eq!(app.grant_count().await, count, "nothing written");
    assert_eq!(create(30, "ben@acme.test").await.status, StatusCode::CREATED);
    // The token made before keeps its lifetime.
    let before = app.token(&ben, "ws-acme", &long_lived).await;
    assert_eq!(before["status"], "active");

    // Admins only: a member is refused naming the rule; an admin is not.
    assert_eq!(
        policy(json!({ "max_lifetime_days": 30, "creators": "admins", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [] }))
            .await
            .status,
        StatusCode::OK
    );
    let refused = create(7, "cy@acme.test").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.text.contains("only its admins"), "{}", refused.text);
    assert_eq!(create(7, "ada@acme.test").await.status, StatusCode::CREATED);

    // At most 2 active tokens per member: Cy's third is refused; disabling one makes room.
    assert_eq!(
        policy(json!({ "max_lifetime_days": 30, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [], "max_active_per_member": 2 }))
            .await
            .status,
        StatusCode::OK
    );
    let cy = app.sign_in("cy@acme.test").await;
    let active: u64 = app
        .get("/api/workspaces/ws-acme/admin/tokens?owner=u-cy&status=active", &ada)
        .await
        .body["total"]
        .as_u64()
        .unwrap();
    for i in active..2 {
        assert_eq!(create(7, "cy@acme.test").await.status, StatusCode::CREATED, "token {i}");
    }
    let refused = create(7, "cy@acme.test").await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(refused.text.contains("2 active tokens per member"), "{}", refused.text);
    let list = app.get("/api/workspaces/ws-acme/tokens", &cy).await;
    let one = list.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(&format!("/api/workspaces/ws-acme/tokens/{one}/disable"), &cy, json!({}))
        .await;
    assert_eq!(create(7, "cy@acme.test").await.status, StatusCode::CREATED);

    // Each change is audited from what to what; saving the same policy again writes nothing.
    let audit = app
        .get("/api/workspaces/ws-acme/admin/audit?action=policy_changed", &ada)
        .await;
    assert_eq!(audit.body["total"], 3, "{}", audit.text);
    assert_eq!(
        audit.body["events"][0]["reason"],
        "who may create admins -> members; max active per member no limit -> 2"
    );
    assert_eq!(audit.body["events"][0]["actor"]["email"], "ada@acme.test");
    policy(json!({ "max_lifetime_days": 30, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [], "max_active_per_member": 2 })).await;
    let audit = app
        .get("/api/workspaces/ws-acme/admin/audit?action=policy_changed", &ada)
        .await;
    assert_eq!(audit.body["total"], 3);
    // Another workspace is not touched.
    let gus = app.sign_in("gus@globex.test").await;
    let me = app.get("/api/me", &gus).await;
    assert_eq!(me.body["workspaces"][0]["policy"]["max_lifetime_days"], 365);
}

/// Five Generates at once against a limit with room for one: one token, four refusals.
async fn concurrent_generates_cannot_pass_the_active_token_limit(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let active = app
        .get("/api/workspaces/ws-acme/admin/tokens?owner=u-cy&status=active", &ada)
        .await
        .body["total"]
        .as_u64()
        .unwrap();
    let body = json!({ "max_lifetime_days": 365, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [], "max_active_per_member": active + 1 });
    let set = app
        .send(
            Method::PUT,
            "/api/workspaces/ws-acme/admin/policy",
            Some(&ada),
            Some(body),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    let create = |i: u32| {
        let (app, cy) = (&app, &cy);
        async move {
            app.post(
                "/api/workspaces/ws-acme/tokens",
                cy,
                json!({ "name": format!("race {i}"), "lifetime_days": 7 , "all_permissions": true}),
            )
            .await
            .status
        }
    };
    let statuses = futures_util::future::join_all((0..5).map(create)).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::CREATED).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::CREATED || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );
}

async fn regenerate_replaces_a_token_at_once_or_after_an_overlap(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let regenerate = |browser, id: &str, overlap: &str| {
        let (app, id, overlap) = (&app, id.to_owned(), overlap.to_owned());
        async move {
            app.post(
                "/api/workspaces/ws-acme/tokens",
                browser,
                json!({ "name": "rolled", "lifetime_days": 30, "replaces": { "token_id": id, "overlap": overlap } }),
            )
            .await
        }
    };
    let refreshes = |token: &str| {
        let (app, token) = (&app, token.to_owned());
        async move { app.refresh("tcc_acme", &token).await }
    };

    // With an hour's overlap both work; the old one's expiry is brought forward to the hour.
    let (old, old_refresh) = bens(&app, "rolled").await;
    let reply = regenerate(&ben, &old, "1h").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let new_refresh = reply.body["refresh_token"].as_str().unwrap().to_owned();
    let new_id = reply.body["token"]["id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, old);
    assert_eq!(reply.body["token"]["name"], "rolled");
    let old_view = app.token(&ben, "ws-acme", &old).await;
    let ends = chrono::DateTime::parse_from_rfc3339(old_view["expires_at"].as_str().unwrap()).unwrap();
    let in_an_hour = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(
        (ends.with_timezone(&chrono::Utc) - in_an_hour).num_seconds().abs() < 60,
        "{ends}"
    );
    let old_next = refreshes(&old_refresh).await;
    assert_eq!(old_next.status, StatusCode::OK, "the old one works during the overlap");
    let new_next = refreshes(&new_refresh).await;
    assert_eq!(new_next.status, StatusCode::OK);
    // The overlap ends (its expiry reached): then only the new one works.
    sqlx::query("UPDATE grants SET expires_at = expires_at - 3600001 WHERE id = $1")
        .bind(&old)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let old_after = refreshes(old_next.body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(old_after.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        refreshes(new_next.body["refresh_token"].as_str().unwrap()).await.status,
        StatusCode::OK
    );
    // Each token's history tells its half, naming the other, and when the old one stops; the
    // old one is marked as replaced (so the pages keep it out of the expiry reminders).
    let history = |id: String| {
        let (app, ben) = (&app, &ben);
        async move {
            let reply = app
                .get(&format!("/api/workspaces/ws-acme/tokens/{id}/history"), ben)
                .await;
            reply.body["events"].as_array().unwrap().clone()
        }
    };
    let of = |events: Vec<Value>, action: &str| -> Vec<Value> {
        events.into_iter().filter(|e| e["action"] == action).collect()
    };
    let events = history(new_id.clone()).await;
    assert!(
        of(events.clone(), "created").is_empty(),
        "one event, not created + disabled"
    );
    let regenerated = of(events, "regenerated");
    assert_eq!(regenerated.len(), 1, "{regenerated:?}");
    assert_eq!(regenerated[0]["other_token"]["id"], old.as_str());
    assert_eq!(regenerated[0]["other_token"]["name"], "rolled");
    assert_eq!(
        regenerated[0]["until"], old_view["expires_at"],
        "when the old one stops"
    );
    assert_eq!(regenerated[0]["reason"], Value::Null, "no ids or times in words");
    let replaced = of(history(old.clone()).await, "replaced");
    assert_eq!(replaced.len(), 1, "{replaced:?}");
    assert_eq!(replaced[0]["other_token"]["id"], new_id.as_str());
    assert_eq!(replaced[0]["until"], old_view["expires_at"]);
    assert_eq!(old_view["replaced_by"]["id"], new_id.as_str());
    assert_eq!(old_view["replaced_by"]["name"], "rolled");
    let new_view = app.token(&ben, "ws-acme", &new_id).await;
    let old_now = app.token(&ben, "ws-acme", &old).await;
    assert_eq!(
        old_now["replaced_by"]["hint"], new_view["hint"],
        "the new one's current hint"
    );
    assert_eq!(new_view["replaced_by"], Value::Null);
    // A replaced token is not replaced twice: one successor each.
    let twice = regenerate(&ben, &old, "none").await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST, "{}", twice.text);
    assert_eq!(twice.body["errors"][0]["field"], "replaces");
    // Its successor deleted, it is no longer replaced: shown so, and it may be regenerated.
    let unexpired;
    {
        let (id, _) = bens(&app, "successor goes").await;
        let made = regenerate(&ben, &id, "1d").await;
        let successor = made.body["token"]["id"].as_str().unwrap().to_owned();
        let gone = app
            .send(
                Method::DELETE,
                &format!("/api/workspaces/ws-acme/tokens/{successor}"),
                Some(&ben),
                None,
            )
            .await;
        assert!(gone.status.is_success(), "{}", gone.text);
        assert_eq!(app.token(&ben, "ws-acme", &id).await["replaced_by"], Value::Null);
        unexpired = id;
    }
    let again = regenerate(&ben, &unexpired, "none").await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);

    // With none, the old one is disabled at once and says why.
    let (old, old_refresh) = bens(&app, "rolled now").await;
    let reply = regenerate(&ben, &old, "none").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(refreshes(&old_refresh).await.status, StatusCode::BAD_REQUEST);
    let old_view = app.token(&ben, "ws-acme", &old).await;
    assert_eq!(old_view["status"], "disabled");
    assert_eq!(old_view["disabled_cause"], "regenerated");

    // Only one's own, not disabled, token; nothing is written otherwise.
    let count = app.grant_count().await;
    for (who, browser, id) in [
        ("another's", &cy, old_view["id"].as_str().unwrap().to_owned()),
        ("disabled", &ben, old),
    ] {
        let reply = regenerate(browser, &id, "none").await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{who}: {}", reply.text);
        assert_eq!(reply.body["errors"][0]["field"], "replaces", "{who}");
    }
    let (bens_own, _) = bens(&app, "not cy's").await;
    let reply = regenerate(&cy, &bens_own, "1h").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(app.grant_count().await, count + 1, "only Ben's new token");

    // At the active-token limit, regenerating replaces one and is allowed.
    let ada = app.sign_in("ada@acme.test").await;
    let active = app
        .get("/api/workspaces/ws-acme/admin/tokens?owner=u-ben&status=active", &ada)
        .await
        .body["total"]
        .as_u64()
        .unwrap();
    let body = json!({ "max_lifetime_days": 365, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": [], "max_active_per_member": active });
    app.send(
        Method::PUT,
        "/api/workspaces/ws-acme/admin/policy",
        Some(&ada),
        Some(body),
    )
    .await;
    assert_eq!(
        app.post(
            "/api/workspaces/ws-acme/tokens",
            &ben,
            json!({ "name": "one more", "lifetime_days": 7 , "all_permissions": true})
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    assert_eq!(regenerate(&ben, &bens_own, "1d").await.status, StatusCode::CREATED);
}

async fn a_description_is_its_owners_to_write_and_admins_find_it(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let create = |body: Value| {
        let (app, ben) = (&app, &ben);
        async move { app.post("/api/workspaces/ws-acme/tokens", ben, body).await }
    };
    // Bad descriptions name the field and write nothing.
    let count = app.grant_count().await;
    for (description, code) in [
        ("x".repeat(501), "too_long"),
        ("bell \u{7}".to_owned(), "control_characters"),
    ] {
        let reply = create(
            json!({ "name": "described", "lifetime_days": 7, "all_permissions": true, "description": description }),
        )
        .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
        assert_eq!(reply.body["errors"][0]["field"], "description");
        assert_eq!(reply.body["errors"][0]["code"], code);
    }
    assert_eq!(app.grant_count().await, count);
    let note = "Nightly export to the Zürich warehouse.\nAsk #data before rotating.";
    let created =
        create(json!({ "name": "described", "lifetime_days": 7, "all_permissions": true, "description": format!("  {note}  ") })).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["token"]["description"], note, "trimmed, line break kept");
    let id = created.body["token"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.token(&ben, "ws-acme", &id).await["description"], note);

    // Admins find it by a word of its description, in any case.
    let found = app
        .get("/api/workspaces/ws-acme/admin/tokens?q=z%C3%9CRICH", &ada)
        .await;
    assert_eq!(found.body["total"], 1, "{}", found.text);
    assert_eq!(found.body["tokens"][0]["id"], id.as_str());

    // Only its owner edits it; empty removes it.
    let path = format!("/api/workspaces/ws-acme/tokens/{id}");
    for (who, browser) in [("another member", &cy), ("an admin", &ada)] {
        let reply = app
            .send(
                Method::PATCH,
                &path,
                Some(browser),
                Some(json!({ "description": "mine now" })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{who}");
    }
    let edited = app
        .send(
            Method::PATCH,
            &path,
            Some(&ben),
            Some(json!({ "description": "Moved to Frankfurt." })),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.text);
    assert_eq!(edited.body["description"], "Moved to Frankfurt.");
    let found = app.get("/api/workspaces/ws-acme/admin/tokens?q=zurich", &ada).await;
    assert_eq!(found.body["total"], 0);
    let cleared = app
        .send(Method::PATCH, &path, Some(&ben), Some(json!({ "description": "   " })))
        .await;
    assert_eq!(cleared.body["description"], Value::Null);
}

/// The member's expiry calendar, read as a calendar app would, by a real iCalendar parser.
async fn the_expiry_calendar_is_the_members_own_at_a_revocable_secret_url(app: TestApp) {
    use icalendar::{CalendarComponent, CalendarDateTime, Component, DatePerhapsTime};
    let ben = app.sign_in("ben@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let made = app.post("/api/workspaces/ws-acme/calendar", &ben, json!({})).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    assert!(made.secret, "the URL holds a secret: never compressed");
    let url = made.body["url"].as_str().unwrap().to_owned();
    let path = url[url.find("/api/calendar/").unwrap()..].to_owned();
    assert!(path.ends_with(".ics"));
    // A token regenerated with a day's overlap: its successor is to be renewed, not it.
    let (old, _) = bens(&app, "Replaced feed").await;
    let regenerated = app
        .post(
            "/api/workspaces/ws-acme/tokens",
            &ben,
            json!({ "name": "Successor feed", "lifetime_days": 30, "replaces": { "token_id": old, "overlap": "1d" } }),
        )
        .await;
    assert_eq!(regenerated.status, StatusCode::CREATED, "{}", regenerated.text);
    let anonymous = |path: String| {
        let app = &app;
        async move { app.send(Method::GET, &path, None, None).await }
    };

    let read = anonymous(path.clone()).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text);
    assert_eq!(read.headers["content-type"], "text/calendar; charset=utf-8");
    assert_eq!(read.headers["cache-control"], "no-store", "as every API answer");
    let calendar: icalendar::Calendar = read.text.parse().expect("a calendar a parser reads");
    let events: Vec<icalendar::Event> = calendar
        .components
        .into_iter()
        .filter_map(|c| match c {
            CalendarComponent::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    // Ben's tokens in Acme that are not disabled, each at its expiry; nobody else's.
    let list = app.get("/api/workspaces/ws-acme/tokens", &ben).await;
    let mine: Vec<Value> = list.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "disabled" && t["replaced_by"].is_null())
        .cloned()
        .collect();
    assert_eq!(events.len(), mine.len(), "{}", read.text);
    assert!(read.text.contains("Successor feed") && !read.text.contains("Replaced feed"));
    for token in &mine {
        let name = token["name"].as_str().unwrap();
        let event = events
            .iter()
            .find(|e| e.get_summary() == Some(&format!("Token “{name}” expires")))
            .unwrap_or_else(|| panic!("no event for {name}: {}", read.text));
        let expires = chrono::DateTime::parse_from_rfc3339(token["expires_at"].as_str().unwrap()).unwrap();
        match event.get_start() {
            Some(DatePerhapsTime::DateTime(CalendarDateTime::Utc(at))) => {
                assert_eq!(at.timestamp(), expires.timestamp(), "{name}");
            }
            other => panic!("{name}: start {other:?}"),
        }
        assert!(event.get_uid().unwrap().starts_with(token["id"].as_str().unwrap()));
        assert_eq!(event.components().len(), 1, "a reminder: {}", read.text);
        // Named as the navigation names the page.
        assert!(
            event.get_description().unwrap().contains("from its row on My tokens"),
            "{name}"
        );
    }
    assert!(
        !read.text.contains("Old backup script"),
        "a disabled token is not in it"
    );
    assert!(!read.text.contains("Grafana"), "nor Cy's");
    assert!(!read.text.contains("Globex"), "nor another workspace's");

    // Cy's feed is Cy's.
    let cys = app.post("/api/workspaces/ws-acme/calendar", &cy, json!({})).await;
    let cys_url = cys.body["url"].as_str().unwrap();
    let cys_read = anonymous(cys_url[cys_url.find("/api/calendar/").unwrap()..].to_owned()).await;
    assert!(cys_read.text.contains("Grafana datasource") && !cys_read.text.contains("Laptop CLI"));

    // A new URL revokes the old; revoking ends it; an unknown one is 404.
    let again = app.post("/api/workspaces/ws-acme/calendar", &ben, json!({})).await;
    let new_url = again.body["url"].as_str().unwrap().to_owned();
    let new_path = new_url[new_url.find("/api/calendar/").unwrap()..].to_owned();
    assert_eq!(anonymous(path.clone()).await.status, StatusCode::NOT_FOUND);
    assert_eq!(anonymous(new_path.clone()).await.status, StatusCode::OK);
    let revoked = app
        .send(Method::DELETE, "/api/workspaces/ws-acme/calendar", Some(&ben), None)
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(anonymous(new_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        anonymous("/api/calendar/nothing.ics".to_owned()).await.status,
        StatusCode::NOT_FOUND
    );

    // A member removed from the workspace: their feed stops.
    let last = app.post("/api/workspaces/ws-acme/calendar", &ben, json!({})).await;
    let last_url = last.body["url"].as_str().unwrap().to_owned();
    let last_path = last_url[last_url.find("/api/calendar/").unwrap()..].to_owned();
    app.send(
        Method::DELETE,
        "/api/workspaces/ws-acme/admin/members/u-ben",
        Some(&ada),
        None,
    )
    .await;
    assert_eq!(anonymous(last_path).await.status, StatusCode::NOT_FOUND);
    // Not a member: no feed to make.
    let gus = app.sign_in("gus@globex.test").await;
    let reply = app.post("/api/workspaces/ws-acme/calendar", &gus, json!({})).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
}

crate::on_both_databases!(
    a_tokens_last_refresh_says_from_where_and_with_what,
    a_burst_of_failed_sign_ins_is_an_alarm_where_the_person_belongs,
    a_removed_members_sign_in_burst_is_not_their_old_workspaces_alarm,
    a_failing_alarm_still_answers_a_wrong_password_with_401,
    the_expiry_calendar_is_the_members_own_at_a_revocable_secret_url,
    a_description_is_its_owners_to_write_and_admins_find_it,
    regenerate_replaces_a_token_at_once_or_after_an_overlap,
    concurrent_generates_cannot_pass_the_active_token_limit,
    the_workspace_policy_is_enforced_audited_and_never_touches_existing_tokens,
    two_admins_removing_each_other_at_once_leave_one,
    the_owner_is_told_who_disabled_it_when_and_why,
    a_tokens_history_is_its_owners_and_its_admins_only,
    removing_a_member_disables_their_tokens_and_ends_their_access_at_once,
);
