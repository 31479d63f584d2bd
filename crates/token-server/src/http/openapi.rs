//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the whole API, generated from the
//! handlers' annotations and the contract crate's types, so it cannot drift from either.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, health, oauth, session, tokens};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Token Console", description = "Create, reveal once, and manage OAuth 2.0 API tokens of a workspace."),
    paths(
        health::healthz, health::readyz,
        session::sign_in, session::sign_out, session::sign_out_everywhere, session::me,
        tokens::list, tokens::create, tokens::disable_own, tokens::delete_own, tokens::batch_own,
        tokens::disable_any, tokens::delete_any, tokens::batch_any,
        admin::tokens, admin::summary, admin::audit, admin::batch_by_filter, admin::lookup, admin::tokens_csv,
        admin::audit_csv, admin::members,
        oauth::token, oauth::revoke, oauth::introspect, oauth::jwks, oauth::metadata, oauth::whoami,
    ),
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

/// The document's route, under `/api`.
pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
}
