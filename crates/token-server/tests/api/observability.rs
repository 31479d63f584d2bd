//! What an operator sees of a request: its id on the answer, in the problem body and in the
//! logs, one access-log line, and the client's address believed through trusted proxies only.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::{json, Value};

use crate::support::{from_address, Capture, Reply, TestApp};

/// A request from `peer` with these headers.
async fn from(
    app: &TestApp,
    method: Method,
    path: &str,
    peer: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .extension(from_address(peer));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match body {
        Some(v) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    app.raw(req.body(body).unwrap()).await
}

fn request_id(reply: &Reply) -> String {
    reply.headers["x-request-id"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_answer_names_its_request_and_a_problem_quotes_it() {
    let mut app = TestApp::sqlite().await;
    app.reconfigure(|c| c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()])
        .await;

    let probe = from(&app, Method::GET, "/healthz", "198.51.100.7", &[], None).await;
    let id = request_id(&probe);
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));

    let missing = from(&app, Method::GET, "/api/nowhere", "198.51.100.7", &[], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_ne!(request_id(&missing), id, "each request has its own id");
    assert_eq!(
        missing.body["instance"],
        request_id(&missing),
        "the problem quotes the request's id"
    );

    // A client cannot choose its id; the operator's proxy can, if it is well formed.
    let chosen = [("x-request-id", "lb-7f3a.1")];
    let spoofed = from(&app, Method::GET, "/api/nowhere", "198.51.100.7", &chosen, None).await;
    assert_ne!(request_id(&spoofed), "lb-7f3a.1");
    let proxied = from(&app, Method::GET, "/api/nowhere", "10.0.0.2", &chosen, None).await;
    assert_eq!(request_id(&proxied), "lb-7f3a.1");
    assert_eq!(proxied.body["instance"], "lb-7f3a.1");
    let junk = from(
        &app,
        Method::GET,
        "/healthz",
        "10.0.0.2",
        &[("x-request-id", "a b\tc")],
        None,
    )
    .await;
    assert_eq!(request_id(&junk).len(), 32, "a malformed id from the proxy is replaced");
}

/// The addresses the audit trail recorded for refreshes, newest first.
/// The addresses of the audited refreshes, sorted (two refreshes in one millisecond have no
/// order of their own).
async fn refresh_addresses(app: &TestApp) -> Vec<String> {
    let ada = app.sign_in("ada@acme.test").await;
    let audit = app
        .get("/api/workspaces/ws-acme/admin/audit?action=refreshed", &ada)
        .await;
    let mut addresses: Vec<String> = audit.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ip"].as_str().unwrap_or_default().to_owned())
        .collect();
    addresses.sort();
    addresses
}

#[tokio::test]
async fn only_a_trusted_proxy_is_believed_about_the_client() {
    let mut app = TestApp::sqlite().await;
    app.reconfigure(|c| c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()])
        .await;
    let ben = app.sign_in("ben@acme.test").await;
    let token = app.create_token(&ben, "ws-acme", "proxied").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = |refresh: &str| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("client_id", "tcc_acme"),
            ])
            .finish()
    };
    let exchange = |refresh: String, peer: &'static str, forwarded: &'static str| {
        let req = Request::builder()
            .method(Method::POST)
            .uri("/oauth2/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", forwarded)
            .extension(from_address(peer))
            .body(Body::from(form(&refresh)))
            .unwrap();
        app.raw(req)
    };
    // Through the operator's proxy: the client it names.
    let first = exchange(token, "10.0.0.2", "203.0.113.9").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    // Straight from a client that claims to be someone else: its own address.
    let next = first.body["refresh_token"].as_str().unwrap().to_owned();
    let second = exchange(next, "198.51.100.7", "203.0.113.9").await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text);
    assert_eq!(refresh_addresses(&app).await, ["198.51.100.7", "203.0.113.9"]);

    // Throttling counts the believed client: a spoofer's changing header does not give it a
    // fresh budget, and two clients behind the proxy have one each.
    let wrong = json!({ "email": "cy@acme.test", "password": "wrong-password" });
    let mut spoofer = Vec::new();
    for n in 0..6 {
        let forwarded = format!("192.0.2.{n}");
        let reply = from(
            &app,
            Method::POST,
            "/api/session",
            "198.51.100.8",
            &[("x-forwarded-for", &forwarded)],
            Some(wrong.clone()),
        )
        .await;
        spoofer.push(reply.status.as_u16());
    }
    assert_eq!(spoofer.last(), Some(&429), "{spoofer:?}");
    let behind = from(
        &app,
        Method::POST,
        "/api/session",
        "10.0.0.2",
        &[("x-forwarded-for", "192.0.2.200")],
        Some(wrong),
    )
    .await;
    assert_eq!(
        behind.status,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy has its own budget"
    );
}

