//! `POST /api/secret-scanning/github`: GitHub's secret scanning partner program reports refresh
//! tokens of ours it found in public, and the live ones are disabled within the request. No
//! session and no CSRF token: the report is trusted for its signature alone (`crate::leaks`).
//!
//! The checks, in order, each refusing with nothing written: the sender's budget (429), the body
//! (at most `BODY_LIMIT`, JSON, an array of at most `MAX_MATCHES` matches: 413, 415, 400), both
//! signature headers present (401), the service configured (404), the signature over the raw body (401, one answer for every
//! signature problem; 503 while no keys could ever be fetched), and a report taken before
//! (409). A report that passes is answered with a label per match and nothing else: whether a
//! token of ours was live, whose it is, or which workspace, is never said.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use token_api::leaks::{LeakLabel, LeakMatch, LeakVerdict, MAX_MATCHES};
use token_api::problem::{Problem, PROBLEM_JSON};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Secret;
use crate::error::{problem_response, AppError};
use crate::extract::{json_problem, ClientIp};
use crate::leaks::Unverified;
use crate::store::leaks::{self, Replayed};
use crate::throttle::Buckets;
use crate::AppState;

/// The path of GitHub's reports, under `/api`.
pub const GITHUB_PATH: &str = "/secret-scanning/github";

/// The largest report taken: GitHub batches a few hundred matches, well under this.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Reports an address may send in a burst, and per second after it.
const BURST: f64 = 30.0;
const PER_SECOND: f64 = 1.0;

/// What a report that failed on the service's side is told to wait.
const RETRY_SECS: Duration = Duration::from_secs(5);

/// Each sending address's budget on this instance: GitHub's deliveries are a few a minute; a
/// flood of forged reports is refused before any signature is checked or key fetched.
pub fn limiter() -> Buckets {
    Buckets::new(BURST, PER_SECOND)
}

/// The routes, under `/api`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(github))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}

/// Every refusal of a report, as problem+json. None says anything about any token.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum Refused {
    /// Malformed JSON, or not an array of matches.
    #[response(status = 400, content_type = PROBLEM_JSON)]
    BadRequest(Problem),
    /// Not signed by a key the scanner publishes: no signature, a malformed one, an unknown key
    /// identifier, or a signature that does not verify over the body.
    #[response(status = 401, content_type = PROBLEM_JSON)]
    Unsigned(Problem),
    /// The service takes no reports: `--secret-scanning-keys-url` is not set.
    #[response(status = 404, content_type = PROBLEM_JSON)]
    NotConfigured(Problem),
    /// This very report (the same body) was taken already, within the last 24 hours.
    #[response(status = 409, content_type = PROBLEM_JSON)]
    Replayed(Problem),
    /// A body over 1 MiB, or more than 1,000 matches.
    #[response(status = 413, content_type = PROBLEM_JSON)]
    TooLarge(Problem),
    /// The body is not `application/json`.
    #[response(status = 415, content_type = PROBLEM_JSON)]
    UnsupportedMediaType(Problem),
    /// Too many reports from this address.
    #[response(status = 429, content_type = PROBLEM_JSON,
        headers(("Retry-After" = u64, description = "Seconds to wait before sending again")))]
    TooManyRequests(Problem),
    /// The scanner's keys cannot be fetched (or the database is unreachable): nothing was done,
    /// and the scanner should send the report again later.
    #[response(status = 503, content_type = PROBLEM_JSON,
        headers(("Retry-After" = u64, description = "Seconds to wait before sending again")))]
    Unavailable(Problem),
}

fn refuse(status: StatusCode, detail: &str, retry_after: Option<u64>) -> Response {
    let mut response = problem_response(status, Some(detail.to_owned()), vec![]);
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    response
}

/// GitHub's secret scanning partner program: a signed report of strings that look like our
/// refresh tokens, found in public. Each live token among them is disabled (`leaked`, "found
/// public at URL"), and its workspace's admins are alarmed (`leak_reported`). Answered with a
/// label per match, in order: `true_positive` for a token of ours (live, disabled or expired),
/// `false_positive` for anything else. Refusals change nothing.
#[utoipa::path(post, path = GITHUB_PATH, tag = "secret-scanning",
    request_body(content = Vec<LeakMatch>, content_type = "application/json"),
    params(
        ("Github-Public-Key-Identifier" = String, Header,
            description = "The key, among those published at the keys URL, that signed the body"),
        ("Github-Public-Key-Signature" = String, Header,
            description = "Base64 of the ASN.1 DER ECDSA P-256 / SHA-256 signature over the raw body"),
    ),
    responses((status = 200, body = Vec<LeakVerdict>), Refused))]
