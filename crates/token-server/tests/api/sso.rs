//! Sign-in through a workspace's identity provider, against a provider of the test's own on
//! loopback that answers as the test tells it: honestly, or as an attacker or a broken provider
//! would. Each attack of the issue is a test here, and each refusal leaves nothing behind.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use token_server::store::sso::{self, Settings};

use crate::support::{Browser, Reply, TestApp};

const CLIENT_ID: &str = "token-console";
const CLIENT_SECRET: &str = "the-provider-client-secret";

/// How the provider signs the next ID token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Alg {
    EdDsa,
    /// `alg: none`, no signature.
    None,
    /// HS256 with the client secret as the key: what a client that allowed HMAC would take.
    Hs256,
}

/// What the provider answers for one code.
#[derive(Clone)]
struct Grant {
    claims: Value,
    challenge: String,
    alg: Alg,
}

#[derive(Default)]
struct Inner {
    /// Published keys by id; the last one signs.
    keys: Vec<(String, SigningKey)>,
    codes: HashMap<String, Grant>,
    jwks_fetches: usize,
    secret: String,
    /// Pads the key set with this many bytes: a provider that streams more than it should.
    padding: usize,
    /// Offers no `end_session_endpoint` (no RP-Initiated Logout).
    no_sign_out: bool,
    /// Offers this `end_session_endpoint` instead of its own.
    sign_out_elsewhere: Option<String>,
}

/// The test's provider: discovery, keys, token and user info endpoints on loopback.
#[derive(Clone)]
pub(crate) struct Provider {
    issuer: String,
    inner: Arc<Mutex<Inner>>,
    _stop: Arc<tokio::sync::oneshot::Sender<()>>,
}

fn new_key(n: u8) -> (String, SigningKey) {
    let seed = token_server::secrets::random_bytes::<32>();
    (
        format!("key-{n}-{}", &URL_SAFE_NO_PAD.encode(seed)[..6]),
        SigningKey::from_bytes(&seed),
    )
}

impl Provider {
    pub(crate) async fn start() -> Provider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            keys: vec![new_key(1)],
            secret: CLIENT_SECRET.to_owned(),
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state((issuer.clone(), inner.clone()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Provider {
            issuer,
            inner,
            _stop: Arc::new(stop),
        }
    }

    /// Publishes a new key and signs with it from now on; the old one is withdrawn.
    fn rotate(&self) {
        let mut inner = self.inner.lock().unwrap();
        let n = u8::try_from(inner.keys.len()).unwrap() + 1;
        inner.keys = vec![new_key(n)];
    }

    fn jwks_fetches(&self) -> usize {
        self.inner.lock().unwrap().jwks_fetches
    }

    /// Connects a workspace of the app to this provider.
    pub(crate) async fn connect(&self, app: &TestApp, ws: &str, domains: &[&str], required: bool) {
        let settings = self.settings(app, domains, required);
        sso::set(&app.state.db.writer, ws, &settings).await.unwrap();
    }

    /// The operator's settings for this provider.
    fn settings(&self, app: &TestApp, domains: &[&str], required: bool) -> Settings {
        Settings {
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret_sealed: token_server::secrets::seal(&app.state.sso_key, CLIENT_SECRET.as_bytes()),
            admin_group: Some("token-admins".to_owned()),
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            required,
            trust_emails: false,
            sign_out_at_provider: false,
        }
    }
}

type ProviderState = State<(String, Arc<Mutex<Inner>>)>;

async fn discovery(State((issuer, inner)): ProviderState) -> Json<Value> {
    let mut document = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
    });
    let inner = inner.lock().unwrap();
    if !inner.no_sign_out {
        let endpoint = inner.sign_out_elsewhere.clone().unwrap_or(format!("{issuer}/logout"));
        document["end_session_endpoint"] = json!(endpoint);
    }
    Json(document)
}

async fn jwks(State((_, inner)): ProviderState) -> Json<Value> {
    let mut inner = inner.lock().unwrap();
    inner.jwks_fetches += 1;
    let keys: Vec<Value> = inner
        .keys
        .iter()
        .map(|(kid, key)| {
            json!({"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": kid,
                   "x": URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())})
        })
        .collect();
    Json(json!({ "keys": keys, "padding": "x".repeat(inner.padding) }))
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

/// An ID token as the grant says to make it.
fn id_token(inner: &Inner, grant: &Grant) -> String {
    match grant.alg {
        Alg::EdDsa => {
            let (kid, key) = inner.keys.last().unwrap();
            let input = format!(
                "{}.{}",
                b64(&json!({"alg": "EdDSA", "kid": kid, "typ": "JWT"})),
                b64(&grant.claims)
            );
            let sig = key.sign(input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
        }
        Alg::None => format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&grant.claims)),
        Alg::Hs256 => {
            use hmac::{Hmac, Mac};
            let input = format!("{}.{}", b64(&json!({"alg": "HS256", "typ": "JWT"})), b64(&grant.claims));
            let mut mac = Hmac::<Sha256>::new_from_slice(CLIENT_SECRET.as_bytes()).unwrap();
            mac.update(input.as_bytes());
            format!("{input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
        }
    }
}

async fn token(
    State((_, inner)): ProviderState,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> (StatusCode, Json<Value>) {
    let mut inner = inner.lock().unwrap();
    let basic = format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{}", inner.secret)));
    if headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_client"})));
    }
    let grant = form.get("code").and_then(|c| inner.codes.remove(c));
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let Some(grant) = grant.filter(|g| URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == g.challenge)
    else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "invalid_grant"})));
    };
    let id_token = id_token(&inner, &grant);
    let access = format!("at.{}", b64(&grant.claims));
    (
        StatusCode::OK,
        Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token})),
    )
}

