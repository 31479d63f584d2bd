//! The service tried as an attacker and an operator would: retries after a lost response, racing
//! clients, junk beside honest requests, floods of sign-ins, the signing keys, the framework's
//! own rejections, and an audit trail that outlives the people in it. Each test began as a
//! failure reproduced on the service before its hardening.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::oauth::token_form;
use crate::support::TestApp;

/// A fresh token of Ben's in Acme: (id, refresh token).
async fn bens_token(app: &TestApp, name: &str) -> (String, String) {
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", name).await;
    (
        created["token"]["id"].as_str().unwrap().to_owned(),
        created["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn refreshed(app: &TestApp, token: &str) -> Value {
    let reply = app.refresh("tcc_acme", token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.body
}

async fn status_of(app: &TestApp, id: &str) -> String {
    let ben = app.sign_in("ben@acme.test").await;
    app.token(&ben, "ws-acme", id).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .bind(bind)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    n
}

/// A client whose answer was lost presents its token again and gets the same successor back,
/// with a working access token; the grant stays active and nothing counts as reuse.
async fn a_retry_after_a_lost_response_gets_the_same_successor(app: TestApp) {
    let (id, first) = bens_token(&app, "flaky network").await;
    let lost = refreshed(&app, &first).await;
    let retried = refreshed(&app, &first).await;
    assert_eq!(retried["refresh_token"], lost["refresh_token"]);
    assert_ne!(
        retried["access_token"], lost["access_token"],
        "a fresh access token each time"
    );
    let who = app.whoami("ws-acme", retried["access_token"].as_str().unwrap()).await;
    assert_eq!(who.status, StatusCode::OK, "{}", who.text);
    assert_eq!(status_of(&app, &id).await, "active");
    // The successor works; after that, the first token is a replay like any other.
    let next = refreshed(&app, lost["refresh_token"].as_str().unwrap()).await;
    assert_eq!(app.refresh("tcc_acme", &first).await.body["error"], "invalid_grant");
    assert_eq!(status_of(&app, &id).await, "disabled");
    assert_eq!(
        app.refresh("tcc_acme", next["refresh_token"].as_str().unwrap())
            .await
            .body["error"],
        "invalid_grant"
    );
    let reuse = "SELECT COUNT(*) FROM audit_events WHERE grant_id = $1 AND action = 'reuse_detected'";
    assert_eq!(count(&app, reuse, &id).await, 1);
    // The database alone does not yield a successor: it is sealed under a key derived from the
    // presented token, which the database keeps only as a digest.
    let (digest, sealed): (String, Option<String>) = sqlx::query_as(
        "SELECT digest, successor_sealed FROM rotated_refresh_tokens WHERE grant_id = $1 ORDER BY rotated_at LIMIT 1",
    )
    .bind(&id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    let sealed = sealed.expect("sealed within the window");
    let open = |key: [u8; 32]| token_server::secrets::open(&key, &sealed).map(|p| String::from_utf8(p).unwrap());
    assert_eq!(
        open(token_server::store::refresh::successor_key(&first)).as_deref(),
        lost["refresh_token"].as_str()
    );
    assert_eq!(open(token_server::store::refresh::successor_key(&digest)), None);
    assert_eq!(
        open(token_server::secrets::derive_key(
            "token-console refresh successor v1",
            digest.as_bytes()
        )),
        None
    );
}

/// The same old token from another address is a copy, not a retry: the grant is disabled, so a
/// thief cannot follow the owner through the window. Revoking a rotated-out token ends its grant.
async fn a_retry_from_elsewhere_is_reuse_and_revoking_the_old_token_ends_the_grant(app: TestApp) {
    let (id, first) = bens_token(&app, "stolen").await;
    let owner = app.refresh_from(&first, "192.0.2.10").await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);
    let retry = app.refresh_from(&first, "192.0.2.10").await;
    assert_eq!(retry.body["refresh_token"], owner.body["refresh_token"]);
    let thief = app.refresh_from(&first, "203.0.113.66").await;
    assert_eq!(thief.body["error"], "invalid_grant");
    assert_eq!(status_of(&app, &id).await, "disabled");

    let (id, first) = bens_token(&app, "revoked after a lost answer").await;
    refreshed(&app, &first).await;
    let revoked = app
        .form("/oauth2/revoke", &[("token", &first), ("client_id", "tcc_acme")], None)
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.text);
    assert_eq!(status_of(&app, &id).await, "disabled");
    assert_eq!(app.refresh("tcc_acme", &first).await.body["error"], "invalid_grant");
}

/// Past the window, or with retries turned off, a second presentation is reuse as before.
async fn outside_the_retry_window_a_second_presentation_is_reuse(mut app: TestApp) {
    app.reconfigure(|c| c.refresh_retry_seconds = 0).await;
    let (id, first) = bens_token(&app, "strict").await;
    refreshed(&app, &first).await;
    assert_eq!(app.refresh("tcc_acme", &first).await.body["error"], "invalid_grant");
    assert_eq!(status_of(&app, &id).await, "disabled");

    app.reconfigure(|c| c.refresh_retry_seconds = 1).await;
    let (id, first) = bens_token(&app, "late retry").await;
    refreshed(&app, &first).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.refresh("tcc_acme", &first).await.body["error"], "invalid_grant");
    assert_eq!(status_of(&app, &id).await, "disabled");
}

/// The same token sent by its client and by a client of another workspace, together: the wrong
/// client is refused, the right one is answered, and the token lives.
async fn a_token_presented_with_two_clients_at_once_is_not_reuse(app: TestApp) {
    let (id, token) = bens_token(&app, "two clients").await;
    let mut tasks = Vec::new();
    for i in 0..16 {
        let router = app.router.clone();
        let token = token.clone();
        let client = if i % 2 == 0 { "tcc_acme" } else { "tcc_globex" };
        tasks.push(tokio::spawn(async move {
            let body = format!("grant_type=refresh_token&client_id={client}&refresh_token={token}");
            let (status, body) = token_form(router, body).await;
            (client, status, body["refresh_token"].as_str().map(str::to_owned))
        }));
    }
    let mut successors = std::collections::BTreeSet::new();
    for task in tasks {
        let (client, status, successor) = task.await.unwrap();
        if client == "tcc_acme" {
            assert_eq!(status, StatusCode::OK, "{client}");
            successors.insert(successor.expect("a successor"));
        } else {
            assert_eq!(status, StatusCode::BAD_REQUEST, "{client}");
        }
    }
    assert_eq!(successors.len(), 1, "one live refresh token: {successors:?}");
    assert_eq!(status_of(&app, &id).await, "active");
}

/// Junk client ids sent beside honest refreshes: every junk one is refused as a client error,
/// every honest one succeeds. (On PostgreSQL a NUL byte failed whole batches with 500.)
async fn junk_beside_honest_refreshes_fails_only_itself(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let mut honest = Vec::new();
    for i in 0..8 {
        honest.push(
            app.create_token(&ben, "ws-acme", &format!("honest {i}")).await["refresh_token"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let long = "x".repeat(300);
    let mut tasks = Vec::new();
    for i in 0..88 {
        let router = app.router.clone();
        let body = if i % 11 == 0 {
            format!(
                "grant_type=refresh_token&client_id=tcc_acme&refresh_token={}",
                honest[i / 11]
            )
        } else {
            let junk = ["%00", "tcc%00acme", "%FF%FE", long.as_str(), "tcc_acme%0A"][i % 5];
            format!(
                "grant_type=refresh_token&client_id={junk}&refresh_token={}",
                honest[i % 8]
            )
        };
        tasks.push(tokio::spawn(async move {
            let honest = body.contains("client_id=tcc_acme&");
            (honest, token_form(router, body).await.0)
        }));
    }
    for task in tasks {
        let (is_honest, status) = task.await.unwrap();
        if is_honest {
            assert_eq!(status, StatusCode::OK);
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
    }
}

/// One exchange whose rotation fails in the database (a trigger stands in for a broken row)
/// fails alone: the others queued in its batch are exchanged one at a time and succeed, and it
/// gets 503 with Retry-After, not a 500 blaming its request.
async fn one_failing_exchange_does_not_fail_its_batch(app: TestApp) {
    let poison: &[&str] = match app.state.db.backend {
        token_server::db::Backend::Sqlite => &["CREATE TRIGGER poison BEFORE UPDATE OF refresh_digest ON grants
             WHEN OLD.name = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END"],
        token_server::db::Backend::Postgres => &[
            "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN
               IF OLD.name = 'poison' THEN RAISE EXCEPTION 'poisoned row'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER poison BEFORE UPDATE ON grants FOR EACH ROW EXECUTE FUNCTION poison()",
        ],
    };
    for statement in poison {
        sqlx::query(statement).execute(&app.state.db.writer).await.unwrap();
    }
    let ben = app.sign_in("ben@acme.test").await;
    let mut tokens = Vec::new();
    for i in 0..16 {
        let name = if i == 5 {
            "poison".to_owned()
        } else {
            format!("healthy {i}")
        };
        let created = app.create_token(&ben, "ws-acme", &name).await;
        tokens.push((name, created["refresh_token"].as_str().unwrap().to_owned()));
    }
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|(name, token)| {
            let router = app.router.clone();
            tokio::spawn(async move { (name, crate::oauth::exchange(router, &token).await) })
        })
        .collect();
    for task in tasks {
        let (name, (status, body)) = task.await.unwrap();
        if name == "poison" {
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
            assert_eq!(body["error"], "temporarily_unavailable");
        } else {
            assert_eq!(status, StatusCode::OK, "{name}: {body}");
        }
    }
}

/// A form of thousands of distinct keys is refused at once, and a body past the OAuth limit is
/// refused before it is parsed, each in RFC 6749's shape.
async fn form_bombs_are_refused_cheaply(app: TestApp) {
    let bomb: String = (0..31_000).map(|i| format!("k{i}=&")).collect();
    let small_bomb: String = (0..1_000).map(|i| format!("{i}&")).collect();
    for (body, status) in [
        (bomb, StatusCode::PAYLOAD_TOO_LARGE),
        (small_bomb, StatusCode::BAD_REQUEST),
    ] {
        for path in ["/oauth2/token", "/oauth2/revoke"] {
            let req = Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.clone()))
                .unwrap();
            let reply = app.raw(req).await;
            assert_eq!(reply.status, status, "{path}: {}", reply.text);
            assert_eq!(reply.body["error"], "invalid_request", "{path}: {}", reply.text);
            assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store");
        }
    }
}

/// Forty wrong passwords for one account from one address: after five, 429 with Retry-After,
/// and no password is checked. The owner elsewhere, and other accounts, are not locked out.
/// Every failure is recorded, without the password.
async fn failed_sign_ins_are_throttled_per_address_and_account(app: TestApp) {
    let mut statuses = Vec::new();
    for _ in 0..40 {
        let reply = app.sign_in_from("cy@acme.test", "guess-123", "198.51.100.7").await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = reply.headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
            assert!((1..=30).contains(&wait), "{wait}");
            assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
            assert_eq!(reply.body["status"], 429);
        }
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses[..5], [401; 5]);
    assert!(statuses[5..].iter().all(|&s| s == 429), "{statuses:?}");
    // The right password from the attacker's address is refused too while throttled...
    let blocked = app
        .sign_in_from("cy@acme.test", token_server::seed::DEMO_PASSWORD, "198.51.100.7")
        .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    // ...but Cy from her own address, and Ben from the attacker's, sign in.
    let cy = app
        .sign_in_from("cy@acme.test", token_server::seed::DEMO_PASSWORD, "203.0.113.5")
        .await;
    assert_eq!(cy.status, StatusCode::OK, "{}", cy.text);
    let ben = app
        .sign_in_from("ben@acme.test", token_server::seed::DEMO_PASSWORD, "198.51.100.7")
        .await;
    assert_eq!(ben.status, StatusCode::OK, "{}", ben.text);
    let recorded: Vec<(String, Option<String>)> = sqlx::query_as("SELECT email, ip FROM sign_in_failures")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 5);
    assert!(recorded
        .iter()
        .all(|(email, ip)| email == "cy@acme.test" && ip.as_deref() == Some("198.51.100.7")));
}

/// Forty wrong passwords sent at once cannot outrun the budget: the throttle is asked again
/// once a sign-in has its turn to hash, so at most the budget and the two hashing at that
/// moment are checked, and the rest are refused.
async fn parallel_guesses_cannot_outrun_the_throttle(app: TestApp) {
    let guesses: Vec<_> = (0..40)
        .map(|i| {
            let router = app.router.clone();
            tokio::spawn(async move {
                let req = Request::post("/api/session")
                    .header(header::CONTENT_TYPE, "application/json")
                    .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                        [198, 51, 100, 9],
                        1000,
                    ))))
                    .body(Body::from(
                        json!({"email": "cy@acme.test", "password": format!("guess {i}")}).to_string(),
                    ))
                    .unwrap();
                tower::ServiceExt::oneshot(router, req).await.unwrap().status()
            })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!((5..=7).contains(&checked), "{checked} passwords checked");
    let (recorded,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sign_in_failures")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(recorded, checked);
    // An address nobody has is not recorded as typed: it may be a password pasted in the wrong field.
    app.sign_in_from("correct horse battery staple", "x", "198.51.100.10")
        .await;
    let typed: Vec<(String,)> = sqlx::query_as("SELECT email FROM sign_in_failures")
        .fetch_all(&app.state.db.pool)
        .await
        .unwrap();
    assert!(
        typed.iter().all(|(e,)| e == "cy@acme.test" || e.is_empty()),
        "{typed:?}"
    );
}