// A current-thread runtime, so the thread-local subscriber sees every task of the test.
#[tokio::test(flavor = "current_thread")]
async fn one_json_access_line_per_request_with_its_route_and_never_its_query() {
    let capture = Capture::default();
    let writer = capture.clone();
    // As `main` sets it up for `--log-format json`.
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .fmt_fields(tracing_subscriber::fmt::format::JsonFields::new())
        .event_format(token_server::http::context::WithRequestId(
            tracing_subscriber::fmt::format().json(),
        ))
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::sqlite().await;
    let ada = app.sign_in("ada@acme.test").await;
    let listed = app
        .get("/api/workspaces/ws-acme/admin/tokens?q=secret-looking-query", &ada)
        .await;
    assert_eq!(listed.status, StatusCode::OK);
    // A line the handler writes, not the access line: it carries its request's id too.
    let wrong = json!({ "email": "ben@acme.test", "password": "not ben's password" });
    let failed = app.send(Method::POST, "/api/session", None, Some(wrong)).await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);

    let logs = capture.text();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let access: Vec<&Value> = lines.iter().filter(|l| l["target"] == "token_server::access").collect();
    let list = access
        .iter()
        .find(|l| l["fields"]["route"] == "/api/workspaces/{ws}/admin/tokens")
        .unwrap_or_else(|| panic!("no access line for the list:\n{logs}"));
    assert_eq!(list["fields"]["method"], "GET");
    assert_eq!(list["fields"]["status"], 200);
    assert!(list["fields"]["latency_us"].as_u64().is_some());
    assert_eq!(list["request_id"], listed.headers["x-request-id"].to_str().unwrap());
    assert!(
        access.iter().any(|l| l["fields"]["route"] == "/api/session"),
        "sign-in is logged too"
    );
    let warning = lines
        .iter()
        .find(|l| l["fields"]["message"] == "failed sign-in")
        .unwrap_or_else(|| panic!("no failed sign-in line:\n{logs}"));
    assert_eq!(warning["request_id"], failed.headers["x-request-id"].to_str().unwrap());
    assert!(
        !logs.contains("secret-looking-query"),
        "a query string never reaches the log"
    );
}

/// A metric's value in a Prometheus text page; 0 when it is not there yet.
fn sample(page: &str, series: &str) -> f64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    use tower::ServiceExt;
    let response = token_server::metrics::router(app.state.clone())
        .oneshot(Request::builder().uri("/metrics").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn the_metrics_move_with_what_the_service_does() {
    let app = TestApp::sqlite().await;
    let before = scrape(&app).await;
    let probes = r#"http_requests_total{method="GET",route="/healthz",status="200"}"#;
    let refused = r#"http_requests_total{method="POST",route="/oauth2/token",status="400"}"#;

    let ben = app.sign_in("ben@acme.test").await;
    let token = app.create_token(&ben, "ws-acme", "metered").await["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..3 {
        assert_eq!(
            from(&app, Method::GET, "/healthz", "198.51.100.7", &[], None)
                .await
                .status,
            StatusCode::OK
        );
    }
    // A made-up method is counted, as OTHER: no client can add series of its own.
    let brew = Method::from_bytes(b"BREW").unwrap();
    from(&app, brew, "/healthz", "198.51.100.7", &[], None).await;
    assert_eq!(app.refresh("tcc_acme", &token).await.status, StatusCode::OK);
    assert_eq!(
        app.refresh("tcc_acme", "tcr_not_a_token").await.status,
        StatusCode::BAD_REQUEST
    );
    for _ in 0..6 {
        let wrong = json!({ "email": "cy@acme.test", "password": "wrong-password" });
        from(&app, Method::POST, "/api/session", "198.51.100.9", &[], Some(wrong)).await;
    }

    let after = scrape(&app).await;
    // Other tests in this process count into the same recorder: these moved at least this much.
    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    assert!(moved(probes) >= 3.0, "{after}");
    assert!(moved(refused) >= 1.0, "{after}");
    assert!(moved(r#"http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}"#) >= 3.0);
    assert!(moved("refresh_batch_size_count") >= 1.0, "{after}");
    assert!(moved("refresh_queue_wait_seconds_count") >= 1.0, "{after}");
    assert!(moved("sign_in_throttled_total") >= 1.0, "{after}");
    // Five of the six were failures (the sixth was throttled): a burst.
    assert!(moved("sign_in_bursts_total") >= 1.0, "{after}");
    assert!(
        after.contains(r#"db_pool_connections{pool="write",state="in_use"}"#),
        "{after}"
    );
    assert!(sample(&after, "sessions_active") >= 1.0, "{after}");
    assert!(!after.contains("tcr_"), "no secret in a label");
    assert!(
        !after.contains("BREW") && after.contains(r#"method="OTHER""#),
        "{after}"
    );
}
