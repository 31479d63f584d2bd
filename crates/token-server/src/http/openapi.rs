//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the whole API, so it cannot drift from
//! the router or the contract crate's types.
//!
//! Every route is registered once, from its handler's `#[utoipa::path]` (`utoipa_axum::routes!`
//! in each resource's `router()`), and `http::router` hands the document those routers collected
//! to [`Document::new`].

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Extension;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's title, description and security schemes: the root the routers' paths are
/// merged into.
#[derive(OpenApi)]
#[openapi(
    info(title = "Token Console", description = "Create, reveal once, and manage OAuth 2.0 API tokens of a workspace."),
    modifiers(&Security),
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::extract::SESSION_COOKIE,
                "The session cookie set by POST /api/session. State-changing requests also need the session's \
                 CSRF token in the x-csrf-token header.",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The document, serialized once at start and served by [`serve`].
#[derive(Clone)]
pub struct Document(Bytes);

impl Document {
    /// The document the routers collected from their handlers' annotations, serialized.
    pub fn new(openapi: utoipa::openapi::OpenApi) -> Document {
        // Start-up: a document that cannot be serialized is a bug to fail on at once.
        let json = openapi.to_json().expect("the OpenAPI document serializes");
        Document(Bytes::from(json))
    }
}

/// `GET /api/openapi.json`; the router's `Extension` layer holds the document.
pub async fn serve(Extension(Document(json)): Extension<Document>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json)
}
