//! The SCIM 2.0 service provider (RFC 7644) at `/scim/v2`: a workspace's identity provider
//! creates, changes, deactivates and deletes its people and groups here, with the bearer
//! credential the operator issued to that workspace. Every answer and error is
//! `application/scim+json`; what the service does not support is refused as RFC 7644 says
//! (`501` for bulk, `/Me` and queries by POST, `invalidFilter`, `invalidPath`, `mutability`).

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use token_api::scim::{
    ScimEmail, ScimError, ScimGroup, ScimGroupList, ScimMeta, ScimName, ScimRef, ScimUser, ScimUserList, ERROR_SCHEMA,
    GROUP_SCHEMA, LIST_SCHEMA, MAX_PAGE, MAX_PATCH_OPERATIONS, PATCH_SCHEMA, SCIM_CREDENTIAL_PREFIX, SCIM_JSON,
    USER_SCHEMA,
};
use token_api::validate;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db;
use crate::scim::filter::{self, AttrPath, Filter, PatchPath};
use crate::store::provisioning::{self, GroupInput, GroupRecord, PersonInput, PersonRecord, Refusal};
use crate::store::scim as credentials;
use crate::throttle::Buckets;
use crate::AppState;

/// Where the service provider is mounted.
pub const PREFIX: &str = "/scim/v2";

/// The largest body a SCIM request may carry: a group's PATCH with a thousand members fits.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The routes, under `PREFIX`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_provider_config))
        .routes(routes!(resource_types))
        .routes(routes!(schemas))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, put_user, patch_user, delete_user))
        .routes(routes!(list_groups, create_group))
        .routes(routes!(get_group, put_group, patch_group, delete_group))
        .routes(routes!(one_resource_type))
        .routes(routes!(one_schema))
        .routes(routes!(bulk))
        .routes(routes!(me))
        // Queries by POST (RFC 7644 §3.4.3), of one resource type or of all at once: refused.
        .routes(routes!(search))
        .routes(routes!(search_users))
        .routes(routes!(search_groups))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .fallback(|| async { failure(StatusCode::NOT_FOUND, None, "no such SCIM endpoint") })
}

// ---------------------------------------------------------------------------------------------
// Errors

/// A SCIM error answer (RFC 7644 §3.12).
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
    retry_after: Option<u64>,
}

/// A SCIM error with its status, kind and words.
fn failure(status: StatusCode, scim_type: Option<&'static str>, detail: impl Into<String>) -> Failure {
    Failure {
        status,
        scim_type,
        detail: detail.into(),
        retry_after: None,
    }
}

fn invalid_value(detail: impl Into<String>) -> Failure {
    failure(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
}

fn invalid_syntax(detail: impl Into<String>) -> Failure {
    failure(StatusCode::BAD_REQUEST, Some("invalidSyntax"), detail)
}

/// A SCIM error body, for this module and for the rejections `shape_rejections` shapes.
pub fn error_response(status: StatusCode, scim_type: Option<&str>, detail: Option<String>) -> Response {
    let body = ScimError {
        schemas: vec![ERROR_SCHEMA.to_owned()],
        status: status.as_u16().to_string(),
        scim_type: scim_type.map(str::to_owned),
        detail,
    };
    scim_json(status, &body)
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = error_response(self.status, self.scim_type, Some(self.detail));
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        if let Some(secs) = self.retry_after {
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        r
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        tracing::error!(error = %e, "a SCIM request failed in the database");
        match crate::error::AppError::from(e) {
            crate::error::AppError::Unavailable(_) => failure(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "the service cannot answer now; retry",
            ),
            _ => failure(
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                "the service failed; nothing was written",
            ),
        }
    }
}

impl From<Refusal> for Failure {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotFound => failure(StatusCode::NOT_FOUND, None, "no such resource in this workspace"),
            Refusal::Uniqueness(d) => failure(StatusCode::CONFLICT, Some("uniqueness"), d),
            Refusal::InvalidValue(d) => invalid_value(d),
            Refusal::Mutability(d) => failure(StatusCode::BAD_REQUEST, Some("mutability"), d),
            Refusal::Stale => failure(
                StatusCode::PRECONDITION_FAILED,
                None,
                "the resource changed since the version in If-Match; read it again",
            ),
            Refusal::Db(e) => e.into(),
        }
    }
}

type ScimResult<T> = Result<T, Failure>;

fn scim_json<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, SCIM_JSON)], bytes).into_response()
}

// ---------------------------------------------------------------------------------------------
// Who is asking

/// The workspace a request's credential reaches, known from `Authorization: Bearer tcsc_…`.
pub struct Provider {
    pub workspace_id: String,
    pub credential_id: String,
}

/// Requests a credential may make in a burst, and per second after it.
const BURST: f64 = 200.0;
const PER_SECOND: f64 = 50.0;

/// Each credential's request budget on this instance (a token bucket): a provider pushing a
/// whole directory at once is slowed, not refused outright, and one workspace's pushes cannot
/// starve another's.
pub fn limiter() -> Buckets {
    Buckets::new(BURST, PER_SECOND)
}

