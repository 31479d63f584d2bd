//! The routes, assembled: one `router()` per resource, then the layers every response gets.
//! Each resource's router registers its routes from their handlers' `#[utoipa::path]`, so the
//! routers carry the OpenAPI document along; `/api` and the other prefixes are added to it as
//! they are to the routes.

mod admin;
mod calendar;
pub mod context;
mod health;
mod host;
pub mod leaks;
mod notices;
mod oauth;
mod openapi;
pub mod scim;
mod session;
mod spa;
mod sso;
mod streams;
mod tokens;

use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, Extensions, HeaderMap, HeaderValue, Method, StatusCode, Version};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use token_api::oauth::{OAuthError, OAuthErrorCode};
use token_api::problem::{Problem, PROBLEM_JSON};
use tower::limit::GlobalConcurrencyLimitLayer;
use tower::ServiceBuilder;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{problem_response, unavailable};
use crate::AppState;

/// The largest request body any endpoint takes: a batch of 1,000 ids fits with room to spare.
pub const BODY_LIMIT: usize = 128 * 1024;

/// The detail of the 404 for a path under `/api` that no route serves.
pub const NO_SUCH_ENDPOINT: &str = "no such endpoint";

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let api = OpenApiRouter::new()
        .merge(session::router())
        .merge(sso::router())
        .merge(host::router())
        .merge(tokens::router())
        .merge(calendar::router())
        .merge(notices::router())
        .merge(admin::router())
        .merge(streams::router())
        .merge(leaks::router())
        .merge(oauth::resource_router())
        // Served here, but not an operation of the document it serves.
        .route("/openapi.json", get(openapi::serve))
        .fallback(|| async { problem_response(StatusCode::NOT_FOUND, Some(NO_SUCH_ENDPOINT.to_owned()), vec![]) })
        // Everything the API answers is about one signed-in user: no cache may keep it
        // (`Pragma` for HTTP/1.0 caches, as RFC 6749 §5.1 asks of secret-bearing answers).
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::PRAGMA,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(compression());
    let config = state.config.clone();
    let hsts = config.https().then(|| HeaderValue::from_static("max-age=63072000"));
    let limits = ServiceBuilder::new()
        // Past the limit a request is refused at once rather than queued behind the others.
        .layer(HandleErrorLayer::new(|_: tower::BoxError| async { unavailable() }))
        .load_shed()
        // Global: `Router::layer` gives each route its own copy of a layer, and a plain
        // concurrency limit would then count per route.
        .layer(GlobalConcurrencyLimitLayer::new(
            config.max_concurrent_requests as usize,
        ));
    // The probes stand outside the limits: a busy instance is alive, and says so.
    let limited = OpenApiRouter::new()
        .nest("/api", api)
        .nest(scim::PREFIX, scim::router())
        .merge(oauth::router())
        .merge(spa::router(&state).into())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_seconds.into()),
        ))
        .layer(limits);
    let (routes, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(health::router())
        .merge(limited)
        .split_for_parts();
    routes
        .layer(Extension(openapi::Document::new(document)))
        .layer(middleware::from_fn(refuse_cross_site_writes))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ))
        .layer(middleware::from_fn(shape_rejections))
        .layer(middleware::from_fn(context::access_log))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(context::NewRequestId))
        .layer(middleware::from_fn_with_state(
            context::TrustedProxies::new(config.trusted_proxies.clone(), config.forwarded_header),
            context::client_context,
        ))
        .with_state(state)
}

/// Marks an answer that carries a secret (a new token pair, a session's CSRF token, a
/// set-password link): never compressed, so nobody who can put text of their choosing beside the
/// secret in one answer can learn it from the answer's length (BREACH).
#[derive(Clone, Copy, Debug)]
pub struct Secret;

/// The API's answers in brotli or gzip, for clients that accept them (the lists, the audit
/// trail and its CSV, at a few MB for 10,000 rows, shrink tenfold): at a level that costs
/// little CPU per MB, never an answer marked `Secret`, never a small one.
fn compression() -> CompressionLayer<impl tower_http::compression::Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(1024)).and(
            |_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions| extensions.get::<Secret>().is_none(),
        ))
}

/// Every error the framework answers by itself (a bad path or query, 405, 413, 408, a refused
/// connection slot) in the shape the endpoint documents: RFC 6749's error JSON under `/oauth2`,
/// problem+json elsewhere, with the body's status equal to the HTTP status. Headers such as
/// `Allow` and `Retry-After` are kept.
async fn shape_rejections(req: Request, next: Next) -> Response {
    let oauth = req.uri().path().starts_with("/oauth2/");
    let scim = req.uri().path().starts_with("/scim/");
    let response = next.run(req).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let documented = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            // Under /oauth2 a problem (the load shedder's, say) is not the documented shape.
            if scim {
                return t.starts_with(token_api::scim::SCIM_JSON);
            }
            t.starts_with("application/json") || (!oauth && (t.starts_with(PROBLEM_JSON) || t.starts_with("text/html")))
        });
    if documented {
        return response;
    }
    let (parts, body) = response.into_parts();
    // The framework's own words (which field of the query, which limit), never more than a line.
    let detail = axum::body::to_bytes(body, 1024)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|text| match serde_json::from_str::<Problem>(&text) {
            Ok(problem) => problem.detail.unwrap_or_default(),
            Err(_) => text,
        })
        .map(|t| t.chars().take(200).collect::<String>())
        .filter(|t| !t.trim().is_empty());
    let mut shaped = if scim {
        scim::error_response(
            status,
            None,
            detail.or_else(|| status.canonical_reason().map(str::to_owned)),
        )
    } else if oauth {
        let error = match status {
            StatusCode::UNAUTHORIZED => OAuthErrorCode::InvalidClient,
            StatusCode::SERVICE_UNAVAILABLE => OAuthErrorCode::TemporarilyUnavailable,
            s if s.is_server_error() => OAuthErrorCode::ServerError,
            _ => OAuthErrorCode::InvalidRequest,
        };
        let body = OAuthError {
            error,
            error_description: detail.or_else(|| status.canonical_reason().map(str::to_owned)),
        };
        let mut r = (status, Json(body)).into_response();
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        r
    } else {
        problem_response(status, detail, vec![])
    };
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH && name != header::CONTENT_ENCODING {
            shaped.headers_mut().insert(name.clone(), value.clone());
        }
    }
    shaped
}

/// Defence in depth beside SameSite=Strict cookies and the CSRF header: a browser that says a
/// state-changing request comes from another site is refused before any handler runs.
async fn refuse_cross_site_writes(req: Request, next: Next) -> Response {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let cross_site = req
        .headers()
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    if unsafe_method && cross_site && req.uri().path().starts_with("/api/") {
        return problem_response(
            StatusCode::FORBIDDEN,
            Some("cross-site request refused".to_owned()),
            vec![],
        );
    }
    next.run(req).await
}
