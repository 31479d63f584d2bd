//! The built single-page app: files from `dist/`, `index.html` for every client route, and the
//! Content-Security-Policy the app runs under.
//!
//! The policy allows scripts from this origin, wasm compilation, and Trunk's inline loader by
//! its hash (read from `dist/index.html` at start). Styles come from this origin or are
//! constructed by the app (adopted stylesheets need no allowance). No page may be framed,
//! except `/embed/...` by the origins in `--frame-ancestors`.

use std::collections::HashSet;
use std::convert::Infallible;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::handler::HandlerWithoutStateExt;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use token_api::API_PREFIX;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::extract::{live_session, session_cookie};
use crate::store::users;
use crate::AppState;

/// The SHA-256 sources of every inline `<tag>` in `html` (`script` or `style`), as CSP wants them.
pub fn inline_hashes(html: &str, tag: &str) -> Vec<String> {
    let (open_tag, close_tag) = (format!("<{tag}"), format!("</{tag}>"));
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find(&open_tag) {
        rest = &rest[open..];
        let Some(tag_end) = rest.find('>') else { break };
        let attributes = &rest[..tag_end];
        let body = &rest[tag_end + 1..];
        let Some(close) = body.find(&close_tag) else { break };
        if !attributes.contains(" src=") {
            let digest = Sha256::digest(&body.as_bytes()[..close]);
            hashes.push(format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ));
        }
        rest = &body[close..];
    }
    hashes
}

/// The paths `html` loads with an integrity check: the app's files, which Trunk names by their
/// content, so a name never comes to mean other bytes and a browser may keep them for good.
pub fn content_addressed(html: &str) -> HashSet<String> {
    html.split("<link")
        .skip(1)
        .filter_map(|link| {
            let link = &link[..link.find('>')?];
            if !link.contains("integrity=") {
                return None;
            }
            let href = &link[link.find("href=\"")? + 6..];
            Some(href[..href.find('"')?].to_owned())
        })
        .collect()
}

/// Whether `path` is a lazy page's module, which the build names `token-console-<part>-<16 hex
/// digits>.wasm` by its bytes (`xtask/src/dist.rs`) and the link module in `index.html` fetches
/// when the page is first used: content-named as much as the files `index.html` loads.
pub fn lazy_module(path: &str) -> bool {
    path.strip_prefix("/token-console-")
        .and_then(|rest| rest.strip_suffix(".wasm"))
        .and_then(|rest| rest.rsplit_once('-'))
        .is_some_and(|(part, hash)| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && hash.len() == 16
                && hash.chars().all(|c| c.is_ascii_hexdigit())
        })
}

/// The hashes of index.html's inline scripts (Trunk's loader) and styles (the page's frame,
/// painted before the app has loaded).
#[derive(Default)]
pub struct Inline {
    pub scripts: Vec<String>,
    pub styles: Vec<String>,
}

/// The policy, with `frame-ancestors` from `ancestors` (`'none'` when empty).
pub fn content_security_policy(inline: &Inline, ancestors: &[String]) -> String {
    let sources = |first: &str, hashes: &[String]| {
        std::iter::once(first.to_owned())
            .chain(hashes.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let scripts = sources("'self' 'wasm-unsafe-eval'", &inline.scripts);
    let styles = sources("'self'", &inline.styles);
    let ancestors = if ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        ancestors.join(" ")
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {ancestors}"
    )
}

fn header_value(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).expect("a CSP built from validated origins and base64 is a valid header")
}