impl FromRequestParts<AppState> for Provider {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let unauthorized = || {
            failure(
                StatusCode::UNAUTHORIZED,
                None,
                "a SCIM credential is needed: Authorization: Bearer tcsc_…",
            )
        };
        let secret = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|s| s.starts_with(SCIM_CREDENTIAL_PREFIX) && s.len() <= 100)
            .ok_or_else(unauthorized)?;
        let credential = credentials::credential_of(&state.db.pool, secret)
            .await?
            .ok_or_else(unauthorized)?;
        if let Some(wait) = state.scim_limits.take(&credential.id) {
            metrics::counter!("scim_requests_limited_total").increment(1);
            let mut f = failure(
                StatusCode::TOO_MANY_REQUESTS,
                None,
                "too many requests with this credential; retry after the time in Retry-After",
            );
            f.retry_after = Some(wait.as_secs().max(1));
            return Err(f);
        }
        // Provisioning joins the provider's people to the identities its sign-ins vouch for: a
        // workspace whose connection was removed takes nothing from it.
        let connected: Option<(String,)> =
            sqlx::query_as("SELECT workspace_id FROM sso_connections WHERE workspace_id = $1")
                .bind(&credential.workspace_id)
                .fetch_optional(&state.db.pool)
                .await?;
        if connected.is_none() {
            let detail = "the workspace is no longer connected to an identity provider: provisioning is off";
            credentials::record_error(&state.db.writer, &credential.id, detail).await?;
            return Err(failure(StatusCode::FORBIDDEN, None, detail));
        }
        metrics::counter!("scim_requests_total").increment(1);
        Ok(Provider {
            workspace_id: credential.workspace_id,
            credential_id: credential.id,
        })
    }
}

impl Provider {
    /// Records a refusal as the credential's last error (what the Admins page shows), then
    /// returns it.
    async fn refused(&self, state: &AppState, f: Failure) -> Failure {
        if f.status.is_client_error() {
            let said = format!("{} {}", f.status.as_u16(), f.detail);
            if let Err(e) = credentials::record_error(&state.db.writer, &self.credential_id, &said).await {
                tracing::warn!(error = %e, "a SCIM credential's last error was not recorded");
            }
        }
        f
    }
}

/// The URL resources are found at, for `meta.location` and `$ref`.
fn base(state: &AppState) -> String {
    format!("{}{PREFIX}", state.config.issuer())
}

// ---------------------------------------------------------------------------------------------
// Bodies, queries and versions

/// Reads a JSON body of `application/scim+json` or `application/json`.
fn body_of<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> ScimResult<T> {
    let kind = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = kind.split(';').next().unwrap_or("").trim();
    if !(essence.eq_ignore_ascii_case(SCIM_JSON) || essence.eq_ignore_ascii_case("application/json")) {
        return Err(failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "the body must be application/scim+json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| invalid_syntax(format!("the body is not a valid resource: {e}")))
}

/// The version a request's `If-Match` names: `None` for none or `*`.
fn if_match(headers: &HeaderMap) -> ScimResult<Option<i64>> {
    let Some(raw) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = raw.to_str().unwrap_or("").trim();
    if raw == "*" {
        return Ok(None);
    }
    parse_etag(raw).map(Some).ok_or_else(|| {
        failure(
            StatusCode::PRECONDITION_FAILED,
            None,
            "If-Match names no version of this resource",
        )
    })
}

fn parse_etag(raw: &str) -> Option<i64> {
    raw.trim().trim_start_matches("W/").trim_matches('"').parse().ok()
}

fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// A resource's answer, with its `ETag` and, on creation, its `Location`; `304` when the
/// request's `If-None-Match` names the version it has.
fn resource_response(status: StatusCode, headers: &HeaderMap, version: i64, location: &str, body: Value) -> Response {
    let tag = etag(version);
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| parse_etag(t) == Some(version)));
    let mut r = if unchanged && status == StatusCode::OK {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        scim_json(status, &body)
    };
    if let Ok(v) = HeaderValue::from_str(&tag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED {
        if let Ok(v) = HeaderValue::from_str(location) {
            r.headers_mut().insert(header::LOCATION, v);
        }
    }
    r
}

/// A list's query (RFC 7644 §3.4.2).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    /// A filter (RFC 7644 §3.4.2.2), for example `userName eq "ada@example.com"`.
    filter: Option<String>,
    /// The 1-based index of the first result.
    start_index: Option<i64>,
    /// How many results at most (up to 200); 0 answers only the total.
    count: Option<i64>,
    /// Attributes to return, besides `id`, `schemas` and `meta`.
    attributes: Option<String>,
    /// Attributes to leave out.
    excluded_attributes: Option<String>,
    /// Sorting is not supported: a request naming it is refused.
    sort_by: Option<String>,
}

/// One resource's query: which attributes to return.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct AttributesQuery {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

/// Keeps the attributes asked for (RFC 7644 §3.4.2.5): `id`, `schemas` and `meta` always.
fn project(mut resource: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(|a| {
                let a = a.trim();
                let a = a.rsplit_once(':').map_or(a, |(_, attr)| attr);
                a.split('.').next().unwrap_or(a).to_lowercase()
            })
            .filter(|a| !a.is_empty())
            .collect()
    };
    let Some(object) = resource.as_object_mut() else {
        return resource;
    };
    let always = ["id", "schemas", "meta"];
    if let Some(keep) = attributes.map(names).filter(|k| !k.is_empty()) {
        object.retain(|k, _| always.contains(&k.as_str()) || keep.contains(&k.to_lowercase()));
    } else if let Some(drop) = excluded.map(names) {
        object.retain(|k, _| always.contains(&k.as_str()) || !drop.contains(&k.to_lowercase()));
    }
    resource
}

/// Filters, then pages, a list; the answer's total is the filtered count.
fn page(
    query: &ListQuery,
    all: Vec<Value>,
    case_exact: &dyn Fn(&AttrPath) -> bool,
) -> ScimResult<(u64, u64, Vec<Value>)> {
    if query.sort_by.is_some() {
        return Err(invalid_value(
            "sortBy: sorting is not supported (ServiceProviderConfig sort.supported is false)",
        ));
    }
    let matching: Vec<Value> = match query.filter.as_deref().filter(|f| !f.trim().is_empty()) {
        Some(f) => {
            let parsed: Filter = filter::parse(f)
                .map_err(|e| failure(StatusCode::BAD_REQUEST, Some("invalidFilter"), format!("filter: {e}")))?;
            all.into_iter().filter(|r| parsed.matches(r, case_exact)).collect()
        }
        None => all,
    };
    let total = matching.len() as u64;
    let start = query.start_index.unwrap_or(1).max(1) as u64;
    let count = query.count.unwrap_or(MAX_PAGE as i64).clamp(0, MAX_PAGE as i64) as u64;
    let shown: Vec<Value> = matching
        .into_iter()
        .skip((start - 1) as usize)
        .take(count as usize)
        .map(|r| project(r, query.attributes.as_deref(), query.excluded_attributes.as_deref()))
        .collect();
    Ok((total, start, shown))
}

