//! The signed-in user's own tokens in a workspace.

use gloo_net::http::Method;
use token_api::audit::TokenHistory;
use token_api::notices::NoticePreferences;
use token_api::tokens::{
    BatchAction, BatchRequest, BatchResult, CalendarFeed, CreateTokenRequest, CreatedToken, EditTokenRequest,
    TokenList, TokenView,
};

use super::{request, workspace_path, ApiError};

/// The user's tokens in the workspace, newest first.
pub async fn list(workspace_id: String) -> Result<TokenList, ApiError> {
    request(Method::GET, &workspace_path(&workspace_id, "/tokens"), None::<&()>).await
}

/// Generates a token. The answer is the only one that ever holds its secrets.
pub async fn create(workspace_id: String, body: CreateTokenRequest) -> Result<CreatedToken, ApiError> {
    request(Method::POST, &workspace_path(&workspace_id, "/tokens"), Some(&body)).await
}

/// Disables or deletes many of the user's tokens in one request.
pub async fn batch(workspace_id: String, action: BatchAction, ids: Vec<String>) -> Result<BatchResult, ApiError> {
    let body = BatchRequest {
        action,
        ids,
        reason: None,
    };
    request(
        Method::POST,
        &workspace_path(&workspace_id, "/tokens/batch"),
        Some(&body),
    )
    .await
}

/// A page of one token's history, newest first, and on the first its last refresh: for its
/// owner, and for the workspace's admins.
pub async fn history(workspace_id: String, token_id: String, after: Option<String>) -> Result<TokenHistory, ApiError> {
    let mut path = format!("/tokens/{}/history", crate::url::encode_component(&token_id));
    if let Some(after) = after {
        path.push_str(&format!("?{}", crate::url::query_string([("after", after)])));
    }
    request(Method::GET, &workspace_path(&workspace_id, &path), None::<&()>).await
}

/// Changes one of the user's tokens' description (`None` removes it); answers the token.
pub async fn edit(workspace_id: String, token_id: String, description: Option<String>) -> Result<TokenView, ApiError> {
    let path = format!("/tokens/{}", crate::url::encode_component(&token_id));
    let body = EditTokenRequest { description };
    request(Method::PATCH, &workspace_path(&workspace_id, &path), Some(&body)).await
}

/// Makes the user's calendar feed of their tokens' expiry dates here (replacing any earlier
/// one); the answer holds its secret URL, this once.
pub async fn calendar(workspace_id: String) -> Result<CalendarFeed, ApiError> {
    request(Method::POST, &workspace_path(&workspace_id, "/calendar"), None::<&()>).await
}

/// Revokes the user's calendar feed here.
pub async fn revoke_calendar(workspace_id: String) -> Result<(), ApiError> {
    request(Method::DELETE, &workspace_path(&workspace_id, "/calendar"), None::<&()>).await
}

/// Whether the user gets email notices about their tokens here.
pub async fn notices(workspace_id: String) -> Result<NoticePreferences, ApiError> {
    request(Method::GET, &workspace_path(&workspace_id, "/notices"), None::<&()>).await
}

/// Turns the user's email notices here on or off.
pub async fn set_notices(workspace_id: String, email: bool) -> Result<NoticePreferences, ApiError> {
    request(
        Method::PUT,
        &workspace_path(&workspace_id, "/notices"),
        Some(&NoticePreferences { email }),
    )
    .await
}
