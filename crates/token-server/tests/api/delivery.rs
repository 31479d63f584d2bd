//! How the app and the API's answers travel: compressed for browsers that accept it, the app's
//! content-named files kept by browsers for good, everything else revalidated; and no answer
//! holding a secret ever compressed.

use std::io::{Read, Write};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::json;

use crate::support::{Browser, Reply, TestApp};

const APP_JS: &str = "/token-console-0a1b2c3d.js";
const FRAME_STYLE: &str = "body { margin: 0; }";

/// A `dist/` as the build leaves it: a content-named file loaded with an integrity check, a
/// stable `embed.js`, an inline style, and a brotli and a gzip copy of each file.
fn built_dist(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    std::fs::create_dir_all(dir).unwrap();
    let index = format!(
        "<!DOCTYPE html><title>Token Console</title><style>{FRAME_STYLE}</style>\
         <link rel=\"modulepreload\" href=\"{APP_JS}\" integrity=\"sha384-x\">\
         <script type=\"module\">start();</script>{}",
        "<!-- padding -->".repeat(100)
    );
    let files = vec![
        ("index.html".to_owned(), index.into_bytes()),
        (
            APP_JS[1..].to_owned(),
            "export function start() {}\n".repeat(200).into_bytes(),
        ),
        (
            "embed.js".to_owned(),
            format!("import '.{APP_JS}';\n").repeat(100).into_bytes(),
        ),
    ];
    for (name, body) in &files {
        std::fs::write(dir.join(name), body).unwrap();
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut body.as_slice(), &mut br, &Default::default()).unwrap();
        std::fs::write(dir.join(format!("{name}.br")), br).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(body).unwrap();
        std::fs::write(dir.join(format!("{name}.gz")), gz.finish().unwrap()).unwrap();
    }
    files
}

/// The body as the browser reads it, after undoing the encoding the answer names.
fn decoded(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::new();
    match reply.headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()) {
        None => out.clone_from(&reply.bytes),
        Some("br") => {
            brotli::BrotliDecompress(&mut reply.bytes.as_slice(), &mut out).unwrap();
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(reply.bytes.as_slice())
                .read_to_end(&mut out)
                .unwrap();
        }
        Some(other) => panic!("an encoding nobody asked for: {other}"),
    }
    out
}

async fn fetch(app: &TestApp, path: &str, accept: &str, extra: Option<(header::HeaderName, &str)>) -> Reply {
    let mut req = Request::builder()
        .method(Method::GET)
        .uri(path)
        .header(header::ACCEPT_ENCODING, accept);
    if let Some((name, value)) = extra {
        req = req.header(name, value);
    }
    app.raw(req.body(Body::empty()).unwrap()).await
}

async fn the_app_goes_compressed_and_its_content_named_files_are_kept_for_good(mut app: TestApp) {
    let dir = std::env::temp_dir().join(format!("token-console-dist-{}", token_server::secrets::random_id()));
    let files = built_dist(&dir);
    app.reconfigure(|c| c.dist = dir.clone()).await;
    let original = |name: &str| files.iter().find(|(n, _)| n == name).unwrap().1.clone();
    for (accept, encoding) in [("br, gzip", Some("br")), ("gzip", Some("gzip")), ("identity", None)] {
        for (path, name) in [
            (APP_JS, &APP_JS[1..]),
            ("/embed.js", "embed.js"),
            ("/w/ws-acme/tokens", "index.html"),
            ("/embed/users", "index.html"),
        ] {
            let what = format!("{path} for Accept-Encoding: {accept}");
            let reply = fetch(&app, path, accept, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{what}");
            assert_eq!(
                reply.headers.get(header::CONTENT_ENCODING).map(|v| v.to_str().unwrap()),
                encoding,
                "{what}"
            );
            assert_eq!(decoded(&reply), original(name), "{what}");
            assert_eq!(reply.headers[header::VARY], "accept-encoding", "{what}");
            let cache = reply.headers[header::CACHE_CONTROL].to_str().unwrap();
            if path == APP_JS {
                assert_eq!(cache, "public, max-age=31536000, immutable", "{what}");
                assert!(
                    reply.headers[header::CONTENT_TYPE]
                        .to_str()
                        .unwrap()
                        .contains("javascript"),
                    "{what}"
                );
            } else {
                // Stable names: a browser asks again each time, and a new release shows at once;
                // the page by its ETag (its bytes), embed.js by its time.
                assert_eq!(cache, "no-cache", "{what}");
                let (since, condition) = match reply.headers.get(header::ETAG) {
                    Some(tag) => (tag.to_str().unwrap().to_owned(), header::IF_NONE_MATCH),
                    None => (
                        reply.headers[header::LAST_MODIFIED].to_str().unwrap().to_owned(),
                        header::IF_MODIFIED_SINCE,
                    ),
                };
                assert_eq!(name == "index.html", condition == header::IF_NONE_MATCH, "{what}");
                let again = fetch(&app, path, accept, Some((condition, &since))).await;
                assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{what}, revalidated");
                assert!(again.bytes.is_empty(), "{what}, revalidated");
            }
        }
    }
    // The frame's inline style is allowed by its hash, and no other.
    use base64::Engine;
    use sha2::Digest;
    let style = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(FRAME_STYLE.as_bytes()));
    let reply = fetch(&app, "/tokens", "br", None).await;
    let csp = reply.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains(&format!("style-src 'self' 'sha256-{style}';")), "{csp}");
    // A new dist/ copied in before the restart: the page still goes as it was read at start,
    // with the CSP made from it (its loader's hash), and its ETag unchanged.
    let before = fetch(&app, "/tokens", "identity", None).await;
    std::fs::write(dir.join("index.html"), "<script>another release();</script>").unwrap();
    std::fs::remove_file(dir.join("index.html.br")).unwrap();
    let after = fetch(&app, "/tokens", "br", None).await;
    assert_eq!(decoded(&after), original("index.html"));
    assert_eq!(after.headers[header::ETAG], before.headers[header::ETAG]);
    assert_eq!(
        after.headers["content-security-policy"],
        before.headers["content-security-policy"]
    );
    // A file that is not there (a previous release's, asked for by a page opened before an
    // upgrade) is not found, rather than answered with the app's HTML; an address of the app's
    // own is the app.
    let missing = fetch(&app, "/token-console-ffff.js", "br", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.headers[header::CACHE_CONTROL], "no-cache");
    let page = fetch(&app, "/w/acme.example/tokens", "identity", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(decoded(&page), original("index.html"));
    let _ = std::fs::remove_dir_all(&dir);
}

