//! Every operation of the served OpenAPI document, called the way a client calls it when all
//! goes well, answers a success the document lists, in the content type it lists, with a body
//! its schema accepts; and a body holds no field its schema does not name (every object schema
//! is closed for this test), so a client generated from the document meets no surprise. The
//! failures are `serving::every_answer_to_a_bad_request_is_in_the_document`'s.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request};
use serde_json::{json, Value};

use crate::serving::{assert_documented, operations};
use crate::support::{Browser, Reply, TestApp};

/// `schema` with every object that names its properties closed to others.
fn closed(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(closed);
        }
        Value::Array(items) => items.iter_mut().for_each(closed),
        _ => {}
    }
}

/// Checks answers against the document they were served with.
struct Checker {
    doc: Value,
    /// Every operation answered with a documented success: (path as documented, method).
    met: BTreeSet<(String, String)>,
}

impl Checker {
    fn operation(&self, method: &Method, path: &str) -> Value {
        operations(&self.doc)
            .into_iter()
            .find(|(p, m, _)| *p == path && m == method)
            .unwrap_or_else(|| panic!("{method} {path} is not in the document"))
            .2
            .clone()
    }

    /// What the schema of `method path`'s JSON answer `status` finds wrong with `body`.
    fn errors(&self, method: &Method, path: &str, status: &str, body: &Value) -> Vec<String> {
        let operation = self.operation(method, path);
        let content = &operation["responses"][status]["content"];
        let Some(content) = content
            .get("application/json")
            .or_else(|| content.get("application/scim+json"))
        else {
            return vec![];
        };
        let mut schema = content["schema"].clone();
        schema["components"] = self.doc["components"].clone();
        closed(&mut schema);
        let validator = jsonschema::draft202012::new(&schema)
            .unwrap_or_else(|e| panic!("{method} {path}: the document's schema does not compile: {e}"));
        validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    /// `reply` to `method path` (the path as documented): a documented success, its body valid.
    fn check(&mut self, method: &Method, path: &str, reply: &Reply) {
        let what = format!("{method} {path}");
        assert!(
            reply.status.is_success() || reply.status.is_redirection(),
            "{what} answered {}: {}",
            reply.status,
            reply.text
        );
        assert_documented(&self.operation(method, path), reply, &what);
        let errors = self.errors(method, path, reply.status.as_str(), &reply.body);
        assert!(
            errors.is_empty(),
            "{what} answered {} with a body its schema refuses:\n{}\n{}",
            reply.status,
            errors.join("\n"),
            reply.text
        );
        self.met.insert((path.to_owned(), method.as_str().to_owned()));
    }

    /// `reply` to an operation that only ever refuses (SCIM's `/Bulk` and `/Me`): documented,
    /// its body valid.
    fn check_refusal(&mut self, method: &Method, path: &str, reply: &Reply) {
        let what = format!("{method} {path}");
        assert_documented(&self.operation(method, path), reply, &what);
        let errors = self.errors(method, path, reply.status.as_str(), &reply.body);
        assert!(errors.is_empty(), "{what}: {}\n{}", errors.join("\n"), reply.text);
        self.met.insert((path.to_owned(), method.as_str().to_owned()));
    }
}

/// A SCIM request with the workspace's credential.
async fn scim(app: &TestApp, method: Method, path: &str, credential: &str, body: Option<Value>) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(format!("/scim/v2{path}"))
        .header(header::AUTHORIZATION, format!("Bearer {credential}"));
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/scim+json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    app.raw(req.body(body).unwrap()).await
}

