//! What the service serves besides the API: health, the SPA, security headers, limits; and what
//! survives a restart.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::support::TestApp;

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
        .body(Body::from(r#"{"name":"x","lifetime_days":3}"#))
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
            json!({"name": huge, "lifetime_days": 3}),
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

/// The query parameters each list and export reads, from the contract's own types with every
/// field set, are all in the document: a parameter added to a handler and not described fails
/// here (as `count=exact` and the exports' filters once did).
async fn the_document_lists_every_query_parameter_the_lists_read(app: TestApp) {
    use token_api::admin::{AuditAction, AuditQuery, SortDir, SortField, TokenFilter, TokenPageQuery};
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
        from: Some(chrono::Utc::now()),
        to: Some(chrono::Utc::now()),
        limit: Some(10),
        after: Some("c".into()),
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

crate::on_both_databases!(
    the_document_lists_every_query_parameter_the_lists_read,
    every_operation_in_the_openapi_document_reaches_a_handler,
    the_probes_answer_for_the_process_and_the_database,
    client_routes_get_the_app_and_unknown_api_paths_a_problem,
    cross_site_writes_are_refused_before_any_handler,
    pages_carry_a_strict_csp_and_only_embed_pages_may_be_framed,
    oversized_bodies_are_refused,
    a_restart_loses_nothing_committed,
);
