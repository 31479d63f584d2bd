//! The service as an OpenID Connect relying party: discovery, the authorization code flow with
//! PKCE, `state` and `nonce`, and every ID token check, through the `openidconnect` crate. The
//! provider's metadata and keys are cached per issuer and fetched again when an ID token names
//! a key the cache does not hold (the provider rotated its keys).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreJwsSigningAlgorithm};
use openidconnect::http as http_types;
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, HttpClientError,
    HttpRequest, HttpResponse, IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, UserInfoClaims,
};
use serde::Deserialize;
use token_api::sso::SsoRefusal;

/// How long discovered metadata and keys are kept before they are fetched again anyway.
const METADATA_TTL: Duration = Duration::from_secs(3600);

/// The least time between two fetches of one provider's keys for an unknown key id.
const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(1);

/// The most a provider's answer may hold: discovery documents, key sets and tokens are a few
/// KB; a provider that streams more is refused, not buffered.
const BODY_MAX: usize = 1 << 20;

/// A back-channel call under way.
type BackChannelCall =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<HttpResponse, HttpClientError<reqwest::Error>>> + Send>>;

/// One back-channel call, its answer's body read up to `BODY_MAX`.
async fn capped(http: reqwest::Client, request: HttpRequest) -> Result<HttpResponse, HttpClientError<reqwest::Error>> {
    let mut response = http
        .execute(request.try_into().map_err(Box::new)?)
        .await
        .map_err(Box::new)?;
    let mut answer = http_types::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        answer = answer.header(name, value);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(Box::new)? {
        if body.len() + chunk.len() > BODY_MAX {
            return Err(HttpClientError::Other(format!(
                "an answer of more than {BODY_MAX} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    answer.body(body).map_err(HttpClientError::Http)
}

/// The ID token signatures taken: asymmetric ones only. An HMAC (`HS256`) would be checked with
/// the client secret, which is not the provider's alone; `none` is never a signature.
const ALGORITHMS: [CoreJwsSigningAlgorithm; 8] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// A workspace's provider as the operator set it.
#[derive(Clone, Debug)]
pub struct Provider {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
}

/// A sign-in handed to the provider: where to send the browser, and what the callback needs to
/// check its answer (kept by the service, never sent to the browser but the state).
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider says signed in, its ID token checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: Option<String>,
    /// Only the provider's own `email_verified: true` counts.
    pub email_verified: bool,
    pub name: Option<String>,
    pub groups: Vec<String>,
}

/// Why a provider's answer was not taken, with the detail for the operator's log (no secret).
#[derive(Debug, thiserror::Error)]
#[error("{refusal}: {detail}")]
pub struct Failure {
    pub refusal: SsoRefusal,
    pub detail: String,
}

fn fail(refusal: SsoRefusal, detail: impl std::fmt::Display) -> Failure {
    Failure {
        refusal,
        detail: detail.to_string(),
    }
}

/// Claims beyond the standard ones: the groups a provider may put in the ID token or user info
/// (Okta, Entra ID, Keycloak: `groups`), as a list or a single name.
#[derive(Clone, Debug, Default, Deserialize, serde::Serialize)]
struct Groups {
    #[serde(default, deserialize_with = "one_or_many")]
    groups: Vec<String>,
}
impl AdditionalClaims for Groups {}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<serde_json::Value>),
        Other(serde::de::IgnoredAny),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        // Entries that are not names (numbers, objects) name no group.
        OneOrMany::Many(v) => v.into_iter().filter_map(|g| g.as_str().map(str::to_owned)).collect(),
        OneOrMany::Other(_) => vec![],
    })
}

/// The relying party: one HTTP client (no redirects followed, timeouts on every call) and the
/// providers' metadata and keys by issuer.
#[derive(Debug)]
pub struct RelyingParty {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, (Instant, ProviderMetadataWithLogout)>>,
    /// Issuers whose discovery failed lately, and why: asked again after `FAILURE_TTL`, so
    /// sign-ins against a provider that is down cost the service (and the provider) nothing.
    failed: Mutex<HashMap<String, (Instant, String)>>,
}

/// How long a failed discovery is remembered.
const FAILURE_TTL: Duration = Duration::from_secs(30);