/// Sessions: a new id at every sign-in, an idle limit, sign out everywhere, and the purge.
async fn sessions_end_when_idle_renewed_or_signed_out_everywhere(app: TestApp) {
    let first = app.sign_in("ada@acme.test").await;
    let second = app.sign_in("ada@acme.test").await;
    assert_ne!(first.cookie, second.cookie);
    assert_eq!(app.get("/api/me", &first).await.status, StatusCode::OK);

    // Signing in again from a browser that has a session replaces it.
    let req = Request::post("/api/session")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::COOKIE, format!("tc_session={}", first.cookie))
        .body(Body::from(
            json!({"email": "ada@acme.test", "password": token_server::seed::DEMO_PASSWORD}).to_string(),
        ))
        .unwrap();
    assert_eq!(app.raw(req).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/me", &first).await.status, StatusCode::UNAUTHORIZED);

    // Idle past the limit: signed out, though the absolute expiry is hours away.
    let idle = app.sign_in("ada@acme.test").await;
    let long_ago = token_server::db::now_ms() - 61 * 60 * 1000;
    sqlx::query("UPDATE sessions SET created_at = $1, last_seen_at = $1 WHERE id_digest = $2")
        .bind(long_ago)
        .bind(token_server::secrets::digest(&idle.cookie))
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    assert_eq!(app.get("/api/me", &idle).await.status, StatusCode::UNAUTHORIZED);
    // The upkeep purges it from the table.
    token_server::maintenance::run_once(&app.state).await.unwrap();
    let digest = token_server::secrets::digest(&idle.cookie);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM sessions WHERE id_digest = $1", &digest).await,
        0
    );

    // Sign out everywhere ends every session of the user, and nobody else's.
    let ben = app.sign_in("ben@acme.test").await;
    let other = app.sign_in("ada@acme.test").await;
    let reply = app.send(Method::DELETE, "/api/sessions", Some(&second), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.text);
    assert_eq!(app.get("/api/me", &second).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me", &other).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.get("/api/me", &ben).await.status, StatusCode::OK);
}

