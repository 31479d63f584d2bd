//! The routes, assembled: one `router()` per resource, then the layers every response gets.

mod admin;
mod health;
mod oauth;
mod openapi;
mod session;
mod spa;
mod tokens;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::problem_response;
use crate::AppState;

/// The largest request body any endpoint takes: a batch of 1,000 ids fits with room to spare.
pub const BODY_LIMIT: usize = 128 * 1024;

/// The detail of the 404 for a path under `/api` that no route serves.
pub const NO_SUCH_ENDPOINT: &str = "no such endpoint";

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(session::router())
        .merge(tokens::router())
        .merge(admin::router())
        .merge(oauth::resource_router())
        .merge(openapi::router())
        .fallback(|| async { problem_response(StatusCode::NOT_FOUND, Some(NO_SUCH_ENDPOINT.to_owned()), vec![]) })
        // Everything the API answers is about one signed-in user: no cache may keep it.
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .merge(health::router())
        .nest("/api", api)
        .merge(oauth::router())
        .merge(spa::router(&state))
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
        .with_state(state)
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