/// The user info: the ID token's claims about the person, by the access token.
async fn userinfo(headers: HeaderMap) -> (StatusCode, Json<Value>) {
    let claims = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer at."))
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|c| serde_json::from_slice::<Value>(&c).ok());
    match claims {
        Some(c) => {
            let mut info = json!({});
            for k in ["sub", "email", "email_verified", "name", "groups"] {
                if let Some(v) = c.get(k) {
                    info[k] = v.clone();
                }
            }
            (StatusCode::OK, Json(info))
        }
        None => (StatusCode::UNAUTHORIZED, Json(json!({"error": "invalid_token"}))),
    }
}

/// A person at the provider.
pub(crate) fn person(sub: &str, email: &str, groups: &[&str]) -> Value {
    json!({"sub": sub, "email": email, "email_verified": true, "name": format!("Person {sub}"), "groups": groups})
}

/// A browser that has started a sign-in: its binding cookie and what the authorization address
/// carried.
pub(crate) struct Started {
    pub cookie: String,
    /// The redirect URI's path: the workspace's own callback.
    pub path: String,
    pub state: String,
    nonce: String,
    challenge: String,
}

/// The sign-in page's link, its query from `body`.
pub(crate) async fn post_start(app: &TestApp, body: Value) -> Reply {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in body.as_object().unwrap() {
        query.append_pair(k, v.as_str().unwrap());
    }
    app.send(Method::GET, &format!("/api/sso/start?{}", query.finish()), None, None)
        .await
}

/// The start, to the provider; or the refusal's word, where it sent the browser back.
async fn start(app: &TestApp, body: Value) -> Result<Started, String> {
    let reply = post_start(app, body).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let location = reply.headers[header::LOCATION].to_str().unwrap();
    if location.starts_with("/signin?") {
        return Err(refused(&reply));
    }
    Ok(started(&reply))
}

/// What a successful start told the browser, checked.
pub(crate) fn started(reply: &Reply) -> Started {
    let url = reply.headers[header::LOCATION].to_str().unwrap().to_owned();
    let query: HashMap<String, String> = form_urlencoded::parse(url.split_once('?').unwrap().1.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["response_type"], "code");
    let redirect = query["redirect_uri"].clone();
    assert!(
        redirect.starts_with("http://issuer.test/api/sso/callback/ws-"),
        "{redirect}"
    );
    let set = reply.set_cookie("tc_sso").expect("the binding cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/api/sso/callback"] {
        assert!(set.contains(attr), "{set} lacks {attr}");
    }
    Started {
        cookie: set.split(';').next().unwrap().to_owned(),
        path: redirect.trim_start_matches("http://issuer.test").to_owned(),
        state: query["state"].clone(),
        nonce: query["nonce"].clone(),
        challenge: query["code_challenge"].clone(),
    }
}

/// The provider's answer reaching the callback of the sign-in `at` started, in the browser
/// that holds `browser`'s cookie.
pub(crate) async fn callback(app: &TestApp, at: &Started, browser: &Started, query: &str) -> Reply {
    callback_at(app, &at.path, &browser.cookie, query).await
}

