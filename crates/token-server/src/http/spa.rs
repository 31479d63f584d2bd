//! The built single-page app: files from `dist/`, `index.html` for every client route, and the
//! Content-Security-Policy the app runs under.
//!
//! The policy allows scripts from this origin, wasm compilation, and Trunk's inline loader by
//! its hash (read from `dist/index.html` at start). Styles come from this origin or are
//! constructed by the app (adopted stylesheets need no allowance). No page may be framed,
//! except `/embed/...` by the origins in `--frame-ancestors`.

use std::path::Path;

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

/// The SHA-256 sources of every inline `<script>` in `html`, as CSP wants them.
pub fn inline_script_hashes(html: &str) -> Vec<String> {
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<script") {
        rest = &rest[open..];
        let Some(tag_end) = rest.find('>') else { break };
        let tag = &rest[..tag_end];
        let body = &rest[tag_end + 1..];
        let Some(close) = body.find("</script>") else { break };
        if !tag.contains(" src=") {
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

/// The policy, with `frame-ancestors` from `ancestors` (`'none'` when empty).
pub fn content_security_policy(script_hashes: &[String], ancestors: &[String]) -> String {
    let scripts = std::iter::once("'self' 'wasm-unsafe-eval'".to_owned())
        .chain(script_hashes.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    let ancestors = if ancestors.is_empty() {
        "'none'".to_owned()
    } else {
        ancestors.join(" ")
    };
    format!(
        "default-src 'self'; script-src {scripts}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors {ancestors}"
    )
}

fn header_value(value: String) -> HeaderValue {
    HeaderValue::from_str(&value).expect("a CSP built from validated origins and base64 is a valid header")
}

/// `dist/` with an `index.html` fallback, revalidated on every load so a new release shows at once.
pub fn router(state: &AppState) -> Router<AppState> {
    let dist: &Path = &state.config.dist;
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let hashes = inline_script_hashes(&index);
    let csp = HeaderName::from_static("content-security-policy");
    let framed = Router::new()
        .route_service("/embed/{*page}", ServeFile::new(dist.join("index.html")))
        .layer(SetResponseHeaderLayer::overriding(
            csp.clone(),
            header_value(content_security_policy(&hashes, &state.config.frame_ancestors)),
        ));
    let standalone = Router::new()
        .fallback_service(ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))))
        .layer(SetResponseHeaderLayer::overriding(
            csp,
            header_value(content_security_policy(&hashes, &[])),
        ))
        // For browsers that predate frame-ancestors.
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ));
    framed.merge(standalone).layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_hashed_and_external_ones_are_not() {
        let html = r#"<script src="/a.js"></script><script type="module">import init from '/x.js';</script>"#;
        let hashes = inline_script_hashes(html);
        let expected = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"import init from '/x.js';"));
        assert_eq!(hashes, vec![format!("'sha256-{expected}'")]);
    }

    #[test]
    fn nobody_may_frame_unless_configured() {
        let policy = content_security_policy(&[], &[]);
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains("object-src 'none'") && policy.contains("base-uri 'none'"));
        let policy = content_security_policy(&["'sha256-x'".into()], &["https://app.example".into()]);
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-x';"),
            "{policy}"
        );
        assert!(policy.ends_with("frame-ancestors https://app.example"), "{policy}");
    }
}