async fn api(app: &TestApp, method: Method, path: &str, who: &Browser, body: Option<serde_json::Value>) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::ACCEPT_ENCODING, "br, gzip")
        .header(header::COOKIE, format!("tc_session={}", who.cookie))
        .header("x-csrf-token", &who.csrf);
    if body.is_some() {
        req = req.header(header::CONTENT_TYPE, "application/json");
    }
    let body = body.map_or_else(Body::empty, |b| Body::from(b.to_string()));
    app.raw(req.body(body).unwrap()).await
}

async fn lists_go_compressed_and_answers_holding_a_secret_never_do(app: TestApp) {
    // Ben in thirty more workspaces with long names: his `/api/me` (which holds the session's
    // CSRF token) is then well over the size where answers are compressed.
    for i in 0..30 {
        let id = format!("ws-many-{i}");
        sqlx::query("INSERT INTO workspaces (id, name, client_id, created_at) VALUES ($1, $2, $3, 0)")
            .bind(&id)
            .bind(format!("A workspace with a rather long name, number {i}"))
            .bind(format!("tcc_many_{i}"))
            .execute(&app.state.db.writer)
            .await
            .unwrap();
        sqlx::query("INSERT INTO memberships (workspace_id, user_id, role) SELECT $1, id, 'member' FROM users WHERE email = 'ben@acme.test'")
            .bind(&id)
            .execute(&app.state.db.writer)
            .await
            .unwrap();
    }
    let ben = app.sign_in("ben@acme.test").await;
    // The longest name, in three-byte characters: a new token's answer is then over the size.
    let name = "令".repeat(token_api::validate::NAME_MAX_CHARS);
    let mut created = None;
    for _ in 0..12 {
        let reply = api(
            &app,
            Method::POST,
            "/api/workspaces/ws-acme/tokens",
            &ben,
            Some(json!({ "name": name, "lifetime_days": 30 , "all_permissions": true})),
        )
        .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        created = Some(reply);
    }
    let me = api(&app, Method::GET, "/api/me", &ben, None).await;
    let sign_in = app
        .raw(
            Request::builder()
                .method(Method::POST)
                .uri("/api/session")
                .header(header::ACCEPT_ENCODING, "br, gzip")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({ "email": "ben@acme.test", "password": token_server::seed::DEMO_PASSWORD }).to_string(),
                ))
                .unwrap(),
        )
        .await;
    for (what, reply) in [
        ("/api/me", &me),
        ("the sign-in", &sign_in),
        ("a new token", created.as_ref().unwrap()),
    ] {
        assert!(reply.status.is_success(), "{what}: {}", reply.text);
        // Large enough to be compressed, were it not for the secret in it.
        let size = decoded(reply).len();
        assert!(size > 1024, "{what} is only {size} bytes");
        assert!(
            reply.headers.get(header::CONTENT_ENCODING).is_none(),
            "{what} went compressed"
        );
    }
    // Every answer that holds a secret is marked, the small ones too: adding a member answers
    // with a set-password link, under the size where anything is compressed today.
    for (what, reply) in [
        ("/api/me", &me),
        ("the sign-in", &sign_in),
        ("a new token", created.as_ref().unwrap()),
    ] {
        assert!(reply.secret, "{what} is not marked as holding a secret");
    }
    let ada = app.sign_in("ada@acme.test").await;
    let added = app
        .post(
            "/api/workspaces/ws-acme/admin/members",
            &ada,
            json!({ "email": "new.person@acme.test", "name": "New Person", "role": "member" }),
        )
        .await;
    assert!(added.status.is_success(), "{}", added.text);
    assert!(added.body["set_password_link"].is_string());
    assert!(added.secret, "the set-password link's answer is not marked");
    let list = api(&app, Method::GET, "/api/workspaces/ws-acme/tokens", &ben, None).await;
    assert!(!list.secret);
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.headers[header::CONTENT_ENCODING], "br");
    assert!(list.headers[header::VARY].to_str().unwrap().contains("accept-encoding"));
    let tokens: serde_json::Value = serde_json::from_slice(&decoded(&list)).unwrap();
    assert!(tokens["tokens"].as_array().unwrap().len() >= 12);
    assert!(
        list.bytes.len() * 3 < decoded(&list).len(),
        "a list of repeated names shrinks"
    );
}