/// The provider's answer reaching `path` in the browser that holds `cookie`.
async fn callback_at(app: &TestApp, path: &str, cookie: &str, query: &str) -> Reply {
    let req = Request::builder()
        .uri(format!("{path}?{query}"))
        .header(header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    app.raw(req).await
}

impl Provider {
    /// The provider lets the person through: a code for `claims` (its nonce and audience
    /// filled in unless given), signed with `alg`.
    pub(crate) fn code_for(&self, started: &Started, mut claims: Value, alg: Alg) -> String {
        let now = chrono::Utc::now().timestamp();
        let defaults =
            json!({"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": started.nonce});
        for (k, v) in defaults.as_object().unwrap() {
            if claims.get(k).is_none() {
                claims[k] = v.clone();
            }
        }
        let code = token_server::secrets::random_id();
        let grant = Grant {
            claims,
            challenge: started.challenge.clone(),
            alg,
        };
        self.inner.lock().unwrap().codes.insert(code.clone(), grant);
        code
    }

    /// A whole sign-in through this provider for `workspace`: the callback's answer.
    async fn sign_in(&self, app: &TestApp, workspace: &str, claims: Value) -> Reply {
        let started = start(app, json!({"workspace": workspace})).await.expect("started");
        let code = self.code_for(&started, claims, Alg::EdDsa);
        callback(app, &started, &started, &format!("state={}&code={code}", started.state)).await
    }
}

/// The browser a successful callback signed in: its session and CSRF token (from `/api/me`).
async fn signed_in(app: &TestApp, reply: &Reply) -> Browser {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    let cookie = reply.session_cookie().trim_start_matches("tc_session=").to_owned();
    let me = app
        .send(
            Method::GET,
            "/api/me",
            Some(&Browser {
                cookie: cookie.clone(),
                csrf: String::new(),
            }),
            None,
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    Browser {
        cookie,
        csrf: me.body["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// Where a refused callback sends the browser, and that it signed nobody in.
fn refused(reply: &Reply) -> String {
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text);
    assert!(reply.set_cookie("tc_session").is_none(), "a refusal opens no session");
    let location = reply.headers[header::LOCATION].to_str().unwrap().to_owned();
    let query = location
        .strip_prefix("/signin?")
        .unwrap_or_else(|| panic!("not the sign-in page: {location}"));
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "sso_error")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no sso_error: {location}"))
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&app.state.db.pool).await.unwrap();
    n
}

/// The Acme audit trail's events of `action`, newest first.
async fn audit(app: &TestApp, action: &str) -> Vec<Value> {
    let ada = app.sign_in("ada@acme.test").await;
    let reply = app
        .get(&format!("/api/workspaces/ws-acme/admin/audit?action={action}"), &ada)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body["events"].as_array().unwrap().clone()
}

async fn a_first_sign_in_makes_a_member_who_lands_on_the_deep_link(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let started = start(
        &app,
        json!({"domain": "ACME.test", "return_to": "/admin/tokens?status=active"}),
    )
    .await
    .expect("the workspace is found from the email's domain");
    let claims = person("sub-new", "new.person@acme.test", &["token-admins"]);
    let code = provider.code_for(&started, claims, Alg::EdDsa);
    let reply = callback(
        &app,
        &started,
        &started,
        &format!("state={}&code={code}", started.state),
    )
    .await;
    assert_eq!(reply.headers[header::LOCATION], "/admin/tokens?status=active");
    let cleared = reply.set_cookie("tc_sso").unwrap();
    assert!(
        cleared.contains("Max-Age=0"),
        "the binding cookie is cleared: {cleared}"
    );
    let browser = signed_in(&app, &reply).await;
    let me = app.get("/api/me", &browser).await;
    assert_eq!(me.body["user"]["email"], "new.person@acme.test");
    assert_eq!(me.body["user"]["name"], "Person sub-new");
    assert_eq!(me.body["workspaces"].as_array().unwrap().len(), 1);
    assert_eq!(me.body["workspaces"][0]["id"], "ws-acme");
    assert_eq!(
        me.body["workspaces"][0]["role"], "admin",
        "the admin group makes an admin"
    );
    // The new member works: a token of their own.
    app.create_token(&browser, "ws-acme", "made after SSO").await;
    // Nobody knows the new account's password.
    let guess = app
        .sign_in_from("new.person@acme.test", "demo-password", "10.0.0.1")
        .await;
    assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    // Audited: the sign-in (naming issuer and subject) and the provisioning.
    let events = audit(&app, "sso_sign_in").await;
    let reason = events[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&provider.issuer) && reason.contains("sub-new") && reason.contains("a new account"),
        "{reason}"
    );
    let added = audit(&app, "member_added").await;
    assert!(
        added[0]["reason"]
            .as_str()
            .unwrap()
            .contains("by the identity provider"),
        "{added:?}"
    );
    // The connection shows it working, to the workspace's admins only, and never its secret.
    let ada = app.sign_in("ada@acme.test").await;
    let connection = app.get("/api/workspaces/ws-acme/sso", &ada).await;
    assert_eq!(connection.status, StatusCode::OK);
    assert_eq!(connection.body["state"], "working");
    assert_eq!(connection.body["domains"], json!(["acme.test"]));
    assert!(!connection.text.contains(CLIENT_SECRET));
    let ben = app.sign_in("ben@acme.test").await;
    assert_eq!(
        app.get("/api/workspaces/ws-acme/sso", &ben).await.status,
        StatusCode::FORBIDDEN
    );
}

async fn the_role_follows_the_admin_group_at_every_sign_in(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let admin = provider
        .sign_in(
            &app,
            "ws-acme",
            person("sub-r", "r@acme.test", &["staff", "token-admins"]),
        )
        .await;
    let browser = signed_in(&app, &admin).await;
    assert_eq!(
        app.get("/api/me", &browser).await.body["workspaces"][0]["role"],
        "admin"
    );
    // Taken out of the group at the provider: a member at the next sign-in, audited.
    let member = provider
        .sign_in(&app, "ws-acme", person("sub-r", "r@acme.test", &["staff"]))
        .await;
    let browser = signed_in(&app, &member).await;
    assert_eq!(
        app.get("/api/me", &browser).await.body["workspaces"][0]["role"],
        "member"
    );
    assert_eq!(
        app.get("/api/workspaces/ws-acme/admin/tokens", &browser).await.status,
        StatusCode::FORBIDDEN
    );
    let changed = audit(&app, "role_changed").await;
    let reason = changed[0]["reason"].as_str().unwrap();
    assert_eq!(reason, "from admin to member, by the identity provider's admin group");
    // The same person (issuer and subject), not a second account.
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users WHERE email = 'r@acme.test'").await,
        1
    );
}

