//! A workspace admin's view: every token, filtered and paged by the service, and the audit trail.

use gloo_net::http::Method;
use token_api::admin::{AddMemberRequest, AddedMember, MemberRole, RemovedMember};
use token_api::admin::{FilterActionRequest, LookupRequest, LookupResult, MemberList, TokenPage, TokenSummary};
use token_api::audit::{AuditPage, AuditQuery};
use token_api::policy::WorkspacePolicy;
use token_api::query::TokenPageQuery;
use token_api::streams::{CreatedDestination, Destination, DestinationChange, DestinationList};
use token_api::streams::{NewDestination, StreamState, TestDelivery};
use token_api::tokens::{BatchAction, BatchRequest, BatchResult};

use super::{request, workspace_path, ApiError};
use crate::url::query_string;

/// One page of a list of the workspace's (`/admin/tokens`, `/admin/audit`), as the query's
/// pairs ask.
async fn page<T: serde::de::DeserializeOwned>(ws: &str, list: &str, pairs: Vec<(&str, String)>) -> Result<T, ApiError> {
    let path = workspace_path(ws, &format!("{list}?{}", query_string(pairs)));
    request(Method::GET, &path, None::<&()>).await
}

/// Where the CSV export of a list downloads from: every row the query's filter matches, so
/// without its page (`after`, `limit`).
fn csv_url(ws: &str, list: &str, pairs: Vec<(&str, String)>) -> String {
    let filter = pairs.into_iter().filter(|(k, _)| !matches!(*k, "after" | "limit"));
    super::url(&workspace_path(ws, &format!("{list}.csv?{}", query_string(filter))))
}

/// One page of the workspace's tokens.
pub async fn tokens(ws: String, query: TokenPageQuery) -> Result<TokenPage, ApiError> {
    page(&ws, "/admin/tokens", query.to_pairs()).await
}

/// Where the CSV export of the tokens under a filter downloads from.
pub fn tokens_csv_url(ws: &str, query: &TokenPageQuery) -> String {
    csv_url(ws, "/admin/tokens", query.to_pairs())
}

/// The workspace's connection to its identity provider; 404 when it has none.
pub async fn sso(ws: String) -> Result<token_api::sso::SsoConnection, ApiError> {
    request(Method::GET, &workspace_path(&ws, "/sso"), None::<&()>).await
}

/// The counts at the top of the page.
pub async fn summary(ws: String) -> Result<TokenSummary, ApiError> {
    request(Method::GET, &workspace_path(&ws, "/admin/tokens/summary"), None::<&()>).await
}

/// The workspace's members.
pub async fn members(ws: String) -> Result<MemberList, ApiError> {
    request(Method::GET, &workspace_path(&ws, "/admin/members"), None::<&()>).await
}

/// Adds a person to the workspace; for a person new to the service, the answer carries their
/// set-password link, once (a former member comes back with their own password).
pub async fn add_member(ws: String, body: AddMemberRequest) -> Result<AddedMember, ApiError> {
    request(Method::POST, &workspace_path(&ws, "/admin/members"), Some(&body)).await
}

/// Sets the workspace's policy for new tokens.
pub async fn set_policy(ws: String, policy: WorkspacePolicy) -> Result<WorkspacePolicy, ApiError> {
    request(Method::PUT, &workspace_path(&ws, "/admin/policy"), Some(&policy)).await
}

/// Removes a member from the workspace: their tokens are disabled and kept.
pub async fn remove_member(ws: String, user_id: String) -> Result<RemovedMember, ApiError> {
    let path = format!("/admin/members/{}", crate::url::encode_component(&user_id));
    request(Method::DELETE, &workspace_path(&ws, &path), None::<&()>).await
}

/// Changes a member's role.
pub async fn set_member_role(ws: String, user_id: String, role: MemberRole) -> Result<MemberRole, ApiError> {
    let path = format!("/admin/members/{}/role", crate::url::encode_component(&user_id));
    request(Method::PUT, &workspace_path(&ws, &path), Some(&role)).await
}

/// Disables or deletes the listed tokens.
pub async fn batch(
    ws: String,
    action: BatchAction,
    ids: Vec<String>,
    reason: Option<String>,
) -> Result<BatchResult, ApiError> {
    request(
        Method::POST,
        &workspace_path(&ws, "/admin/tokens/batch"),
        Some(&BatchRequest { action, ids, reason }),
    )
    .await
}

/// Disables or deletes everything a filter matches, as counted.
pub async fn batch_by_filter(ws: String, body: FilterActionRequest) -> Result<BatchResult, ApiError> {
    request(
        Method::POST,
        &workspace_path(&ws, "/admin/tokens/batch-by-filter"),
        Some(&body),
    )
    .await
}

/// Whose is this pasted token?
pub async fn lookup(ws: String, token: String) -> Result<LookupResult, ApiError> {
    request(
        Method::POST,
        &workspace_path(&ws, "/admin/tokens/lookup"),
        Some(&LookupRequest { token }),
    )
    .await
}

/// One page of the audit trail.
pub async fn audit(ws: String, query: AuditQuery) -> Result<AuditPage, ApiError> {
    page(&ws, "/admin/audit", query.to_pairs()).await
}

/// Where the CSV export of the audit trail under a filter downloads from.
pub fn audit_csv_url(ws: &str, query: &AuditQuery) -> String {
    csv_url(ws, "/admin/audit", query.to_pairs())
}

/// The workspace's audit stream destinations.
pub async fn streams(ws: String) -> Result<DestinationList, ApiError> {
    request(Method::GET, &workspace_path(&ws, "/admin/streams"), None::<&()>).await
}

/// Adds an audit stream destination; the answer carries its signing secret, once.
pub async fn add_stream(ws: String, body: NewDestination) -> Result<CreatedDestination, ApiError> {
    request(Method::POST, &workspace_path(&ws, "/admin/streams"), Some(&body)).await
}

fn stream_path(ws: &str, id: &str, tail: &str) -> String {
    workspace_path(
        ws,
        &format!("/admin/streams/{}{tail}", crate::url::encode_component(id)),
    )
}

/// Pauses or resumes a destination.
pub async fn set_stream_state(ws: String, id: String, state: StreamState) -> Result<Destination, ApiError> {
    request(
        Method::PATCH,
        &stream_path(&ws, &id, ""),
        Some(&DestinationChange { state }),
    )
    .await
}

/// Sends a test event to a destination; what it answered.
pub async fn test_stream(ws: String, id: String) -> Result<TestDelivery, ApiError> {
    request(Method::POST, &stream_path(&ws, &id, "/test"), None::<&()>).await
}

/// Removes a destination.
pub async fn remove_stream(ws: String, id: String) -> Result<(), ApiError> {
    request(Method::DELETE, &stream_path(&ws, &id, ""), None::<&()>).await
}
