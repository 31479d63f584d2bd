//! SCIM provisioning: the credentials the operator issues a workspace's identity provider.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};
use token_server::store::scim;
use token_server::store::sso::{self, Settings};

use crate::onboarding::{cli, value};
use crate::support::{Reply, TestApp};

/// Connects a workspace to a provider, as `token-server sso set` does.
async fn connect(app: &TestApp, ws: &str, domain: &str) {
    let settings = Settings {
        issuer: format!("https://idp.{domain}"),
        client_id: "token-console".to_owned(),
        client_secret_sealed: token_server::secrets::seal(&app.state.sso_key, b"secret"),
        admin_group: Some("token-admins".to_owned()),
        domains: vec![domain.to_owned()],
        required: false,
        trust_emails: false,
        sign_out_at_provider: false,
    };
    sso::set(&app.state.db.writer, ws, &settings).await.unwrap();
}

/// A workspace's audit events of `action`, newest first, read by its admin.
async fn audit(app: &TestApp, ws: &str, admin: &str, action: &str) -> Vec<Value> {
    let browser = app.sign_in(admin).await;
    let reply = app
        .get(&format!("/api/workspaces/{ws}/admin/audit?action={action}"), &browser)
        .await;
    reply.body["events"].as_array().unwrap().clone()
}

async fn the_operator_issues_lists_and_revokes_scim_credentials(app: TestApp) {
    // Refused, naming why, before anything is written: no such workspace, or one that is not
    // connected to its provider (provisioning joins the provider's identities).
    let (code, _, err) = cli(&app, &["scim-credential", "create", "--workspace", "ws-nowhere"], None);
    assert_eq!((code, err.contains("no workspace")), (2, true), "{err}");
    let (code, _, err) = cli(&app, &["scim-credential", "create", "--workspace", "ws-acme"], None);
    assert_eq!((code, err.contains("sso set")), (2, true), "{err}");
    assert!(audit(&app, "ws-acme", "ada@acme.test", "scim_credential_changed")
        .await
        .is_empty());

    connect(&app, "ws-acme", "acme.test").await;
    let (code, out, err) = cli(&app, &["scim-credential", "create", "--workspace", "ws-acme"], None);
    assert_eq!(code, 0, "{err}");
    let (id, secret) = (value(&out, "id").to_owned(), value(&out, "scim_credential").to_owned());
    assert!(id.starts_with("sc-") && secret.starts_with("tcsc_"), "{out}");
    assert!(err.contains("shown now and never again"), "{err}");

    // The secret opens Acme's credential, and is kept only as a digest.
    let found = scim::credential_of(&app.state.db.writer, &secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id.as_str(), found.workspace_id.as_str()),
        (id.as_str(), "ws-acme")
    );
    let (stored,): (String,) = sqlx::query_as("SELECT digest FROM scim_credentials WHERE id = $1")
        .bind(&id)
        .fetch_one(&app.state.db.writer)
        .await
        .unwrap();
    assert!(!stored.contains(&secret) && !stored.contains(&secret["tcsc_".len()..]));
    // Its first use is recorded, and the listing shows it, never the secret.
    let (_, listed, _) = cli(&app, &["scim-credential", "list", "--workspace", "ws-acme"], None);
    let fields: Vec<&str> = listed.trim_end().split('\t').collect();
    assert_eq!(fields.len(), 4, "{listed}");
    assert_eq!(fields[0], id);
    assert!(fields[2].is_empty(), "not revoked: {listed}");
    assert!(!fields[3].is_empty(), "used once: {listed}");
    assert!(!listed.contains(&secret));

    // Nothing else opens it: another workspace's listing, a made-up secret, a host key's shape.
    let (_, elsewhere, _) = cli(&app, &["scim-credential", "list", "--workspace", "ws-globex"], None);
    assert!(elsewhere.is_empty(), "{elsewhere}");
    for other in [
        "tcsc_made-up",
        "",
        &secret[..secret.len() - 1],
        &secret.replace("tcsc_", "tchk_"),
    ] {
        assert!(
            scim::credential_of(&app.state.db.writer, other)
                .await
                .unwrap()
                .is_none(),
            "{other}"
        );
    }

    let (code, out, _) = cli(&app, &["scim-credential", "revoke", &id], None);
    assert_eq!((code, value(&out, "revoked")), (0, id.as_str()));
    let (code, _, err) = cli(&app, &["scim-credential", "revoke", &id], None);
    assert_eq!(
        (code, err.contains("no standing SCIM credential")),
        (2, true),
        "revoked already: {err}"
    );
    assert!(scim::credential_of(&app.state.db.writer, &secret)
        .await
        .unwrap()
        .is_none());

    // Both audited in Acme as the operator's, naming the credential; nothing in Globex.
    let changed = audit(&app, "ws-acme", "ada@acme.test", "scim_credential_changed").await;
    let reasons: Vec<&str> = changed.iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons, [format!("{id} revoked"), format!("{id} issued")]);
    assert!(changed.iter().all(|e| e["by_operator"] == true), "{changed:?}");
    assert!(audit(&app, "ws-globex", "gus@globex.test", "scim_credential_changed")
        .await
        .is_empty());
}