async fn an_identity_joins_an_existing_account_only_with_a_verified_email_in_a_claimed_domain(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let users_before = count(&app, "SELECT COUNT(*) FROM users").await;
    // Cy has an account; an identity whose email the provider did not verify may not take it.
    let mut unverified = person("sub-cy", "cy@acme.test", &[]);
    unverified["email_verified"] = json!(false);
    let reply = provider.sign_in(&app, "ws-acme", unverified).await;
    assert_eq!(refused(&reply), "unverified_email");
    // Nor a verified one in a domain the workspace does not claim (Globex claims nothing).
    let other = Provider::start().await;
    other.connect(&app, "ws-globex", &[], false).await;
    let reply = other
        .sign_in(&app, "ws-globex", person("sub-ben", "ben@acme.test", &[]))
        .await;
    assert_eq!(refused(&reply), "unknown_domain");
    // Nothing half-made: no account, identity or session.
    assert_eq!(count(&app, "SELECT COUNT(*) FROM users").await, users_before);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM sso_identities").await, 0);
    let refusals = audit(&app, "sso_refused").await;
    assert!(
        refusals[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("unverified_email: "),
        "{refusals:?}"
    );
    // Verified, in the claimed domain: Cy's own account, with Cy's tokens.
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-cy", "cy@acme.test", &[]))
        .await;
    let browser = signed_in(&app, &reply).await;
    assert_eq!(app.get("/api/me", &browser).await.body["user"]["id"], "u-cy");
    assert!(app
        .token_names(&browser, "ws-acme")
        .await
        .contains(&"Grafana datasource".to_owned()));
    // Now the identity is the key: a later email change at the provider still finds Cy, and
    // another subject given Cy's verified email (an address reassigned at the provider) is
    // another person, who does not get Cy's account and tokens.
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-cy", "cy.renamed@acme.test", &[]))
        .await;
    assert_eq!(
        app.get("/api/me", &signed_in(&app, &reply).await).await.body["user"]["id"],
        "u-cy"
    );
    let reassigned = provider
        .sign_in(&app, "ws-acme", person("sub-other", "cy@acme.test", &[]))
        .await;
    assert_eq!(refused(&reassigned), "account_taken");
}

async fn a_session_from_one_workspaces_provider_reaches_no_other_workspace(app: TestApp) {
    // Ben is a member of Acme and Globex; Globex's provider vouches for him at Globex only.
    let provider = Provider::start().await;
    provider.connect(&app, "ws-globex", &["acme.test"], false).await;
    let reply = provider
        .sign_in(&app, "ws-globex", person("sub-ben", "ben@acme.test", &[]))
        .await;
    let browser = signed_in(&app, &reply).await;
    let me = app.get("/api/me", &browser).await;
    let ids: Vec<&str> = me.body["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ws-globex"]);
    assert_eq!(
        app.get("/api/workspaces/ws-globex/tokens", &browser).await.status,
        StatusCode::OK
    );
    for path in [
        "/api/workspaces/ws-acme/tokens",
        "/api/workspaces/ws-acme/admin/tokens",
        "/api/workspaces/ws-%61cme/tokens",
    ] {
        assert_eq!(app.get(path, &browser).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    let created = app
        .post(
            "/api/workspaces/ws-acme/tokens",
            &browser,
            json!({"name": "x", "lifetime_days": 1, "all_permissions": true}),
        )
        .await;
    assert_eq!(created.status, StatusCode::NOT_FOUND);
}

async fn a_required_provider_refuses_passwords_but_a_break_glass_account_audited(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], true).await;
    // Cy is a member of Acme only: the password opens nothing, and the refusal says what to do.
    let reply = app.sign_in_from("cy@acme.test", "demo-password", "10.0.0.2").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    assert_eq!(reply.body["errors"][0]["code"], "provider_required");
    assert!(reply.set_cookie("tc_session").is_none());
    // A wrong password is still only a wrong password: nothing told to a guesser.
    let wrong = app.sign_in_from("cy@acme.test", "not-the-password", "10.0.0.3").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // Ben is also in Globex: his password session reaches Globex, not Acme.
    let ben = app.sign_in("ben@acme.test").await;
    let me = app.get("/api/me", &ben).await;
    assert_eq!(me.body["workspaces"].as_array().unwrap().len(), 1);
    assert_eq!(me.body["workspaces"][0]["id"], "ws-globex");
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &ben).await.status,
        StatusCode::FORBIDDEN
    );
    // Ada is the operator's break-glass account: her password still works, and it is audited.
    assert!(
        sso::set_break_glass(&app.state.db.writer, "ws-acme", "ada@acme.test", true)
            .await
            .unwrap()
    );
    let ada = app.sign_in("ada@acme.test").await;
    assert_eq!(
        app.get("/api/workspaces/ws-acme/admin/tokens", &ada).await.status,
        StatusCode::OK
    );
    let used = audit(&app, "break_glass_sign_in").await;
    assert!(!used.is_empty(), "the break-glass sign-in is audited");
    assert_eq!(used[0]["actor"]["email"], "ada@acme.test");
    // Through the provider, Cy is in.
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-cy", "cy@acme.test", &[]))
        .await;
    let cy = signed_in(&app, &reply).await;
    assert_eq!(
        app.get("/api/workspaces/ws-acme/tokens", &cy).await.status,
        StatusCode::OK
    );
}

async fn a_state_works_once_in_the_browser_that_started_it(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let mine = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
    let theirs = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
    let code = provider.code_for(&mine, person("sub-s", "s@acme.test", &[]), Alg::EdDsa);
    // A state swapped into another browser (login CSRF): refused, and used up.
    let swapped = callback(&app, &theirs, &theirs, &format!("state={}&code={code}", mine.state)).await;
    assert_eq!(refused(&swapped), "expired");
    let again = callback(&app, &mine, &mine, &format!("state={}&code={code}", mine.state)).await;
    assert_eq!(refused(&again), "expired", "a state tried once is gone");
    // A fresh one signs in once; replayed, it finds nothing.
    let fresh = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
    let code = provider.code_for(&fresh, person("sub-s", "s@acme.test", &[]), Alg::EdDsa);
    let query = format!("state={}&code={code}", fresh.state);
    signed_in(&app, &callback(&app, &fresh, &fresh, &query).await).await;
    assert_eq!(refused(&callback(&app, &fresh, &fresh, &query).await), "expired");
    // No state, or one never issued.
    assert_eq!(refused(&callback(&app, &fresh, &fresh, "code=x").await), "expired");
    assert_eq!(
        refused(&callback(&app, &fresh, &fresh, "state=made-up&code=x").await),
        "expired"
    );
}