/// `dist/` with the page (`IndexPage`, read at start) for the app's addresses. The app's
/// content-named files are sent `immutable`; everything else is revalidated on every load (the
/// page by its ETag, `embed.js` by `Last-Modified`; 304), so a new release shows at once. Each
/// file goes as its brotli or gzip copy (made by the build, `xtask/src/dist.rs`) to a browser
/// that accepts one.
pub fn router(state: &AppState) -> Router<AppState> {
    let dist: &Path = &state.config.dist;
    let page = IndexPage::read(dist);
    let index = String::from_utf8_lossy(&page.identity).into_owned();
    let inline = Inline {
        scripts: inline_hashes(&index, "script"),
        styles: inline_hashes(&index, "style"),
    };
    let immutable = Arc::new(content_addressed(&index));
    let csp = HeaderName::from_static("content-security-policy");
    let framed = Router::new()
        .route_service("/embed/{*page}", page.clone().into_service())
        .layer(SetResponseHeaderLayer::overriding(
            csp.clone(),
            header_value(content_security_policy(&inline, &state.config.frame_ancestors)),
        ));
    let standalone = Router::new()
        .fallback_service(
            ServeDir::new(dist)
                .precompressed_br()
                .precompressed_gzip()
                // `/` too is the page from memory, not `index.html` from the disk.
                .append_index_html_on_directories(false)
                .fallback(page_or_missing(page)),
        )
        .layer(SetResponseHeaderLayer::overriding(
            csp,
            header_value(content_security_policy(&inline, &[])),
        ))
        // For browsers that predate frame-ancestors.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    framed
        .merge(standalone)
        .layer(SetResponseHeaderLayer::overriding(
            header::VARY,
            HeaderValue::from_static("accept-encoding"),
        ))
        .layer(middleware::from_fn_with_state(state.clone(), preload_first_list))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let keep = immutable.contains(req.uri().path()) || lazy_module(req.uri().path());
            async move {
                let mut response = next.run(req).await;
                let policy =
                    if keep && (response.status().is_success() || response.status() == StatusCode::NOT_MODIFIED) {
                        "public, max-age=31536000, immutable"
                    } else {
                        "no-cache"
                    };
                response
                    .headers_mut()
                    .entry(header::CACHE_CONTROL)
                    .or_insert(HeaderValue::from_static(policy));
                response
            }
        }))
}

/// The Users page's list, asked for with the page itself (`Link: rel=preload`), so it is on its
/// way while the app's code loads rather than after: for `/w/{ws}/tokens`, and for `/tokens`
/// with the workspace the app opens first (the user's first, unless they chose another in this
/// browser, which the service cannot know: then the one request is wasted, not wrong). Only for
/// someone signed in, and only for ids that need no escaping, so the address is the app's own.
///
/// Every other path passes untouched. The look-up only reads, and is given `PRELOAD_WAIT`: a
/// slow or absent database costs the page its hint, never its load. The answer then depends on
/// the cookie, so it is `private` and varies by it.
async fn preload_first_list(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let wanted = req.method() == Method::GET && (path == "/tokens" || list_workspace(path).is_some());
    let cookie = session_cookie(req.headers(), &state.config).filter(|_| wanted);
    let Some(cookie) = cookie else {
        return next.run(req).await;
    };
    let path = path.to_owned();
    let workspace = tokio::time::timeout(PRELOAD_WAIT, async {
        let live = live_session(&state, &cookie).await.ok()??;
        match (list_workspace(&path), live.sso_workspace_id) {
            (Some(id), _) => Some(id.to_owned()),
            (None, Some(only)) => Some(only),
            (None, None) => users::profile(&state.db.pool, &live.user_id)
                .await
                .ok()
                .flatten()
                .and_then(|(_, workspaces)| workspaces.into_iter().next())
                .map(|w| w.id),
        }
    })
    .await
    .ok()
    .flatten();
    let mut response = next.run(req).await;
    let plain = |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if let Some(id) = workspace.filter(|id| plain(id)) {
        let link = format!("<{API_PREFIX}/workspaces/{id}/tokens>; rel=preload; as=fetch; crossorigin=anonymous");
        if let Ok(value) = HeaderValue::from_str(&link) {
            let headers = response.headers_mut();
            headers.append(header::LINK, value);
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
            headers.append(header::VARY, HeaderValue::from_static("cookie"));
        }
    }
    response
}

/// How long a page waits for its list's hint: a signed-in look-up takes a millisecond or two.
const PRELOAD_WAIT: std::time::Duration = std::time::Duration::from_millis(100);

/// The workspace a `/w/{ws}/tokens` address names.
fn list_workspace(path: &str) -> Option<&str> {
    path.strip_prefix("/w/")?
        .strip_suffix("/tokens")
        .filter(|id| !id.contains('/'))
}

/// `index.html` as read at start, with its brotli and gzip copies: the page always goes with
/// the Content-Security-Policy computed from it (its loader script's hash changes with every
/// build), even while a new `dist/` is copied in before a restart. Revalidated by a strong ETag
/// of its bytes, not by the file's time, which a rollback or a copy keeping times would not move.
#[derive(Clone)]
struct IndexPage {
    identity: axum::body::Bytes,
    br: Option<axum::body::Bytes>,
    gzip: Option<axum::body::Bytes>,
    etag: HeaderValue,
}