/// Every SCIM operation, with the credential of Acme's provider.
async fn check_scim(app: &TestApp, c: &mut Checker) {
    let settings = token_server::store::sso::Settings {
        issuer: "https://idp.acme.test".to_owned(),
        client_id: "token-console".to_owned(),
        client_secret_sealed: token_server::secrets::seal(&app.state.sso_key, b"secret"),
        admin_group: Some("token-admins".to_owned()),
        domains: vec!["acme.test".to_owned()],
        required: false,
        trust_emails: false,
        sign_out_at_provider: false,
    };
    token_server::store::sso::set(&app.state.db.writer, "ws-acme", &settings)
        .await
        .unwrap();
    let (_, key) = token_server::store::scim::issue(&app.state.db.writer, "ws-acme")
        .await
        .unwrap();
    let key = key.as_str();
    for path in [
        "/ServiceProviderConfig",
        "/ResourceTypes",
        "/ResourceTypes/{name}",
        "/Schemas",
        "/Schemas/{id}",
    ] {
        let real = path
            .replace("{name}", "User")
            .replace("{id}", "urn:ietf:params:scim:schemas:core:2.0:Group");
        c.check(
            &Method::GET,
            &format!("/scim/v2{path}"),
            &scim(app, Method::GET, &real, key, None).await,
        );
    }
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "dee@acme.test", "externalId": "00u-dee",
        "name": {"givenName": "Dee", "familyName": "Park"}, "displayName": "Dee Park",
        "emails": [{"value": "dee@acme.test", "type": "work", "primary": true}]
    });
    let created = scim(app, Method::POST, "/Users", key, Some(user.clone())).await;
    c.check(&Method::POST, "/scim/v2/Users", &created);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let group = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "token-admins",
        "members": [{"value": id}]});
    let made = scim(app, Method::POST, "/Groups", key, Some(group.clone())).await;
    c.check(&Method::POST, "/scim/v2/Groups", &made);
    let gid = made.body["id"].as_str().unwrap().to_owned();
    c.check(
        &Method::GET,
        "/scim/v2/Users",
        &scim(app, Method::GET, "/Users", key, None).await,
    );
    c.check(
        &Method::GET,
        "/scim/v2/Users/{id}",
        &scim(app, Method::GET, &format!("/Users/{id}"), key, None).await,
    );
    c.check(
        &Method::PUT,
        "/scim/v2/Users/{id}",
        &scim(app, Method::PUT, &format!("/Users/{id}"), key, Some(user)).await,
    );
    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "displayName", "value": "Dee P."}]});
    c.check(
        &Method::PATCH,
        "/scim/v2/Users/{id}",
        &scim(app, Method::PATCH, &format!("/Users/{id}"), key, Some(patch.clone())).await,
    );
    c.check(
        &Method::GET,
        "/scim/v2/Groups",
        &scim(app, Method::GET, "/Groups", key, None).await,
    );
    c.check(
        &Method::GET,
        "/scim/v2/Groups/{id}",
        &scim(app, Method::GET, &format!("/Groups/{gid}"), key, None).await,
    );
    c.check(
        &Method::PUT,
        "/scim/v2/Groups/{id}",
        &scim(app, Method::PUT, &format!("/Groups/{gid}"), key, Some(group)).await,
    );
    c.check(
        &Method::PATCH,
        "/scim/v2/Groups/{id}",
        &scim(app, Method::PATCH, &format!("/Groups/{gid}"), key, Some(patch)).await,
    );
    c.check(
        &Method::DELETE,
        "/scim/v2/Groups/{id}",
        &scim(app, Method::DELETE, &format!("/Groups/{gid}"), key, None).await,
    );
    c.check(
        &Method::DELETE,
        "/scim/v2/Users/{id}",
        &scim(app, Method::DELETE, &format!("/Users/{id}"), key, None).await,
    );
    c.check_refusal(
        &Method::POST,
        "/scim/v2/Bulk",
        &scim(app, Method::POST, "/Bulk", key, Some(json!({}))).await,
    );
    c.check_refusal(
        &Method::GET,
        "/scim/v2/Me",
        &scim(app, Method::GET, "/Me", key, None).await,
    );
    for path in ["/.search", "/Users/.search", "/Groups/.search"] {
        let refused = scim(app, Method::POST, path, key, Some(json!({}))).await;
        c.check_refusal(&Method::POST, &format!("/scim/v2{path}"), &refused);
    }
}

async fn call(app: &TestApp, method: Method, path: &str, who: Option<&Browser>, body: Option<Value>) -> Reply {
    app.send(method, path, who, body).await
}