async fn id_tokens_that_fail_a_check_are_refused(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let now = chrono::Utc::now().timestamp();
    let base = person("sub-t", "t@acme.test", &["token-admins"]);
    let with = |k: &str, v: Value| {
        let mut c = base.clone();
        c[k] = v;
        c
    };
    let cases = [
        (
            "a wrong nonce",
            with("nonce", json!("not-the-nonce")),
            Alg::EdDsa,
            "invalid_token",
        ),
        (
            "another audience",
            with("aud", json!("another-client")),
            Alg::EdDsa,
            "invalid_token",
        ),
        (
            "two audiences, no azp",
            with("aud", json!([CLIENT_ID, "another-client"])),
            Alg::EdDsa,
            "invalid_token",
        ),
        (
            "another issuer",
            with("iss", json!("http://evil.test")),
            Alg::EdDsa,
            "invalid_token",
        ),
        ("alg none", base.clone(), Alg::None, "invalid_token"),
        (
            "HS256 with the client secret",
            base.clone(),
            Alg::Hs256,
            "invalid_token",
        ),
        ("expired", with("exp", json!(now - 600)), Alg::EdDsa, "clock_skew"),
    ];
    for (what, claims, alg, expected) in cases {
        let started = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
        let code = provider.code_for(&started, claims, alg);
        let reply = callback(
            &app,
            &started,
            &started,
            &format!("state={}&code={code}", started.state),
        )
        .await;
        assert_eq!(refused(&reply), expected, "{what}");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users WHERE email = 't@acme.test'").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions WHERE sso_workspace_id IS NOT NULL").await,
        0
    );
    let ada = app.sign_in("ada@acme.test").await;
    let connection = app.get("/api/workspaces/ws-acme/sso", &ada).await;
    assert_eq!(connection.body["state"], "failing");
    assert_eq!(connection.body["last_error"], "clock_skew");
}

async fn the_providers_refusals_and_outages_say_what_went_wrong(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    // The person declines consent.
    let started = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
    let reply = callback(
        &app,
        &started,
        &started,
        &format!("state={}&error=access_denied", started.state),
    )
    .await;
    assert_eq!(refused(&reply), "access_denied");
    // The provider says another issuer answered (RFC 9207 mix-up).
    let started = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
    let code = provider.code_for(&started, person("sub-m", "m@acme.test", &[]), Alg::EdDsa);
    let query = format!("state={}&code={code}&iss=http%3A%2F%2Fevil.test", started.state);
    let reply = callback(&app, &started, &started, &query).await;
    assert_eq!(refused(&reply), "invalid_token");
    // The provider no longer takes the service's client secret.
    provider.inner.lock().unwrap().secret = "rotated-at-the-provider".to_owned();
    let started = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
    let code = provider.code_for(&started, person("sub-m", "m@acme.test", &[]), Alg::EdDsa);
    let reply = callback(
        &app,
        &started,
        &started,
        &format!("state={}&code={code}", started.state),
    )
    .await;
    assert_eq!(refused(&reply), "client_refused");
    let ada = app.sign_in("ada@acme.test").await;
    let connection = app.get("/api/workspaces/ws-acme/sso", &ada).await;
    assert_eq!(
        (
            connection.body["state"].as_str(),
            connection.body["last_error"].as_str()
        ),
        (Some("failing"), Some("client_refused"))
    );
    // Unknown domains, no address, and workspaces without a provider: back to the sign-in
    // page, which says so, keeping where the person was going.
    for body in [
        json!({"domain": "nowhere.test"}),
        json!({"domain": "not a domain"}),
        json!({"domain": ""}),
        json!({"workspace": "ws-globex"}),
    ] {
        assert_eq!(
            start(&app, body.clone()).await.err().as_deref(),
            Some("no_provider"),
            "{body}"
        );
    }
    let reply = post_start(
        &app,
        json!({"domain": "nowhere.test", "return_to": "/w/ws-acme/tokens?q=a b"}),
    )
    .await;
    assert_eq!(
        reply.headers[header::LOCATION],
        "/signin?sso_error=no_provider&next=%2Fw%2Fws-acme%2Ftokens%3Fq%3Da+b"
    );
    let reply = post_start(&app, json!({"domain": "nowhere.test", "return_to": "//evil.example"})).await;
    assert_eq!(
        reply.headers[header::LOCATION],
        "/signin?sso_error=no_provider",
        "no foreign return address"
    );
    // A field the start does not take is named, and nothing is started.
    let reply = app
        .send(Method::GET, "/api/sso/start?email=x%40acme.test", None, None)
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.text);
    // The provider goes away: the start says so, and the admins see it failing.
    let down = Provider::start().await;
    down.connect(&app, "ws-globex", &[], false).await;
    drop(down);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        start(&app, json!({"workspace": "ws-globex"})).await.err().as_deref(),
        Some("unreachable")
    );
    let gus = app.sign_in("gus@globex.test").await;
    let connection = app.get("/api/workspaces/ws-globex/sso", &gus).await;
    assert_eq!(connection.body["last_error"], "unreachable");
}

