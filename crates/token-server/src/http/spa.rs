//! The built single-page app: files from `dist/`, and `index.html` for every client route.

use std::path::Path;

use axum::http::{header, HeaderValue};
use axum::Router;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

/// `dist/` with an `index.html` fallback, revalidated on every load so a new release shows at once.
pub fn router(dist: &Path) -> Router<AppState> {
    Router::new()
        .fallback_service(ServeDir::new(dist).fallback(ServeFile::new(dist.join("index.html"))))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}