fn bearer(method: Method, path: &str, token: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

async fn every_successful_answer_matches_its_documented_schema(mut app: TestApp) {
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await.body;
    let mut c = Checker {
        doc: doc.clone(),
        met: BTreeSet::new(),
    };
    let ws = "/api/workspaces/{ws}";
    let at = |p: &str| p.replace("{ws}", "ws-acme");

    // The service and its discovery.
    for path in [
        "/healthz",
        "/readyz",
        "/.well-known/oauth-authorization-server",
        "/oauth2/jwks",
    ] {
        c.check(&Method::GET, path, &call(&app, Method::GET, path, None, None).await);
    }

    // A member's own tokens.
    let sign_in = json!({ "email": "ada@acme.test", "password": token_server::seed::DEMO_PASSWORD });
    let reply = call(&app, Method::POST, "/api/session", None, Some(sign_in)).await;
    c.check(&Method::POST, "/api/session", &reply);
    let ada = app.sign_in("ada@acme.test").await;
    let me = app.get("/api/me", &ada).await;
    c.check(&Method::GET, "/api/me", &me);
    // The checker can fail: a field the schema does not name, a wire word it does not list, a
    // required field missing.
    for (change, broken) in [
        ("an unnamed field", json!({"surprise": true})),
        ("a role spelt otherwise", json!({"workspaces": [{"role": "Admin"}]})),
    ] {
        let mut body = me.body.clone();
        merge(&mut body, &broken);
        assert!(
            !c.errors(&Method::GET, "/api/me", "200", &body).is_empty(),
            "{change} passed"
        );
    }
    let mut missing = me.body.clone();
    missing.as_object_mut().unwrap().remove("user");
    assert!(
        !c.errors(&Method::GET, "/api/me", "200", &missing).is_empty(),
        "a missing user passed"
    );
    let tokens = format!("{ws}/tokens");
    let made = call(
        &app,
        Method::POST,
        &at(&tokens),
        Some(&ada),
        Some(json!({"name": "conformance", "lifetime_days": 30, "all_permissions": true, "description": "checked"})),
    )
    .await;
    c.check(&Method::POST, &tokens, &made);
    let id = made.body["token"]["id"].as_str().unwrap().to_owned();
    let access = made.body["access_token"].as_str().unwrap().to_owned();
    let refresh = made.body["refresh_token"].as_str().unwrap().to_owned();
    let regenerated =
        json!({"name": "conformance", "lifetime_days": 30, "replaces": {"token_id": id, "overlap": "1d"}});
    c.check(
        &Method::POST,
        &tokens,
        &call(&app, Method::POST, &at(&tokens), Some(&ada), Some(regenerated)).await,
    );
    c.check(&Method::GET, &tokens, &app.get(&at(&tokens), &ada).await);
    let one = format!("{ws}/tokens/{{id}}");
    let mine = |p: &str, id: &str| at(p).replace("{id}", id);
    let edited = call(
        &app,
        Method::PATCH,
        &mine(&one, &id),
        Some(&ada),
        Some(json!({"description": "edited"})),
    )
    .await;
    c.check(&Method::PATCH, &one, &edited);
    let history = format!("{one}/history");
    c.check(&Method::GET, &history, &app.get(&mine(&history, &id), &ada).await);

    // The OAuth endpoints, as a client calls them.
    let whoami = "/api/resource/workspaces/{ws}/whoami";
    c.check(
        &Method::GET,
        whoami,
        &app.raw(bearer(Method::GET, &at(whoami), &access)).await,
    );
    let rotated = app.refresh("tcc_acme", &refresh).await;
    c.check(&Method::POST, "/oauth2/token", &rotated);
    let fresh = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    let introspected = app
        .form(
            "/oauth2/introspect",
            &[("token", &fresh)],
            Some(&format!("Bearer {}", rotated.body["access_token"].as_str().unwrap())),
        )
        .await;
    c.check(&Method::POST, "/oauth2/introspect", &introspected);
    assert_eq!(
        introspected.body["active"], true,
        "the introspection looked at a live token"
    );

    // The calendar feed.
    let calendar = format!("{ws}/calendar");
    let feed = call(&app, Method::POST, &at(&calendar), Some(&ada), Some(json!({}))).await;
    c.check(&Method::POST, &calendar, &feed);
    let url = feed.body["url"].as_str().unwrap();
    let feed_path = &url[url.find("/api/calendar/").unwrap()..];
    c.check(
        &Method::GET,
        "/api/calendar/{feed}",
        &call(&app, Method::GET, feed_path, None, None).await,
    );
    c.check(
        &Method::DELETE,
        &calendar,
        &call(&app, Method::DELETE, &at(&calendar), Some(&ada), None).await,
    );

    // A member's email notices.
    let notices = format!("{ws}/notices");
    c.check(&Method::GET, &notices, &app.get(&at(&notices), &ada).await);
    let set = call(
        &app,
        Method::PUT,
        &at(&notices),
        Some(&ada),
        Some(json!({"email": false})),
    )
    .await;
    c.check(&Method::PUT, &notices, &set);

    // The Admins page.
    let admin = format!("{ws}/admin");
    for path in [
        "audit",
        "audit.csv",
        "members",
        "tokens",
        "tokens.csv",
        "tokens/summary",
    ] {
        let path = format!("{admin}/{path}");
        c.check(&Method::GET, &path, &app.get(&at(&path), &ada).await);
    }
    let page = app
        .get(&at(&format!("{admin}/tokens?count=exact&q=nothing-matches-this")), &ada)
        .await;
    let by_filter = json!({
        "action": "disable",
        "filter": {"q": "nothing-matches-this"},
        "as_of": page.body["as_of"],
        "expected_count": page.body["total"],
        "reason": "conformance",
    });
    let path = format!("{admin}/tokens/batch-by-filter");
    c.check(
        &Method::POST,
        &path,
        &call(&app, Method::POST, &at(&path), Some(&ada), Some(by_filter)).await,
    );
    let path = format!("{admin}/tokens/lookup");
    let lookup = call(
        &app,
        Method::POST,
        &at(&path),
        Some(&ada),
        Some(json!({"token": fresh})),
    )
    .await;
    c.check(&Method::POST, &path, &lookup);
    let path = format!("{admin}/policy");
    let policy = json!({"max_lifetime_days": 365, "creators": "members",
        "permissions": [{"name": "datasets:read", "description": "Read datasets"}, {"name": "jobs:run"}],
        "allow_all_permissions": true, "allowed_ranges": []});
    c.check(
        &Method::PUT,
        &path,
        &call(&app, Method::PUT, &at(&path), Some(&ada), Some(policy)).await,
    );
    // A token of one permission and one range, as an API checks it.
    let scoped = call(
        &app,
        Method::POST,
        &at(&tokens),
        Some(&ada),
        Some(
            json!({"name": "scoped", "lifetime_days": 30, "permissions": ["datasets:read"], "ranges": ["127.0.0.0/8"]}),
        ),
    )
    .await;
    c.check(&Method::POST, &tokens, &scoped);
    let can = "/api/resource/workspaces/{ws}/can/{permission}";
    let scoped_access = scoped.body["access_token"].as_str().unwrap();
    c.check(
        &Method::GET,
        can,
        &app.raw(bearer(
            Method::GET,
            &at(can).replace("{permission}", "datasets:read"),
            scoped_access,
        ))
        .await,
    );

    // Members: added with a link that sets a password, made admin, removed.
    let path = format!("{admin}/members");
    let added = call(
        &app,
        Method::POST,
        &at(&path),
        Some(&ada),
        Some(json!({"email": "conformance@acme.test", "role": "member"})),
    )
    .await;
    c.check(&Method::POST, &path, &added);
    let user = added.body["member"]["id"].as_str().unwrap().to_owned();
    let link = added.body["set_password_link"].as_str().unwrap();
    let secret = &link[link.find('#').unwrap() + 1..];
    let set = json!({"token": secret, "password": "a conformance password"});
    c.check(
        &Method::POST,
        "/api/password",
        &call(&app, Method::POST, "/api/password", None, Some(set)).await,
    );
    let member = format!("{admin}/members/{{user}}");
    let role = format!("{member}/role");
    let path = at(&role).replace("{user}", &user);
    c.check(
        &Method::PUT,
        &role,
        &call(&app, Method::PUT, &path, Some(&ada), Some(json!({"role": "admin"}))).await,
    );
    let path = at(&member).replace("{user}", &user);
    c.check(
        &Method::DELETE,
        &member,
        &call(&app, Method::DELETE, &path, Some(&ada), None).await,
    );

    // Acting on tokens: an admin's, then the member's own.
    let ben = app.sign_in("ben@acme.test").await;
    let bens: Vec<String> = new_tokens(&app, &ben, 3).await;
    let path = format!("{admin}/tokens/{{id}}/disable");
    let disabled = call(
        &app,
        Method::POST,
        &mine(&path, &bens[0]),
        Some(&ada),
        Some(json!({"reason": "conformance"})),
    )
    .await;
    c.check(&Method::POST, &path, &disabled);
    let path = format!("{admin}/tokens/batch");
    let batch = json!({"action": "disable", "ids": [bens[1]], "reason": "conformance"});
    c.check(
        &Method::POST,
        &path,
        &call(&app, Method::POST, &at(&path), Some(&ada), Some(batch)).await,
    );
    let path = format!("{admin}/tokens/{{id}}");
    c.check(
        &Method::DELETE,
        &path,
        &call(&app, Method::DELETE, &mine(&path, &bens[2]), Some(&ada), None).await,
    );
    let own: Vec<String> = new_tokens(&app, &ada, 2).await;
    let path = format!("{one}/disable");
    c.check(
        &Method::POST,
        &path,
        &call(&app, Method::POST, &mine(&path, &own[0]), Some(&ada), Some(json!({}))).await,
    );
    let path = format!("{tokens}/batch");
    let batch = json!({"action": "delete", "ids": [own[0]]});
    c.check(
        &Method::POST,
        &path,
        &call(&app, Method::POST, &at(&path), Some(&ada), Some(batch)).await,
    );
    c.check(
        &Method::DELETE,
        &one,
        &call(&app, Method::DELETE, &mine(&one, &own[1]), Some(&ada), None).await,
    );

    // Signing in through the workspace's identity provider, and its connection.
    let provider = crate::sso::Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let start = crate::sso::post_start(&app, json!({"domain": "acme.test"})).await;
    c.check(&Method::GET, "/api/sso/start", &start);
    let started = crate::sso::started(&start);
    let person = crate::sso::person("sub-conformance", "sso@acme.test", &[]);
    let code = provider.code_for(&started, person, crate::sso::Alg::EdDsa);
    let query = format!("state={}&code={code}", started.state);
    let signed_in = crate::sso::callback(&app, &started, &started, &query).await;
    assert!(signed_in.set_cookie("tc_session").is_some(), "{}", signed_in.text);
    c.check(&Method::GET, "/api/sso/callback/{workspace}", &signed_in);
    let path = format!("{ws}/sso");
    c.check(
        &Method::GET,
        &path,
        &call(&app, Method::GET, &at(&path), Some(&ada), None).await,
    );

    // A host signing its member in to the embedded panel with a ticket.
    let (_, host_key) = token_server::store::host::create_key(&app.state.db.writer, "ws-acme", "http://host.test")
        .await
        .unwrap()
        .unwrap();
    let mint = Request::builder()
        .method(Method::POST)
        .uri("/api/host/tickets")
        .header(header::AUTHORIZATION, format!("Bearer {host_key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"email": "ben@acme.test"}).to_string()))
        .unwrap();
    let ticket = app.raw(mint).await;
    c.check(&Method::POST, "/api/host/tickets", &ticket);
    let exchange = Request::builder()
        .method(Method::POST)
        .uri("/api/host/session")
        .header(header::ORIGIN, "http://host.test")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"ticket": ticket.body["ticket"]}).to_string()))
        .unwrap();
    c.check(&Method::POST, "/api/host/session", &app.raw(exchange).await);

    // The end of a refresh token, and of the sessions.
    let revoked = app
        .form("/oauth2/revoke", &[("token", &fresh), ("client_id", "tcc_acme")], None)
        .await;
    c.check(&Method::POST, "/oauth2/revoke", &revoked);
    c.check(
        &Method::DELETE,
        "/api/sessions",
        &call(&app, Method::DELETE, "/api/sessions", Some(&ben), None).await,
    );
    c.check(
        &Method::DELETE,
        "/api/session",
        &call(&app, Method::DELETE, "/api/session", Some(&ada), None).await,
    );

    check_scim(&app, &mut c).await;

    // A leak report from GitHub's secret scanning, signed, naming a live token and a stranger.
    let scanner = crate::leaks::Scanner::start().await;
    scanner.configure(&mut app).await;
    let live = app.create_token(&ben_again(&app).await, "ws-acme", "to leak").await;
    let report = json!([
        crate::leaks::found(
            live["refresh_token"].as_str().unwrap(),
            "https://github.com/acme/app/blob/main/.env"
        ),
        crate::leaks::found("tcr_not-ours", "https://github.com/acme/app/blob/main/.env"),
    ]);
    let taken = app.raw(scanner.signed(report.to_string().as_bytes())).await;
    c.check(&Method::POST, crate::leaks::PATH, &taken);

    // Audit streaming to a receiver on loopback (development mode): added, listed, tested,
    // paused, removed.
    app.reconfigure(|c| c.development = true).await;
    let receiver = crate::streams::Receiver::start().await;
    let ada = app.sign_in("ada@acme.test").await;
    let streams = at(&format!("{ws}/admin/streams"));
    let added = call(
        &app,
        Method::POST,
        &streams,
        Some(&ada),
        Some(json!({"url": receiver.url, "headers": [{"name": "X-Key", "value": "k"}]})),
    )
    .await;
    receiver.know_secret(added.body["secret"].as_str().unwrap());
    c.check(&Method::POST, &format!("{ws}/admin/streams"), &added);
    c.check(
        &Method::GET,
        &format!("{ws}/admin/streams"),
        &call(&app, Method::GET, &streams, Some(&ada), None).await,
    );
    let one = format!("{streams}/{}", added.body["destination"]["id"].as_str().unwrap());
    let tested = call(&app, Method::POST, &format!("{one}/test"), Some(&ada), None).await;
    c.check(&Method::POST, &format!("{ws}/admin/streams/{{id}}/test"), &tested);
    let paused = call(&app, Method::PATCH, &one, Some(&ada), Some(json!({"state": "paused"}))).await;
    c.check(&Method::PATCH, &format!("{ws}/admin/streams/{{id}}"), &paused);
    let removed = call(&app, Method::DELETE, &one, Some(&ada), None).await;
    c.check(&Method::DELETE, &format!("{ws}/admin/streams/{{id}}"), &removed);

    // Every operation was met: one added to the document without a call here fails.
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(p, m, _)| (p.to_owned(), m.as_str().to_owned()))
        .collect();
    let missed: Vec<_> = documented.difference(&c.met).collect();
    assert!(missed.is_empty(), "no successful call of {missed:?}: add one here");
}

