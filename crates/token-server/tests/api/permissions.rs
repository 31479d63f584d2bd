//! Tokens that carry only what they need: permissions as the OAuth scope, address ranges, and
//! the workspace policy that bounds both.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use crate::onboarding::cli;
use crate::support::{from_address, Browser, Reply, TestApp};

/// Acme's catalogue, set by its admin Ada; the rest of the policy as it was.
fn catalogue() -> Value {
    json!([
        {"name": "datasets:read", "description": "Read datasets"},
        {"name": "datasets:write", "description": "Change datasets"},
        {"name": "jobs:run"}
    ])
}

/// Sets Acme's policy with `changes` laid over the default and the catalogue.
async fn set_policy(app: &TestApp, ada: &Browser, changes: Value) -> Reply {
    let mut body = json!({"max_lifetime_days": 365, "creators": "members", "permissions": catalogue(),
        "allow_all_permissions": true, "allowed_ranges": []});
    for (k, v) in changes.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.send(
        Method::PUT,
        "/api/workspaces/ws-acme/admin/policy",
        Some(ada),
        Some(body),
    )
    .await
}

async fn generate(app: &TestApp, who: &Browser, body: Value) -> Reply {
    app.post("/api/workspaces/ws-acme/tokens", who, body).await
}

/// The claims of an access token, read as a resource server reads them.
fn claims(access_token: &str) -> Value {
    let payload = access_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// A refresh from `ip`, narrowed to `scope` if given.
async fn refresh(app: &TestApp, token: &str, ip: &str, scope: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token),
        ("client_id", "tcc_acme"),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let req = Request::builder()
        .method(Method::POST)
        .uri("/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .extension(from_address(ip))
        .body(Body::from(body))
        .unwrap();
    app.raw(req).await
}

/// An API's check of one permission, with an access token.
async fn can(app: &TestApp, access_token: &str, permission: &str) -> Reply {
    let req = Request::builder()
        .uri(format!("/api/resource/workspaces/ws-acme/can/{permission}"))
        .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
        .body(Body::empty())
        .unwrap();
    app.raw(req).await
}

fn field_error(reply: &Reply) -> (String, String) {
    let e = &reply.body["errors"][0];
    (
        e["field"].as_str().unwrap_or_default().to_owned(),
        e["code"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn a_token_of_one_permission_from_one_range_works_only_there_and_only_for_it(app: TestApp) {
    let (ada, ben) = (app.sign_in("ada@acme.test").await, app.sign_in("ben@acme.test").await);
    assert_eq!(set_policy(&app, &ada, json!({})).await.status, StatusCode::OK);
    let made = generate(
        &app,
        &ben,
        json!({"name": "reader", "lifetime_days": 30, "permissions": ["datasets:read"], "ranges": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    let token = &made.body["token"];
    assert_eq!(token["permissions"], json!(["datasets:read"]));
    assert_eq!(
        (token["all_permissions"].as_bool(), &token["ranges"]),
        (Some(false), &json!(["10.0.0.0/8"]))
    );
    let access = made.body["access_token"].as_str().unwrap();
    let said = claims(access);
    assert_eq!(
        (&said["scope"], &said["ranges"]),
        (&json!("datasets:read"), &json!(["10.0.0.0/8"]))
    );

    // An API checks the permission its operation needs.
    assert_eq!(can(&app, access, "datasets:read").await.status, StatusCode::OK);
    let refused = can(&app, access, "datasets:write").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.body["error"], "insufficient_scope");
    let challenge = refused.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"datasets:write\""),
        "{challenge}"
    );

    // From outside its range: refused, audited as an alarm, and the token is untouched.
    let refresh_token = made.body["refresh_token"].as_str().unwrap();
    let outside = refresh(&app, refresh_token, "203.0.113.5", None).await;
    assert_eq!(
        (outside.status, &outside.body["error"]),
        (StatusCode::BAD_REQUEST, &json!("invalid_grant"))
    );
    let alarms = app
        .get(
            "/api/workspaces/ws-acme/admin/audit?action=refresh_outside_ranges",
            &ada,
        )
        .await;
    let event = &alarms.body["events"][0];
    assert_eq!(event["token_id"], token["id"], "{}", alarms.text);
    assert!(event["reason"].as_str().unwrap().contains("203.0.113.5"), "{event}");
    let mine = app.get("/api/workspaces/ws-acme/tokens", &ben).await;
    let listed = mine.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == token["id"])
        .unwrap()
        .clone();
    assert_eq!(listed["status"], "active");

    // From inside: the same refresh token works, and the new access token carries the same.
    let inside = refresh(&app, refresh_token, "10.20.30.40", None).await;
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.text);
    assert_eq!(inside.body["scope"], "datasets:read");
    let access = inside.body["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["ranges"], json!(["10.0.0.0/8"]));
    assert_eq!(can(&app, access, "datasets:write").await.status, StatusCode::FORBIDDEN);
    // An IPv4 client seen through a dual-stack socket is the same client.
    let next = inside.body["refresh_token"].as_str().unwrap();
    let mapped = refresh(&app, next, "::ffff:10.1.1.1", None).await;
    assert_eq!(mapped.status, StatusCode::OK, "{}", mapped.text);

    // Introspection tells a resource server the same.
    let current = mapped.body["refresh_token"].as_str().unwrap();
    let bearer = format!("Bearer {}", mapped.body["access_token"].as_str().unwrap());
    let seen = app
        .form("/oauth2/introspect", &[("token", current)], Some(&bearer))
        .await;
    assert_eq!(
        (&seen.body["scope"], &seen.body["ranges"]),
        (&json!("datasets:read"), &json!(["10.0.0.0/8"]))
    );
    let access = mapped.body["access_token"].as_str().unwrap();
    let seen = app
        .form("/oauth2/introspect", &[("token", access)], Some(&bearer))
        .await;
    assert_eq!(seen.body["scope"], "datasets:read", "{}", seen.text);

    // The admins' list finds it by permission; a token of every permission is found too, one
    // of other permissions is not.
    let all = generate(
        &app,
        &ben,
        json!({"name": "everything", "lifetime_days": 30, "all_permissions": true}),
    )
    .await;
    let runner = generate(
        &app,
        &ben,
        json!({"name": "runner", "lifetime_days": 30, "permissions": ["jobs:run"]}),
    )
    .await;
    let found = app
        .get(
            "/api/workspaces/ws-acme/admin/tokens?permission=datasets:read&owner=u-ben",
            &ada,
        )
        .await;
    let ids: Vec<&Value> = found.body["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .collect();
    assert!(
        ids.contains(&&token["id"]) && ids.contains(&&all.body["token"]["id"]),
        "{}",
        found.text
    );
    assert!(!ids.contains(&&runner.body["token"]["id"]), "{}", found.text);
    // The access token of an all-permissions token carries the whole catalogue.
    assert_eq!(
        claims(all.body["access_token"].as_str().unwrap())["scope"],
        "datasets:read datasets:write jobs:run"
    );
    let bad = app
        .get("/api/workspaces/ws-acme/admin/tokens?permission=two%20words", &ada)
        .await;
    assert_eq!(
        (bad.status, field_error(&bad).0.as_str()),
        (StatusCode::BAD_REQUEST, "permission")
    );
}

async fn a_refresh_narrows_the_scope_and_never_widens_it(app: TestApp) {
    let (ada, ben) = (app.sign_in("ada@acme.test").await, app.sign_in("ben@acme.test").await);
    set_policy(&app, &ada, json!({})).await;
    let made = generate(
        &app,
        &ben,
        json!({"name": "both", "lifetime_days": 30, "permissions": ["datasets:write", "datasets:read"]}),
    )
    .await;
    let token = made.body["refresh_token"].as_str().unwrap();
    let narrowed = refresh(&app, token, "192.0.2.1", Some("datasets:read")).await;
    assert_eq!(
        (narrowed.status, &narrowed.body["scope"]),
        (StatusCode::OK, &json!("datasets:read"))
    );
    let access = narrowed.body["access_token"].as_str().unwrap();
    assert_eq!(can(&app, access, "datasets:write").await.status, StatusCode::FORBIDDEN);

    // Wider than the token, or not a scope at all: invalid_scope, and the token is not rotated.
    let token = narrowed.body["refresh_token"].as_str().unwrap();
    for asked in ["jobs:run", "datasets:read jobs:run", "admin", "quo\"te"] {
        let wider = refresh(&app, token, "192.0.2.1", Some(asked)).await;
        assert_eq!(
            (wider.status, &wider.body["error"]),
            (StatusCode::BAD_REQUEST, &json!("invalid_scope")),
            "{asked}: {}",
            wider.text
        );
    }
    // Without a scope, the next access token carries everything the token has again.
    let whole = refresh(&app, token, "192.0.2.1", None).await;
    assert_eq!(
        (whole.status, &whole.body["scope"]),
        (StatusCode::OK, &json!("datasets:read datasets:write"))
    );

    // A token of every permission narrows to any of the catalogue's, and no further.
    let all = generate(
        &app,
        &ben,
        json!({"name": "all", "lifetime_days": 30, "all_permissions": true}),
    )
    .await;
    let token = all.body["refresh_token"].as_str().unwrap();
    let wider = refresh(&app, token, "192.0.2.1", Some("admin:everything")).await;
    assert_eq!(wider.body["error"], "invalid_scope");
    let narrowed = refresh(&app, token, "192.0.2.1", Some("jobs:run")).await;
    assert_eq!(
        (narrowed.status, &narrowed.body["scope"]),
        (StatusCode::OK, &json!("jobs:run"))
    );
}

async fn generate_takes_only_what_the_policy_allows_and_writes_nothing_else(app: TestApp) {
    let (ada, ben) = (app.sign_in("ada@acme.test").await, app.sign_in("ben@acme.test").await);
    set_policy(
        &app,
        &ada,
        json!({"allow_all_permissions": false, "member_permissions": ["datasets:read"], "allowed_ranges": ["10.0.0.0/8"]}),
    )
    .await;
    let before = app.grant_count().await;
    let ten = json!(["10.1.0.0/16"]);
    let cases = [
        (json!({}), "permissions", "required"),
        (json!({"permissions": [], "ranges": ten}), "permissions", "required"),
        (
            json!({"all_permissions": true, "ranges": ten}),
            "all_permissions",
            "not_allowed",
        ),
        (
            json!({"permissions": ["datasets:read"], "all_permissions": true, "ranges": ten}),
            "all_permissions",
            "too_many",
        ),
        (
            json!({"permissions": ["datasets:write"], "ranges": ten}),
            "permissions",
            "not_allowed",
        ),
        (
            json!({"permissions": ["admin:everything"], "ranges": ten}),
            "permissions",
            "not_a_permission",
        ),
        (
            json!({"permissions": ["two words"], "ranges": ten}),
            "permissions",
            "not_a_permission",
        ),
        (json!({"permissions": ["datasets:read"]}), "ranges", "not_allowed"),
        (
            json!({"permissions": ["datasets:read"], "ranges": ["0.0.0.0/0"]}),
            "ranges",
            "not_allowed",
        ),
        (
            json!({"permissions": ["datasets:read"], "ranges": ["10.1.2.3/8"]}),
            "ranges",
            "not_a_range",
        ),
        (
            json!({"permissions": ["datasets:read"], "ranges": ["example.com"]}),
            "ranges",
            "not_a_range",
        ),
        (
            json!({"permissions": ["datasets:read"], "ranges": vec!["10.0.0.0/8"; 17]}),
            "ranges",
            "too_many",
        ),
    ];
    for (extra, field, code) in cases {
        let mut body = json!({"name": "probe", "lifetime_days": 30});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let refused = generate(&app, &ben, body.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}: {}", refused.text);
        assert_eq!(field_error(&refused), (field.to_owned(), code.to_owned()), "{body}");
    }
    assert_eq!(app.grant_count().await, before, "nothing was written");

    // Within the cap: the member's choice; beyond it: the admin's.
    let ok = generate(
        &app,
        &ben,
        json!({"name": "ok", "lifetime_days": 30, "permissions": ["datasets:read"], "ranges": ["10.1.0.0/16"]}),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    let admins = generate(
        &app,
        &ada,
        json!({"name": "writer", "lifetime_days": 30, "permissions": ["datasets:write"], "ranges": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(admins.status, StatusCode::CREATED, "{}", admins.text);

    // Regenerate keeps what the token carried, and names nothing itself.
    let id = ok.body["token"]["id"].as_str().unwrap();
    let replaces = json!({"token_id": id, "overlap": "none"});
    let named = generate(
        &app,
        &ben,
        json!({"name": "ok", "lifetime_days": 30, "permissions": ["datasets:read"], "replaces": replaces}),
    )
    .await;
    assert_eq!(field_error(&named).0, "replaces", "{}", named.text);
    let again = generate(
        &app,
        &ben,
        json!({"name": "ok", "lifetime_days": 30, "replaces": replaces}),
    )
    .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    let token = &again.body["token"];
    assert_eq!(
        (&token["permissions"], &token["ranges"]),
        (&json!(["datasets:read"]), &json!(["10.1.0.0/16"]))
    );
    assert_eq!(
        claims(again.body["access_token"].as_str().unwrap())["scope"],
        "datasets:read"
    );
}

async fn the_policy_keeps_a_catalogue_admins_and_the_operator_change_audited(app: TestApp) {
    let (ada, ben) = (app.sign_in("ada@acme.test").await, app.sign_in("ben@acme.test").await);
    // Refusals name their field and change nothing.
    let cases = [
        (
            json!({"permissions": [], "allow_all_permissions": false}),
            "allow_all_permissions",
        ),
        (json!({"permissions": [{"name": "a b"}]}), "permissions"),
        (json!({"permissions": [{"name": "x"}, {"name": "x"}]}), "permissions"),
        (json!({"member_permissions": ["nope"]}), "member_permissions"),
        (json!({"allowed_ranges": ["10.0.0.1/8"]}), "allowed_ranges"),
    ];
    for (changes, field) in cases {
        let refused = set_policy(&app, &ada, changes.clone()).await;
        assert_eq!(
            (refused.status, field_error(&refused).0),
            (StatusCode::BAD_REQUEST, field.to_owned()),
            "{changes}"
        );
    }
    // A member cannot change it.
    assert_eq!(set_policy(&app, &ben, json!({})).await.status, StatusCode::FORBIDDEN);
    let me = app.get("/api/me", &ben).await;
    assert_eq!(
        me.body["workspaces"][0]["policy"]["permissions"],
        json!([]),
        "unchanged"
    );

    let set = set_policy(&app, &ada, json!({"allow_all_permissions": false})).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.text);
    // Every member reads the catalogue with their workspace, to choose from it.
    let me = app.get("/api/me", &ben).await;
    let policy = &me.body["workspaces"][0]["policy"];
    assert_eq!(
        (&policy["permissions"], &policy["allow_all_permissions"]),
        (&catalogue(), &json!(false))
    );
    let audit = app
        .get("/api/workspaces/ws-acme/admin/audit?action=policy_changed", &ada)
        .await;
    let reason = audit.body["events"][0]["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("permissions added: datasets:read datasets:write jobs:run")
            && reason.contains("all permissions allowed -> forbidden"),
        "{reason}"
    );

    // The operator's command line keeps it too, audited as the operator's.
    let (code, out, err) = cli(
        &app,
        &[
            "permission",
            "add",
            "--workspace",
            "ws-acme",
            "reports:read",
            "--description",
            "Read reports",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("reports:read\tRead reports"), "{out}");
    let (code, _, err) = cli(&app, &["permission", "add", "--workspace", "ws-acme", "bad name"], None);
    assert_eq!(code, 2, "{err}");
    let (code, out, _) = cli(
        &app,
        &["permission", "remove", "--workspace", "ws-acme", "jobs:run"],
        None,
    );
    assert_eq!(code, 0);
    assert!(!out.contains("jobs:run"), "{out}");
    let (_, listed, _) = cli(&app, &["permission", "list", "--workspace", "ws-acme"], None);
    assert_eq!(listed.lines().count(), 3, "{listed}");
    let audit = app
        .get("/api/workspaces/ws-acme/admin/audit?action=policy_changed", &ada)
        .await;
    let last = &audit.body["events"][0];
    assert_eq!(last["by_operator"], true, "{last}");
    assert_eq!(last["reason"], "permissions removed: jobs:run");
    // A token cannot name a removed permission any more.
    let refused = generate(
        &app,
        &ada,
        json!({"name": "r", "lifetime_days": 30, "permissions": ["jobs:run"]}),
    )
    .await;
    assert_eq!(
        field_error(&refused),
        ("permissions".to_owned(), "not_a_permission".to_owned())
    );
}

async fn a_members_all_token_carries_only_what_members_may_choose_and_outside_alarms_are_bounded(app: TestApp) {
    let (ada, ben) = (app.sign_in("ada@acme.test").await, app.sign_in("ben@acme.test").await);
    // Made before the workspace had permissions: all, as every older token is.
    let old = app.create_token(&ben, "ws-acme", "older").await;
    let admins = app.create_token(&ada, "ws-acme", "admin's").await;
    set_policy(&app, &ada, json!({"member_permissions": ["datasets:read"]})).await;
    let member = refresh(&app, old["refresh_token"].as_str().unwrap(), "192.0.2.1", None).await;
    assert_eq!(
        member.body["scope"], "datasets:read",
        "a member's all is what members may choose"
    );
    let access = member.body["access_token"].as_str().unwrap();
    assert_eq!(can(&app, access, "datasets:write").await.status, StatusCode::FORBIDDEN);
    let admin = refresh(&app, admins["refresh_token"].as_str().unwrap(), "192.0.2.1", None).await;
    assert_eq!(admin.body["scope"], "datasets:read datasets:write jobs:run");
    // A revoked token is 401 at the resource, whatever it asks for.
    let current = member.body["refresh_token"].as_str().unwrap();
    app.form("/oauth2/revoke", &[("token", current), ("client_id", "tcc_acme")], None)
        .await;
    assert_eq!(
        can(&app, access, "datasets:write").await.status,
        StatusCode::UNAUTHORIZED
    );

    // Ten refreshes from outside: each refused, one alarm.
    let ranged = generate(
        &app,
        &ben,
        json!({"name": "ranged", "lifetime_days": 30, "permissions": ["datasets:read"], "ranges": ["10.0.0.0/8"]}),
    )
    .await;
    let token = ranged.body["refresh_token"].as_str().unwrap();
    for _ in 0..10 {
        assert_eq!(
            refresh(&app, token, "203.0.113.9", None).await.body["error"],
            "invalid_grant"
        );
    }
    let alarms = app
        .get(
            "/api/workspaces/ws-acme/admin/audit?action=refresh_outside_ranges",
            &ada,
        )
        .await;
    assert_eq!(alarms.body["events"].as_array().unwrap().len(), 1, "{}", alarms.text);
    let summary = app.get("/api/workspaces/ws-acme/admin/tokens/summary", &ada).await;
    assert_eq!(summary.body["outside_ranges_recently"], 1);
}

crate::on_both_databases!(
    a_members_all_token_carries_only_what_members_may_choose_and_outside_alarms_are_bounded,
    a_token_of_one_permission_from_one_range_works_only_there_and_only_for_it,
    a_refresh_narrows_the_scope_and_never_widens_it,
    generate_takes_only_what_the_policy_allows_and_writes_nothing_else,
    the_policy_keeps_a_catalogue_admins_and_the_operator_change_audited,
);
