//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the whole API, so it cannot drift from
//! the router or the contract crate's types.
//!
//! Every route is registered once, from its handler's `#[utoipa::path]` (`utoipa_axum::routes!`
//! in each resource's `router()`), and `http::router` hands the document those routers collected
//! to [`Document::new`]. The answers a whole kind of operation gives before its handler runs
//! (no session, a body that is not JSON, a cross-site write) come from extractors and middleware,
//! not from the handler; [`SharedAnswers`] adds them to every operation of that kind instead of
//! trusting thirty annotations to remember them. Every error body is one of the [`answer`] types:
//! the `Problem` that `crate::error` sends, as `application/problem+json`.

use axum::body::Bytes;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Extension;
use token_api::problem::Problem;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::{IntoResponses, Modify, OpenApi};

/// The document's title, description and security schemes: the root the routers' paths are
/// merged into.
#[derive(OpenApi)]
#[openapi(
    info(title = "Token Console", description = "Create, reveal once, and manage OAuth 2.0 API tokens of a workspace."),
    // Named here because the `answer` types refer to it without registering it; and every
    // wire enum, so each is described under its name (query parameters inline theirs).
    components(schemas(
        Problem,
        token_api::query::SortField,
        token_api::query::SortDir,
        token_api::policy::Creators,
        token_api::audit::AuditAction,
        token_api::auth::Role,
        token_api::oauth::OAuthErrorCode,
        token_api::tokens::DisabledCause,
        token_api::leaks::LeakLabel,
        token_api::streams::StreamState,
        token_api::tokens::TokenStatus,
        token_api::tokens::Overlap,
        token_api::tokens::BatchAction,
        token_api::tokens::BatchOutcome,
        token_api::validate::Invalid,
    )),
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
            "frame_session",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                token_api::SESSION_HEADER,
                "The session of the service's /embed/... page in a host's iframe, which never gets the cookie: \
                 `frame_session` of the answer to POST /api/host/session with `parent`. State-changing \
                 requests also need the session's CSRF token in the x-csrf-token header.",
            ))),
        );
        components.add_security_scheme(
            "host_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A host key (`tchk_…`) the operator issued with `token-server host-key create`, \
                         sent by the host's backend only.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "scim",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A SCIM credential (`tcsc_…`) the operator issued to one workspace with \
                         `token-server scim-credential create`, sent by its identity provider only.",
                    ))
                    .build(),
            ),
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

/// The error answers of the management API, each described once and named by the operations
/// that give it. The body is the `Problem` of `crate::error::problem_response`, in its media type.
// Described, never built: `AppError` builds the bodies.
#[allow(dead_code)]
pub mod answer {
    use token_api::problem::{Problem, PROBLEM_JSON};

    /// The request is malformed or a field is invalid (`errors` names each field); nothing was
    /// written.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 400, content_type = PROBLEM_JSON)]
    pub struct BadRequest(Problem);

    /// Not signed in: no session cookie, or its session has ended. At sign-in: a wrong email or
    /// password.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 401, content_type = PROBLEM_JSON)]
    pub struct Unauthorized(Problem);

    /// Refused: a write without the session's CSRF token, a cross-site write, or a member asking
    /// for what only the workspace's admins may do.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 403, content_type = PROBLEM_JSON)]
    pub struct Forbidden(Problem);

    /// No such workspace or token, or not the caller's to see: the two are deliberately alike.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 404, content_type = PROBLEM_JSON)]
    pub struct NotFound(Problem);

    /// What the request counted on has changed since; nothing was written.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 409, content_type = PROBLEM_JSON)]
    pub struct Conflict(Problem);

    /// The body is larger than the service takes.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 413, content_type = PROBLEM_JSON)]
    pub struct TooLarge(Problem);

    /// The body is not `application/json`.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 415, content_type = PROBLEM_JSON)]
    pub struct UnsupportedMediaType(Problem);