async fn keys_rotated_at_the_provider_are_fetched_again(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    signed_in(
        &app,
        &provider
            .sign_in(&app, "ws-acme", person("sub-k", "k@acme.test", &[]))
            .await,
    )
    .await;
    signed_in(
        &app,
        &provider
            .sign_in(&app, "ws-acme", person("sub-k", "k@acme.test", &[]))
            .await,
    )
    .await;
    assert_eq!(provider.jwks_fetches(), 1, "the keys are cached");
    // Waits out the refetch floor, then rotates: the next ID token names a key the cache lacks.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    provider.rotate();
    signed_in(
        &app,
        &provider
            .sign_in(&app, "ws-acme", person("sub-k", "k@acme.test", &[]))
            .await,
    )
    .await;
    assert_eq!(provider.jwks_fetches(), 2, "fetched again once for the new key");
}

async fn a_person_an_admin_removed_is_not_let_back_in_by_the_provider(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-cy", "cy@acme.test", &[]))
        .await;
    signed_in(&app, &reply).await;
    let ada = app.sign_in("ada@acme.test").await;
    let removed = app
        .send(
            Method::DELETE,
            "/api/workspaces/ws-acme/admin/members/u-cy",
            Some(&ada),
            None,
        )
        .await;
    assert!(removed.status.is_success(), "{}", removed.text);
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-cy", "cy@acme.test", &[]))
        .await;
    assert_eq!(refused(&reply), "removed");
}

async fn the_operator_connects_a_workspace_from_the_command_line(app: TestApp) {
    use crate::onboarding::{cli, value};
    let provider = Provider::start().await;
    let set = |issuer: &str, extra: &[&str], secret: Option<&str>| {
        let mut args = vec![
            "sso",
            "set",
            "--workspace",
            "ws-acme",
            "--issuer",
            issuer,
            "--client-id",
            CLIENT_ID,
        ];
        args.extend(["--client-secret-stdin", "--admin-group", "token-admins"]);
        args.extend(extra);
        cli(&app, &args, secret)
    };
    // Refused before anything is written: a plain-http issuer that is not loopback, a domain
    // that is none, no secret, a provider that cannot be discovered.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    for (issuer, extra, secret, says) in [
        (
            "http://idp.example.com",
            &[][..],
            Some(CLIENT_SECRET),
            "must be an https URL",
        ),
        (
            provider.issuer.as_str(),
            &["--domain", "not a domain"][..],
            Some(CLIENT_SECRET),
            "is not a domain",
        ),
        (
            provider.issuer.as_str(),
            &[][..],
            None,
            "the client secret must be given on standard input",
        ),
        (closed.as_str(), &[][..], Some(CLIENT_SECRET), "could not be discovered"),
    ] {
        let (code, _, err) = set(issuer, extra, secret);
        assert_eq!(code, 2, "{issuer} {extra:?}: {err}");
        assert!(err.contains(says), "{err}");
    }
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sso_connections").await,
        0,
        "nothing written"
    );
    // Set: the redirect URI to register is printed; the secret is sealed, never shown.
    let secret_line = format!("{CLIENT_SECRET}\n");
    let (code, out, err) = set(
        &provider.issuer,
        &["--domain", "Acme.TEST", "--required", "--sign-out-at-provider"],
        Some(&secret_line),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        value(&out, "redirect_uri"),
        "https://tokens.initech.test/api/sso/callback/ws-acme"
    );
    assert_eq!(
        value(&out, "post_logout_redirect_uri"),
        "https://tokens.initech.test/signin"
    );
    let (sealed,): (String,) = sqlx::query_as("SELECT client_secret_sealed FROM sso_connections")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert!(!sealed.contains(CLIENT_SECRET));
    let (code, out, _) = cli(&app, &["sso", "show", "--workspace", "ws-acme"], None);
    assert_eq!(code, 0);
    assert_eq!(value(&out, "domains"), "acme.test");
    assert_eq!(value(&out, "required"), "true");
    assert_eq!(value(&out, "sign_out_at_provider"), "true");
    assert_eq!(value(&out, "state"), "unused");
    assert!(!out.contains(CLIENT_SECRET));
    // A domain is one workspace's.
    let (code, _, err) = cli(
        &app,
        &[
            "sso",
            "set",
            "--workspace",
            "ws-globex",
            "--issuer",
            &provider.issuer,
            "--client-id",
            "x",
            "--client-secret-stdin",
            "--domain",
            "acme.test",
        ],
        Some("s\n"),
    );
    assert_eq!(code, 2);
    assert!(err.contains("claimed by the workspace “Acme”"), "{err}");
    // The service opens the secret the command sealed (one key file): a sign-in goes through.
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-cli", "cli@acme.test", &[]))
        .await;
    let browser = signed_in(&app, &reply).await;
    // Passwords are refused in Acme now; the operator lets Ada's through, audited.
    let (code, out, err) = cli(
        &app,
        &["sso", "break-glass", "--workspace", "ws-acme", "ada@acme.test"],
        None,
    );
    assert_eq!((code, value(&out, "break_glass")), (0, "true"), "{err}");
    // Audited, by the operator.
    let changed = audit(&app, "sso_connection_changed").await;
    assert_eq!(changed[0]["by_operator"], true, "{changed:?}");
    assert!(
        changed[0]["reason"].as_str().unwrap().contains("required"),
        "{changed:?}"
    );
    // Break-glass for someone who is no member is refused; removing ends the SSO sessions.
    let (code, _, err) = cli(
        &app,
        &["sso", "break-glass", "--workspace", "ws-acme", "gus@globex.test"],
        None,
    );
    assert_eq!((code, err.contains("no member")), (2, true), "{err}");
    let (code, _, _) = cli(&app, &["sso", "remove", "--workspace", "ws-acme"], None);
    assert_eq!(code, 0);
    assert_eq!(app.get("/api/me", &browser).await.status, StatusCode::UNAUTHORIZED);
}