fn list_body(total: u64, start: u64, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// A person or a group as stored, answered as its SCIM resource.
trait Resource {
    fn version(&self) -> i64;
    fn json(&self, base: &str) -> Value;
}

impl Resource for PersonRecord {
    fn version(&self) -> i64 {
        self.version
    }
    fn json(&self, base: &str) -> Value {
        serde_json::to_value(user_of(base, self)).unwrap_or_default()
    }
}

impl Resource for GroupRecord {
    fn version(&self) -> i64 {
        self.version
    }
    fn json(&self, base: &str) -> Value {
        serde_json::to_value(group_of(base, self)).unwrap_or_default()
    }
}

impl Provider {
    /// A handler's outcome, its refusal recorded as the credential's last error.
    async fn settle<T>(&self, state: &AppState, done: ScimResult<T>) -> ScimResult<T> {
        match done {
            Ok(t) => Ok(t),
            Err(f) => Err(self.refused(state, f).await),
        }
    }
}

/// A resource's answer: with its `Location` when created, only the attributes `q` asks for.
fn answer<R: Resource>(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    r: &R,
    q: Option<&AttributesQuery>,
) -> Response {
    let body = r.json(&base(state));
    let location = body["meta"]["location"].as_str().unwrap_or_default().to_owned();
    let body = match q {
        Some(q) => project(body, q.attributes.as_deref(), q.excluded_attributes.as_deref()),
        None => body,
    };
    resource_response(status, headers, r.version(), &location, body)
}

/// A list's answer: every resource of the workspace, filtered and paged.
async fn list<R: Resource>(
    state: &AppState,
    who: &Provider,
    query: &ListQuery,
    all: &[R],
    case_exact: fn(&AttrPath) -> bool,
) -> ScimResult<Response> {
    let base = base(state);
    let all = all.iter().map(|r| r.json(&base)).collect();
    let (total, start, shown) = who.settle(state, page(query, all, &case_exact)).await?;
    Ok(scim_json(StatusCode::OK, &list_body(total, start, shown)))
}

// ---------------------------------------------------------------------------------------------
// People

fn user_of(base: &str, p: &PersonRecord) -> ScimUser {
    let name = ScimName {
        formatted: p.formatted_name.clone(),
        given_name: p.given_name.clone(),
        family_name: p.family_name.clone(),
    };
    ScimUser {
        schemas: vec![USER_SCHEMA.to_owned()],
        id: Some(p.id.clone()),
        external_id: p.external_id.clone(),
        user_name: p.user_name.clone(),
        name: (name != ScimName::default()).then_some(name),
        display_name: p.display_name.clone(),
        emails: vec![ScimEmail {
            value: p.email.clone(),
            kind: p.email_type.clone(),
            primary: true,
        }],
        active: Some(p.active != 0),
        groups: p
            .groups
            .iter()
            .map(|(id, name)| ScimRef {
                value: id.clone(),
                reference: Some(format!("{base}/Groups/{id}")),
                display: Some(name.clone()),
                kind: Some("direct".to_owned()),
            })
            .collect(),
        meta: Some(ScimMeta {
            resource_type: "User".to_owned(),
            created: db::to_time(p.created_at),
            last_modified: db::to_time(p.updated_at),
            location: format!("{base}/Users/{}", p.id),
            version: etag(p.version),
        }),
    }
}

/// Which of a person's attributes compare with case (RFC 7643 §2.2): the ids.
fn user_case_exact(path: &AttrPath) -> bool {
    path.is("id") || path.is("externalId") || path.is("meta.version")
}

/// The longest text attribute taken.
const TEXT_MAX: usize = 256;

fn text(field: &str, value: Option<String>) -> ScimResult<Option<String>> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > TEXT_MAX => {
            Err(invalid_value(format!("{field}: at most {TEXT_MAX} characters")))
        }
        Some(v) if v.chars().any(char::is_control) => Err(invalid_value(format!("{field}: no control characters"))),
        v => Ok(v),
    }
}

/// A person as sent, checked: every refusal names the attribute.
/// `active` left out is `unsaid`: true on creation, what it was on a replacement.
fn person_input(user: ScimUser, unsaid: bool) -> ScimResult<PersonInput> {
    let user_name = text("userName", Some(user.user_name))?.ok_or_else(|| invalid_value("userName: required"))?;
    let email_entry = user
        .emails
        .iter()
        .find(|e| e.primary)
        .or_else(|| user.emails.first())
        .cloned();
    let raw_email = email_entry.as_ref().map_or(user_name.as_str(), |e| e.value.as_str());
    let email = validate::email(raw_email).map_err(|e| {
        invalid_value(format!(
            "emails: {raw_email:?} is not an address the service takes ({e})"
        ))
    })?;
    let name = user.name.unwrap_or_default();
    Ok(PersonInput {
        user_name,
        external_id: text("externalId", user.external_id)?,
        display_name: text("displayName", user.display_name)?,
        given_name: text("name.givenName", name.given_name)?,
        family_name: text("name.familyName", name.family_name)?,
        formatted_name: text("name.formatted", name.formatted)?,
        email,
        email_type: text("emails.type", email_entry.and_then(|e| e.kind))?,
        active: user.active.unwrap_or(unsaid),
    })
}