    /// Too many failed sign-ins from this address or for this account.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 429, content_type = PROBLEM_JSON,
        headers(("Retry-After" = u64, description = "Seconds to wait before trying again")))]
    pub struct TooManyRequests(Problem);

    /// The service cannot answer now (too busy, or its database unreachable); nothing was
    /// written, and a retry may succeed.
    #[derive(utoipa::IntoResponses)]
    #[response(status = 503, content_type = PROBLEM_JSON)]
    pub struct Unavailable(Problem);
}

/// The answers that come from extractors and middleware rather than from a handler, added to
/// every operation that can give them (an answer an annotation already lists is kept):
/// - `session` security: [`answer::Unauthorized`], from the `Session` extractor, and
///   `frame_session` beside it (the extractor reads either);
/// - a write under `/api`: [`answer::Forbidden`], from `refuse_cross_site_writes` and the
///   `Session` extractor's CSRF check;
/// - a JSON body: [`answer::BadRequest`], [`answer::TooLarge`] and
///   [`answer::UnsupportedMediaType`], from `ApiJson` and `OptionalJson` (every JSON body is
///   read by one of the two).
pub struct SharedAnswers;

impl Modify for SharedAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let session = SecurityRequirement::new("session", Vec::<String>::new());
        let frame_session = SecurityRequirement::new("frame_session", Vec::<String>::new());
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (write, operation) in operations(item) {
                if let Some(security) = operation.security.as_mut().filter(|s| s.contains(&session)) {
                    // Either carries the session: the cookie, or a frame's header.
                    security.push(frame_session.clone());
                    add::<answer::Unauthorized>(operation);
                }
                if write && path.starts_with("/api/") {
                    add::<answer::Forbidden>(operation);
                }
                let json_body = operation
                    .request_body
                    .as_ref()
                    .is_some_and(|body| body.content.contains_key("application/json"));
                if json_body {
                    add::<answer::BadRequest>(operation);
                    add::<answer::TooLarge>(operation);
                    add::<answer::UnsupportedMediaType>(operation);
                }
            }
        }
    }
}

/// A path's operations, each with whether its method writes (as `refuse_cross_site_writes`
/// counts them: anything but GET, HEAD and OPTIONS).
fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (false, &mut item.get),
        (false, &mut item.head),
        (false, &mut item.options),
        (true, &mut item.post),
        (true, &mut item.put),
        (true, &mut item.patch),
        (true, &mut item.delete),
        (true, &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(write, operation)| operation.as_mut().map(|o| (write, o)))
}

fn add<A: IntoResponses>(operation: &mut Operation) {
    for (status, response) in A::responses() {
        operation.responses.responses.entry(status).or_insert(response);
    }
}

/// The finished document, serialized once at start and served by [`serve`].
#[derive(Clone)]
pub struct Document(Bytes);

impl Document {
    /// Finishes the document the routers collected from their handlers' annotations.
    pub fn new(mut openapi: utoipa::openapi::OpenApi) -> Document {
        SharedAnswers.modify(&mut openapi);
        // Start-up: a document that cannot be serialized is a bug to fail on at once.
        let mut doc = serde_json::to_value(&openapi).expect("the OpenAPI document serializes");
        state_limits(&mut doc);
        Document(Bytes::from(doc.to_string()))
    }
}