/// `patch` laid over `value`: objects merged, the first item of an array patched.
fn merge(value: &mut Value, patch: &Value) {
    match (value, patch) {
        (Value::Object(v), Value::Object(p)) => {
            for (k, pv) in p {
                match v.get_mut(k) {
                    Some(existing) => merge(existing, pv),
                    None => {
                        v.insert(k.clone(), pv.clone());
                    }
                }
            }
        }
        (Value::Array(v), Value::Array(p)) => {
            if let (Some(first), Some(pv)) = (v.first_mut(), p.first()) {
                merge(first, pv);
            }
        }
        (v, p) => *v = p.clone(),
    }
}

/// Ben, signed in again (his sessions ended above).
async fn ben_again(app: &TestApp) -> Browser {
    app.sign_in("ben@acme.test").await
}

/// `n` new tokens of `who` in Acme, by id.
async fn new_tokens(app: &TestApp, who: &Browser, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for k in 0..n {
        ids.push(app.create_token_id(who, "ws-acme", &format!("to act on {k}")).await);
    }
    ids
}

/// What schemathesis (end2end/fuzz) found the document and the service disagreeing on: an
/// introspection caller with a bad access token was told `invalid_token`, a code the document's
/// error enum did not list; and an optional body sent as JSON `null`, which the document allows,
/// was refused.
async fn the_answers_a_fuzzer_found_undocumented_are_documented(app: TestApp) {
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await.body;
    let c = Checker {
        doc,
        met: BTreeSet::new(),
    };
    let bad = app
        .form(
            "/oauth2/introspect",
            &[("token", "anything")],
            Some("Bearer not-a-token"),
        )
        .await;
    assert_eq!(bad.status.as_u16(), 401);
    assert_eq!(bad.body["error"], "invalid_token");
    let errors = c.errors(&Method::POST, "/oauth2/introspect", "401", &bad.body);
    assert!(errors.is_empty(), "{errors:?}");

    let ada = app.sign_in("ada@acme.test").await;
    let id = app.create_token_id(&ada, "ws-acme", "sent null").await;
    let path = format!("/api/workspaces/ws-acme/tokens/{id}/disable");
    let disabled = call(&app, Method::POST, &path, Some(&ada), Some(Value::Null)).await;
    assert_eq!(disabled.status.as_u16(), 200, "{}", disabled.text);
    let path = format!("/api/workspaces/ws-acme/tokens/{id}");
    let deleted = call(&app, Method::DELETE, &path, Some(&ada), Some(Value::Null)).await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.text);
}

crate::on_both_databases!(
    every_successful_answer_matches_its_documented_schema,
    the_answers_a_fuzzer_found_undocumented_are_documented,
);