/// A SCIM request with a credential (or none), a body as `application/scim+json`.
async fn scim_call(app: &TestApp, method: Method, path: &str, credential: Option<&str>, body: Option<Value>) -> Reply {
    scim_with(app, method, path, credential, body, &[]).await
}

async fn scim_with(
    app: &TestApp,
    method: Method,
    path: &str,
    credential: Option<&str>,
    body: Option<Value>,
    headers: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder().method(method).uri(format!("/scim/v2{path}"));
    if let Some(c) = credential {
        req = req.header(header::AUTHORIZATION, format!("Bearer {c}"));
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/scim+json");
            Body::from(serde_json::to_vec(&v).unwrap())
        }
        None => Body::empty(),
    };
    app.raw(req.body(body).unwrap()).await
}

/// Creates a person or a group, and returns its id.
async fn created(app: &TestApp, path: &str, credential: &str, body: Value) -> String {
    let made = scim_call(app, Method::POST, path, Some(credential), Some(body)).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    made.body["id"].as_str().unwrap().to_owned()
}

/// Connects the workspace and issues its provider a credential.
async fn provisioned_by(app: &TestApp, ws: &str, domain: &str) -> String {
    connect(app, ws, domain).await;
    scim::issue(&app.state.db.writer, ws).await.unwrap().1
}

fn person(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": user_name,
        "externalId": format!("okta-{user_name}"),
        "name": {"givenName": "Cy", "familyName": "Tanaka"},
        "emails": [{"value": email, "type": "work", "primary": true}],
        "active": true
    })
}

fn deactivate() -> Value {
    // Okta's way: a replace without a path.
    json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": false}}]
    })
}

fn error_kind(reply: &Reply) -> (StatusCode, Option<&str>, bool) {
    (
        reply.status,
        reply.body["scimType"].as_str(),
        reply.headers[header::CONTENT_TYPE] == "application/scim+json"
            && reply.body["schemas"][0] == "urn:ietf:params:scim:api:messages:2.0:Error"
            && reply.body["status"].as_str() == Some(reply.status.as_str()),
    )
}