/// The exports stream page by page; compressed, they still end whole (a stream polled once more
/// after its end used to panic the task and cut the answer short).
async fn the_csv_exports_arrive_whole_in_every_encoding(app: TestApp) {
    let ada = app.sign_in("ada@acme.test").await;
    for path in [
        "/api/workspaces/ws-acme/admin/tokens.csv",
        "/api/workspaces/ws-acme/admin/audit.csv",
    ] {
        let plain = app.get(path, &ada).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        for accept in ["br", "gzip"] {
            let mut req = Request::builder()
                .method(Method::GET)
                .uri(path)
                .header(header::ACCEPT_ENCODING, accept)
                .header(header::COOKIE, format!("tc_session={}", ada.cookie));
            req = req.header("x-csrf-token", &ada.csrf);
            let reply = app.raw(req.body(Body::empty()).unwrap()).await;
            assert_eq!(reply.headers[header::CONTENT_ENCODING], accept, "{path}");
            assert_eq!(decoded(&reply), plain.bytes, "{path} in {accept}");
        }
    }
}

/// The Users page's list is asked for with the page (`Link: rel=preload`), for someone signed
/// in: the workspace in the address, or for `/tokens` the one the app opens first.
async fn the_page_asks_for_its_first_list_with_itself(app: TestApp) {
    let ben = app.sign_in("ben@acme.test").await;
    let link = |reply: &Reply| reply.headers.get(header::LINK).map(|v| v.to_str().unwrap().to_owned());
    let me = app.get("/api/me", &ben).await;
    let first = me.body["workspaces"][0]["id"].as_str().unwrap().to_owned();
    for (path, workspace) in [("/tokens", first.as_str()), ("/w/ws-globex/tokens", "ws-globex")] {
        let reply = app.get(path, &ben).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        // The answer now depends on who asks: no shared cache may keep it for someone else.
        assert_eq!(reply.headers[header::CACHE_CONTROL], "private, no-cache", "{path}");
        let vary: Vec<_> = reply
            .headers
            .get_all(header::VARY)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert!(
            vary.contains(&"cookie") && vary.contains(&"accept-encoding"),
            "{path}: {vary:?}"
        );
        assert_eq!(
            link(&reply).as_deref(),
            Some(
                format!("</api/workspaces/{workspace}/tokens>; rel=preload; as=fetch; crossorigin=anonymous").as_str()
            ),
            "{path}"
        );
    }
    // Signed out, or another page: nothing asked for ahead.
    assert_eq!(link(&app.send(Method::GET, "/tokens", None, None).await), None);
    assert_eq!(link(&app.get("/admin/tokens", &ben).await), None);
    // An address that would need escaping is left to the app.
    assert_eq!(link(&app.get("/w/a%3Cb%3E/tokens", &ben).await), None);
}

crate::on_both_databases!(
    the_page_asks_for_its_first_list_with_itself,
    the_csv_exports_arrive_whole_in_every_encoding,
    the_app_goes_compressed_and_its_content_named_files_are_kept_for_good,
    lists_go_compressed_and_answers_holding_a_secret_never_do,
);
