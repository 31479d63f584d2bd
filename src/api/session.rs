//! Sign-in, sign-out and the signed-in user.

use gloo_net::http::Method;
use token_api::auth::{Me, SetPasswordRequest, SignInRequest, SignedOut};
use token_api::host::TicketExchange;

use super::{request, ApiError};

/// The signed-in user, or `ApiError::Status { status: 401, .. }` when nobody is.
pub async fn me() -> Result<Me, ApiError> {
    request(Method::GET, "/api/me", None::<&()>).await
}

/// Signs in; the service sets the session cookie.
pub async fn sign_in(email: String, password: String) -> Result<Me, ApiError> {
    request(Method::POST, "/api/session", Some(&SignInRequest { email, password })).await
}

/// Exchanges a host's one-time ticket for a session: the service sets the session cookie, or
/// for the frame of the host at `parent` answers the session (`Me::frame_session`).
pub async fn exchange_ticket(ticket: String, parent: Option<String>) -> Result<Me, ApiError> {
    request(
        Method::POST,
        super::TICKET_EXCHANGE_PATH,
        Some(&TicketExchange { ticket, parent }),
    )
    .await
}

/// Ends the session; where the identity provider's session should end too, where to go for it.
pub async fn sign_out() -> Result<Option<SignedOut>, ApiError> {
    request(Method::DELETE, "/api/session", None::<&()>).await
}

/// Sets a password with the secret of a set-password link.
pub async fn set_password(token: String, password: String) -> Result<(), ApiError> {
    request(
        Method::POST,
        "/api/password",
        Some(&SetPasswordRequest { token, password }),
    )
    .await
}