async fn a_provider_deactivating_a_person_offboards_them_and_reactivating_restores_only_the_membership(app: TestApp) {
    let credential = provisioned_by(&app, "ws-acme", "acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let mut tokens = Vec::new();
    for name in ["ci", "deploy", "backup"] {
        let t = app.create_token(&cy, "ws-acme", name).await;
        tokens.push((
            t["refresh_token"].as_str().unwrap().to_owned(),
            t["access_token"].as_str().unwrap().to_owned(),
        ));
    }
    let ben = app.sign_in("ben@acme.test").await;
    let introspector = app.create_token(&ben, "ws-acme", "introspector").await;
    let caller = format!("Bearer {}", introspector["access_token"].as_str().unwrap());

    // The provider pushes Cy, whose account exists: the record joins it.
    let created = scim_call(
        &app,
        Method::POST,
        "/Users",
        Some(&credential),
        Some(person("cy@acme.test", "cy@acme.test")),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.headers[header::CONTENT_TYPE], "application/scim+json");
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("su-"), "{id}");
    assert_eq!(
        created.headers[header::LOCATION],
        format!("http://issuer.test/scim/v2/Users/{id}").as_str()
    );
    assert_eq!(created.headers[header::ETAG], "W/\"1\"");
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["emails"][0]["value"], "cy@acme.test");
    assert_eq!(created.body["meta"]["version"], "W/\"1\"");

    // Okta deactivates them: a PATCH of `active`.
    let off = scim_call(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(&credential),
        Some(deactivate()),
    )
    .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    assert_eq!(off.body["active"], false);
    assert_eq!(off.headers[header::ETAG], "W/\"2\"");
    // At once: every refresh token gets invalid_grant, every access token is inactive and
    // refused, and Cy no longer reaches the workspace.
    for (refresh, access) in &tokens {
        let refused = app.refresh("tcc_acme", refresh).await;
        assert_eq!(
            (refused.status, refused.body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_grant"))
        );
        let seen = app
            .form("/oauth2/introspect", &[("token", access)], Some(&caller))
            .await;
        assert_eq!(seen.body["active"], false, "{}", seen.text);
        assert_eq!(app.whoami("ws-acme", access).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &cy).await.status,
        StatusCode::NOT_FOUND
    );
    // The admins see why, on every token.
    let page = app
        .get("/api/workspaces/ws-acme/admin/tokens?owner=u-cy&status=disabled", &ada)
        .await;
    let listed = page.body["tokens"].as_array().unwrap();
    assert!(listed.len() >= 3, "{}", page.text);
    for t in listed
        .iter()
        .filter(|t| ["ci", "deploy", "backup"].contains(&t["name"].as_str().unwrap()))
    {
        assert_eq!(t["disabled_cause"], "deprovisioned", "{t}");
        assert_eq!(t["disabled_reason"], "removed by the identity provider", "{t}");
    }
    // Audited with the provider as the actor.
    let removed = audit(&app, "ws-acme", "ada@acme.test", "member_removed").await;
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert_eq!(
        (removed[0]["by_provider"].clone(), removed[0]["owner"]["email"].clone()),
        (json!(true), json!("cy@acme.test"))
    );
    let disabled = audit(&app, "ws-acme", "ada@acme.test", "disabled").await;
    assert!(
        disabled.iter().filter(|e| e["by_provider"] == true).count() >= 3,
        "{disabled:?}"
    );

    // An admin cannot bring back with Add member someone the provider removed: only the
    // provider can.
    let re_added = app
        .post(
            "/api/workspaces/ws-acme/admin/members",
            &ada,
            json!({ "email": "cy@acme.test", "role": "member" }),
        )
        .await;
    assert_eq!(re_added.status, StatusCode::BAD_REQUEST, "{}", re_added.text);
    assert!(re_added.text.contains("email"), "{}", re_added.text);

    // Entra ID reactivates them, with its string boolean and a path: a member again, and the
    // tokens stay disabled.
    let on = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "True"}]
    });
    let back = scim_call(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(&credential),
        Some(on),
    )
    .await;
    assert_eq!(
        (back.status, back.body["active"].clone()),
        (StatusCode::OK, json!(true)),
        "{}",
        back.text
    );
    let cy = app.sign_in("cy@acme.test").await;
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &cy).await.status,
        StatusCode::OK
    );
    for (refresh, _) in &tokens {
        assert_eq!(app.refresh("tcc_acme", refresh).await.status, StatusCode::BAD_REQUEST);
    }
    let added = audit(&app, "ws-acme", "ada@acme.test", "member_added").await;
    assert!(
        added[0]["reason"]
            .as_str()
            .unwrap()
            .contains("restored by the identity provider"),
        "{added:?}"
    );

    // DELETE deprovisions too, and the record is gone; the account and its tokens stay.
    let gone = scim_call(&app, Method::DELETE, &format!("/Users/{id}"), Some(&credential), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    assert_eq!(
        scim_call(&app, Method::GET, &format!("/Users/{id}"), Some(&credential), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &cy).await.status,
        StatusCode::NOT_FOUND
    );
    let kept = app.get("/api/workspaces/ws-acme/admin/tokens?owner=u-cy", &ada).await;
    assert!(kept.body["total"].as_u64().unwrap() >= 3);
}

