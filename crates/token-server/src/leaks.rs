//! GitHub's secret scanning partner program, the signature half: a report is signed with ECDSA
//! P-256 / SHA-256 (an ASN.1 DER signature, base64 in `Github-Public-Key-Signature`) over its raw
//! body, by the key `Github-Public-Key-Identifier` names among the keys GitHub publishes
//! (`--secret-scanning-keys-url`). The keys are fetched with redirects off, a timeout and a size
//! cap, kept for an hour, and fetched again for a key id they do not hold at most once a minute,
//! so forged key ids cannot make the service hammer the keys URL.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use serde::Deserialize;
use tokio::sync::Mutex;

/// How long fetched keys are used before they are fetched again.
pub const KEYS_TTL: Duration = Duration::from_secs(3600);

/// The least time between two fetches of the keys (for a key id they do not hold, or after a
/// failure).
pub const REFETCH_AT_MOST_EVERY: Duration = Duration::from_secs(60);

/// How long a fetch of the keys may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The most a keys document may hold: GitHub's is about 1 KB.
const KEYS_MAX_BYTES: usize = 64 * 1024;

/// The longest key id and signature header taken (GitHub's: 64 hex digits, about 100 bytes).
const KEY_ID_MAX: usize = 256;
const SIGNATURE_MAX: usize = 512;

/// GitHub's keys document (`GET /meta/public_keys/secret_scanning`).
#[derive(Deserialize)]
struct KeysDocument {
    public_keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    /// An SPKI public key in PEM.
    key: String,
}

/// Why a report was not verified.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unverified {
    /// No signature, a malformed one, an unknown key, or one that does not verify: the sender
    /// is told one thing for all (the log says which).
    #[error("not signed by a published key: {0}")]
    Refused(&'static str),
    /// The keys could not be fetched, ever: nothing can be verified now.
    #[error("the secret scanning keys cannot be fetched")]
    NoKeys,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, VerifyingKey>,
    /// When the keys were last fetched successfully.
    fetched_at: Option<Instant>,
    /// When a fetch was last tried.
    tried_at: Option<Instant>,
}

/// The published keys of one scanner, and the client that fetches them.
pub struct KeyRing {
    url: String,
    http: reqwest::Client,
    /// Held across a fetch, so concurrent reports wait for one fetch instead of each making one.
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    /// The keys published at `url` (https, or http on loopback for tests), fetched when first
    /// needed.
    pub fn new(url: &str) -> anyhow::Result<KeyRing> {
        let http = reqwest::Client::builder()
            // A redirect could point the service at an address of the operator's network.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(FETCH_TIMEOUT)
            .timeout(FETCH_TIMEOUT)
            .build()?;
        Ok(KeyRing {
            url: url.to_owned(),
            http,
            cache: Mutex::default(),
        })
    }

    /// Checks `signature` (base64 of a DER ECDSA signature) over `body` with the key `key_id`.
    pub async fn verify(&self, key_id: Option<&str>, signature: Option<&str>, body: &[u8]) -> Result<(), Unverified> {
        let key_id = key_id
            .filter(|k| !k.is_empty() && k.len() <= KEY_ID_MAX)
            .ok_or(Unverified::Refused("no key identifier"))?;
        let signature = signature
            .filter(|s| s.len() <= SIGNATURE_MAX)
            .and_then(|s| STANDARD.decode(s.trim()).ok())
            .and_then(|der| Signature::from_der(&der).ok())
            .ok_or(Unverified::Refused(
                "no signature, or not base64 of a DER ECDSA signature",
            ))?;
        let key = self
            .key(key_id)
            .await?
            .ok_or(Unverified::Refused("an unknown key identifier"))?;
        key.verify(body, &signature)
            .map_err(|_| Unverified::Refused("a signature that does not verify"))
    }

    /// The key `key_id`, from the cache while fresh; else the keys fetched again, at most once
    /// per `REFETCH_AT_MOST_EVERY`. Keys that can no longer be fetched are kept in use.
    async fn key(&self, key_id: &str) -> Result<Option<VerifyingKey>, Unverified> {
        let mut cache = self.cache.lock().await;
        let fresh = cache.fetched_at.is_some_and(|at| at.elapsed() < KEYS_TTL);
        if let Some(key) = cache.keys.get(key_id).filter(|_| fresh) {
            return Ok(Some(*key));
        }
        let may_fetch = cache.tried_at.is_none_or(|at| at.elapsed() >= REFETCH_AT_MOST_EVERY);
        if may_fetch {
            cache.tried_at = Some(Instant::now());
            match self.fetch().await {
                Ok(keys) => {
                    tracing::info!(keys = keys.len(), "fetched the secret scanning keys");
                    cache.keys = keys;
                    cache.fetched_at = Some(Instant::now());
                }
                Err(error) => {
                    tracing::warn!(url = %self.url, %error, "fetching the secret scanning keys failed");
                }
            }
        }
        if cache.fetched_at.is_none() {
            return Err(Unverified::NoKeys);
        }
        Ok(cache.keys.get(key_id).copied())
    }

    /// The keys document, read up to `KEYS_MAX_BYTES`; keys that do not parse are left out.
    async fn fetch(&self) -> anyhow::Result<HashMap<String, VerifyingKey>> {
        let mut response = self
            .http
            .get(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await?;
        anyhow::ensure!(
            response.status() == reqwest::StatusCode::OK,
            "answered {}",
            response.status()
        );
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            anyhow::ensure!(
                body.len() + chunk.len() <= KEYS_MAX_BYTES,
                "an answer of more than {KEYS_MAX_BYTES} bytes"
            );
            body.extend_from_slice(&chunk);
        }
        let document: KeysDocument = serde_json::from_slice(&body)?;
        let mut keys = HashMap::new();
        for published in document.public_keys {
            match VerifyingKey::from_public_key_pem(published.key.trim()) {
                Ok(key) => {
                    keys.insert(published.key_identifier, key);
                }
                Err(error) => {
                    tracing::warn!(key = %published.key_identifier, %error, "a published key is not a P-256 public key")
                }
            }
        }
        anyhow::ensure!(!keys.is_empty(), "no P-256 key in the document");
        Ok(keys)
    }
}