/// List the workspace's provisioned people, filtered and paged.
#[utoipa::path(get, path = "/Users", tag = "scim", security(("scim" = [])), params(ListQuery),
    responses((status = 200, body = ScimUserList, content_type = "application/scim+json"), Refused))]
async fn list_users(
    State(state): State<AppState>,
    who: Provider,
    Query(query): Query<ListQuery>,
) -> ScimResult<Response> {
    let all = provisioning::people(&state.db.pool, &who.workspace_id).await?;
    list(&state, &who, &query, &all, user_case_exact).await
}

/// Provision a person: joined to the account of their address (made if new), a member while
/// `active`.
#[utoipa::path(post, path = "/Users", tag = "scim", security(("scim" = [])),
    request_body(content = ScimUser, content_type = "application/scim+json"),
    responses((status = 201, body = ScimUser, content_type = "application/scim+json"), Refused))]
async fn create_user(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let done = async {
        let input = person_input(body_of(&headers, &body)?, true)?;
        Ok::<_, Failure>(provisioning::create_person(&state.db.writer, &who.workspace_id, &input).await?)
    }
    .await;
    let created = who.settle(&state, done).await?;
    tracing::info!(workspace = %who.workspace_id, person = %created.id, "SCIM provisioned a person");
    Ok(answer(&state, &headers, StatusCode::CREATED, &created, None))
}

async fn read_person(state: &AppState, who: &Provider, id: &str) -> ScimResult<PersonRecord> {
    let mut conn = state.db.pool.acquire().await?;
    provisioning::person(&mut conn, &who.workspace_id, id)
        .await?
        .ok_or_else(|| Refusal::NotFound.into())
}

/// Read one person.
#[utoipa::path(get, path = "/Users/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path), AttributesQuery),
    responses((status = 200, body = ScimUser, content_type = "application/scim+json"), (status = 304, description = "The version in If-None-Match is the current one"), Refused))]
async fn get_user(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<AttributesQuery>,
) -> ScimResult<Response> {
    let p = who.settle(&state, read_person(&state, &who, &id).await).await?;
    Ok(answer(&state, &headers, StatusCode::OK, &p, Some(&q)))
}

/// Replace a person; `active: false` offboards them here (their tokens disabled, "removed by
/// the identity provider"), `true` again restores the membership, not the tokens.
#[utoipa::path(put, path = "/Users/{id}", tag = "scim", security(("scim" = [])), params(("id" = String, Path)),
    request_body(content = ScimUser, content_type = "application/scim+json"),
    responses((status = 200, body = ScimUser, content_type = "application/scim+json"), Refused))]
async fn put_user(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let done = async {
        let version = if_match(&headers)?;
        let was = read_person(&state, &who, &id).await?;
        let input = person_input(body_of(&headers, &body)?, was.active != 0)?;
        Ok::<_, Failure>(provisioning::replace_person(&state.db.writer, &who.workspace_id, &id, &input, version).await?)
    }
    .await;
    Ok(answer(
        &state,
        &headers,
        StatusCode::OK,
        &who.settle(&state, done).await?,
        None,
    ))
}

/// A PATCH request (RFC 7644 §3.5.2).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PatchRequest {
    #[serde(default)]
    schemas: Vec<String>,
    #[serde(rename = "Operations")]
    operations: Vec<PatchOperation>,
}

/// One operation: `add`, `replace` or `remove`, at `path` or, without one, of the attributes
/// in `value`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PatchOperation {
    op: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    value: Option<Value>,
}

/// Change a person by operations; `active` as with PUT.
#[utoipa::path(patch, path = "/Users/{id}", tag = "scim", security(("scim" = [])), params(("id" = String, Path)),
    request_body(content = PatchRequest, content_type = "application/scim+json"),
    responses((status = 200, body = ScimUser, content_type = "application/scim+json"), Refused))]
async fn patch_user(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let done = async {
        let version = if_match(&headers)?;
        let request: PatchRequest = body_of(&headers, &body)?;
        let was = read_person(&state, &who, &id).await?;
        if version.is_some_and(|v| v != was.version) {
            return Err(Refusal::Stale.into());
        }
        let mut current = was.json(&base(&state));
        apply_patch(&mut current, &request, &["id", "meta", "groups"])?;
        // Whether the person is a member: true or false, never unassigned. Removed, `active` would
        // read as its default, true, and a removal would reactivate a deactivated person.
        if current.get("active").is_none_or(Value::is_null) {
            return Err(invalid_value(
                "active: cannot be removed: a person is active (true) or deactivated (false); replace it instead",
            ));
        }
        if let Some(other) = other_address(&current, &was.email) {
            return Err(failure(
                StatusCode::BAD_REQUEST,
                Some("mutability"),
                format!(
                    "emails: a person has one address here, their identity ({}): {other:?} is not added and the address does not change",
                    was.email
                ),
            ));
        }
        let user: ScimUser = serde_json::from_value(current)
            .map_err(|e| invalid_value(format!("the patched person is not valid: {e}")))?;
        let input = person_input(user, was.active != 0)?;
        Ok(provisioning::replace_person(&state.db.writer, &who.workspace_id, &id, &input, Some(was.version)).await?)
    }
    .await;
    Ok(answer(
        &state,
        &headers,
        StatusCode::OK,
        &who.settle(&state, done).await?,
        None,
    ))
}

/// The first address a patched person's `emails` holds that is not `address`, theirs. A PATCH
/// may not add one (RFC 7644 §3.5.2: `emails` is immutable once set, and the service keeps one
/// address), where a POST or PUT naming several takes the primary and ignores the others.
fn other_address(patched: &Value, address: &str) -> Option<String> {
    let emails = patched
        .as_object()
        .and_then(|o| key_of(o, "emails"))
        .and_then(|k| patched.get(k))?;
    emails
        .as_array()?
        .iter()
        .filter_map(|e| e.get("value").and_then(Value::as_str))
        .find(|v| validate::email(v).map_or(true, |e| !e.eq_ignore_ascii_case(address)))
        .map(str::to_owned)
}