impl RelyingParty {
    /// A relying party whose back-channel calls give up after `timeout`.
    pub fn new(timeout: Duration) -> anyhow::Result<RelyingParty> {
        let http = reqwest::Client::builder()
            // A provider's redirect could point the service at an address of the operator's
            // network (SSRF): the back channel follows none.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()?;
        Ok(RelyingParty {
            http,
            cache: Mutex::default(),
            failed: Mutex::default(),
        })
    }

    /// The HTTP client of the back channel, as `openidconnect` calls it: every answer capped.
    fn back_channel(&self) -> impl Fn(HttpRequest) -> BackChannelCall + '_ {
        move |request| Box::pin(capped(self.http.clone(), request))
    }

    /// The provider's metadata and keys: from the cache while fresh and not `stale`, else
    /// discovered (which checks that the document names the issuer asked for).
    async fn metadata(&self, issuer: &str, refetch: bool) -> Result<ProviderMetadataWithLogout, Failure> {
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, metadata)) = cache.get(issuer) {
                let fresh = at.elapsed() < METADATA_TTL;
                if fresh && (!refetch || at.elapsed() < REFETCH_AT_MOST_EVERY) {
                    return Ok(metadata.clone());
                }
            }
        }
        if !refetch {
            let failed = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, why)) = failed.get(issuer).filter(|(at, _)| at.elapsed() < FAILURE_TTL) {
                let ago = at.elapsed().as_secs();
                return Err(fail(
                    SsoRefusal::Unreachable,
                    format!("{why} ({ago} s ago; asked again after 30 s)"),
                ));
            }
        }
        let url = IssuerUrl::new(issuer.to_owned()).map_err(|e| fail(SsoRefusal::Unreachable, e))?;
        let metadata = match ProviderMetadataWithLogout::discover_async(url, &self.back_channel()).await {
            Ok(metadata) => metadata,
            Err(e) => {
                let why = error_chain(&e);
                self.failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(issuer.to_owned(), (Instant::now(), why.clone()));
                return Err(fail(SsoRefusal::Unreachable, why));
            }
        };
        self.failed.lock().unwrap_or_else(|e| e.into_inner()).remove(issuer);
        self.cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(issuer.to_owned(), (Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Checks that the provider can be discovered (for the operator setting it).
    pub async fn check(&self, issuer: &str) -> Result<(), Failure> {
        self.metadata(issuer, true).await.map(drop)
    }

    /// The provider's sign-out address for this client (OpenID Connect RP-Initiated Logout),
    /// coming back to `back_to`; `None` when the provider offers none or cannot be asked now.
    /// No `id_token_hint`: it would put the person's ID token in an address.
    pub async fn end_session_url(&self, provider: &Provider, back_to: &str) -> Option<String> {
        let metadata = self.metadata(&provider.issuer, false).await.ok()?;
        let endpoint = metadata.additional_metadata().end_session_endpoint.clone()?;
        // Where the page sends the browser: the provider's https address (http on loopback, as
        // for the issuer), never a script or a plain-text hop.
        let url = endpoint.url();
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if !(url.scheme() == "https" || (url.scheme() == "http" && loopback)) {
            return None;
        }
        let back = PostLogoutRedirectUrl::new(back_to.to_owned()).ok()?;
        let url = LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(provider.client_id.clone()))
            .set_post_logout_redirect_uri(back)
            .http_get_url();
        Some(url.to_string())
    }

    /// Starts a sign-in: the authorization address with a fresh `state`, `nonce` and PKCE
    /// challenge (S256).
    pub async fn start(&self, provider: &Provider, redirect: &str) -> Result<Started, Failure> {
        let metadata = self.metadata(&provider.issuer, false).await?;
        let client = client(metadata, provider, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            authorize_url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Finishes a sign-in: exchanges the code (with the PKCE verifier and the client secret),
    /// checks the ID token (signature by an allowed algorithm and the provider's key, issuer,
    /// audience, `azp`, expiry, nonce), and reads the user info where the provider has it.
    pub async fn finish(
        &self,
        provider: &Provider,
        redirect: &str,
        code: &str,
        nonce: &str,
        pkce_verifier: &str,
    ) -> Result<Identity, Failure> {
        let metadata = self.metadata(&provider.issuer, false).await?;
        let client = client(metadata, provider, redirect)?;
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| fail(SsoRefusal::Unreachable, e))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.back_channel())
            .await
            .map_err(token_error)?;
        let id_token = response
            .extra_fields()
            .id_token()
            .ok_or_else(|| fail(SsoRefusal::InvalidToken, "the token response has no ID token"))?;
        let nonce = Nonce::new(nonce.to_owned());
        let verify = |client: &CoreClient<_, _, _, _, _, _>| {
            let verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS);
            id_token.claims(&verifier, &nonce).cloned()
        };
        let claims = match verify(&client) {
            // A key the cached set does not hold: the provider may have rotated; fetch again once.
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey)) => {
                let metadata = self.metadata(&provider.issuer, true).await?;
                verify(&self::client(metadata, provider, redirect)?)
            }
            other => other,
        }
        .map_err(claims_error)?;
        let mut identity = Identity {
            issuer: claims.issuer().to_string(),
            subject: claims.subject().to_string(),
            email: claims.email().map(|e| e.to_string()),
            email_verified: claims.email_verified() == Some(true),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
            groups: verified_groups(&id_token.to_string()),
        };
        // The user info, where the provider has it, fills what the ID token left out (many
        // providers put the profile there only). Its subject must be the ID token's.
        if let Ok(request) = client.user_info(response.access_token().clone(), Some(claims.subject().clone())) {
            let info: UserInfoClaims<Groups, CoreGenderClaim> = request
                .request_async(&self.back_channel())
                .await
                .map_err(|e| fail(SsoRefusal::Unreachable, error_chain(&e)))?;
            if let Some(email) = info.email() {
                identity.email = Some(email.to_string());
                identity.email_verified = info.email_verified() == Some(true);
            }
            if identity.name.is_none() {
                identity.name = info.name().and_then(|n| n.get(None)).map(|n| n.to_string());
            }
            if !info.additional_claims().groups.is_empty() {
                identity.groups = info.additional_claims().groups.clone();
            }
        }
        Ok(identity)
    }
}

