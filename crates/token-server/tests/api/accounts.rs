//! Accounts, retries and the audit trail, as an attacker finds them (issue 26): an account one
//! workspace's admin made reaches no other workspace, every admin and operator action is
//! audited, retries are bounded and seen, revocation is immediate where the service is asked,
//! and the files that hold secrets are the service's alone.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::onboarding::{cli, value};
use crate::support::{Browser, TestApp};

/// The audit events of one action in a workspace, newest first, read by one of its admins.
async fn audit(app: &TestApp, admin: &Browser, ws: &str, action: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/workspaces/{ws}/admin/audit?action={action}"), admin)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["events"].as_array().unwrap().clone()
}

/// The browser a sign-in reply opened.
fn browser(reply: &crate::support::Reply) -> Browser {
    Browser {
        cookie: reply.session_cookie().trim_start_matches("tc_session=").to_owned(),
        csrf: reply.body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// Signs in as a browser at `ip` does, sending `cookie` (a device cookie) when given.
async fn sign_in_with(
    app: &TestApp,
    email: &str,
    password: &str,
    ip: &str,
    cookie: Option<&str>,
) -> crate::support::Reply {
    let mut req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/session")
        .header("content-type", "application/json")
        .extension(crate::support::from_address(ip));
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let body = json!({"email": email, "password": password}).to_string();
    app.raw(req.body(axum::body::Body::from(body)).unwrap()).await
}

/// The `tc_device=…` pair a sign-in's answer set, as the browser sends it back.
fn device_cookie(reply: &crate::support::Reply) -> String {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("tc_device="))
        .expect("a device cookie")
}

/// Globex's admin adds a person as a member through the Admins page's endpoint.
async fn add_to_globex(app: &TestApp, admin: &Browser, email: &str) -> crate::support::Reply {
    app.post(
        "/api/workspaces/ws-globex/admin/members",
        admin,
        json!({"email": email, "role": "member"}),
    )
    .await
}

/// Sets a password through a set-password link's secret.
async fn set_password(app: &TestApp, link: &str, password: &str) -> StatusCode {
    let secret = &link[link.find('#').unwrap() + 1..];
    app.send(
        Method::POST,
        "/api/password",
        None,
        Some(json!({"token": secret, "password": password})),
    )
    .await
    .status
}

/// Finding 1: Globex's admin makes an account for an Acme address and knows its password. The
/// operator then adds that address to Acme as the README says: refused, naming who made it, until
/// the operator takes it over, which ends everything Globex's admin held.
async fn an_account_one_workspace_made_reaches_no_other(app: TestApp) {
    let gus = app.sign_in("gus@globex.test").await;
    let added = add_to_globex(&app, &gus, "newbie@acme.test").await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let gus_link = added.body["set_password_link"].as_str().unwrap().to_owned();
    assert_eq!(
        set_password(&app, &gus_link, "gus knows this one").await,
        StatusCode::NO_CONTENT
    );
    let signed_in = app
        .sign_in_from("newbie@acme.test", "gus knows this one", "203.0.113.7")
        .await;
    assert_eq!(signed_in.status, StatusCode::OK);
    let as_newbie = browser(&signed_in);
    let token = app.create_token(&as_newbie, "ws-globex", "gus's way in").await;
    let (refresh, access) = (
        token["refresh_token"].as_str().unwrap().to_owned(),
        token["access_token"].as_str().unwrap().to_owned(),
    );
    let feed = app
        .post("/api/workspaces/ws-globex/calendar", &as_newbie, json!({}))
        .await;
    assert_eq!(feed.status, StatusCode::CREATED, "{}", feed.text);
    let feed_url = feed.body["url"].as_str().unwrap().to_owned();
    let feed_path = feed_url[feed_url.find("/api/calendar/").unwrap()..].to_owned();

    // The operator adds the address to Acme: refused, saying who made it, and nothing written.
    let add = [
        "user",
        "add",
        "newbie@acme.test",
        "--workspace",
        "ws-acme",
        "--role",
        "member",
    ];
    let (code, out, err) = cli(&app, &add, None);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    for says in ["gus@globex.test", "“Globex”", "--take-over", "nothing was written"] {
        assert!(err.contains(says), "{says}: {err}");
    }
    let (in_acme,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE u.email = 'newbie@acme.test' AND m.workspace_id = 'ws-acme'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(in_acme, 0);
    assert_eq!(app.get("/api/me", &as_newbie).await.status, StatusCode::OK);

    // Taken over: a new link, and everything the account had ends.
    let mut take_over = add.to_vec();
    take_over.push("--take-over");
    let (code, out, err) = cli(&app, &take_over, None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(value(&out, "made_by"), "gus@globex.test");
    assert!(
        err.contains("(tokens disabled: 1; sessions: 1; calendar feeds: 1)"),
        "{err}"
    );
    let gus_reads = audit(&app, &gus, "ws-globex", "account_taken_over").await;
    assert!(
        !gus_reads[0]["reason"].as_str().unwrap().contains('1'),
        "no counts of elsewhere"
    );
    let link = value(&out, "link").to_owned();
    assert_eq!(app.get("/api/me", &as_newbie).await.status, StatusCode::UNAUTHORIZED);
    let old_password = app
        .sign_in_from("newbie@acme.test", "gus knows this one", "203.0.113.7")
        .await;
    assert_eq!(old_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.refresh("tcc_globex", &refresh).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.whoami("ws-globex", &access).await.status, StatusCode::UNAUTHORIZED);
    let feed = app.send(Method::GET, &feed_path, None, None).await;
    assert_eq!(feed.status, StatusCode::NOT_FOUND, "the feed ended");
    assert_eq!(
        set_password(&app, &gus_link, "gus tries again").await,
        StatusCode::BAD_REQUEST,
        "gus's link is dead"
    );

    // The person sets their own password and is in Acme; Globex neither manages the account nor
    // has it as a member any more.
    assert_eq!(
        set_password(&app, &link, "newbie's own secret").await,
        StatusCode::NO_CONTENT
    );
    let own = app
        .sign_in_from("newbie@acme.test", "newbie's own secret", "198.51.100.2")
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let mut workspaces: Vec<&str> = own.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    workspaces.sort();
    assert_eq!(workspaces, ["ws-acme"]);
    let left = audit(&app, &gus, "ws-globex", "member_removed").await;
    assert_eq!(left[0]["owner"]["email"], "newbie@acme.test");
    assert_eq!(left[0]["by_operator"], true);
    let managed: Option<String> = sqlx::query_scalar("SELECT managed_by FROM users WHERE email = 'newbie@acme.test'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(managed, None);

    // Both workspaces' admins see it: the operator as an actor of its own.
    let ada = app.sign_in("ada@acme.test").await;
    for (admin, ws) in [(&ada, "ws-acme"), (&gus, "ws-globex")] {
        let events = audit(&app, admin, ws, "account_taken_over").await;
        assert_eq!(events.len(), 1, "{ws}: {events:?}");
        assert_eq!(events[0]["by_operator"], true);
        assert_eq!(events[0]["actor"], Value::Null);
        assert_eq!(events[0]["owner"]["email"], "newbie@acme.test");
    }
    let added_to_acme = audit(&app, &ada, "ws-acme", "member_added").await;
    assert_eq!(added_to_acme[0]["by_operator"], true);
    assert!(added_to_acme[0]["reason"].as_str().unwrap().contains("command line"));
    let disabled = audit(&app, &gus, "ws-globex", "disabled").await;
    assert_eq!(disabled[0]["token_name"], "gus's way in");
    assert_eq!(disabled[0]["by_operator"], true);
    let list = app
        .get("/api/workspaces/ws-globex/admin/tokens?status=disabled", &gus)
        .await;
    let row = list.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "gus's way in")
        .cloned()
        .unwrap();
    assert_eq!(row["disabled_cause"], "taken_over");

    // An account the operator made joins another workspace keeping its password and sessions,
    // and the command says who made it.
    let ben = app.sign_in("ben@acme.test").await;
    let (code, out, err) = cli(
        &app,
        &[
            "user",
            "add",
            "ben@acme.test",
            "--workspace",
            "ws-acme",
            "--role",
            "admin",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("made_by=") && !out.contains("link="), "{out}");
    assert!(err.contains("keeps its password and sessions"), "{err}");
    assert_eq!(app.get("/api/me", &ben).await.status, StatusCode::OK);
    let changed = audit(&app, &ada, "ws-acme", "role_changed").await;
    assert_eq!(changed[0]["reason"], "from member to admin, through the command line");
    assert_eq!(changed[0]["by_operator"], true);
}

/// Finding 3: adding a member, setting a password through a link, signing out everywhere, and
/// the operator's key rotation and retirement are each in the audit trail, naming who acted.
async fn admin_and_operator_actions_are_audited(app: TestApp) {
    let gus = app.sign_in("gus@globex.test").await;
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/workspaces/ws-globex/admin/members")
        .header("content-type", "application/json")
        .header("cookie", format!("tc_session={}", gus.cookie))
        .header("x-csrf-token", &gus.csrf)
        .extension(crate::support::from_address("192.0.2.44"))
        .body(axum::body::Body::from(
            json!({"email": "second@globex.test", "role": "admin"}).to_string(),
        ))
        .unwrap();
    let added = app.raw(req).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    let events = audit(&app, &gus, "ws-globex", "member_added").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["actor"]["email"], "gus@globex.test");
    assert_eq!(events[0]["owner"]["email"], "second@globex.test");
    assert_eq!(events[0]["ip"], "192.0.2.44");
    assert_eq!(events[0]["reason"], "as admin, through the Admins page, a new account");

    let link = added.body["set_password_link"].as_str().unwrap();
    assert_eq!(
        set_password(&app, link, "second admin's password").await,
        StatusCode::NO_CONTENT
    );
    let set = audit(&app, &gus, "ws-globex", "password_set").await;
    assert_eq!(set.len(), 1);
    assert_eq!(set[0]["owner"]["email"], "second@globex.test");

    let ben = app.sign_in("ben@acme.test").await;
    let ended = app.send(Method::DELETE, "/api/sessions", Some(&ben), None).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    let ada = app.sign_in("ada@acme.test").await;
    for (admin, ws) in [(&ada, "ws-acme"), (&gus, "ws-globex")] {
        let events = audit(&app, admin, ws, "sessions_ended").await;
        assert_eq!(events.len(), 1, "in each of Ben's workspaces");
        assert_eq!(events[0]["actor"]["email"], "ben@acme.test");
    }

    // The operator's key commands: audited in every workspace, with the real times.
    let (code, out, err) = cli(&app, &["--rotate-signing-key"], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("7 minutes from now") && out.contains("67 minutes after that"),
        "{out}"
    );
    for (admin, ws) in [(&ada, "ws-acme"), (&gus, "ws-globex")] {
        let events = audit(&app, admin, ws, "signing_key_rotated").await;
        assert_eq!(events.len(), 1, "{ws}");
        assert_eq!(events[0]["by_operator"], true);
    }
    let (code, _, err) = cli(&app, &["--retire-signing-key", "no-such-kid"], None);
    assert_ne!(code, 0);
    assert!(err.contains("no live signing key has the kid `no-such-kid`"), "{err}");
    assert!(audit(&app, &ada, "ws-acme", "signing_key_retired").await.is_empty());
}

/// Finding 7 (keys): a compromised key is retired at once. Every access token it signed is
/// refused by the resource endpoint and introspection, on this instance before it even reloads.
async fn a_retired_signing_key_signs_and_verifies_nothing(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let token = app.create_token(&ben, "ws-acme", "signed by the old key").await;
    let access = token["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.whoami("ws-acme", &access).await.status, StatusCode::OK);
    let kid = app.state.signer.current_kid();
    let (code, out, err) = cli(&app, &["--retire-signing-key", &kid], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(&format!("retired signing key {kid}")), "{out}");
    assert!(
        out.contains("signs from now"),
        "the retired key was the signing one: {out}"
    );
    // Not reloaded yet: the database's word is enough.
    assert_eq!(app.whoami("ws-acme", &access).await.status, StatusCode::UNAUTHORIZED);
    app.state.signer.reload(&app.state.db.pool).await.unwrap();
    assert_ne!(app.state.signer.current_kid(), kid, "a new key signs");
    let jwks = app.send(Method::GET, "/oauth2/jwks", None, None).await;
    assert_eq!(jwks.status, StatusCode::OK);
    assert!(jwks.text.contains(&app.state.signer.current_kid()));
    assert!(!jwks.text.contains(&kid), "no longer published");
    let fresh = app.create_token(&ben, "ws-acme", "signed by the new key").await;
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.whoami("ws-acme", &fresh).await.status, StatusCode::OK);
    let ada = app.sign_in("ada@acme.test").await;
    let events = audit(&app, &ada, "ws-acme", "signing_key_retired").await;
    assert_eq!(events.len(), 1);
    assert!(events[0]["reason"].as_str().unwrap().contains(&kid));
}

/// Finding 4: introspection and the resource endpoint answer inactive / 401 at once for an access
/// token whose grant was disabled, revoked by its client, or caught by reuse detection.
async fn revocation_is_immediate_where_the_service_is_asked(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let introspect = |token: String, caller: String| {
        let app = &app;
        async move {
            let bearer = format!("Bearer {caller}");
            app.form("/oauth2/introspect", &[("token", &token)], Some(&bearer))
                .await
                .body["active"]
                .clone()
        }
    };
    let caller = app.create_token(&ben, "ws-acme", "resource server").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let tokens = |t: &Value| {
        (
            t["token"]["id"].as_str().unwrap().to_owned(),
            t["refresh_token"].as_str().unwrap().to_owned(),
            t["access_token"].as_str().unwrap().to_owned(),
        )
    };

    // Disabled on the page.
    let (id, _, access) = tokens(&app.create_token(&ben, "ws-acme", "disabled").await);
    assert_eq!(introspect(access.clone(), caller.clone()).await, true);
    let path = format!("/api/workspaces/ws-acme/tokens/{id}/disable");
    assert_eq!(app.post(&path, &ben, json!({})).await.status, StatusCode::OK);
    assert_eq!(app.whoami("ws-acme", &access).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(access, caller.clone()).await, false);

    // Revoked by its client.
    let (_, refresh, access) = tokens(&app.create_token(&ben, "ws-acme", "revoked").await);
    let revoked = app
        .form(
            "/oauth2/revoke",
            &[("token", &refresh), ("client_id", "tcc_acme")],
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(app.whoami("ws-acme", &access).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(access, caller.clone()).await, false);

    // Caught by reuse detection: the thief's minted access token dies with the owner's.
    let (_, refresh, _) = tokens(&app.create_token(&ben, "ws-acme", "stolen").await);
    let thief = app.refresh_from(&refresh, "203.0.113.66").await;
    assert_eq!(thief.status, StatusCode::OK);
    let minted = thief.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.whoami("ws-acme", &minted).await.status, StatusCode::OK);
    let owner = app.refresh_from(&refresh, "198.51.100.1").await;
    assert_eq!(owner.status, StatusCode::BAD_REQUEST, "reuse: {}", owner.text);
    assert_eq!(app.whoami("ws-acme", &minted).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect(minted, caller.clone()).await, false);
    assert_eq!(
        app.whoami("ws-acme", &caller).await.status,
        StatusCode::OK,
        "others work"
    );
}

/// Finding 2: a retry inside the window is an audit event with its address and user agent, is
/// bound to the user agent as well as the address, and a rotation takes a few at most.
/// Introspection calls the old token active while it may still be retried, as the token
/// endpoint acts.
async fn retries_are_seen_bounded_and_bound_to_the_client(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let caller = app.create_token(&ben, "ws-acme", "introspecting").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = format!("Bearer {caller}");
    let agent: &[u8] = b"billing-sync/2.3";
    let created = app.create_token(&ben, "ws-acme", "retried").await;
    let id = created["token"]["id"].as_str().unwrap().to_owned();
    let old = created["refresh_token"].as_str().unwrap().to_owned();
    let first = app.refresh_as(&old, "198.51.100.7", Some(agent)).await;
    assert_eq!(first.status, StatusCode::OK);
    let successor = first.body["refresh_token"].as_str().unwrap().to_owned();
    let active = app.form("/oauth2/introspect", &[("token", &old)], Some(&bearer)).await;
    assert_eq!(active.body["active"], true, "it may still be retried");
    // Two seconds on: no longer a copy in flight with the rotation, but a retry.
    sqlx::query("UPDATE rotated_refresh_tokens SET rotated_at = rotated_at - 2000")
        .execute(&app.state.db.writer)
        .await
        .unwrap();

    // Three retries get the same successor, each audited on the token's history.
    for n in 1..=3 {
        let retry = app.refresh_as(&old, "198.51.100.7", Some(agent)).await;
        assert_eq!(retry.status, StatusCode::OK, "retry {n}: {}", retry.text);
        assert_eq!(retry.body["refresh_token"], successor.as_str());
    }
    let history = app
        .get(&format!("/api/workspaces/ws-acme/tokens/{id}/history"), &ben)
        .await;
    let retried: Vec<&Value> = history.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "refresh_retried")
        .collect();
    assert_eq!(retried.len(), 3, "{}", history.text);
    assert_eq!(retried[0]["ip"], "198.51.100.7");
    assert!(retried[0]["reason"].as_str().unwrap().contains("billing-sync/2.3"));
    let gone = app.form("/oauth2/introspect", &[("token", &old)], Some(&bearer)).await;
    assert_eq!(gone.body["active"], false, "no retry left");
    // A fourth is reuse: the grant is disabled.
    let fourth = app.refresh_as(&old, "198.51.100.7", Some(agent)).await;
    assert_eq!(fourth.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.token(&ben, "ws-acme", &id).await["status"], "disabled");

    // From the same address with another user agent: a copy, and reuse at once.
    let created = app.create_token(&ben, "ws-acme", "copied").await;
    let id = created["token"]["id"].as_str().unwrap().to_owned();
    let old = created["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.refresh_as(&old, "198.51.100.7", Some(agent)).await.status,
        StatusCode::OK
    );
    let thief = app.refresh_as(&old, "198.51.100.7", Some(b"curl/8.5")).await;
    assert_eq!(thief.status, StatusCode::BAD_REQUEST);
    assert_eq!(app.token(&ben, "ws-acme", &id).await["status"], "disabled");
    let ada = app.sign_in("ada@acme.test").await;
    assert_eq!(audit(&app, &ada, "ws-acme", "refresh_retried").await.len(), 3);
}

/// Finding 7 (files): the SQLite database and its journal are the service's alone, and a key
/// file others can read is refused with the reason.
async fn files_that_hold_secrets_are_the_services_alone(app: TestApp) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    if let Some(db) = token_server::db::sqlite_path(&app.state.config.database_url) {
        assert_eq!(mode(&db), 0o600, "the database");
        let wal = std::path::PathBuf::from(format!("{}-wal", db.display()));
        assert_eq!(mode(&wal), 0o600, "its write-ahead log");
    }
    let key = app.dir.join("others-can-read.key");
    token_server::keyfile::write_new(&key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut config = (*app.state.config).clone();
    config.key_file = Some(key.clone());
    let error = token_server::AppState::new(config).await.unwrap_err().to_string();
    assert!(error.contains("mode 644") && error.contains("chmod 600"), "{error}");
}

/// Finding 5: lookalike addresses are refused naming `email`, one person has one spelling, a
/// default name keeps the length rule, and bidi controls stay out of names and user agents.
async fn one_spelling_per_person_and_no_lookalikes(app: TestApp) {
    let gus = app.sign_in("gus@globex.test").await;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    for (email, code) in [
        ("\u{430}da@acme.test", "lookalike"),
        ("gus@gl\u{43e}bex.test", "lookalike"),
        ("ada\u{200b}@acme.test", "invisible_characters"),
        ("ada@acme.test\u{202e}", "invisible_characters"),
    ] {
        let reply = add_to_globex(&app, &gus, email).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{email:?}");
        assert_eq!(reply.body["errors"][0]["field"], "email", "{email:?}");
        assert_eq!(reply.body["errors"][0]["code"], code, "{email:?}");
    }
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(after, before, "nothing was written");

    // café in its two normal forms, and a domain in Unicode or in IDNA's ASCII, are one person.
    let cafe = add_to_globex(&app, &gus, "caf\u{e9}@b\u{fc}cher.example").await;
    assert_eq!(cafe.status, StatusCode::OK, "{}", cafe.text);
    assert_eq!(cafe.body["member"]["email"], "caf\u{e9}@b\u{fc}cher.example");
    for same in ["cafe\u{301}@bu\u{308}cher.example", "CAF\u{c9}@xn--bcher-kva.example"] {
        let again = add_to_globex(&app, &gus, same).await;
        assert_eq!(
            again.body["errors"][0]["code"], "already_member",
            "{same:?}: {}",
            again.text
        );
    }
    let link = cafe.body["set_password_link"].as_str().unwrap();
    assert_eq!(
        set_password(&app, link, "one spelling only").await,
        StatusCode::NO_CONTENT
    );
    let nfd = app
        .sign_in_from("cafe\u{301}@xn--bcher-kva.example", "one spelling only", "198.51.100.3")
        .await;
    assert_eq!(
        nfd.status,
        StatusCode::OK,
        "signing in with another spelling finds the person"
    );

    // A 251-byte address: its default name keeps the 100-character rule.
    let long = format!("{}@globex.test", "l".repeat(239));
    assert_eq!(long.len(), 251);
    let added = add_to_globex(&app, &gus, &long).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert_eq!(added.body["member"]["name"].as_str().unwrap().chars().count(), 100);

    // Names and user agents: no bidi override reorders what an admin reads.
    let ben = app.sign_in("ben@acme.test").await;
    let named = app
        .post(
            "/api/workspaces/ws-acme/tokens",
            &ben,
            json!({"name": "invoice\u{202e}fdp.exe", "lifetime_days": 30, "all_permissions": true}),
        )
        .await;
    assert_eq!(named.status, StatusCode::BAD_REQUEST);
    assert_eq!(named.body["errors"][0]["field"], "name");
    assert_eq!(named.body["errors"][0]["code"], "invisible_characters");
    let created = app.create_token(&ben, "ws-acme", "agent").await;
    let id = created["token"]["id"].as_str().unwrap().to_owned();
    let refresh = created["refresh_token"].as_str().unwrap().to_owned();
    let agent = "sync/1.0 \u{202e}evil\u{202c} \u{200b}(linux)";
    let reply = app.refresh_as(&refresh, "198.51.100.9", Some(agent.as_bytes())).await;
    assert_eq!(reply.status, StatusCode::OK);
    let history = app
        .get(&format!("/api/workspaces/ws-acme/tokens/{id}/history"), &ben)
        .await;
    assert_eq!(
        history.body["last_refresh"]["user_agent"], "sync/1.0 evil (linux)",
        "{}",
        history.text
    );
}

/// Finding 6: twenty wrong passwords from strangers lock strangers out of an account, but not
/// the browser its owner signed in with before (a device cookie, valid for that account only),
/// whose own guesses are throttled by a budget of their own.
async fn strangers_cannot_lock_an_owner_out(app: TestApp) {
    let first = sign_in_with(&app, "ada@acme.test", "demo-password", "198.51.100.1", None).await;
    assert_eq!(first.status, StatusCode::OK);
    let set = first
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("tc_device="))
        .expect("a device cookie");
    assert!(set.contains("HttpOnly") && set.contains("Path=/api/session"), "{set}");
    let device = device_cookie(&first);

    for i in 0..20 {
        let guess = sign_in_with(&app, "ada@acme.test", "a wrong guess", &format!("203.0.113.{i}"), None).await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let stranger = sign_in_with(&app, "ada@acme.test", "demo-password", "203.0.113.200", None).await;
    assert_eq!(stranger.status, StatusCode::TOO_MANY_REQUESTS, "strangers are held");
    // A cookie of the same name planted beside the owner's (from a sibling subdomain, say),
    // before it or after it, hides nothing: any that opens to the account counts.
    for planted in [
        format!("{device}; tc_device=planted"),
        format!("tc_device=planted; {device}"),
    ] {
        let owner = sign_in_with(&app, "ada@acme.test", "demo-password", "198.51.100.77", Some(&planted)).await;
        assert_eq!(
            owner.status,
            StatusCode::OK,
            "the owner's browser is not held ({planted}): {}",
            owner.text
        );
    }

    // The cookie is Ada's: for another locked account it is no key.
    for i in 0..20 {
        sign_in_with(&app, "cy@acme.test", "a wrong guess", &format!("203.0.114.{i}"), None).await;
    }
    let borrowed = sign_in_with(&app, "cy@acme.test", "demo-password", "198.51.100.77", Some(&device)).await;
    assert_eq!(borrowed.status, StatusCode::TOO_MANY_REQUESTS);
    // A stolen cookie buys five guesses, then its own wait.
    for i in 0..5 {
        let guess = sign_in_with(
            &app,
            "ada@acme.test",
            "stolen cookie guess",
            &format!("192.0.2.{i}"),
            Some(&device),
        )
        .await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let sixth = sign_in_with(&app, "ada@acme.test", "demo-password", "192.0.2.9", Some(&device)).await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Review of finding 1: a sign-in that checked the old password while the operator took the
/// account over opens no session; an account whose maker is unknown (made before makers were
/// recorded) joins no further workspace as it is; an address that only looks like another's is
/// refused.
async fn a_take_over_wins_every_race_and_unknown_makers_are_not_trusted(app: TestApp) {
    let gus = app.sign_in("gus@globex.test").await;
    let added = add_to_globex(&app, &gus, "racer@acme.test").await;
    let link = added.body["set_password_link"].as_str().unwrap().to_owned();
    assert_eq!(
        set_password(&app, &link, "gus knows this one").await,
        StatusCode::NO_CONTENT
    );
    // Both hashing slots held: gus's sign-in reads the password and waits its turn.
    let slots = app.state.hashing.clone().acquire_many_owned(2).await.unwrap();
    let router = app.router.clone();
    let racing = tokio::spawn(async move {
        let req = axum::http::Request::builder()
            .method(Method::POST)
            .uri("/api/session")
            .header("content-type", "application/json")
            .extension(crate::support::from_address("203.0.113.7"))
            .body(axum::body::Body::from(
                json!({"email": "racer@acme.test", "password": "gus knows this one"}).to_string(),
            ))
            .unwrap();
        tower::ServiceExt::oneshot(router, req).await.unwrap().status()
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let take_over = [
        "user",
        "add",
        "racer@acme.test",
        "--workspace",
        "ws-acme",
        "--role",
        "member",
        "--take-over",
    ];
    let (code, _, err) = cli(&app, &take_over, None);
    assert_eq!(code, 0, "{err}");
    drop(slots);
    assert_eq!(
        racing.await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "no session on a taken-over account"
    );
    let (sessions,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'racer@acme.test'",
    )
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(sessions, 0);

    // Made before makers were recorded: an admin may know its password.
    let hash = token_server::store::users::hash_password("an old admin-set password").unwrap();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('u-old', 'old@acme.test', 'Old', $1, 0)",
    )
    .bind(&hash)
    .execute(&app.state.db.writer)
    .await
    .unwrap();
    sqlx::query("INSERT INTO memberships (workspace_id, user_id, role) VALUES ('ws-globex', 'u-old', 'member')")
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    let add_old = [
        "user",
        "add",
        "old@acme.test",
        "--workspace",
        "ws-acme",
        "--role",
        "member",
    ];
    let (code, out, err) = cli(&app, &add_old, None);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert!(
        err.contains("--keep-credential") && err.contains("--take-over"),
        "{err}"
    );
    let mut keep = add_old.to_vec();
    keep.push("--keep-credential");
    let (code, _, err) = cli(&app, &keep, None);
    assert_eq!(code, 0, "{err}");
    let old = app
        .sign_in_from("old@acme.test", "an old admin-set password", "198.51.100.5")
        .await;
    assert_eq!(
        old.body["workspaces"].as_array().unwrap().len(),
        2,
        "kept, as the operator said"
    );

    // A whole-script lookalike: all Cyrillic, the same to the eye as an existing address.
    let ace = add_to_globex(&app, &gus, "ace@globex.test").await;
    assert_eq!(ace.status, StatusCode::OK);
    let cyrillic = add_to_globex(&app, &gus, "\u{430}\u{441}\u{435}@globex.test").await;
    assert_eq!(cyrillic.status, StatusCode::BAD_REQUEST, "{}", cyrillic.text);
    assert_eq!(cyrillic.body["errors"][0]["code"], "lookalike");
    let (code, _, err) = cli(
        &app,
        &[
            "user",
            "add",
            "\u{430}\u{441}\u{435}@globex.test",
            "--workspace",
            "ws-acme",
            "--role",
            "member",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("looks like ace@globex.test"), "{err}");
}

/// Review of finding 6: a device cookie is worth nothing once the password changes.
async fn a_device_cookie_ends_with_the_password_it_was_earned_with(app: TestApp) {
    let sign_in = |password: &'static str, ip: String, device: Option<String>| {
        let app = &app;
        async move { sign_in_with(app, "cy@acme.test", password, &ip, device.as_deref()).await }
    };
    let first = sign_in("demo-password", "198.51.100.1".into(), None).await;
    let device = device_cookie(&first);
    for i in 0..20 {
        sign_in("a wrong guess", format!("203.0.113.{i}"), None).await;
    }
    let trusted = sign_in("demo-password", "198.51.100.2".into(), Some(device.clone())).await;
    assert_eq!(trusted.status, StatusCode::OK);
    let reset = [
        "user",
        "add",
        "cy@acme.test",
        "--workspace",
        "ws-acme",
        "--role",
        "member",
        "--password-stdin",
    ];
    let (code, _, err) = cli(&app, &reset, Some("cy's brand new password\n"));
    assert_eq!(code, 0, "{err}");
    let stale = sign_in("cy's brand new password", "198.51.100.2".into(), Some(device)).await;
    assert_eq!(
        stale.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the old cookie no longer vouches"
    );
}

/// Review of finding 7: retiring the key that signs never lets an older, superseded key sign
/// again.
async fn retiring_the_signing_key_never_revives_an_older_one(app: TestApp) {
    let first = app.state.signer.current_kid();
    let second = app.state.signer.rotate(&app.state.db.writer).await.unwrap();
    // The second key has signed for a while: the first is superseded.
    sqlx::query("UPDATE signing_key_ring SET activates_at = activates_at - 600000 WHERE kid = $1")
        .bind(&second)
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    app.state.signer.reload(&app.state.db.pool).await.unwrap();
    assert_eq!(app.state.signer.current_kid(), second);
    let third = app.state.signer.retire(&app.state.db.writer, &second).await.unwrap();
    let third = third
        .expect("a live kid")
        .expect("a new key, since the retired one signed");
    assert_eq!(app.state.signer.current_kid(), third);
    assert_ne!(app.state.signer.current_kid(), first);
}

crate::on_both_databases!(
    a_take_over_wins_every_race_and_unknown_makers_are_not_trusted,
    a_device_cookie_ends_with_the_password_it_was_earned_with,
    retiring_the_signing_key_never_revives_an_older_one,
    strangers_cannot_lock_an_owner_out,
    one_spelling_per_person_and_no_lookalikes,
    an_account_one_workspace_made_reaches_no_other,
    admin_and_operator_actions_are_audited,
    a_retired_signing_key_signs_and_verifies_nothing,
    revocation_is_immediate_where_the_service_is_asked,
    retries_are_seen_bounded_and_bound_to_the_client,
    files_that_hold_secrets_are_the_services_alone,
);