/// Deprovision a person: offboarded as with `active: false`, and their record deleted (the
/// account, its tokens and the audit trail stay).
#[utoipa::path(delete, path = "/Users/{id}", tag = "scim", security(("scim" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deprovisioned"), Refused))]
async fn delete_user(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    let done = async {
        let version = if_match(&headers)?;
        Ok::<_, Failure>(provisioning::delete_person(&state.db.writer, &who.workspace_id, &id, version).await?)
    }
    .await;
    who.settle(&state, done).await?;
    tracing::info!(workspace = %who.workspace_id, person = %id, "SCIM deprovisioned a person");
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Groups

fn group_of(base: &str, g: &GroupRecord) -> ScimGroup {
    ScimGroup {
        schemas: vec![GROUP_SCHEMA.to_owned()],
        id: Some(g.id.clone()),
        external_id: g.external_id.clone(),
        display_name: g.display_name.clone(),
        members: g
            .members
            .iter()
            .map(|(id, name)| ScimRef {
                value: id.clone(),
                reference: Some(format!("{base}/Users/{id}")),
                display: Some(name.clone()),
                kind: Some("User".to_owned()),
            })
            .collect(),
        meta: Some(ScimMeta {
            resource_type: "Group".to_owned(),
            created: db::to_time(g.created_at),
            last_modified: db::to_time(g.updated_at),
            location: format!("{base}/Groups/{}", g.id),
            version: etag(g.version),
        }),
    }
}

fn group_case_exact(path: &AttrPath) -> bool {
    path.is("id") || path.is("externalId") || path.is("members.value")
}

fn group_input(group: ScimGroup) -> ScimResult<GroupInput> {
    let display_name =
        text("displayName", Some(group.display_name))?.ok_or_else(|| invalid_value("displayName: required"))?;
    if group
        .members
        .iter()
        .any(|m| m.kind.as_deref().is_some_and(|k| !k.eq_ignore_ascii_case("User")))
    {
        return Err(invalid_value(
            "members: only people may be members; a group in a group is not supported",
        ));
    }
    Ok(GroupInput {
        display_name,
        external_id: text("externalId", group.external_id)?,
        members: group.members.into_iter().map(|m| m.value).collect(),
    })
}

/// List the workspace's groups, filtered and paged.
#[utoipa::path(get, path = "/Groups", tag = "scim", security(("scim" = [])), params(ListQuery),
    responses((status = 200, body = ScimGroupList, content_type = "application/scim+json"), Refused))]
async fn list_groups(
    State(state): State<AppState>,
    who: Provider,
    Query(query): Query<ListQuery>,
) -> ScimResult<Response> {
    let all = provisioning::groups(&state.db.pool, &who.workspace_id).await?;
    list(&state, &who, &query, &all, group_case_exact).await
}

/// Create a group; if its name is the connection's admin group, its members become admins.
#[utoipa::path(post, path = "/Groups", tag = "scim", security(("scim" = [])),
    request_body(content = ScimGroup, content_type = "application/scim+json"),
    responses((status = 201, body = ScimGroup, content_type = "application/scim+json"), Refused))]
async fn create_group(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult<Response> {
    let done = async {
        let input = group_input(body_of(&headers, &body)?)?;
        Ok::<_, Failure>(provisioning::save_group(&state.db.writer, &who.workspace_id, None, &input, None).await?)
    }
    .await;
    let created = who.settle(&state, done).await?;
    Ok(answer(&state, &headers, StatusCode::CREATED, &created, None))
}

async fn read_group(state: &AppState, who: &Provider, id: &str) -> ScimResult<GroupRecord> {
    let mut conn = state.db.pool.acquire().await?;
    provisioning::group(&mut conn, &who.workspace_id, id)
        .await?
        .ok_or_else(|| Refusal::NotFound.into())
}

/// Read one group.
#[utoipa::path(get, path = "/Groups/{id}", tag = "scim", security(("scim" = [])),
    params(("id" = String, Path), AttributesQuery),
    responses((status = 200, body = ScimGroup, content_type = "application/scim+json"), (status = 304, description = "The version in If-None-Match is the current one"), Refused))]
async fn get_group(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<AttributesQuery>,
) -> ScimResult<Response> {
    let g = who.settle(&state, read_group(&state, &who, &id).await).await?;
    Ok(answer(&state, &headers, StatusCode::OK, &g, Some(&q)))
}

/// Replace a group, members included.
#[utoipa::path(put, path = "/Groups/{id}", tag = "scim", security(("scim" = [])), params(("id" = String, Path)),
    request_body(content = ScimGroup, content_type = "application/scim+json"),
    responses((status = 200, body = ScimGroup, content_type = "application/scim+json"), Refused))]
async fn put_group(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let done = async {
        let version = if_match(&headers)?;
        let input = group_input(body_of(&headers, &body)?)?;
        Ok::<_, Failure>(
            provisioning::save_group(&state.db.writer, &who.workspace_id, Some(&id), &input, version).await?,
        )
    }
    .await;
    Ok(answer(
        &state,
        &headers,
        StatusCode::OK,
        &who.settle(&state, done).await?,
        None,
    ))
}

/// Change a group by operations: add or remove members, rename it.
#[utoipa::path(patch, path = "/Groups/{id}", tag = "scim", security(("scim" = [])), params(("id" = String, Path)),
    request_body(content = PatchRequest, content_type = "application/scim+json"),
    responses((status = 200, body = ScimGroup, content_type = "application/scim+json"), Refused))]
