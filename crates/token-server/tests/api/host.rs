//! The embedded panel opens signed in: a host's backend asks for a one-time ticket with the host
//! key the operator issued, and the panel exchanges it from the host's origin. Each attack the
//! issue lists is a test: a ticket replayed, used after a minute, from another origin, minted
//! with a revoked key, and a key reaching past its workspace.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use token_server::store::host;

use crate::onboarding::{cli, value};
use crate::support::{Browser, Reply, TestApp};

const HOST: &str = "http://host.test";

async fn mint(app: &TestApp, key: &str, email: &str) -> Reply {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/host/tickets")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "email": email }).to_string()))
        .unwrap();
    app.raw(req).await
}

async fn exchange(app: &TestApp, ticket: &str, origin: Option<&str>) -> Reply {
    exchange_from(app, origin, json!({ "ticket": ticket })).await
}

/// The exchange as the service's `/embed/...` page in a host's iframe makes it: from `origin`
/// (the service's own, for the real page), naming the host that framed it.
async fn exchange_framed(app: &TestApp, ticket: &str, origin: Option<&str>, parent: &str) -> Reply {
    exchange_from(app, origin, json!({ "ticket": ticket, "parent": parent })).await
}

async fn exchange_from(app: &TestApp, origin: Option<&str>, body: Value) -> Reply {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/host/session")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(origin) = origin {
        req = req.header(header::ORIGIN, origin);
    }
    app.raw(req.body(Body::from(body.to_string())).unwrap()).await
}

/// A request as the frame sends it: its session in the `x-tc-session` header, no cookie.
async fn framed(
    app: &TestApp,
    method: Method,
    path: &str,
    session: &str,
    csrf: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("x-tc-session", session);
    if let Some(csrf) = csrf {
        req = req.header("x-csrf-token", csrf);
    }
    let req = match body {
        Some(body) => req
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => req.body(Body::empty()),
    };
    app.raw(req.unwrap()).await
}

/// The service's own origin in the tests (its public URL).
const OWN: &str = "http://issuer.test";

async fn ticket(app: &TestApp, key: &str, email: &str) -> String {
    let reply = mint(app, key, email).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply.body["ticket"].as_str().unwrap().to_owned()
}

async fn key(app: &TestApp, ws: &str) -> (String, String) {
    host::create_key(&app.state.db.writer, ws, HOST).await.unwrap().unwrap()
}

/// The Acme audit trail's events of `action`, newest first, read by Ada.
async fn audit(app: &TestApp, action: &str) -> Vec<Value> {
    let ada = app.sign_in("ada@acme.test").await;
    let reply = app
        .get(&format!("/api/workspaces/ws-acme/admin/audit?action={action}"), &ada)
        .await;
    reply.body["events"].as_array().unwrap().clone()
}

async fn a_host_signs_its_member_in_once_to_its_workspace_only(app: TestApp) {
    let (key_id, secret) = key(&app, "ws-acme").await;
    let reply = mint(&app, &secret, "Ben@Acme.test").await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert!(reply.secret, "the ticket's answer is never compressed");
    let ticket = reply.body["ticket"].as_str().unwrap().to_owned();
    assert!(ticket.starts_with("tcht_"));
    let expires: chrono::DateTime<chrono::Utc> = reply.body["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = expires - chrono::Utc::now();
    assert!(
        ttl <= chrono::Duration::seconds(60) && ttl > chrono::Duration::seconds(50),
        "{ttl}"
    );

    let opened = exchange(&app, &ticket, Some(HOST)).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert_eq!(opened.body["user"]["email"], "ben@acme.test");
    let ids: Vec<&str> = opened.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["ws-acme"],
        "Ben is in Globex too; the host's key speaks for Acme only"
    );
    let ben = Browser {
        cookie: opened.session_cookie().trim_start_matches("tc_session=").to_owned(),
        csrf: opened.body["csrf_token"].as_str().unwrap().to_owned(),
    };
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &ben).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/workspaces/ws-globex/tokens", &ben).await.status,
        StatusCode::NOT_FOUND
    );

    // Replayed: refused, and told to the admins.
    let again = exchange(&app, &ticket, Some(HOST)).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.set_cookie("tc_session").is_none());
    let refused = audit(&app, "host_ticket_refused").await;
    assert!(
        refused[0]["reason"].as_str().unwrap().starts_with("used already"),
        "{refused:?}"
    );
    // Issued and used, audited with the key's id and origin, and no secret anywhere.
    let issued = audit(&app, "host_ticket_issued").await;
    assert_eq!(issued[0]["owner"]["email"], "ben@acme.test");
    assert!(issued[0]["reason"].as_str().unwrap().contains(&key_id));
    let used = audit(&app, "host_ticket_used").await;
    assert_eq!(used.len(), 1);
    let trail = app
        .get(
            "/api/workspaces/ws-acme/admin/audit.csv",
            &app.sign_in("ada@acme.test").await,
        )
        .await
        .text;
    assert!(!trail.contains(&ticket) && !trail.contains(&secret));
    let (stored,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM host_tickets WHERE digest = $1")
        .bind(&ticket)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "tickets are kept as digests");
}

