//! What the service serves besides the API: health, the SPA, security headers, limits; and what
//! survives a restart.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::support::{Reply, TestApp};

/// Liveness and readiness, apart: the process answers `/healthz`, the database `/readyz`
/// (`faults.rs` takes the database away and sees the two differ).
async fn the_probes_answer_for_the_process_and_the_database(app: TestApp) {
    let reply = app.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "ok");
    let reply = app.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.text, "ready");
}

async fn client_routes_get_the_app_and_unknown_api_paths_a_problem(app: TestApp) {
    for path in ["/tokens", "/admin/tokens", "/no/such/page"] {
        let reply = app.send(Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(reply.text.contains("<title>Token Console</title>"), "{path}");
        assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(reply.headers[header::REFERRER_POLICY], "no-referrer");
    }
    let reply = app.send(Method::GET, "/api/nothing-here", None, None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
}

async fn pages_carry_a_strict_csp_and_only_embed_pages_may_be_framed(app: TestApp) {
    use base64::Engine;
    use sha2::Digest;
    let loader = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(b"start();"));
    for path in ["/tokens", "/signin", "/admin/tokens?status=active"] {
        let reply = app.send(Method::GET, path, None, None).await;
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains(&format!("script-src 'self' 'wasm-unsafe-eval' 'sha256-{loader}';")),
            "{path}: {csp}"
        );
        for directive in [
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "style-src 'self'",
        ] {
            assert!(csp.contains(directive), "{path} lacks {directive}: {csp}");
        }
        assert_eq!(reply.headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
    }
    for path in ["/embed/users", "/embed/admin?status=active"] {
        let reply = app.send(Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert!(reply.text.contains("<title>Token Console</title>"), "{path}");
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.ends_with("frame-ancestors http://host.test"), "{path}: {csp}");
        assert!(reply.headers.get(header::X_FRAME_OPTIONS).is_none(), "{path}");
        assert_eq!(reply.headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}

async fn cross_site_writes_are_refused_before_any_handler(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let before = app.grant_count().await;
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/workspaces/ws-acme/tokens")
        .header(header::COOKIE, format!("tc_session={}", ben.cookie))
        .header("x-csrf-token", &ben.csrf)
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"name":"x","lifetime_days":3, "all_permissions": true}"#))
        .unwrap();
    assert_eq!(app.raw(req).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.grant_count().await, before);
}

async fn oversized_bodies_are_refused(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let huge = "x".repeat(200 * 1024);
    let reply = app
        .post(
            "/api/workspaces/ws-acme/tokens",
            &ben,
            json!({"name": huge, "lifetime_days": 3, "all_permissions": true}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.headers[header::CONTENT_TYPE], "application/problem+json");
}

async fn a_restart_loses_nothing_committed(mut app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let created = app.create_token(&ben, "ws-acme", "survives restarts").await;
    let jwks_before = app.state.signer.jwks();
    app.restart().await;
    assert_eq!(
        app.state.signer.jwks(),
        jwks_before,
        "the signing key must survive a restart"
    );
    let names = app.token_names(&ben, "ws-acme").await;
    assert!(
        names.contains(&"survives restarts".to_owned()),
        "the session and the token survive: {names:?}"
    );
    assert!(created["token"]["id"].is_string());
}

async fn every_operation_in_the_openapi_document_reaches_a_handler(app: TestApp) {
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.body["openapi"], "3.1.0");
    for schema in [
        "TokenView",
        "CreatedToken",
        "Problem",
        "TokenPage",
        "AuditEvent",
        "TokenResponse",
        "OAuthError",
    ] {
        assert!(
            doc.body["components"]["schemas"][schema].is_object(),
            "{schema} is described"
        );
    }
    let paths = doc.body["paths"].as_object().unwrap();
    assert!(paths.len() >= 19, "{} paths", paths.len());
    for (path, operations) in paths {
        let concrete = path.replace("{ws}", "ws-acme").replace("{id}", "no-such-token");
        for method in operations.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let reply = app.send(method.clone(), &concrete, None, None).await;
            let what = format!("{method} {path}");
            assert_ne!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
            assert_ne!(reply.body["detail"], token_server::http::NO_SUCH_ENDPOINT, "{what}");
            let html = reply
                .headers
                .get(header::CONTENT_TYPE)
                .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
            assert!(!html, "{what} fell through to the app");
        }
    }
}

/// Every wire enum is described in the served document with exactly the words the wire uses
/// (the document once said "Member" | "Admin" while `/api/me` answered "admin"), and the
/// answers that carry one agree with it.
async fn every_wire_enum_in_the_document_spells_what_the_wire_says(app: TestApp) {
    use token_api::audit::AuditAction;
    use token_api::auth::Role;
    use token_api::oauth::OAuthErrorCode;
    use token_api::policy::Creators;
    use token_api::query::{SortDir, SortField};
    use token_api::tokens::{BatchAction, BatchOutcome, DisabledCause, Overlap, TokenStatus};
    use token_api::validate::Invalid;
    fn words<T: std::fmt::Display>(all: &[T]) -> Vec<String> {
        all.iter().map(ToString::to_string).collect()
    }
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await.body;
    let schemas = &doc["components"]["schemas"];
    let enums: [(&str, Vec<String>); 13] = [
        ("SortField", words(SortField::ALL)),
        ("SortDir", words(SortDir::ALL)),
        ("Creators", words(Creators::ALL)),
        ("AuditAction", words(AuditAction::ALL)),
        ("Role", words(Role::ALL)),
        ("OAuthErrorCode", words(OAuthErrorCode::ALL)),
        ("DisabledCause", words(DisabledCause::ALL)),
        ("TokenStatus", words(TokenStatus::ALL)),
        ("Overlap", words(Overlap::ALL)),
        ("BatchAction", words(BatchAction::ALL)),
        ("BatchOutcome", words(BatchOutcome::ALL)),
        ("Invalid", words(Invalid::ALL)),
        ("LeakLabel", words(token_api::leaks::LeakLabel::ALL)),
    ];
    for (name, wire) in enums {
        let described: Vec<String> = schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not described as an enum: {}", schemas[name]))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(described, wire, "{name}");
    }
    // A real answer: /api/me's role and policy words are among the document's.
    let ada = app.sign_in("ada@acme.test").await;
    let me = app.get("/api/me", &ada).await.body;
    let role = me["workspaces"][0]["role"].as_str().unwrap();
    assert!(
        schemas["Role"]["enum"].as_array().unwrap().iter().any(|w| w == role),
        "{role}"
    );
    let creators = me["workspaces"][0]["policy"]["creators"].as_str().unwrap();
    assert!(
        schemas["Creators"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w == creators),
        "{creators}"
    );
}

/// The query parameters each list and export reads, from the contract's own types with every
/// field set, are all in the document: a parameter added to a handler and not described fails
/// here (as `count=exact` and the exports' filters once did).
async fn the_document_lists_every_query_parameter_the_lists_read(app: TestApp) {
    use token_api::audit::{AuditAction, AuditQuery};
    use token_api::query::{SortDir, SortField, TokenFilter, TokenPageQuery};
    use token_api::tokens::TokenStatus;
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await;
    let documented = |path: &str| -> Vec<String> {
        doc.body["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or(&vec![])
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| p["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let filter = TokenFilter {
        owner: Some("u".into()),
        status: Some(TokenStatus::Active),
        expiring_within_days: Some(7),
        never_used: true,
        unused_for_days: Some(90),
        q: Some("x".into()),
        hint: Some("abcd".into()),
        permission: Some("datasets:read".into()),
    };
    let page = TokenPageQuery {
        filter: filter.clone(),
        sort: SortField::Name,
        dir: SortDir::Asc,
        limit: Some(50),
        after: Some("c".into()),
        exact_count: true,
    };
    let sorted_filter = TokenPageQuery {
        filter,
        sort: SortField::Name,
        dir: SortDir::Asc,
        ..Default::default()
    };
    let audit = AuditQuery {
        actor: Some("a".into()),
        owner: Some("o".into()),
        action: Some(AuditAction::Created),
        alarms: true,
        from: Some(chrono::Utc::now()),
        to: Some(chrono::Utc::now()),
        limit: Some(10),
        after: Some("c".into()),
        token: Some("g".into()),
    };
    let audit_keys: Vec<String> = serde_json::to_value(&audit)
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let audit_filter_keys: Vec<String> = audit_keys
        .iter()
        .filter(|k| *k != "limit" && *k != "after")
        .cloned()
        .collect();
    let cases: [(&str, Vec<String>); 4] = [
        (
            "/api/workspaces/{ws}/admin/tokens",
            page.to_pairs().iter().map(|(k, _)| k.to_string()).collect(),
        ),
        (
            "/api/workspaces/{ws}/admin/tokens.csv",
            sorted_filter.to_pairs().iter().map(|(k, _)| k.to_string()).collect(),
        ),
        ("/api/workspaces/{ws}/admin/audit", audit_keys),
        ("/api/workspaces/{ws}/admin/audit.csv", audit_filter_keys),
    ];
    for (path, read) in cases {
        let listed = documented(path);
        assert!(read.len() >= 5, "{path}: {read:?}");
        for key in read {
            assert!(
                listed.contains(&key),
                "{path} reads `{key}`, which the document does not list: {listed:?}"
            );
        }
    }
}

/// A request sent to probe one operation, and the status it must get where the probe is sure of
/// it (anything documented, where it is not).
struct Probe {
    what: &'static str,
    request: Request<Body>,
    expect: fn(StatusCode) -> bool,
}

/// Every operation of the document: its path as documented, its method, and the operation.
pub(crate) fn operations(doc: &Value) -> Vec<(&str, Method, &Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            all.push((path.as_str(), method, operation));
        }
    }
    all
}

/// The first schema `$ref` inside `schema`: `ActionRequest` of `Option<ActionRequest>`.
fn schema_name(schema: &Value) -> Option<&str> {
    match schema {
        Value::Object(map) => map
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .or_else(|| map.values().find_map(schema_name)),
        Value::Array(items) => items.iter().find_map(schema_name),
        _ => None,
    }
}

/// A body of each JSON request schema that gets past the body's checks, so that a probe meets
/// what it probes (the workspace) and not a 400.
fn valid_body(schema: &str) -> Value {
    match schema {
        "SignInRequest" => json!({"email": "nobody@acme.test", "password": "not the password"}),
        "AddMemberRequest" => json!({"email": "probe@example.test", "role": "member"}),
        "SetPasswordRequest" => json!({"token": "no-such-link", "password": "long enough to pass"}),
        "CreateTokenRequest" => json!({"name": "probe", "lifetime_days": 7, "all_permissions": true}),
        "ActionRequest" => json!({"reason": "probe"}),
        "EditTokenRequest" => json!({"description": "probe"}),
        "WorkspacePolicy" => {
            json!({"max_lifetime_days": 365, "creators": "members", "permissions": [], "allow_all_permissions": true, "allowed_ranges": []})
        }
        "BatchRequest" => json!({"action": "disable", "ids": ["no-such-token"]}),
        "FilterActionRequest" => json!({
            "action": "disable",
            "filter": {},
            "as_of": chrono::Utc::now().to_rfc3339(),
            "expected_count": 0,
        }),
        "MemberRole" => json!({ "role": "member" }),
        "NewDestination" => json!({ "url": "https://siem.example.com/collect" }),
        "DestinationChange" => json!({ "state": "paused" }),
        "NoticePreferences" => json!({ "email": true }),
        "TicketRequest" => json!({ "email": "ben@acme.test" }),
        "TicketExchange" => json!({ "ticket": "tcht_no-such-ticket" }),
        "LeakMatch" => json!([{"token": "tcr_probe", "type": "probe", "url": "https://github.com/probe"}]),
        "LookupRequest" => {
            let well_formed = token_api::token_format::encode(&"a".repeat(token_api::token_format::BODY_LEN));
            json!({ "token": well_formed })
        }
        other => panic!("no valid {other} to probe with: add one here, so its operations are probed past their body"),
    }
}

/// Asserts that `reply` is an answer the document lists for `operation`, in a content type it
/// lists for that answer; `what` says which probe and operation.
pub(crate) fn assert_documented(operation: &Value, reply: &Reply, what: &str) {
    let status = reply.status.as_str();
    let responses = operation["responses"].as_object().unwrap();
    let Some(documented) = responses.get(status) else {
        let listed: Vec<&String> = responses.keys().collect();
        panic!(
            "{what}: answered {status}, which the document does not list ({listed:?}): {}",
            reply.text
        );
    };
    let listed: Vec<&str> = documented["content"]
        .as_object()
        .map(|c| c.keys().map(String::as_str).collect())
        .unwrap_or_default();
    match reply.headers.get(header::CONTENT_TYPE) {
        Some(sent) => {
            let sent = sent.to_str().unwrap().split(';').next().unwrap().trim();
            assert!(
                listed.contains(&sent),
                "{what}: its {status} is sent as {sent}, documented as {listed:?}"
            );
        }
        None => assert!(
            listed.is_empty() && reply.text.is_empty(),
            "{what}: its {status} has no content type, documented as {listed:?}"
        ),
    }
}

/// What a request that fails before a handler's own work gets (no session, no CSRF token, a
/// cross-site write, a JSON body that is malformed or not JSON at all) and the answer for a
/// workspace that does not exist are each listed for the operation in the document, in the
/// content type they are sent in. A schema-conformance fuzzer signed in as an admin once met
/// 401, 404, 400 and 415 undocumented, and problem+json bodies documented as JSON; an operation
/// added without documenting these answers fails here.
async fn every_answer_to_a_bad_request_is_in_the_document(app: TestApp) {
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await.body;
    let ada = app.sign_in("ada@acme.test").await;
    let access_token = app.create_token(&ada, "ws-acme", "probe").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = |method: &Method, path: &str, signed_in: bool, body: Option<(&str, String)>| {
        let mut req = Request::builder().method(method.clone()).uri(path);
        if signed_in {
            req = req
                .header(header::COOKIE, format!("tc_session={}", ada.cookie))
                .header("x-csrf-token", &ada.csrf)
                .header(header::AUTHORIZATION, format!("Bearer {access_token}"));
        }
        match body {
            Some((content_type, body)) => req.header(header::CONTENT_TYPE, content_type).body(Body::from(body)),
            None => req.body(Body::empty()),
        }
        .unwrap()
    };
    let mut statuses = BTreeSet::new();
    for (path, method, operation) in operations(&doc) {
        let session = operation["security"]
            .as_array()
            .is_some_and(|s| s.iter().any(|r| r.get("session").is_some()));
        let write = !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS);
        let concrete = path.replace("{ws}", "ws-acme").replace("{id}", "no-such-token");
        let body_types = operation["requestBody"]["content"].as_object();
        let json_schema = body_types.and_then(|c| c.get("application/json")).map(|c| &c["schema"]);
        let valid = || {
            json_schema.map(|s| {
                (
                    "application/json",
                    valid_body(schema_name(s).expect("a JSON body of a named schema")).to_string(),
                )
            })
        };
        let mut probes = vec![Probe {
            what: "nothing: no session, no credentials, no body",
            request: request(&method, &concrete, false, None),
            expect: if session {
                |s| s == StatusCode::UNAUTHORIZED
            } else {
                |_| true
            },
        }];
        if path.contains("{ws}") {
            probes.push(Probe {
                what: "signed in as an admin, a workspace that does not exist",
                request: request(
                    &method,
                    &path
                        .replace("{ws}", "no-such-workspace")
                        .replace("{id}", "no-such-token"),
                    true,
                    valid(),
                ),
                // A 2xx: the operation treats a workspace it does not know as empty (a batch of
                // ids not found); anything else but 404 would mean the probe never got there.
                expect: if session {
                    |s| s == StatusCode::NOT_FOUND || s.is_success()
                } else {
                    |_| true
                },
            });
        }
        if session && write {
            let mut req = request(&method, &concrete, true, valid());
            req.headers_mut().remove("x-csrf-token");
            probes.push(Probe {
                what: "signed in, without the CSRF token",
                request: req,
                expect: |s| s == StatusCode::FORBIDDEN,
            });
        }
        if write && path.starts_with("/api/") {
            let mut req = request(&method, &concrete, true, valid());
            req.headers_mut()
                .insert("sec-fetch-site", "cross-site".parse().unwrap());
            probes.push(Probe {
                what: "signed in, a cross-site write",
                request: req,
                expect: |s| s == StatusCode::FORBIDDEN,
            });
        }
        if json_schema.is_some() {
            probes.push(Probe {
                what: "signed in, malformed JSON",
                request: request(&method, &concrete, true, Some(("application/json", "{\"".into()))),
                expect: |s| s == StatusCode::BAD_REQUEST,
            });
            probes.push(Probe {
                what: "signed in, a body that is not JSON",
                request: request(&method, &concrete, true, Some(("text/plain", "probe".into()))),
                expect: |s| s == StatusCode::UNSUPPORTED_MEDIA_TYPE,
            });
        } else if body_types.is_some() {
            probes.push(Probe {
                what: "a body in a content type the operation does not take",
                request: request(&method, &concrete, false, Some(("application/json", "{}".into()))),
                expect: |_| true,
            });
        }
        for probe in probes {
            let what = format!("{} to {method} {path}", probe.what);
            let reply = app.raw(probe.request).await;
            assert!(
                (probe.expect)(reply.status),
                "{what}: answered {}: {}",
                reply.status,
                reply.text
            );
            assert_documented(operation, &reply, &what);
            statuses.insert(reply.status.as_u16());
        }
    }
    // Each kind of answer was met, so no probe went astray unnoticed.
    for status in [400, 401, 403, 404, 415] {
        assert!(
            statuses.contains(&status),
            "no probe was answered {status}: {statuses:?}"
        );
    }
}