/// States on the fields they check the rules of the contract a schema can state (lengths,
/// ranges, counts), from its constants (`token_api::validate`, `query`, `auth`): a client generated from the document, or a
/// fuzzer, then sends what the service takes. What no schema states (no control or invisible
/// characters, a set-password link still unused) is the service's 400 alone.
fn state_limits(doc: &mut serde_json::Value) {
    use serde_json::json;
    use token_api::query::FILTER_DAYS;
    use token_api::validate::{
        BATCH_MAX_IDS, DESCRIPTION_MAX_CHARS, EMAIL_MAX_BYTES, LIFETIME_DAYS, MAX_ACTIVE_CAP, NAME_MAX_CHARS,
        PASSWORD_MIN_CHARS, REASON_MAX_CHARS,
    };
    let days = json!({ "minimum": LIFETIME_DAYS.start(), "maximum": LIFETIME_DAYS.end() });
    let reason = json!({ "maxLength": REASON_MAX_CHARS });
    let description = json!({ "maxLength": DESCRIPTION_MAX_CHARS });
    let fields = [
        (
            "CreateTokenRequest",
            "name",
            json!({ "minLength": 1, "maxLength": NAME_MAX_CHARS, "pattern": "\\S" }),
        ),
        ("CreateTokenRequest", "lifetime_days", days.clone()),
        ("CreateTokenRequest", "description", description.clone()),
        ("EditTokenRequest", "description", description),
        ("WorkspacePolicy", "max_lifetime_days", days.clone()),
        (
            "WorkspacePolicy",
            "max_active_per_member",
            json!({ "minimum": MAX_ACTIVE_CAP.start(), "maximum": MAX_ACTIVE_CAP.end() }),
        ),
        (
            "BatchRequest",
            "ids",
            json!({ "minItems": 1, "maxItems": BATCH_MAX_IDS }),
        ),
        ("BatchRequest", "reason", reason.clone()),
        ("ActionRequest", "reason", reason.clone()),
        ("FilterActionRequest", "reason", reason),
        ("FilterActionRequest", "expected_count", json!({ "minimum": 0 })),
        // Internationalised addresses are taken (`идн@пример.рф`), hence `idn-email`; the limit
        // is in bytes, so a count of characters states it only as an upper bound.
        (
            "AddMemberRequest",
            "email",
            json!({ "format": "idn-email", "maxLength": EMAIL_MAX_BYTES }),
        ),
        ("AddMemberRequest", "name", json!({ "maxLength": NAME_MAX_CHARS })),
        (
            "SetPasswordRequest",
            "password",
            json!({ "minLength": PASSWORD_MIN_CHARS, "maxLength": NAME_MAX_CHARS }),
        ),
        (
            "SetPasswordRequest",
            "token",
            json!({ "minLength": 1, "maxLength": token_api::auth::SETUP_SECRET_MAX }),
        ),
        ("RefreshForm", "grant_type", json!({ "enum": ["refresh_token"] })),
        ("RefreshForm", "refresh_token", json!({ "minLength": 1 })),
        ("TokenForm", "token", json!({ "minLength": 1 })),
    ];
    for (schema, field, rule) in fields {
        let property = &mut doc["components"]["schemas"][schema]["properties"][field];
        assert!(property.is_object(), "{schema}.{field} is not in the document");
        merge(property, rule);
    }
    // The token list's filter (`token_api::query`); the audit trail's `limit` is clamped, not
    // refused.
    let filter_days = json!({ "minimum": FILTER_DAYS.start(), "maximum": FILTER_DAYS.end() });
    let parameters = [
        ("expiring_within_days", filter_days.clone()),
        ("unused_for_days", filter_days),
        ("limit", json!({ "enum": token_api::query::PAGE_SIZES })),
    ];
    let lists = doc["paths"].as_object_mut().into_iter().flatten();
    for (_, item) in lists.filter(|(path, _)| path.contains("/admin/tokens")) {
        for operation in item.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
            for parameter in operation["parameters"].as_array_mut().into_iter().flatten() {
                if let Some((_, rule)) = parameters.iter().find(|(name, _)| parameter["name"] == *name) {
                    merge(&mut parameter["schema"], rule.clone());
                }
            }
        }
    }
}

/// `rule`'s keywords added to `schema`.
fn merge(schema: &mut serde_json::Value, rule: serde_json::Value) {
    if let (Some(schema), serde_json::Value::Object(rule)) = (schema.as_object_mut(), rule) {
        schema.extend(rule);
    }
}

/// `GET /api/openapi.json`; the router's `Extension` layer holds the document.
pub async fn serve(Extension(Document(json)): Extension<Document>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json)
}