async fn github(State(state): State<AppState>, ClientIp(ip): ClientIp, req: Request) -> Response {
    match take(&state, ip.as_deref(), req).await {
        Ok(verdicts) => (StatusCode::OK, Extension(Secret), Json(verdicts)).into_response(),
        Err(refusal) => refusal,
    }
}

async fn take(state: &AppState, ip: Option<&str>, req: Request) -> Result<Vec<LeakVerdict>, Response> {
    if let Some(wait) = state.leak_limits.take(ip.unwrap_or("unknown")) {
        metrics::counter!("leak_reports_limited_total").increment(1);
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        return Err(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "too many reports from this address; send again after the time in Retry-After",
            Some(secs),
        ));
    }
    let headers = req.headers().clone();
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(AppError::UnsupportedMediaType.into_response());
    }
    let body = Bytes::from_request(req, state)
        .await
        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE, "a report is at most 1 MiB", None))?;
    let de = &mut serde_json::Deserializer::from_slice(&body);
    let matches: Vec<LeakMatch> = serde_path_to_error::deserialize(de).map_err(|e| json_problem(e).into_response())?;
    if matches.len() > MAX_MATCHES {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "a report holds at most 1,000 matches",
            None,
        ));
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // Unsigned is refused as unsigned, whether or not reports are taken here (the document says
    // both headers are required).
    let unsigned = || {
        refuse(
            StatusCode::UNAUTHORIZED,
            "the report is not signed by a key the scanner publishes",
            None,
        )
    };
    if header("github-public-key-identifier").is_none() || header("github-public-key-signature").is_none() {
        metrics::counter!("leak_reports_refused_total").increment(1);
        return Err(unsigned());
    }
    let Some(keys) = &state.leak_keys else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "this service takes no secret scanning reports (no --secret-scanning-keys-url)",
            None,
        ));
    };
    let verified = keys
        .verify(
            header("github-public-key-identifier"),
            header("github-public-key-signature"),
            &body,
        )
        .await;
    match verified {
        Ok(()) => {}
        Err(Unverified::Refused(why)) => {
            metrics::counter!("leak_reports_refused_total").increment(1);
            tracing::warn!(ip, why, "a secret scanning report was refused");
            return Err(unsigned());
        }
        Err(Unverified::NoKeys) => {
            let wait = crate::leaks::REFETCH_AT_MOST_EVERY.as_secs();
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the scanner's keys cannot be fetched now; nothing was done, send the report again later",
                Some(wait),
            ));
        }
    }
    let digest = crate::secrets::hex(&<sha2::Sha256 as sha2::Digest>::digest(&body));
    let ours = match leaks::take_report(&state.db.writer, &digest, &matches, ip).await {
        Ok(Ok(ours)) => ours,
        Ok(Err(Replayed)) => {
            tracing::warn!(ip, "a secret scanning report was sent again; refused");
            return Err(refuse(
                StatusCode::CONFLICT,
                "this report was taken already; nothing was done again",
                None,
            ));
        }
        Err(e) => {
            tracing::error!(error = %e, "a secret scanning report failed in the database; nothing was done");
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service cannot take the report now; nothing was done, send it again later",
                Some(RETRY_SECS.as_secs()),
            ));
        }
    };
    let found = ours.iter().filter(|o| **o).count();
    metrics::counter!("leak_reports_total").increment(1);
    tracing::info!(
        ip,
        matches = matches.len(),
        ours = found,
        "a secret scanning report was taken"
    );
    Ok(matches
        .into_iter()
        .zip(ours)
        .map(|(m, ours)| LeakVerdict {
            token_raw: m.token,
            token_type: m.token_type,
            label: if ours {
                LeakLabel::TruePositive
            } else {
                LeakLabel::FalsePositive
            },
        })
        .collect())
}