async fn an_answer_at_another_workspaces_address_is_a_mix_up(app: TestApp) {
    // Globex's provider is the attacker's; Acme's is honest. A sign-in the victim started at
    // Globex, passed by Globex's provider on to Acme's, comes back at Acme's address with
    // Globex's state: refused before the code goes to any token endpoint.
    let acme = Provider::start().await;
    acme.connect(&app, "ws-acme", &["acme.test"], false).await;
    let evil = Provider::start().await;
    evil.connect(&app, "ws-globex", &["globex.test"], false).await;
    let at_acme = start(&app, json!({"workspace": "ws-acme"})).await.unwrap();
    let victims = start(&app, json!({"workspace": "ws-globex"})).await.unwrap();
    assert_ne!(at_acme.path, victims.path, "each workspace has its own redirect URI");
    let code = acme.code_for(&at_acme, person("sub-ben", "ben@acme.test", &[]), Alg::EdDsa);
    let reply = callback(
        &app,
        &at_acme,
        &victims,
        &format!("state={}&code={code}", victims.state),
    )
    .await;
    assert_eq!(refused(&reply), "invalid_token");
    assert_eq!(
        acme.inner.lock().unwrap().codes.len(),
        1,
        "the code was sent to no token endpoint"
    );
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions WHERE sso_workspace_id IS NOT NULL").await,
        0
    );
}

async fn only_verified_addresses_in_claimed_domains_become_members(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let users = count(&app, "SELECT COUNT(*) FROM users").await;
    // Anyone a multi-tenant or social provider signs in, from another domain: nobody here.
    let stranger = provider
        .sign_in(&app, "ws-acme", person("sub-x", "x@gmail.test", &[]))
        .await;
    assert_eq!(refused(&stranger), "unknown_domain");
    // An unverified address in the claimed domain (self-registration at the provider): no.
    let mut unverified = person("sub-y", "y@acme.test", &[]);
    unverified["email_verified"] = json!(false);
    assert_eq!(
        refused(&provider.sign_in(&app, "ws-acme", unverified).await),
        "unverified_email"
    );
    // An address that looks like Cy's (Cyrillic letters): no.
    let lookalike = provider
        .sign_in(&app, "ws-acme", person("sub-z", "су@acme.test", &[]))
        .await;
    assert_eq!(refused(&lookalike), "account_taken");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM users").await,
        users,
        "no account made"
    );
    let refusals = audit(&app, "sso_refused").await;
    assert!(
        refusals
            .iter()
            .any(|e| e["reason"].as_str().unwrap().contains("x@gmail.test")),
        "{refusals:?}"
    );
}

async fn the_admin_group_never_leaves_a_workspace_without_an_admin(app: TestApp) {
    // Ada is Acme's only admin; a provider that sends no groups would demote her.
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-ada", "ada@acme.test", &[]))
        .await;
    let ada = signed_in(&app, &reply).await;
    assert_eq!(app.get("/api/me", &ada).await.body["workspaces"][0]["role"], "admin");
    let signed = audit(&app, "sso_sign_in").await;
    assert!(
        signed[0]["reason"].as_str().unwrap().contains("kept as admin"),
        "{signed:?}"
    );
    // Cy, not the last, follows the claim.
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-cy", "cy@acme.test", &["token-admins"]))
        .await;
    let cy = signed_in(&app, &reply).await;
    assert_eq!(app.get("/api/me", &cy).await.body["workspaces"][0]["role"], "admin");
    let reply = provider
        .sign_in(&app, "ws-acme", person("sub-ada", "ada@acme.test", &[]))
        .await;
    let ada = signed_in(&app, &reply).await;
    assert_eq!(app.get("/api/me", &ada).await.body["workspaces"][0]["role"], "member");
}

async fn a_providers_session_ends_only_its_own_workspaces_sessions(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-globex", &["acme.test"], false).await;
    let password = app.sign_in("ben@acme.test").await;
    let reply = provider
        .sign_in(&app, "ws-globex", person("sub-ben", "ben@acme.test", &[]))
        .await;
    let via_globex = signed_in(&app, &reply).await;
    let ended = app.send(Method::DELETE, "/api/sessions", Some(&via_globex), None).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/me", &via_globex).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/me", &password).await.status,
        StatusCode::OK,
        "not Globex's provider's to end"
    );
    // Another client, or another provider, set for Globex: the sessions the old one vouched for end.
    let reply = provider
        .sign_in(&app, "ws-globex", person("sub-ben", "ben@acme.test", &[]))
        .await;
    let via_globex = signed_in(&app, &reply).await;
    let other = Provider::start().await;
    other.connect(&app, "ws-globex", &["acme.test"], false).await;
    assert_eq!(app.get("/api/me", &via_globex).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me", &password).await.status, StatusCode::OK);
}