async fn scim_lists_filter_page_and_refuse_clearly(app: TestApp) {
    let credential = provisioned_by(&app, "ws-acme", "acme.test").await;
    for who in ["dee", "eli", "fay"] {
        let email = format!("{who}@acme.test");
        let made = scim_call(
            &app,
            Method::POST,
            "/Users",
            Some(&credential),
            Some(person(&email, &email)),
        )
        .await;
        assert_eq!(made.status, StatusCode::CREATED, "{}", made.text);
    }
    let list = |filter: &str| {
        let path = format!("/Users?filter={}", urlencoding(filter));
        let (app, credential) = (&app, credential.clone());
        async move { scim_call(app, Method::GET, &path, Some(&credential), None).await }
    };
    let names = |r: &Reply| -> Vec<String> {
        r.body["Resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["userName"].as_str().unwrap().to_owned())
            .collect()
    };
    // userName compares without case; externalId and emails.value; and, or.
    assert_eq!(names(&list("userName eq \"DEE@acme.test\"").await), ["dee@acme.test"]);
    assert_eq!(
        names(&list("externalId eq \"okta-eli@acme.test\"").await),
        ["eli@acme.test"]
    );
    assert_eq!(
        names(&list("emails.value eq \"fay@acme.test\"").await),
        ["fay@acme.test"]
    );
    assert_eq!(
        names(&list("userName eq \"dee@acme.test\" or emails[value eq \"fay@acme.test\"]").await),
        ["dee@acme.test", "fay@acme.test"]
    );
    assert!(names(&list("userName eq \"dee@acme.test\" and active eq false").await).is_empty());
    let all = list("userName sw \"\"").await;
    assert_eq!(all.body["totalResults"], 3, "{}", all.text);
    // Pages: startIndex is 1-based, count bounds the page, the total counts all matches.
    let page = scim_call(
        &app,
        Method::GET,
        "/Users?startIndex=2&count=1",
        Some(&credential),
        None,
    )
    .await;
    assert_eq!(
        (
            page.body["totalResults"].clone(),
            page.body["startIndex"].clone(),
            page.body["itemsPerPage"].clone()
        ),
        (json!(3), json!(2), json!(1))
    );
    assert_eq!(names(&page), ["eli@acme.test"]);
    // Only the attributes asked for, and always id.
    let few = scim_call(&app, Method::GET, "/Users?attributes=userName", Some(&credential), None).await;
    let first = &few.body["Resources"][0];
    assert!(
        first["id"].is_string() && first["userName"].is_string() && first.get("emails").is_none(),
        "{first}"
    );

    // Refusals are SCIM errors naming what is wrong, and write nothing.
    let before: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM scim_users")
        .fetch_one(&app.state.db.writer)
        .await
        .unwrap();
    let bad_filter = list("userName eq").await;
    assert_eq!(
        error_kind(&bad_filter),
        (StatusCode::BAD_REQUEST, Some("invalidFilter"), true),
        "{}",
        bad_filter.text
    );
    let twice = scim_call(
        &app,
        Method::POST,
        "/Users",
        Some(&credential),
        Some(person("Dee@ACME.test", "dee2@acme.test")),
    )
    .await;
    assert_eq!(
        error_kind(&twice),
        (StatusCode::CONFLICT, Some("uniqueness"), true),
        "{}",
        twice.text
    );
    let foreign = scim_call(
        &app,
        Method::POST,
        "/Users",
        Some(&credential),
        Some(person("gus@globex.test", "gus@globex.test")),
    )
    .await;
    assert_eq!(
        error_kind(&foreign),
        (StatusCode::BAD_REQUEST, Some("invalidValue"), true)
    );
    assert!(
        foreign.text.contains("emails") && foreign.text.contains("globex.test"),
        "{}",
        foreign.text
    );
    let lookalike = scim_call(
        &app,
        Method::POST,
        "/Users",
        Some(&credential),
        Some(person("аda@acme.test", "аda@acme.test")),
    )
    .await;
    assert_eq!(lookalike.status, StatusCode::BAD_REQUEST, "{}", lookalike.text);
    let nameless = scim_call(
        &app,
        Method::POST,
        "/Users",
        Some(&credential),
        Some(json!({"schemas": [], "emails": [{"value": "x@acme.test"}]})),
    )
    .await;
    assert_eq!(error_kind(&nameless).0, StatusCode::BAD_REQUEST);
    assert!(nameless.text.contains("userName"), "{}", nameless.text);
    let after: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM scim_users")
        .fetch_one(&app.state.db.writer)
        .await
        .unwrap();
    assert_eq!(before, after);
    // The credential's last error is what the Admins page will show.
    let (error,): (Option<String>,) = sqlx::query_as("SELECT last_error FROM scim_credentials")
        .fetch_one(&app.state.db.writer)
        .await
        .unwrap();
    assert!(error.unwrap().starts_with("400 userName"));

    // Versions: a GET naming the current one is 304; a write naming an old one is 412.
    let dee = list("userName eq \"dee@acme.test\"").await.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let same = scim_with(
        &app,
        Method::GET,
        &format!("/Users/{dee}"),
        Some(&credential),
        None,
        &[("if-none-match", "W/\"1\"")],
    )
    .await;
    assert_eq!(same.status, StatusCode::NOT_MODIFIED);
    let mut renamed = person("dee.park@acme.test", "dee@acme.test");
    renamed["name"]["givenName"] = json!("Dee");
    let stale = scim_with(
        &app,
        Method::PUT,
        &format!("/Users/{dee}"),
        Some(&credential),
        Some(renamed.clone()),
        &[("if-match", "W/\"7\"")],
    )
    .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED, "{}", stale.text);
    let put = scim_with(
        &app,
        Method::PUT,
        &format!("/Users/{dee}"),
        Some(&credential),
        Some(renamed),
        &[("if-match", "W/\"1\"")],
    )
    .await;
    assert_eq!(
        (put.status, put.body["userName"].clone()),
        (StatusCode::OK, json!("dee.park@acme.test")),
        "{}",
        put.text
    );
    // An address is an identity: it does not change (`emails` is immutable: RFC 7644 §3.5.1's
    // `mutability`, naming it).
    let moved = scim_call(
        &app,
        Method::PUT,
        &format!("/Users/{dee}"),
        Some(&credential),
        Some(person("dee.park@acme.test", "other@acme.test")),
    )
    .await;
    assert_eq!(
        error_kind(&moved),
        (StatusCode::BAD_REQUEST, Some("mutability"), true),
        "{}",
        moved.text
    );
    assert!(moved.text.contains("emails"), "{}", moved.text);

    // What is not supported says so.
    assert_eq!(
        scim_call(&app, Method::POST, "/Bulk", Some(&credential), Some(json!({})))
            .await
            .status,
        StatusCode::NOT_IMPLEMENTED
    );
    let sorted = scim_call(&app, Method::GET, "/Users?sortBy=userName", Some(&credential), None).await;
    assert_eq!(sorted.status, StatusCode::BAD_REQUEST);
    let config = scim_call(&app, Method::GET, "/ServiceProviderConfig", Some(&credential), None).await;
    assert_eq!(
        (
            config.body["patch"]["supported"].clone(),
            config.body["bulk"]["supported"].clone()
        ),
        (json!(true), json!(false))
    );
    let schemas = scim_call(&app, Method::GET, "/Schemas", Some(&credential), None).await;
    assert_eq!(schemas.body["totalResults"], 2);
}