/// The client for one provider, from its metadata.
fn client(
    metadata: ProviderMetadataWithLogout,
    provider: &Provider,
    redirect: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Failure,
> {
    let redirect = RedirectUrl::new(redirect.to_owned()).map_err(|e| fail(SsoRefusal::Unreachable, e))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        Some(ClientSecret::new(provider.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// The `groups` of an ID token whose signature and claims were checked already: read from its
/// payload, which is what was signed.
fn verified_groups(compact: &str) -> Vec<String> {
    compact
        .split('.')
        .nth(1)
        .and_then(|payload| URL_SAFE_NO_PAD.decode(payload).ok())
        .and_then(|json| serde_json::from_slice::<Groups>(&json).ok())
        .map(|g| g.groups)
        .unwrap_or_default()
}

/// What the token endpoint's refusal means for the person and the operator.
fn token_error<E: std::error::Error + 'static>(
    e: RequestTokenError<E, openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>>,
) -> Failure {
    use openidconnect::core::CoreErrorResponseType as T;
    match &e {
        RequestTokenError::ServerResponse(r) => match r.error() {
            T::InvalidClient | T::UnauthorizedClient => fail(SsoRefusal::ClientRefused, r.error()),
            // A code used, expired, or not made for this client and verifier.
            T::InvalidGrant => fail(SsoRefusal::Expired, r.error()),
            other => fail(SsoRefusal::Unreachable, other),
        },
        _ => fail(SsoRefusal::Unreachable, error_chain(&e)),
    }
}

/// What a failed ID token check means: a clock off, or a token not to be trusted.
fn claims_error(e: ClaimsVerificationError) -> Failure {
    match e {
        ClaimsVerificationError::Expired(_) => fail(SsoRefusal::ClockSkew, error_chain(&e)),
        _ => fail(SsoRefusal::InvalidToken, error_chain(&e)),
    }
}

/// An error and its causes, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token_with(payload: &str) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn groups_are_read_as_a_list_or_one_name() {
        assert_eq!(verified_groups(&token_with(r#"{"groups":["a","b"]}"#)), ["a", "b"]);
        assert_eq!(verified_groups(&token_with(r#"{"groups":"admins"}"#)), ["admins"]);
        assert_eq!(verified_groups(&token_with(r#"{"groups":[1,"x",{}]}"#)), ["x"]);
        assert!(verified_groups(&token_with(r#"{"groups":{"a":1}}"#)).is_empty());
        assert!(verified_groups(&token_with(r#"{}"#)).is_empty());
        assert!(verified_groups("not a token").is_empty());
    }
}