async fn signing_out_ends_the_providers_session_where_the_operator_asked(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    let sign_out = |browser: Browser| {
        let app = &app;
        async move {
            let reply = app.send(Method::DELETE, "/api/session", Some(&browser), None).await;
            assert!(
                reply.set_cookie("tc_session").is_some_and(|c| c.contains("Max-Age=0")),
                "the cookie is cleared: {:?}",
                reply.headers
            );
            assert_eq!(app.get("/api/me", &browser).await.status, StatusCode::UNAUTHORIZED);
            reply
        }
    };
    let ben = person("sub-ben", "ben@acme.test", &[]);
    // Not asked for: signing out ends our session only.
    let reply = provider.sign_in(&app, "ws-acme", ben.clone()).await;
    let signed_out = sign_out(signed_in(&app, &reply).await).await;
    assert_eq!(signed_out.status, StatusCode::NO_CONTENT);

    // Asked for: the page is told the provider's sign-out, for this client, coming back to the
    // sign-in page; no ID token in the address.
    let mut settings = provider.settings(&app, &["acme.test"], false);
    settings.sign_out_at_provider = true;
    sso::set(&app.state.db.writer, "ws-acme", &settings).await.unwrap();
    let reply = provider.sign_in(&app, "ws-acme", ben.clone()).await;
    let signed_out = sign_out(signed_in(&app, &reply).await).await;
    assert_eq!(signed_out.status, StatusCode::OK, "{}", signed_out.text);
    let url = signed_out.body["provider_sign_out_url"].as_str().unwrap();
    let (endpoint, query) = url.split_once('?').unwrap();
    assert_eq!(endpoint, format!("{}/logout", provider.issuer));
    let query: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    assert_eq!(query.get("client_id").map(String::as_str), Some(CLIENT_ID));
    assert_eq!(
        query.get("post_logout_redirect_uri").map(String::as_str),
        Some(format!("{}/signin", app.state.config.issuer()).as_str())
    );
    assert!(!query.contains_key("id_token_hint"), "{url}");

    // A password session of the same person, in the same workspace: ours alone to end.
    let password = app.sign_in("ben@acme.test").await;
    assert_eq!(sign_out(password).await.status, StatusCode::NO_CONTENT);
    // A host's ticket into the same workspace: the host's page is not sent to the provider.
    let (_, key) = token_server::store::host::create_key(&app.state.db.writer, "ws-acme", "http://host.test")
        .await
        .unwrap()
        .unwrap();
    let (ticket, _) = token_server::store::host::issue_ticket(
        &app.state.db.writer,
        &token_server::store::host::key_of(&app.state.db.pool, &key)
            .await
            .unwrap()
            .unwrap(),
        "ben@acme.test",
        None,
    )
    .await
    .unwrap()
    .unwrap();
    let opened =
        token_server::store::host::exchange(&app.state.db.writer, &ticket, Some("http://host.test"), false, None)
            .await
            .unwrap()
            .unwrap();
    let by_host = Browser {
        cookie: opened.cookie,
        csrf: opened.csrf_token,
    };
    assert_eq!(sign_out(by_host).await.status, StatusCode::NO_CONTENT);

    // A provider that offers no sign-out: ours ends, and the page stays.
    let quiet = Provider::start().await;
    quiet.inner.lock().unwrap().no_sign_out = true;
    let mut settings = quiet.settings(&app, &["acme.test"], false);
    settings.sign_out_at_provider = true;
    sso::set(&app.state.db.writer, "ws-acme", &settings).await.unwrap();
    let reply = quiet.sign_in(&app, "ws-acme", ben.clone()).await;
    assert_eq!(
        sign_out(signed_in(&app, &reply).await).await.status,
        StatusCode::NO_CONTENT
    );

    // One whose sign-out is a script or a plain-http hop off loopback: the page is sent nowhere.
    for elsewhere in ["javascript:alert(1)", "http://idp.example.com/logout"] {
        let odd = Provider::start().await;
        odd.inner.lock().unwrap().sign_out_elsewhere = Some(elsewhere.to_owned());
        let mut settings = odd.settings(&app, &["acme.test"], false);
        settings.sign_out_at_provider = true;
        sso::set(&app.state.db.writer, "ws-acme", &settings).await.unwrap();
        let reply = odd.sign_in(&app, "ws-acme", ben.clone()).await;
        let out = sign_out(signed_in(&app, &reply).await).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{elsewhere}: {}", out.text);
    }
}

async fn a_provider_that_answers_too_much_is_refused(app: TestApp) {
    let provider = Provider::start().await;
    provider.connect(&app, "ws-acme", &["acme.test"], false).await;
    provider.inner.lock().unwrap().padding = 2 << 20;
    assert_eq!(
        start(&app, json!({"workspace": "ws-acme"})).await.err().as_deref(),
        Some("unreachable")
    );
    let ada = app.sign_in("ada@acme.test").await;
    assert_eq!(
        app.get("/api/workspaces/ws-acme/sso", &ada).await.body["last_error"],
        "unreachable"
    );
}

crate::on_both_databases!(
    only_verified_addresses_in_claimed_domains_become_members,
    the_admin_group_never_leaves_a_workspace_without_an_admin,
    a_providers_session_ends_only_its_own_workspaces_sessions,
    a_provider_that_answers_too_much_is_refused,
    an_answer_at_another_workspaces_address_is_a_mix_up,
    the_operator_connects_a_workspace_from_the_command_line,
    a_first_sign_in_makes_a_member_who_lands_on_the_deep_link,
    the_role_follows_the_admin_group_at_every_sign_in,
    an_identity_joins_an_existing_account_only_with_a_verified_email_in_a_claimed_domain,
    a_session_from_one_workspaces_provider_reaches_no_other_workspace,
    a_required_provider_refuses_passwords_but_a_break_glass_account_audited,
    a_state_works_once_in_the_browser_that_started_it,
    id_tokens_that_fail_a_check_are_refused,
    the_providers_refusals_and_outages_say_what_went_wrong,
    keys_rotated_at_the_provider_are_fetched_again,
    a_person_an_admin_removed_is_not_let_back_in_by_the_provider,
    signing_out_ends_the_providers_session_where_the_operator_asked,
);