async fn one_workspaces_credential_never_sees_or_touches_anothers_people(app: TestApp) {
    let acme = provisioned_by(&app, "ws-acme", "acme.test").await;
    let globex = provisioned_by(&app, "ws-globex", "globex.test").await;
    let dee = created(&app, "/Users", &acme, person("dee@acme.test", "dee@acme.test")).await;
    let group = created(
        &app,
        "/Groups",
        &acme,
        json!({"schemas": [], "displayName": "token-admins", "members": []}),
    )
    .await;
    // Globex's credential: Acme's people and groups do not exist for it.
    let listed = scim_call(&app, Method::GET, "/Users", Some(&globex), None).await;
    assert_eq!(listed.body["totalResults"], 0);
    for (method, path, body) in [
        (Method::GET, format!("/Users/{dee}"), None),
        (Method::PATCH, format!("/Users/{dee}"), Some(deactivate())),
        (
            Method::PUT,
            format!("/Users/{dee}"),
            Some(person("dee@acme.test", "dee@acme.test")),
        ),
        (Method::DELETE, format!("/Users/{dee}"), None),
        (Method::GET, format!("/Groups/{group}"), None),
        (Method::DELETE, format!("/Groups/{group}"), None),
    ] {
        let r = scim_call(&app, method.clone(), &path, Some(&globex), body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {path}: {}", r.text);
    }
    // Nor may it put Acme's people in its groups, or push Acme's addresses.
    let stolen = scim_call(
        &app,
        Method::POST,
        "/Groups",
        Some(&globex),
        Some(json!({"schemas": [], "displayName": "x", "members": [{"value": dee}]})),
    )
    .await;
    assert_eq!(stolen.status, StatusCode::BAD_REQUEST, "{}", stolen.text);
    let pushed = scim_call(
        &app,
        Method::POST,
        "/Users",
        Some(&globex),
        Some(person("ada@acme.test", "ada@acme.test")),
    )
    .await;
    assert_eq!(pushed.status, StatusCode::BAD_REQUEST, "{}", pushed.text);
    let still = scim_call(&app, Method::GET, &format!("/Users/{dee}"), Some(&acme), None).await;
    assert_eq!(still.body["active"], true);

    // No credential, a made-up one, a revoked one: 401 with the challenge; a workspace whose
    // connection was removed: 403, and its credential records why.
    let none = scim_call(&app, Method::GET, "/Users", None, None).await;
    assert_eq!(error_kind(&none), (StatusCode::UNAUTHORIZED, None, true));
    assert_eq!(none.headers[header::WWW_AUTHENTICATE], "Bearer realm=\"scim\"");
    assert_eq!(
        scim_call(&app, Method::GET, "/Users", Some("tcsc_made-up"), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Removing the workspace's connection revokes its credentials, audited: a connection set
    // again later is a new trust, and the old credentials do not come back with it.
    sso::remove(&app.state.db.writer, "ws-globex").await.unwrap();
    let off = scim_call(&app, Method::GET, "/Users", Some(&globex), None).await;
    assert_eq!(error_kind(&off), (StatusCode::UNAUTHORIZED, None, true), "{}", off.text);
    connect(&app, "ws-globex", "globex.test").await;
    assert_eq!(
        scim_call(&app, Method::GET, "/Users", Some(&globex), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let revoked = audit(&app, "ws-globex", "gus@globex.test", "scim_credential_changed").await;
    assert!(
        revoked[0]["reason"]
            .as_str()
            .unwrap()
            .contains("identity provider was removed"),
        "{revoked:?}"
    );
    let id: (String,) = sqlx::query_as("SELECT id FROM scim_credentials WHERE workspace_id = 'ws-acme'")
        .fetch_one(&app.state.db.writer)
        .await
        .unwrap();
    scim::revoke(&app.state.db.writer, &id.0).await.unwrap();
    assert_eq!(
        scim_call(&app, Method::GET, "/Users", Some(&acme), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

async fn the_admin_group_makes_admins_and_never_leaves_the_workspace_without_one(app: TestApp) {
    let credential = provisioned_by(&app, "ws-acme", "acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let cy = created(&app, "/Users", &credential, person("cy@acme.test", "cy@acme.test")).await;
    let group = scim_call(
        &app,
        Method::POST,
        "/Groups",
        Some(&credential),
        Some(json!({"schemas": [], "displayName": "Token-Admins"})),
    )
    .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text);
    let group = group.body["id"].as_str().unwrap().to_owned();
    let role = |who: &'static str| {
        let (app, ada) = (&app, ada.clone());
        async move {
            let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
            members.body["admins"].as_array().unwrap().iter().any(|a| a == who)
        }
    };
    assert!(!role("u-cy").await);
    // Added to the admin group (named without regard to case): an admin.
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": cy}]}]});
    let added = scim_call(
        &app,
        Method::PATCH,
        &format!("/Groups/{group}"),
        Some(&credential),
        Some(add),
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.text);
    assert!(role("u-cy").await);
    let user = scim_call(&app, Method::GET, &format!("/Users/{cy}"), Some(&credential), None).await;
    assert_eq!(user.body["groups"][0]["value"], group.as_str());
    // Removed from it (the filter form Okta sends): a member again, audited as the provider's.
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": format!("members[value eq \"{cy}\"]")}]});
    let removed = scim_call(
        &app,
        Method::PATCH,
        &format!("/Groups/{group}"),
        Some(&credential),
        Some(remove),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    assert!(!role("u-cy").await);
    let changed = audit(&app, "ws-acme", "ada@acme.test", "role_changed").await;
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(changed.iter().all(|e| e["by_provider"] == true));

    // The last admin stays one when the group no longer holds them.
    let ada_id = created(&app, "/Users", &credential, person("ada@acme.test", "ada@acme.test")).await;
    let put = json!({"schemas": [], "displayName": "token-admins", "members": [{"value": ada_id}]});
    let held = scim_call(
        &app,
        Method::PUT,
        &format!("/Groups/{group}"),
        Some(&credential),
        Some(put),
    )
    .await;
    assert_eq!(held.body["members"][0]["value"], ada_id.as_str(), "{}", held.text);
    let emptied = json!({"schemas": [], "displayName": "token-admins", "members": []});
    let r = scim_call(
        &app,
        Method::PUT,
        &format!("/Groups/{group}"),
        Some(&credential),
        Some(emptied),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(role("u-ada").await, "the last admin");
}

/// The names of the sub-attributes the served schema `schema` declares for `attribute`.
async fn declared(app: &TestApp, credential: &str, schema: &str, attribute: &str) -> Vec<String> {
    let served = scim_call(app, Method::GET, &format!("/Schemas/{schema}"), Some(credential), None).await;
    assert_eq!(served.status, StatusCode::OK, "{}", served.text);
    let attr = served.body["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == attribute)
        .unwrap_or_else(|| panic!("{schema} declares no {attribute}"))
        .clone();
    attr["subAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

/// What scim2-tester (end2end/scim/check.py) found: answers carrying a sub-attribute the served
/// schemas do not declare (`type` of a group's members and of a person's groups), which a client
/// reading answers by the schemas refuses; and queries by POST (RFC 7644 §3.4.3) answered 404 or
/// 405 as if `.search` were no endpoint, where RFC 7644 §3.12 says 501.
async fn every_sub_attribute_an_answer_carries_is_declared_and_post_queries_are_not_supported(app: TestApp) {
    let credential = provisioned_by(&app, "ws-acme", "acme.test").await;
    let dee = created(&app, "/Users", &credential, person("dee@acme.test", "dee@acme.test")).await;
    let group = scim_call(
        &app,
        Method::POST,
        "/Groups",
        Some(&credential),
        Some(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "readers",
            "members": [{"value": dee}]}),
        ),
    )
    .await;
    assert_eq!(group.status, StatusCode::CREATED, "{}", group.text);
    let gid = group.body["id"].as_str().unwrap().to_owned();
    let user = scim_call(&app, Method::GET, &format!("/Users/{dee}"), Some(&credential), None).await;
    for (answer, schema, attribute) in [
        (
            &scim_call(&app, Method::GET, &format!("/Groups/{gid}"), Some(&credential), None)
                .await
                .body,
            "urn:ietf:params:scim:schemas:core:2.0:Group",
            "members",
        ),
        (&user.body, "urn:ietf:params:scim:schemas:core:2.0:User", "groups"),
        (&user.body, "urn:ietf:params:scim:schemas:core:2.0:User", "emails"),
    ] {
        let names = declared(&app, &credential, schema, attribute).await;
        let values = answer[attribute].as_array().unwrap();
        assert!(!values.is_empty(), "{answer}");
        for value in values {
            for key in value.as_object().unwrap().keys() {
                assert!(
                    names.contains(key),
                    "{attribute}.{key} is answered but {schema} does not declare it ({names:?})"
                );
            }
        }
    }

    // POST queries, at the root or of one resource type: 501 as a SCIM error, after the credential.
    for path in ["/.search", "/Users/.search", "/Groups/.search"] {
        let query = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": "userName eq \"dee@acme.test\""});
        let refused = scim_call(&app, Method::POST, path, Some(&credential), Some(query.clone())).await;
        assert_eq!(
            error_kind(&refused),
            (StatusCode::NOT_IMPLEMENTED, None, true),
            "{path}: {}",
            refused.text
        );
        let anonymous = scim_call(&app, Method::POST, path, None, Some(query)).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

/// What scim2-tester found a PATCH doing silently: removing `active` read it as its default,
/// true, and reactivated a deactivated person; adding an address answered 200 and kept nothing
/// (or, added as primary, was refused as `invalidValue`). `emails` is immutable once set (RFC
/// 7644 §3.5.2): both are refused, `mutability` for the address, and nothing is written.
async fn a_patch_neither_removes_active_nor_adds_or_changes_an_address(app: TestApp) {
    let credential = provisioned_by(&app, "ws-acme", "acme.test").await;
    let dee = created(&app, "/Users", &credential, person("dee@acme.test", "dee@acme.test")).await;
    let at = format!("/Users/{dee}");
    let patch = |operations: Value| {
        let (app, credential, at) = (&app, credential.clone(), at.clone());
        async move {
            let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations});
            scim_call(app, Method::PATCH, &at, Some(&credential), Some(body)).await
        }
    };
    let off = patch(json!([{"op": "replace", "path": "active", "value": false}])).await;
    assert_eq!(off.body["active"], false, "{}", off.text);

    // Removing `active`, by its path or as null: refused, naming it; still deactivated.
    for operations in [
        json!([{"op": "remove", "path": "active"}]),
        json!([{"op": "replace", "value": {"Active": null}}]),
    ] {
        let removed = patch(operations).await;
        assert_eq!(
            error_kind(&removed),
            (StatusCode::BAD_REQUEST, Some("invalidValue"), true),
            "{}",
            removed.text
        );
        assert!(removed.text.contains("active"), "{}", removed.text);
    }
    let still = scim_call(&app, Method::GET, &at, Some(&credential), None).await;
    assert_eq!(
        (
            still.body["active"].clone(),
            still.headers[header::ETAG].to_str().unwrap()
        ),
        (json!(false), "W/\"2\"")
    );

    // Another address, primary or not, by path or not: `mutability`, naming `emails`.
    for operations in [
        json!([{"op": "add", "path": "emails", "value": [{"value": "dee.park@acme.test", "type": "home"}]}]),
        json!([{"op": "add", "path": "emails", "value": [{"value": "dee.park@acme.test", "primary": true}]}]),
        json!([{"op": "add", "value": {"emails": [{"value": "dee.park@acme.test"}]}}]),
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "dee.park@acme.test"}]),
    ] {
        let added = patch(operations.clone()).await;
        assert_eq!(
            error_kind(&added),
            (StatusCode::BAD_REQUEST, Some("mutability"), true),
            "{operations}: {}",
            added.text
        );
        assert!(added.text.contains("emails"), "{}", added.text);
    }
    let same = scim_call(&app, Method::GET, &at, Some(&credential), None).await;
    assert_eq!(
        same.body["emails"],
        json!([{"value": "dee@acme.test", "type": "work", "primary": true}])
    );
    assert_eq!(same.headers[header::ETAG], "W/\"2\"");
    // The address the person has, sent again (Entra ID's way), is no change.
    let again = patch(json!([{"op": "add", "path": "emails", "value": [{"value": "Dee@acme.test", "type": "work", "primary": true}]}])).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let again =
        patch(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "dee@acme.test"}])).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
}