/// Every error body the document describes as a `Problem` is declared in the media type
/// `crate::error` sends it in, whether or not a probe above can provoke it (409, 429, 503).
async fn the_document_declares_every_problem_as_problem_json(app: TestApp) {
    let doc = app.send(Method::GET, "/api/openapi.json", None, None).await.body;
    let mut problems = 0;
    for (path, method, operation) in operations(&doc) {
        for (status, response) in operation["responses"].as_object().unwrap() {
            for (media_type, content) in response["content"].as_object().into_iter().flatten() {
                if schema_name(&content["schema"]) == Some("Problem") {
                    assert_eq!(media_type, token_api::problem::PROBLEM_JSON, "{method} {path} {status}");
                    problems += 1;
                }
            }
        }
    }
    assert!(problems > 0, "no Problem is described at all");
}

crate::on_both_databases!(
    every_wire_enum_in_the_document_spells_what_the_wire_says,
    every_answer_to_a_bad_request_is_in_the_document,
    the_document_declares_every_problem_as_problem_json,
    the_document_lists_every_query_parameter_the_lists_read,
    every_operation_in_the_openapi_document_reaches_a_handler,
    the_probes_answer_for_the_process_and_the_database,
    client_routes_get_the_app_and_unknown_api_paths_a_problem,
    cross_site_writes_are_refused_before_any_handler,
    pages_carry_a_strict_csp_and_only_embed_pages_may_be_framed,
    oversized_bodies_are_refused,
    a_restart_loses_nothing_committed,
);