async fn patch_group(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> ScimResult<Response> {
    let done = async {
        let version = if_match(&headers)?;
        let request: PatchRequest = body_of(&headers, &body)?;
        let was = read_group(&state, &who, &id).await?;
        if version.is_some_and(|v| v != was.version) {
            return Err(Refusal::Stale.into());
        }
        let mut current = was.json(&base(&state));
        apply_patch(&mut current, &request, &["id", "meta"])?;
        let group: ScimGroup = serde_json::from_value(current)
            .map_err(|e| invalid_value(format!("the patched group is not valid: {e}")))?;
        let input = group_input(group)?;
        Ok(provisioning::save_group(
            &state.db.writer,
            &who.workspace_id,
            Some(&id),
            &input,
            Some(was.version),
        )
        .await?)
    }
    .await;
    Ok(answer(
        &state,
        &headers,
        StatusCode::OK,
        &who.settle(&state, done).await?,
        None,
    ))
}

/// Delete a group; its members' roles follow the admin group.
#[utoipa::path(delete, path = "/Groups/{id}", tag = "scim", security(("scim" = [])), params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), Refused))]
async fn delete_group(
    State(state): State<AppState>,
    who: Provider,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ScimResult<Response> {
    let done = async {
        let version = if_match(&headers)?;
        Ok::<_, Failure>(provisioning::delete_group(&state.db.writer, &who.workspace_id, &id, version).await?)
    }
    .await;
    who.settle(&state, done).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// PATCH

fn invalid_path(detail: impl Into<String>) -> Failure {
    failure(StatusCode::BAD_REQUEST, Some("invalidPath"), detail)
}

/// The key of `object` that names `attr`, in any case (RFC 7643 §2.1).
fn key_of(object: &Map<String, Value>, attr: &str) -> Option<String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(attr)).cloned()
}

/// Entra ID sends booleans as the strings "True" and "False".
fn loosen(value: Value) -> Value {
    match value {
        Value::String(s) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
        v => v,
    }
}

/// Applies a PATCH's operations, in order, to a resource as JSON (RFC 7644 §3.5.2); `read_only`
/// attributes may not be touched.
fn apply_patch(resource: &mut Value, request: &PatchRequest, read_only: &[&str]) -> ScimResult<()> {
    if !request.schemas.iter().any(|s| s == PATCH_SCHEMA) {
        return Err(invalid_syntax(format!("schemas: a PATCH names {PATCH_SCHEMA}")));
    }
    if request.operations.len() > MAX_PATCH_OPERATIONS {
        return Err(invalid_value(format!(
            "Operations: at most {MAX_PATCH_OPERATIONS} in one request"
        )));
    }
    if request.operations.is_empty() {
        return Err(invalid_value("Operations: at least one"));
    }
    for operation in &request.operations {
        let op = operation.op.to_ascii_lowercase();
        if !matches!(op.as_str(), "add" | "replace" | "remove") {
            return Err(invalid_syntax(format!(
                "op: {:?} is not add, replace or remove",
                operation.op
            )));
        }
        let value = operation.value.clone().map(loosen);
        match operation.path.as_deref().filter(|p| !p.trim().is_empty()) {
            None => {
                if op == "remove" {
                    return Err(failure(
                        StatusCode::BAD_REQUEST,
                        Some("noTarget"),
                        "remove needs a path",
                    ));
                }
                let Some(Value::Object(values)) = value else {
                    return Err(invalid_value("value: without a path, an object of attributes"));
                };
                for (name, v) in values {
                    // A value keyed by a full path ("name.givenName", or an extension's URN) is
                    // a path of its own.
                    let path = filter::parse_path(&name).map_err(|e| invalid_path(format!("{name}: {e}")))?;
                    patch_at(resource, &op, &path, Some(loosen(v)), read_only)?;
                }
            }
            Some(raw) => {
                let path = filter::parse_path(raw).map_err(|e| invalid_path(format!("path: {e}")))?;
                if op != "remove" && value.is_none() {
                    return Err(invalid_value("value: required for add and replace"));
                }
                patch_at(resource, &op, &path, value, read_only)?;
            }
        }
    }
    Ok(())
}

fn patch_at(
    resource: &mut Value,
    op: &str,
    path: &PatchPath,
    value: Option<Value>,
    read_only: &[&str],
) -> ScimResult<()> {
    let attr = &path.attr;
    if attr
        .schema
        .as_deref()
        .is_some_and(|s| s != USER_SCHEMA && s != GROUP_SCHEMA)
    {
        // An extension the service does not keep (the enterprise User's, say): taken and
        // ignored, as the attributes it does not keep are on a PUT.
        return Ok(());
    }
    if read_only.iter().any(|r| attr.attr.eq_ignore_ascii_case(r)) {
        // Sent again unchanged (Okta's rename of a group sends its `id` beside the new name):
        // nothing to refuse.
        let current = resource
            .as_object()
            .and_then(|o| key_of(o, &attr.attr).and_then(|k| o.get(&k)));
        if op != "remove"
            && attr.sub.is_none()
            && path.filter.is_none()
            && current.is_some()
            && current == value.as_ref()
        {
            return Ok(());
        }
        return Err(failure(
            StatusCode::BAD_REQUEST,
            Some("mutability"),
            format!("{}: read-only", attr.attr),
        ));
    }
    let Some(object) = resource.as_object_mut() else {
        return Err(invalid_syntax("the resource is not an object"));
    };
    let key = key_of(object, &attr.attr).unwrap_or_else(|| attr.attr.clone());
    match (&path.filter, &attr.sub) {
        // `emails[type eq "work"].value`, `members[value eq "su-…"]`.
        (Some(f), _) => {
            let Some(Value::Array(items)) = object.get_mut(&key) else {
                return if op == "remove" {
                    Ok(())
                } else {
                    Err(failure(
                        StatusCode::BAD_REQUEST,
                        Some("noTarget"),
                        format!("{key}: no element matches"),
                    ))
                };
            };
            let exact = |p: &AttrPath| p.is("value");
            match (op, &path.sub) {
                ("remove", None) => items.retain(|item| !f.matches(item, &exact)),
                ("remove", Some(sub)) => {
                    for item in items.iter_mut().filter(|i| f.matches(i, &exact)) {
                        if let Some(o) = item.as_object_mut() {
                            if let Some(k) = key_of(o, sub) {
                                o.remove(&k);
                            }
                        }
                    }
                }
                (_, Some(sub)) => {
                    let mut hit = false;
                    for item in items.iter_mut().filter(|i| f.matches(i, &exact)) {
                        if let Some(o) = item.as_object_mut() {
                            let k = key_of(o, sub).unwrap_or_else(|| sub.clone());
                            o.insert(k, value.clone().unwrap_or(Value::Null));
                            hit = true;
                        }
                    }
                    if !hit {
                        return Err(failure(
                            StatusCode::BAD_REQUEST,
                            Some("noTarget"),
                            format!("{key}: no element matches"),
                        ));
                    }
                }
                (_, None) => {
                    let Some(Value::Object(new)) = value else {
                        return Err(invalid_value(format!("{key}: an element is an object")));
                    };
                    for item in items.iter_mut().filter(|i| f.matches(i, &exact)) {
                        if let Some(o) = item.as_object_mut() {
                            o.extend(new.clone());
                        }
                    }
                }
            }
        }
        // `name.givenName`.
        (None, Some(sub)) => {
            let parent = object.entry(key.clone()).or_insert_with(|| json!({}));
            let Some(parent) = parent.as_object_mut() else {
                return Err(invalid_path(format!("{key} has no sub-attributes")));
            };
            let k = key_of(parent, sub).unwrap_or_else(|| sub.clone());
            match op {
                "remove" => {
                    parent.remove(&k);
                }
                _ => {
                    parent.insert(k, value.unwrap_or(Value::Null));
                }
            }
        }
        // `active`, `members`, `emails`.
        (None, None) => match (op, object.get_mut(&key), value) {
            ("remove", _, None) => {
                object.remove(&key);
            }
            // Removing given values of a multi-valued attribute (Entra ID's way to remove members).
            ("remove", Some(Value::Array(items)), Some(Value::Array(gone))) => {
                let values: Vec<&Value> = gone.iter().filter_map(|g| g.get("value")).collect();
                items.retain(|i| !i.get("value").is_some_and(|v| values.contains(&v)));
            }
            ("remove", _, Some(_)) => {
                object.remove(&key);
            }
            // Adding to a multi-valued attribute appends the values not there yet.
            ("add", Some(Value::Array(items)), Some(new)) => {
                let new = match new {
                    Value::Array(v) => v,
                    one => vec![one],
                };
                for n in new {
                    let same = |i: &Value| i.get("value").is_some() && i.get("value") == n.get("value");
                    if !items.iter().any(same) {
                        items.push(n);
                    }
                }
            }
            ("add", Some(Value::Object(existing)), Some(Value::Object(new))) => existing.extend(new),
            (_, _, Some(v)) => {
                object.insert(key, v);
            }
            (_, _, None) => return Err(invalid_value("value: required")),
        },
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Discovery

/// The refusals every SCIM operation can give, as SCIM error bodies: 400 (`scimType` says
/// which), 401, 403 (the workspace's connection was removed), 404, 409 (`uniqueness`), 412
/// (`If-Match`), 413, 415, 429 (`Retry-After`).
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum Refused {
    #[response(status = 400, content_type = "application/scim+json")]
    BadRequest(ScimError),
    #[response(status = 401, content_type = "application/scim+json")]
    Unauthorized(ScimError),
    #[response(status = 403, content_type = "application/scim+json")]
    Forbidden(ScimError),
    #[response(status = 404, content_type = "application/scim+json")]
    NotFound(ScimError),
    #[response(status = 409, content_type = "application/scim+json")]
    Conflict(ScimError),
    #[response(status = 412, content_type = "application/scim+json")]
    PreconditionFailed(ScimError),
    #[response(status = 413, content_type = "application/scim+json")]
    TooLarge(ScimError),
    #[response(status = 415, content_type = "application/scim+json")]
    UnsupportedMediaType(ScimError),
    #[response(status = 429, content_type = "application/scim+json")]
    TooManyRequests(ScimError),
}

/// What the service supports (RFC 7643 §5).
#[utoipa::path(get, path = "/ServiceProviderConfig", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"), Refused))]
async fn service_provider_config(State(state): State<AppState>, _who: Provider) -> Response {
    let base = base(&state);
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_PAGE},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "SCIM credential",
                "description": "A credential the operator issued with token-server scim-credential create, as a bearer token",
                "primary": true
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")}
        }),
    )
}