/// A filter in a query string.
fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a review found: the membership follows what the provider says now, not what its record
/// said; an address given to someone new does not reopen an old account; a removal by an admin
/// is not the provider's to undo; a PUT without `active` keeps it; without an admin group,
/// groups leave roles alone; Okta's group rename (its `id` sent again) is taken.
async fn the_membership_follows_what_the_provider_says_and_nothing_more(app: TestApp) {
    let credential = provisioned_by(&app, "ws-acme", "acme.test").await;
    let ada = app.sign_in("ada@acme.test").await;
    let cy = app.sign_in("cy@acme.test").await;
    let token = app.create_token(&cy, "ws-acme", "kept by an inactive record").await;
    let refresh = token["refresh_token"].as_str().unwrap().to_owned();
    // An active member pushed as inactive is offboarded at once.
    let mut inactive = person("cy@acme.test", "cy@acme.test");
    inactive["active"] = json!(false);
    let made = scim_call(&app, Method::POST, "/Users", Some(&credential), Some(inactive)).await;
    assert_eq!(
        (made.status, made.body["active"].clone()),
        (StatusCode::CREATED, json!(false)),
        "{}",
        made.text
    );
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &cy).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.refresh("tcc_acme", &refresh).await.body["error"], "invalid_grant");
    // A PUT that leaves `active` out keeps it as it was.
    let id = made.body["id"].as_str().unwrap().to_owned();
    let mut unsaid = person("cy@acme.test", "cy@acme.test");
    unsaid.as_object_mut().unwrap().remove("active");
    let put = scim_call(
        &app,
        Method::PUT,
        &format!("/Users/{id}"),
        Some(&credential),
        Some(unsaid),
    )
    .await;
    assert_eq!(
        (put.status, put.body["active"].clone()),
        (StatusCode::OK, json!(false)),
        "{}",
        put.text
    );
    // Deleted, then the address pushed again (given to someone new): the old account does not
    // come back with it.
    scim_call(&app, Method::DELETE, &format!("/Users/{id}"), Some(&credential), None).await;
    let again = scim_call(
        &app,
        Method::POST,
        "/Users",
        Some(&credential),
        Some(person("cy@acme.test", "cy@acme.test")),
    )
    .await;
    assert_eq!(error_kind(&again).0, StatusCode::CONFLICT, "{}", again.text);
    assert!(again.text.contains("removed from the workspace"), "{}", again.text);
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &cy).await.status,
        StatusCode::NOT_FOUND
    );

    // Ben, pushed, then removed by an admin: the provider cannot bring him back.
    let ben = created(&app, "/Users", &credential, person("ben@acme.test", "ben@acme.test")).await;
    let removed = app
        .send(
            Method::DELETE,
            "/api/workspaces/ws-acme/admin/members/u-ben",
            Some(&ada),
            None,
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.text);
    let toggle = |on: bool| {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": on}]})
    };
    let path = format!("/Users/{ben}");
    assert_eq!(
        scim_call(&app, Method::PATCH, &path, Some(&credential), Some(toggle(false)))
            .await
            .status,
        StatusCode::OK
    );
    let back = scim_call(&app, Method::PATCH, &path, Some(&credential), Some(toggle(true))).await;
    assert_eq!(error_kind(&back).1, Some("invalidValue"), "{}", back.text);
    let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
    assert!(
        members.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["id"] != "u-ben"),
        "{}",
        members.text
    );

    // Without an admin group, a group changes nobody's role.
    sqlx::query("UPDATE sso_connections SET admin_group = NULL WHERE workspace_id = 'ws-acme'")
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    let ada_id = created(&app, "/Users", &credential, person("ada@acme.test", "ada@acme.test")).await;
    let dee = created(&app, "/Users", &credential, person("dee@acme.test", "dee@acme.test")).await;
    let group = json!({"schemas": [], "displayName": "Engineering", "members": [{"value": ada_id}, {"value": dee}]});
    created(&app, "/Groups", &credential, group).await;
    let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
    assert_eq!(members.body["admins"], json!(["u-ada"]), "{}", members.text);

    // Okta renames a group by sending its `id` again beside the new name: taken, and leaving
    // the admin group's name makes its members members again.
    sqlx::query("UPDATE sso_connections SET admin_group = 'token-admins' WHERE workspace_id = 'ws-acme'")
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    let admins = created(
        &app,
        "/Groups",
        &credential,
        json!({"schemas": [], "displayName": "token-admins",
        "members": [{"value": dee}]}),
    )
    .await;
    let dee_user: (String,) = sqlx::query_as("SELECT user_id FROM scim_users WHERE id = $1")
        .bind(&dee)
        .fetch_one(&app.state.db.writer)
        .await
        .unwrap();
    let is_admin = |who: String| {
        let (app, ada) = (&app, ada.clone());
        async move {
            let members = app.get("/api/workspaces/ws-acme/admin/members", &ada).await;
            members.body["admins"]
                .as_array()
                .unwrap_or_else(|| panic!("{}", members.text))
                .iter()
                .any(|a| a == who.as_str())
        }
    };
    assert!(is_admin(dee_user.0.clone()).await);
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"id": admins, "displayName": "former-admins"}}]});
    let renamed = scim_call(
        &app,
        Method::PATCH,
        &format!("/Groups/{admins}"),
        Some(&credential),
        Some(rename),
    )
    .await;
    assert_eq!(
        (renamed.status, renamed.body["displayName"].clone()),
        (StatusCode::OK, json!("former-admins")),
        "{}",
        renamed.text
    );
    assert!(!is_admin(dee_user.0).await);
    // A read-only attribute changed is still refused.
    let forged = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"id": "sg-other"}}]});
    let refused = scim_call(
        &app,
        Method::PATCH,
        &format!("/Groups/{admins}"),
        Some(&credential),
        Some(forged),
    )
    .await;
    assert_eq!(error_kind(&refused).1, Some("mutability"), "{}", refused.text);
}

crate::on_both_databases!(
    the_membership_follows_what_the_provider_says_and_nothing_more,
    the_operator_issues_lists_and_revokes_scim_credentials,
    a_provider_deactivating_a_person_offboards_them_and_reactivating_restores_only_the_membership,
    scim_lists_filter_page_and_refuse_clearly,
    one_workspaces_credential_never_sees_or_touches_anothers_people,
    the_admin_group_makes_admins_and_never_leaves_the_workspace_without_one,
    every_sub_attribute_an_answer_carries_is_declared_and_post_queries_are_not_supported,
    a_patch_neither_removes_active_nor_adds_or_changes_an_address,
);