impl IndexPage {
    fn read(dist: &Path) -> IndexPage {
        let read = |name: &str| std::fs::read(dist.join(name)).ok().map(axum::body::Bytes::from);
        let identity = read("index.html").unwrap_or_else(|| {
            tracing::warn!(dist = %dist.display(), "no index.html in the app's directory: pages will be empty");
            axum::body::Bytes::new()
        });
        let digest = Sha256::digest(&identity);
        let etag = format!("\"{}\"", crate::secrets::hex(&digest[..12]));
        IndexPage {
            br: read("index.html.br"),
            gzip: read("index.html.gz"),
            etag: HeaderValue::from_str(&etag).expect("hex is a valid header"),
            identity,
        }
    }

    fn answer(&self, req: &Request) -> Response {
        let headers = req.headers();
        let matches = headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| {
                let tag = tag.trim();
                tag == "*" || tag.trim_start_matches("W/") == self.etag
            });
        if matches {
            return (StatusCode::NOT_MODIFIED, [(header::ETAG, self.etag.clone())]).into_response();
        }
        let accepts = |coding: &str| {
            headers
                .get_all(header::ACCEPT_ENCODING)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .any(|item| {
                    let mut parts = item.split(';');
                    let name = parts.next().unwrap_or("").trim();
                    let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                    name.eq_ignore_ascii_case(coding) && !refused
                })
        };
        let (body, encoding) = match (&self.br, &self.gzip) {
            (Some(br), _) if accepts("br") => (br.clone(), Some("br")),
            (_, Some(gz)) if accepts("gzip") => (gz.clone(), Some("gzip")),
            _ => (self.identity.clone(), None),
        };
        let mut response = (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::ETAG, self.etag.clone()),
            ],
            body,
        )
            .into_response();
        if let Some(encoding) = encoding {
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    }

    fn into_service(
        self,
    ) -> impl tower::Service<Request, Response = Response, Error = Infallible, Future = impl Send> + Clone {
        (move |req: Request| {
            let page = self.clone();
            async move { page.answer(&req) }
        })
        .into_service()
    }
}

/// The page for the app's own addresses; 404 for a path that names a file (`…/x.js`) that is
/// not there, such as a previous release's file asked for by a page opened before an upgrade:
/// answered with the app's HTML, it would fail as a script with no word of why.
fn page_or_missing(
    page: IndexPage,
) -> impl tower::Service<Request, Response = Response, Error = Infallible, Future = impl Send> + Clone {
    (move |req: Request| {
        let page = page.clone();
        async move {
            let names_a_file = req
                .uri()
                .path()
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains('.'));
            if names_a_file {
                return StatusCode::NOT_FOUND.into_response();
            }
            page.answer(&req)
        }
    })
    .into_service()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<script src="/a.js"></script><script type="module">import init from '/x.js';</script>"#;
        let hashes = inline_hashes(html, "script");
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import init from '/x.js';"));
        assert_eq!(hashes, vec![format!("'sha256-{expected}'")]);
    }

    #[test]
    fn only_files_loaded_with_an_integrity_check_are_content_addressed() {
        let html = r#"<link rel="modulepreload" href="/app-1f.js" integrity="sha384-a">
<link rel="preload" href="/app-1f_bg.wasm" integrity="sha384-b" as="fetch"><link rel="icon" href="/favicon.ico">"#;
        let found = content_addressed(html);
        assert_eq!(
            found,
            HashSet::from(["/app-1f.js".to_owned(), "/app-1f_bg.wasm".to_owned()])
        );
    }

    #[test]
    fn lazy_modules_are_content_named() {
        assert!(lazy_module("/token-console-admin_page-9c9c4efed13b5392.wasm"));
        assert!(lazy_module("/token-console-chunk_3-25bc2a8389bc9cd2.wasm"));
        for other in [
            "/token-console-9c9c4efed13b5392_bg.wasm",
            "/token-console-admin_page.wasm",
            "/token-console-admin_page-9c9c4efed13b539.wasm",
            "/token-console-admin/page-9c9c4efed13b5392.wasm",
            "/token-console--9c9c4efed13b5392.wasm",
            "/embed.js",
            "/other-admin_page-9c9c4efed13b5392.wasm",
        ] {
            assert!(!lazy_module(other), "{other}");
        }
    }

    #[test]
    fn nobody_may_frame_unless_configured() {
        let policy = content_security_policy(&Inline::default(), &[]);
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("object-src 'none'") && policy.contains("base-uri 'none'"));
        let inline = Inline {
            scripts: vec!["'sha256-x'".into()],
            styles: vec!["'sha256-y'".into()],
        };
        let policy = content_security_policy(&inline, &["https://app.example".into()]);
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-x';"),
            "{policy}"
        );
        assert!(policy.contains("style-src 'self' 'sha256-y';"), "{policy}");
        assert!(policy.ends_with("frame-ancestors https://app.example"), "{policy}");
    }
}