async fn a_ticket_is_refused_late_from_elsewhere_or_after_its_key_is_revoked(app: TestApp) {
    let (key_id, secret) = key(&app, "ws-acme").await;
    // After a minute.
    let late = ticket(&app, &secret, "ben@acme.test").await;
    sqlx::query("UPDATE host_tickets SET expires_at = expires_at - 61000")
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    assert_eq!(exchange(&app, &late, Some(HOST)).await.status, StatusCode::UNAUTHORIZED);
    // From another origin, or none: refused, and used up (the host cannot try again with it).
    let stolen = ticket(&app, &secret, "ben@acme.test").await;
    assert_eq!(
        exchange(&app, &stolen, Some("http://evil.test")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        exchange(&app, &stolen, Some(HOST)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let bare = ticket(&app, &secret, "ben@acme.test").await;
    assert_eq!(exchange(&app, &bare, None).await.status, StatusCode::UNAUTHORIZED);
    // Made up, or not a ticket at all.
    assert_eq!(
        exchange(&app, "tcht_made-up", Some(HOST)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        exchange(&app, &secret, Some(HOST)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let reasons: Vec<String> = audit(&app, "host_ticket_refused")
        .await
        .iter()
        .map(|e| e["reason"].as_str().unwrap().to_owned())
        .collect();
    for why in ["expired", "another origin: ", "another origin: by"] {
        assert!(reasons.iter().any(|r| r.starts_with(why)), "{why} in {reasons:?}");
    }
    assert!(
        reasons.iter().any(|r| r.ends_with("from http://evil.test")),
        "{reasons:?}"
    );
    // Revoked: no new tickets, and an outstanding one stops working.
    let outstanding = ticket(&app, &secret, "ben@acme.test").await;
    assert!(host::revoke_key(&app.state.db.writer, &key_id).await.unwrap());
    assert_eq!(
        mint(&app, &secret, "ben@acme.test").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        exchange(&app, &outstanding, Some(HOST)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let changed = audit(&app, "host_key_changed").await;
    assert!(
        changed[0]["reason"].as_str().unwrap().ends_with("revoked"),
        "{changed:?}"
    );
    assert_eq!(changed[0]["by_operator"], true);
}

async fn a_cross_site_frame_signs_in_with_a_session_it_keeps_in_memory(app: TestApp) {
    let (_, secret) = key(&app, "ws-acme").await;
    let t = ticket(&app, &secret, "ben@acme.test").await;
    let opened = exchange_framed(&app, &t, Some(OWN), HOST).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.text);
    assert!(opened.secret, "never compressed");
    assert!(
        opened.set_cookie("tc_session").is_none(),
        "a cross-site frame would never send it back"
    );
    let session = opened.body["frame_session"].as_str().unwrap().to_owned();
    let csrf = opened.body["csrf_token"].as_str().unwrap().to_owned();
    assert_eq!(opened.body["workspaces"][0]["id"], "ws-acme");
    assert_eq!(opened.body["workspaces"].as_array().unwrap().len(), 1);

    // The header is the session: Acme's only, its writes still need the CSRF token, and no
    // answer after the exchange shows it again.
    let me = framed(&app, Method::GET, "/api/me", &session, None, None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    assert!(me.body.get("frame_session").is_none(), "{}", me.text);
    let list = "/api/workspaces/ws-acme/tokens";
    assert_eq!(
        framed(&app, Method::GET, list, &session, None, None).await.status,
        StatusCode::OK
    );
    let globex = "/api/workspaces/ws-globex/tokens";
    assert_eq!(
        framed(&app, Method::GET, globex, &session, None, None).await.status,
        StatusCode::NOT_FOUND
    );
    let token = json!({ "name": "framed", "lifetime_days": 30 , "all_permissions": true});
    let no_csrf = framed(&app, Method::POST, list, &session, None, Some(token.clone())).await;
    assert_eq!(no_csrf.status, StatusCode::FORBIDDEN);
    let made = framed(&app, Method::POST, list, &session, Some(&csrf), Some(token)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let out = framed(&app, Method::DELETE, "/api/session", &session, Some(&csrf), None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert_eq!(
        framed(&app, Method::GET, "/api/me", &session, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );

    // Refused, and used up: a parent the service does not let frame it, a host page posing as
    // the frame, no origin, another site posting for the host, and a key whose origin may not
    // frame the service.
    for (origin, parent) in [
        (Some(OWN), "http://evil.test"),
        (Some(HOST), HOST),
        (None, HOST),
        (Some("http://evil.test"), HOST),
    ] {
        let t = ticket(&app, &secret, "ben@acme.test").await;
        let refused = exchange_framed(&app, &t, origin, parent).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{origin:?} {parent}");
        assert!(refused.body.get("frame_session").is_none());
        assert_eq!(
            exchange_framed(&app, &t, Some(OWN), HOST).await.status,
            StatusCode::UNAUTHORIZED,
            "used up by the refusal"
        );
    }
    let (_, elsewhere) = host::create_key(&app.state.db.writer, "ws-acme", "http://other.test")
        .await
        .unwrap()
        .unwrap();
    let t = ticket(&app, &elsewhere, "ben@acme.test").await;
    assert_eq!(
        exchange_framed(&app, &t, Some(OWN), "http://other.test").await.status,
        StatusCode::UNAUTHORIZED
    );
    // A made-up header session is nobody.
    assert_eq!(
        framed(&app, Method::GET, "/api/me", "made-up", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_host_key_reaches_no_one_outside_its_workspace(app: TestApp) {
    let (_, secret) = key(&app, "ws-acme").await;
    // Gus is in Globex only; nobody has the other address.
    assert_eq!(
        mint(&app, &secret, "gus@globex.test").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        mint(&app, &secret, "nobody@acme.test").await.status,
        StatusCode::NOT_FOUND
    );
    let bad = mint(&app, &secret, "not an address").await;
    assert_eq!(
        (bad.status, bad.body["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("email"))
    );
    // No key, a made-up one, a session's cookie, a refresh token: nothing.
    for key in ["", "tchk_made-up", "tcr_notahostkey"] {
        assert_eq!(
            mint(&app, key, "ben@acme.test").await.status,
            StatusCode::UNAUTHORIZED,
            "{key}"
        );
    }
    let ada = app.sign_in("ada@acme.test").await;
    let with_session = app
        .send(
            Method::POST,
            "/api/host/tickets",
            Some(&ada),
            Some(json!({"email": "ben@acme.test"})),
        )
        .await;
    assert_eq!(
        with_session.status,
        StatusCode::UNAUTHORIZED,
        "a session is no host key"
    );
    // A member removed after the ticket was issued is not signed in by it.
    let (_, secret) = key(&app, "ws-acme").await;
    let cy = ticket(&app, &secret, "cy@acme.test").await;
    let removed = app
        .send(
            Method::DELETE,
            "/api/workspaces/ws-acme/admin/members/u-cy",
            Some(&ada),
            None,
        )
        .await;
    assert!(removed.status.is_success(), "{}", removed.text);
    assert_eq!(exchange(&app, &cy, Some(HOST)).await.status, StatusCode::UNAUTHORIZED);
}

async fn the_operator_issues_lists_and_revokes_host_keys(app: TestApp) {
    let (code, _, err) = cli(
        &app,
        &[
            "host-key",
            "create",
            "--workspace",
            "ws-acme",
            "--origin",
            "https://app.example.com/path",
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("must be an origin"), "{err}");
    let (code, _, err) = cli(
        &app,
        &["host-key", "create", "--workspace", "ws-nowhere", "--origin", HOST],
        None,
    );
    assert_eq!((code, err.contains("no workspace")), (2, true), "{err}");
    let (code, out, err) = cli(
        &app,
        &["host-key", "create", "--workspace", "ws-acme", "--origin", HOST],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let (id, secret) = (value(&out, "id").to_owned(), value(&out, "host_key").to_owned());
    assert!(secret.starts_with("tchk_"));
    // The key the command printed works; the listing never shows it.
    ticket(&app, &secret, "ben@acme.test").await;
    let (_, listed, _) = cli(&app, &["host-key", "list", "--workspace", "ws-acme"], None);
    assert!(listed.starts_with(&format!("{id}\t{HOST}\t")), "{listed}");
    assert!(!listed.contains(&secret));
    let (code, out, _) = cli(&app, &["host-key", "revoke", &id], None);
    assert_eq!((code, value(&out, "revoked")), (0, id.as_str()));
    let (code, _, _) = cli(&app, &["host-key", "revoke", &id], None);
    assert_eq!(code, 2, "revoked already");
    assert_eq!(
        mint(&app, &secret, "ben@acme.test").await.status,
        StatusCode::UNAUTHORIZED
    );
    let changed = audit(&app, "host_key_changed").await;
    assert_eq!(changed.len(), 2, "issued and revoked: {changed:?}");
}

crate::on_both_databases!(
    a_host_signs_its_member_in_once_to_its_workspace_only,
    a_ticket_is_refused_late_from_elsewhere_or_after_its_key_is_revoked,
    a_host_key_reaches_no_one_outside_its_workspace,
    a_cross_site_frame_signs_in_with_a_session_it_keeps_in_memory,
    the_operator_issues_lists_and_revokes_host_keys,
);