/// Over https the cookie is `__Host-` and `Secure`, and every answer carries HSTS.
async fn over_https_the_cookie_is_host_only_and_hsts_is_sent(mut app: TestApp) {
    app.reconfigure(|c| c.public_url = Some("https://tokens.example.test".into()))
        .await;
    let reply = app
        .send(
            Method::POST,
            "/api/session",
            None,
            Some(json!({"email": "ada@acme.test", "password": token_server::seed::DEMO_PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    let cookie = &reply
        .set_cookie("__Host-tc_session")
        .expect("the session cookie is set");
    assert!(cookie.starts_with("__Host-tc_session="), "{cookie}");
    assert!(cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
    assert!(reply.headers[header::STRICT_TRANSPORT_SECURITY]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("__Host-tc_session=");
    let me = Request::get("/api/me")
        .header(header::COOKIE, format!("__Host-tc_session={value}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.raw(me).await.status, StatusCode::OK);
}

/// RFC 6749 and RFC 7009 details: scope, unknown clients, caching of secret-bearing answers.
async fn oauth_refusals_follow_the_rfcs(app: TestApp) {
    let (_, token) = bens_token(&app, "conformance").await;
    let scoped = app
        .form(
            "/oauth2/token",
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &token),
                ("client_id", "tcc_acme"),
                ("scope", "admin"),
            ],
            None,
        )
        .await;
    assert_eq!(scoped.status, StatusCode::BAD_REQUEST);
    assert_eq!(scoped.body["error"], "invalid_scope");
    for path in ["/oauth2/revoke"] {
        let reply = app
            .form(path, &[("token", &token), ("client_id", "tcc_nobody")], None)
            .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(reply.body["error"], "invalid_client", "{path}");
    }
    // The token survived the unknown client's revocation.
    let fresh = refreshed(&app, &token).await;
    let access = fresh["access_token"].as_str().unwrap();
    let introspect = app
        .form(
            "/oauth2/introspect",
            &[("token", access), ("client_id", "tcc_globex")],
            Some(&format!("Bearer {access}")),
        )
        .await;
    assert_eq!(introspect.status, StatusCode::UNAUTHORIZED);
    assert_eq!(introspect.body["error"], "invalid_client");

    let ben = app.sign_in("ben@acme.test").await;
    let created = app
        .post(
            "/api/workspaces/ws-acme/tokens",
            &ben,
            json!({"name": "cached?", "lifetime_days": 3, "all_permissions": true}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(created.headers[header::PRAGMA], "no-cache");
}

/// The framework's own rejections come in the endpoint's documented shape.
async fn every_rejection_has_the_documented_shape(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    let problems = [
        (Method::PUT, "/api/me", StatusCode::METHOD_NOT_ALLOWED),
        (
            Method::GET,
            "/api/workspaces/ws-acme/admin/tokens?limit=lots",
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            "/api/workspaces/ws-acme/admin/audit?from=yesterday",
            StatusCode::BAD_REQUEST,
        ),
        (Method::GET, "/api/workspaces/%FF/tokens", StatusCode::BAD_REQUEST),
    ];
    for (method, path, status) in problems {
        let reply = app.send(method.clone(), path, Some(&ada), None).await;
        assert_eq!(reply.status, status, "{method} {path}: {}", reply.text);
        assert_eq!(
            reply.headers[header::CONTENT_TYPE],
            "application/problem+json",
            "{path}"
        );
        assert_eq!(reply.body["status"], status.as_u16(), "{path}");
    }
    let put = app.send(Method::PUT, "/api/me", Some(&ada), None).await;
    assert!(put.headers.contains_key(header::ALLOW), "405 keeps its Allow header");
    let get_token = app.send(Method::GET, "/oauth2/token", None, None).await;
    assert_eq!(get_token.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(get_token.body["error"], "invalid_request", "{}", get_token.text);
}

/// The signing key: one per deployment however many instances start together, sealed at rest,
/// verified by kid across a rotation.
async fn the_signing_keys_are_shared_sealed_and_rotate(app: TestApp) {
    let (second_router, second) = app.second_instance().await;
    assert_eq!(app.state.signer.jwks(), second.signer.jwks());
    // Sealed: the row opens with the deployment's key file only.
    let (sealed,): (String,) = sqlx::query_as("SELECT sealed_seed FROM signing_key_ring WHERE generation = 1")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let key_file = token_server::keyfile::load(&app.state.config, app.state.db.backend).unwrap();
    let opened = token_server::secrets::open(
        &token_server::secrets::derive_key(token_server::jwt::KEY_PURPOSE, &key_file),
        &sealed,
    );
    assert_eq!(opened.map(|seed| seed.len()), Some(32), "the key file opens it");
    let other = token_server::secrets::derive_key(token_server::jwt::KEY_PURPOSE, &[7; 32]);
    assert!(
        token_server::secrets::open(&other, &sealed).is_none(),
        "nothing else does"
    );
    let legacy = count(&app, "SELECT COUNT(*) FROM signing_keys WHERE kid <> $1", "").await;
    assert_eq!(legacy, 0, "no plaintext key left");

    let (_, token) = bens_token(&app, "rotation").await;
    let before = refreshed(&app, &token).await;
    let old_access = before["access_token"].as_str().unwrap().to_owned();
    let old_kid = app.state.signer.current_kid();
    let new_kid = app.state.signer.rotate(&app.state.db.writer).await.unwrap();
    // Published at once, signing later: a resource server's cached JWKS learns it first.
    second.signer.reload(&second.db.pool).await.unwrap();
    let published: Vec<String> = second.signer.jwks()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(published, [new_kid.clone(), old_kid.clone()]);
    assert_eq!(app.state.signer.current_kid(), old_kid);
    // Once active, the new key signs, and tokens of the old one still work until they expire.
    sqlx::query("UPDATE signing_key_ring SET activates_at = $1 WHERE kid = $2")
        .bind(token_server::db::now_ms() - 1)
        .bind(&new_kid)
        .execute(&app.state.db.writer)
        .await
        .unwrap();
    app.state.signer.reload(&app.state.db.pool).await.unwrap();
    second.signer.reload(&second.db.pool).await.unwrap();
    let after = refreshed(&app, before["refresh_token"].as_str().unwrap()).await;
    let new_access = after["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            new_access.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], new_kid.as_str());
    for access in [old_access.as_str(), new_access] {
        let req = Request::get("/api/resource/workspaces/ws-acme/whoami")
            .header(header::AUTHORIZATION, format!("Bearer {access}"))
            .body(Body::empty())
            .unwrap();
        let res = tower::ServiceExt::oneshot(second_router.clone(), req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
}

/// The key file: SQLite makes one (0600) beside the database; a wrong one refuses to start.
async fn the_key_file_is_made_once_and_a_wrong_one_refuses_to_start(mut app: TestApp) {
    if app.state.db.backend == token_server::db::Backend::Sqlite {
        let db_path = token_server::db::sqlite_path(&app.state.config.database_url).unwrap();
        let key = db_path.parent().unwrap().join(token_server::keyfile::DEFAULT_NAME);
        let meta = std::fs::metadata(&key).expect("the key file was made beside the database");
        assert_eq!(meta.len(), 32);
        #[cfg(unix)]
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o600
        );
        let kid = app.state.signer.current_kid();
        app.restart().await;
        assert_eq!(app.state.signer.current_kid(), kid, "the same key after a restart");
    } else {
        let mut without = (*app.state.config).clone();
        without.key_file = None;
        let error = token_server::AppState::new(without).await.unwrap_err().to_string();
        assert!(error.contains("--key-file"), "{error}");
    }
    let wrong = std::env::temp_dir().join(format!("wrong-{}.key", token_server::secrets::random_id()));
    token_server::keyfile::write_new(&wrong).unwrap();
    let mut config = (*app.state.config).clone();
    config.key_file = Some(wrong.clone());
    let error = token_server::AppState::new(config.clone())
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("key file"), "{error}");
    std::fs::write(&wrong, b"too short").unwrap();
    let error = token_server::AppState::new(config).await.unwrap_err().to_string();
    assert!(error.contains("at least 32"), "{error}");
    let _ = std::fs::remove_file(wrong);
}

/// Audit rows keep who acted and whose token it was after the person is deleted.
async fn the_audit_trail_outlives_people_and_memberships(app: TestApp) {
    // A second admin, who acts and then leaves, as Cy, whose token it was, does.
    let hash = token_server::store::users::hash_password(token_server::seed::DEMO_PASSWORD).unwrap();
    for statement in [
        "INSERT INTO users (id, email, name, password_hash, created_at) VALUES ('u-eve', 'eve@acme.test', 'Eve Admin', $1, 0)",
        "INSERT INTO memberships (workspace_id, user_id, role) SELECT 'ws-acme', 'u-eve', 'admin' WHERE $1 <> ''",
    ] {
        sqlx::query(statement).bind(&hash).execute(&app.state.db.writer).await.unwrap();
    }
    let cy = app.sign_in("cy@acme.test").await;
    let id = app.create_token_id(&cy, "ws-acme", "soon orphaned").await;
    let eve = app.sign_in("eve@acme.test").await;
    let disabled = app
        .post(
            &format!("/api/workspaces/ws-acme/admin/tokens/{id}/disable"),
            &eve,
            json!({"reason": "leaving"}),
        )
        .await;
    assert!(disabled.status.is_success(), "{}", disabled.text);
    let (cy_id,): (String,) = sqlx::query_as("SELECT id FROM users WHERE email = 'cy@acme.test'")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    for person in [cy_id.as_str(), "u-eve"] {
        sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(person)
            .execute(&app.state.db.writer)
            .await
            .unwrap();
    }
    let ada = app.sign_in("ada@acme.test").await;
    let audit = app
        .get(&format!("/api/workspaces/ws-acme/admin/audit?owner={cy_id}"), &ada)
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.text);
    let events = audit.body["events"].as_array().unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["disabled", "created"]);
    for event in events {
        assert_eq!(event["owner"]["email"], "cy@acme.test");
        assert_eq!(event["token_name"], "soon orphaned");
    }
    assert_eq!(events[0]["actor"]["email"], "eve@acme.test");
    assert_eq!(events[0]["actor"]["name"], "Eve Admin");
    assert_eq!(events[0]["reason"], "leaving");
}

/// A token name that is a formula for a `;`-splitting spreadsheet reaches the export defused.
async fn the_csv_export_defuses_formulas_for_every_separator(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    app.create_token_id(&ben, "ws-acme", "x;=1+1;y").await;
    let ada = app.sign_in("ada@acme.test").await;
    let csv = app.get("/api/workspaces/ws-acme/admin/tokens.csv?q=x%3B", &ada).await;
    assert_eq!(csv.status, StatusCode::OK);
    let line = csv
        .text
        .lines()
        .find(|l| l.contains("1+1"))
        .expect("the token is exported");
    for sep in [',', ';', '\t'] {
        for cell in line.split(sep) {
            let cell = cell.trim_start_matches([' ', '"', '\u{feff}']);
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "{line:?} split on {sep:?}: {cell:?}"
            );
        }
    }
}

crate::on_both_databases!(
    a_retry_after_a_lost_response_gets_the_same_successor,
    a_retry_from_elsewhere_is_reuse_and_revoking_the_old_token_ends_the_grant,
    parallel_guesses_cannot_outrun_the_throttle,
    outside_the_retry_window_a_second_presentation_is_reuse,
    a_token_presented_with_two_clients_at_once_is_not_reuse,
    junk_beside_honest_refreshes_fails_only_itself,
    one_failing_exchange_does_not_fail_its_batch,
    form_bombs_are_refused_cheaply,
    failed_sign_ins_are_throttled_per_address_and_account,
    sessions_end_when_idle_renewed_or_signed_out_everywhere,
    over_https_the_cookie_is_host_only_and_hsts_is_sent,
    oauth_refusals_follow_the_rfcs,
    every_rejection_has_the_documented_shape,
    the_signing_keys_are_shared_sealed_and_rotate,
    the_key_file_is_made_once_and_a_wrong_one_refuses_to_start,
    the_audit_trail_outlives_people_and_memberships,
    the_csv_export_defuses_formulas_for_every_separator,
);