fn resource_type(base: &str, name: &str) -> Value {
    let (endpoint, schema) = match name {
        "User" => ("/Users", USER_SCHEMA),
        _ => ("/Groups", GROUP_SCHEMA),
    };
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": name,
        "name": name,
        "endpoint": endpoint,
        "schema": schema,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{name}")}
    })
}

/// The resource types served: User and Group, with no extensions.
#[utoipa::path(get, path = "/ResourceTypes", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"), Refused))]
async fn resource_types(State(state): State<AppState>, _who: Provider) -> Response {
    let base = base(&state);
    let all = vec![resource_type(&base, "User"), resource_type(&base, "Group")];
    scim_json(StatusCode::OK, &list_body(2, 1, all))
}

fn attribute(name: &str, kind: &str, extra: Value) -> Value {
    let mut a = json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "required": false,
        "caseExact": false,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
    });
    if let (Some(a), Value::Object(extra)) = (a.as_object_mut(), extra) {
        a.extend(extra);
    }
    a
}

/// The User and Group schemas (RFC 7643 §7): every attribute an answer carries, sub-attributes
/// included, is declared, so a client that reads answers by them (scim2-models does) takes every
/// answer.
fn schema_documents(base: &str) -> Vec<Value> {
    let text = |name: &str| attribute(name, "string", json!({}));
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person of the workspace: the attributes the service keeps",
        "attributes": [
            attribute("userName", "string", json!({"required": true, "uniqueness": "server"})),
            attribute("name", "complex", json!({"subAttributes": [text("formatted"), text("givenName"), text("familyName")]})),
            text("displayName"),
            attribute("emails", "complex", json!({
                "multiValued": true,
                "mutability": "immutable",
                "description": "The person's address, in a domain the workspace claims; it is their identity here and does not change",
                "subAttributes": [
                    attribute("value", "string", json!({"required": true, "mutability": "immutable"})),
                    attribute("type", "string", json!({"mutability": "immutable", "canonicalValues": ["work", "home", "other"]})),
                    attribute("primary", "boolean", json!({"mutability": "immutable"})),
                ]
            })),
            attribute("active", "boolean", json!({})),
            attribute("groups", "complex", json!({
                "multiValued": true,
                "mutability": "readOnly",
                "subAttributes": [
                    attribute("value", "string", json!({"mutability": "readOnly", "caseExact": true})),
                    attribute("$ref", "reference", json!({"mutability": "readOnly", "referenceTypes": ["Group"]})),
                    attribute("display", "string", json!({"mutability": "readOnly"})),
                    // Every group is the person's own: none holds another.
                    attribute("type", "string", json!({"mutability": "readOnly", "canonicalValues": ["direct"]})),
                ]
            })),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")}
    });
    let group = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of people; the one named as the workspace's admin group makes admins",
        "attributes": [
            attribute("displayName", "string", json!({"required": true, "uniqueness": "server"})),
            attribute("members", "complex", json!({
                "multiValued": true,
                "subAttributes": [
                    attribute("value", "string", json!({"mutability": "immutable", "caseExact": true})),
                    attribute("$ref", "reference", json!({"mutability": "immutable", "referenceTypes": ["User"]})),
                    attribute("display", "string", json!({"mutability": "readOnly"})),
                    // People only: a group in a group is refused.
                    attribute("type", "string", json!({"mutability": "immutable", "canonicalValues": ["User"]})),
                ]
            })),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}")}
    });
    vec![user, group]
}

