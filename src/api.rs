//! Typed fetch wrappers over the token service: one generic `request`, one file per resource.
//! Every error keeps its cause (`ApiError`); nothing is collapsed to `Option`.

pub mod admin;
pub mod session;
pub mod tokens;

use std::cell::RefCell;

use gloo_net::http::{Method, RequestBuilder};
use leptos::prelude::{on_cleanup, use_context, Callable, Callback};
use serde::{de::DeserializeOwned, Serialize};
use token_api::problem::Problem;
use token_api::{CSRF_HEADER, SESSION_HEADER};

/// Why a call to the service failed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ApiError {
    /// The request never got an answer (offline, refused, aborted).
    #[error("network error: {0}")]
    Network(String),
    /// The service answered with an error status, and its problem body when it sent one.
    #[error("HTTP {status}")]
    Status { status: u16, problem: Option<Problem> },
    /// The answer was not the JSON this build expects.
    #[error("undecodable response: {0}")]
    Decode(String),
    /// The page that asked went away first, and the request was aborted.
    #[error("aborted")]
    Aborted,
}

/// What the pages do when the service says the session has ended (a 401): the session provides
/// it, and `request` calls it, so the rule lives in one place.
#[derive(Clone, Copy)]
pub struct OnUnauthorized(pub Callback<()>);

impl ApiError {
    /// The service's complaints about fields of the request, in order: each field's name and why.
    pub fn field_errors(&self) -> impl Iterator<Item = (&str, token_api::validate::Invalid)> {
        let errors = match self {
            ApiError::Status { problem: Some(p), .. } => p.errors.as_slice(),
            _ => &[],
        };
        errors.iter().map(|e| {
            let invalid = e.code.parse::<token_api::validate::Invalid>().ok();
            (
                e.field.as_str(),
                invalid.unwrap_or(token_api::validate::Invalid::InvalidType),
            )
        })
    }

    /// The HTTP status, if the service answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

thread_local! {
    /// The session's CSRF token, in memory only: sent on every state-changing request.
    static CSRF_TOKEN: RefCell<Option<String>> = const { RefCell::new(None) };
    /// A cross-site frame's session (`Me::frame_session`), in memory only: sent on every
    /// request, since the frame never gets the session cookie.
    static FRAME_SESSION: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Counts sign-ins and sign-outs: a 401 to a request sent before the latest says nothing
    /// of the session that followed it.
    static GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

thread_local! {
    /// Where the host serves the service's paths: `""` for this origin's root.
    static BASE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Sets the prefix of every path the pages call (a panel's `apiBase`).
pub fn set_base(base: &str) {
    BASE.with(|b| *b.borrow_mut() = base.to_owned());
}

/// The URL the page uses for one of the service's paths.
pub fn url(path: &str) -> String {
    BASE.with(|b| format!("{}{path}", b.borrow()))
}

/// Remembers (or forgets) the session's CSRF token.
pub fn set_csrf_token(token: Option<String>) {
    CSRF_TOKEN.with(|t| *t.borrow_mut() = token);
    GENERATION.with(|g| g.set(g.get().wrapping_add(1)));
}

/// Remembers (or forgets) a frame's session.
pub fn set_frame_session(session: Option<String>) {
    FRAME_SESSION.with(|s| *s.borrow_mut() = session);
}

/// Where a host's ticket is exchanged for a session.
pub(crate) const TICKET_EXCHANGE_PATH: &str = "/api/host/session";

/// Sends one request to the service and decodes the JSON answer (`()` for an empty one).
///
/// A read (GET) is aborted, and answers `Aborted`, when the reactive owner it runs under is
/// cleaned up first: the user left the page, or a resource read again. A write is never
/// aborted: the service may have done it already, so it runs to its end and its result is still
/// told (a toast, the host's event). Resources and actions poll their futures under the owner
/// that made them, which is how a request finds its owner. A 401 tells the session, unless a
/// sign-in or sign-out came between the request and its answer, or it refused a ticket.
pub async fn request<T: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<&impl Serialize>,
) -> Result<T, ApiError> {
    let body = body
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ApiError::Decode(e.to_string()))?;
    let text = send(method, path, body).await?;
    let text = if text.is_empty() { "null" } else { text.as_str() };
    serde_json::from_str(text).map_err(|e| ApiError::Decode(e.to_string()))
}

/// `request`'s exchange, once for every type it decodes: a copy per answer type of the whole
/// exchange (the abort, the CSRF header, the errors) cost the bundle 4.2 KiB brotli.
async fn send(method: Method, path: &str, body: Option<String>) -> Result<String, ApiError> {
    // A refused ticket is the ticket's refusal, not the end of the session the page may have.
    let unauthorized = use_context::<OnUnauthorized>().filter(|_| path != TICKET_EXCHANGE_PATH);
    let generation = GENERATION.with(std::cell::Cell::get);
    let safe = matches!(method, Method::GET | Method::HEAD);
    let abort = web_sys::AbortController::new().ok().filter(|_| safe);
    let signal = abort.as_ref().map(|a| a.signal());
    if let Some(abort) = abort {
        let abort = send_wrapper::SendWrapper::new(abort);
        on_cleanup(move || abort.abort());
    }
    let mut builder = RequestBuilder::new(&url(path))
        .method(method)
        .abort_signal(signal.as_ref());
    if !safe {
        if let Some(token) = CSRF_TOKEN.with(|t| t.borrow().clone()) {
            builder = builder.header(CSRF_HEADER, &token);
        }
    }
    if let Some(session) = FRAME_SESSION.with(|s| s.borrow().clone()) {
        builder = builder.header(SESSION_HEADER, &session);
    }
    let request = match body {
        Some(body) => builder.header("content-type", "application/json").body(body),
        None => builder.build(),
    }
    .map_err(|e| ApiError::Network(e.to_string()))?;
    let failed = |e: gloo_net::Error| {
        if signal.as_ref().is_some_and(web_sys::AbortSignal::aborted) {
            ApiError::Aborted
        } else {
            ApiError::Network(e.to_string())
        }
    };
    let response = request.send().await.map_err(failed)?;
    let status = response.status();
    let text = response.text().await.map_err(failed)?;
    if status == 401 && GENERATION.with(std::cell::Cell::get) == generation {
        if let Some(OnUnauthorized(signed_out)) = unauthorized {
            signed_out.run(());
        }
    }
    if !response.ok() {
        return Err(ApiError::Status {
            status,
            problem: serde_json::from_str(&text).ok(),
        });
    }
    Ok(text)
}

/// The path of a workspace's resource, with the id escaped.
pub(crate) fn workspace_path(workspace_id: &str, rest: &str) -> String {
    format!(
        "{}/workspaces/{}{rest}",
        token_api::API_PREFIX,
        crate::url::encode_component(workspace_id)
    )
}
