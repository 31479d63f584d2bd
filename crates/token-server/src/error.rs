//! `AppError`: every failure of the management API, answered as RFC 9457 problem+json.
//! A 5xx body says only that something failed; the cause goes to the log, never to the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use token_api::problem::{FieldError, Problem, PROBLEM_JSON};
use token_api::validate::Invalid;

/// A failure, as the client will see it.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed or a field is invalid; nothing was written.
    #[error("invalid request: {detail}")]
    BadRequest { detail: String, errors: Vec<FieldError> },
    #[error("not signed in")]
    Unauthenticated,
    #[error("wrong email or password")]
    WrongCredentials,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    /// Missing, or not the caller's to see: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    /// The request was right when made, but what it counted on has changed.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("payload too large")]
    TooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// Too many failed attempts: try again after this long.
    #[error("too many requests")]
    TooManyRequests(std::time::Duration),
    /// The service is too busy to take this request now; a retry may succeed.
    #[error("busy")]
    Busy,
    /// The database is unreachable or busy: nothing was written, and a retry may succeed.
    #[error("service unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What a 503 tells the client to wait, in seconds.
pub const RETRY_AFTER_SECS: &str = "1";

impl AppError {
    /// A field refused with words of its own (a policy's number, say) in place of the code's.
    pub fn field_detail(field: &str, invalid: Invalid, message: String) -> AppError {
        AppError::BadRequest {
            detail: format!("{field}: {message}"),
            errors: vec![FieldError {
                field: field.to_owned(),
                code: invalid.as_str().to_owned(),
                message,
            }],
        }
    }

    pub fn field(field: &str, invalid: Invalid) -> AppError {
        AppError::BadRequest {
            detail: format!("{field} {}", invalid.message()),
            errors: vec![FieldError {
                field: field.to_owned(),
                code: invalid.as_str().to_owned(),
                message: invalid.message(),
            }],
        }
    }
}

/// A query string that does not parse: a 400 that says why.
impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest {
            detail: e.body_text(),
            errors: vec![],
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if crate::db::is_unavailable(&e) {
            AppError::Unavailable(e)
        } else {
            AppError::Internal(e.into())
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, detail, errors) = match self {
            AppError::BadRequest { detail, errors } => (StatusCode::BAD_REQUEST, Some(detail), errors),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, None, vec![]),
            AppError::WrongCredentials => (
                StatusCode::UNAUTHORIZED,
                Some("wrong email or password".to_owned()),
                vec![],
            ),
            AppError::Forbidden(why) => (StatusCode::FORBIDDEN, Some(why.to_owned()), vec![]),
            AppError::NotFound => (StatusCode::NOT_FOUND, None, vec![]),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, None, vec![]),
            AppError::Conflict(detail) => (StatusCode::CONFLICT, Some(detail), vec![]),
            AppError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("expected Content-Type: application/json".to_owned()),
                vec![],
            ),
            AppError::TooManyRequests(wait) => {
                let mut response = problem_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    Some("too many failed sign-ins; try again later".to_owned()),
                    vec![],
                );
                let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
                return response;
            }
            AppError::Unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                return unavailable();
            }
            AppError::Busy => return unavailable(),
            AppError::Internal(e) => {
                tracing::error!(error = %e, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, None, vec![])
            }
        };
        problem_response(status, detail, errors)
    }
}

/// 503 with `Retry-After`: the service cannot answer now, and nothing was written.
pub fn unavailable() -> Response {
    let mut response = problem_response(
        StatusCode::SERVICE_UNAVAILABLE,
        Some("the service is temporarily unavailable; retry shortly".to_owned()),
        vec![],
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
    response
}

/// A problem+json response.
pub fn problem_response(status: StatusCode, detail: Option<String>, errors: Vec<FieldError>) -> Response {
    let body = Problem {
        kind: "about:blank".to_owned(),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail,
        errors,
        instance: crate::http::context::current_request_id(),
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], json).into_response()
}

pub type AppResult<T> = Result<T, AppError>;