/// The schemas of User and Group, describing exactly the attributes the service keeps.
#[utoipa::path(get, path = "/Schemas", tag = "scim", security(("scim" = [])),
    responses((status = 200, body = Object, content_type = "application/scim+json"), Refused))]
async fn schemas(State(state): State<AppState>, _who: Provider) -> Response {
    let all = schema_documents(&base(&state));
    scim_json(StatusCode::OK, &list_body(2, 1, all))
}

/// One resource type, by name.
#[utoipa::path(get, path = "/ResourceTypes/{name}", tag = "scim", security(("scim" = [])), params(("name" = String, Path)),
    responses((status = 200, body = Object, content_type = "application/scim+json"), Refused))]
async fn one_resource_type(
    State(state): State<AppState>,
    _who: Provider,
    Path(name): Path<String>,
) -> ScimResult<Response> {
    match name.as_str() {
        "User" | "Group" => Ok(scim_json(StatusCode::OK, &resource_type(&base(&state), &name))),
        _ => Err(failure(StatusCode::NOT_FOUND, None, "no such resource type")),
    }
}

/// One schema, by its URN.
#[utoipa::path(get, path = "/Schemas/{id}", tag = "scim", security(("scim" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Object, content_type = "application/scim+json"), Refused))]
async fn one_schema(State(state): State<AppState>, _who: Provider, Path(id): Path<String>) -> ScimResult<Response> {
    schema_documents(&base(&state))
        .into_iter()
        .find(|s| s["id"] == id.as_str())
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| failure(StatusCode::NOT_FOUND, None, "no such schema"))
}

/// Bulk operations are not supported (ServiceProviderConfig `bulk.supported` is false): 501.
#[utoipa::path(post, path = "/Bulk", tag = "scim", security(("scim" = [])),
    responses((status = 501, body = ScimError, content_type = "application/scim+json"), Refused))]
async fn bulk(who: Provider) -> Failure {
    not_supported(who)
}

/// `/Me` is not supported: a provider's credential is nobody's own: 501.
#[utoipa::path(get, path = "/Me", tag = "scim", security(("scim" = [])),
    responses((status = 501, body = ScimError, content_type = "application/scim+json"), Refused))]
async fn me(who: Provider) -> Failure {
    not_supported(who)
}

/// Queries by POST to `/.search` are not supported, at the root or of one resource type: 501
/// (RFC 7644 §3.12), which tells a client to query with GET and `filter` instead.
#[utoipa::path(post, path = "/.search", tag = "scim", security(("scim" = [])),
    responses((status = 501, body = ScimError, content_type = "application/scim+json"), Refused))]
async fn search(who: Provider) -> Failure {
    not_supported(who)
}

/// Queries of people by POST: not supported, as `/.search`.
#[utoipa::path(post, path = "/Users/.search", tag = "scim", security(("scim" = [])),
    responses((status = 501, body = ScimError, content_type = "application/scim+json"), Refused))]
async fn search_users(who: Provider) -> Failure {
    not_supported(who)
}

/// Queries of groups by POST: not supported, as `/.search`.
#[utoipa::path(post, path = "/Groups/.search", tag = "scim", security(("scim" = [])),
    responses((status = 501, body = ScimError, content_type = "application/scim+json"), Refused))]
async fn search_groups(who: Provider) -> Failure {
    not_supported(who)
}

/// What the service does not do, refused as RFC 7644 asks.
fn not_supported(_who: Provider) -> Failure {
    failure(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "not supported: the ServiceProviderConfig says what is",
    )
}
