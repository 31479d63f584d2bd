//! The signed-in user's own tokens in a workspace.

use gloo_net::http::Method;
use token_api::tokens::TokenList;

use super::{request, workspace_path, ApiError};

/// The user's tokens in the workspace, newest first.
pub async fn list(workspace_id: String) -> Result<TokenList, ApiError> {
    request(Method::GET, &workspace_path(&workspace_id, "/tokens"), None::<&()>).await
}
