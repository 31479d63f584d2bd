//! Access tokens: JWTs per RFC 9068 (`typ: at+jwt`), signed with Ed25519. The keys are kept in
//! the database, sealed under a key derived from the operator's key file, so they survive
//! restarts and are shared by every instance on the same database while a copy of the database
//! alone signs nothing. Their public halves are served as a JWKS; verification picks the key by
//! `kid`, so a rotation never breaks a token that is still alive.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;
use token_api::tokens::ACCESS_TOKEN_TTL_SECS;

use crate::{db, secrets};

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    /// The workspace the token works in, and nowhere else.
    pub workspace: String,
    /// The grant (the token as the pages list it) this access token was issued for.
    pub grant_id: String,
    /// The permissions it carries, separated by spaces (RFC 9068 §2.2.3); none when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The address ranges (CIDR) its grant may be refreshed from, for resource servers that
    /// enforce them; absent: anywhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// Why a presented access token was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("malformed token")]
    Malformed,
    #[error("bad signature")]
    Signature,
    #[error("token expired")]
    Expired,
    #[error("wrong issuer or audience")]
    Audience,
    #[error("signed by a key this service does not hold (or no longer publishes)")]
    UnknownKey,
}

/// How long before signing with it a new key is published: resource servers cache the JWKS for
/// as long as its `Cache-Control` says (5 minutes), and instances read the keys again every
/// `RELOAD_EVERY`, so with room to spare for clocks the key is in every served JWKS, and every
/// cached copy, before any token it signs arrives.
pub const PUBLISH_AHEAD_MS: i64 = 7 * 60 * 1000;

/// How often every instance reads the ring again: a retired key stops signing and verifying
/// everywhere within this.
pub const RELOAD_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a superseded key stays published: an access token it signed lives an hour at most.
pub const RETIRE_AFTER_MS: i64 = ACCESS_TOKEN_TTL_SECS * 1000 + PUBLISH_AHEAD_MS;

/// What the key file's bytes protect: the signing keys' seeds.
pub const KEY_PURPOSE: &str = "token-console signing key seal v1";

/// One signing key of the ring.
#[derive(Clone)]
struct RingKey {
    generation: i64,
    kid: String,
    key: SigningKey,
    activates_at: i64,
}

/// The service's signing keys: the current one signs, every key a live token may carry verifies.
/// Loaded from the database at start and again every `RELOAD_EVERY`, so a rotation made by one
/// instance (or by `--rotate-signing-key`) reaches the others long before the new key signs.
pub struct Signer {
    kek: [u8; 32],
    ring: std::sync::RwLock<Vec<RingKey>>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self.keys().into_iter().map(|k| k.kid).collect();
        f.debug_struct("Signer").field("kids", &kids).finish_non_exhaustive()
    }
}

/// Why the signing keys could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a stored signing key cannot be opened with this key file: is it the deployment's key file?")]
    WrongKeyFile,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl Signer {
    /// Loads the keys, creating the first on an empty database. Instances starting together on
    /// one database all insert generation 1, and the database keeps exactly one of them. A key
    /// left in the plaintext table of earlier versions becomes generation 1, sealed, so access
    /// tokens issued before the upgrade keep working.
    pub async fn load_or_create(pool: &AnyPool, key_file_bytes: &[u8]) -> Result<Signer, KeyError> {
        let signer = Signer {
            kek: secrets::derive_key(KEY_PURPOSE, key_file_bytes),
            ring: std::sync::RwLock::new(Vec::new()),
        };
        let legacy: Option<(String, String, i64)> =
            sqlx::query_as("SELECT kid, secret_seed, created_at FROM signing_keys ORDER BY created_at, kid LIMIT 1")
                .fetch_optional(pool)
                .await?;
        let upgraded = legacy.is_some();
        let (kid, seed, created_at) = match legacy {
            Some((kid, seed, at)) => (kid, URL_SAFE_NO_PAD.decode(seed).unwrap_or_default(), at),
            None => (
                secrets::random_id(),
                secrets::random_bytes::<32>().to_vec(),
                db::now_ms(),
            ),
        };
        sqlx::query(
            "INSERT INTO signing_key_ring (generation, kid, sealed_seed, created_at, activates_at)
             VALUES (1, $1, $2, $3, $3) ON CONFLICT DO NOTHING",
        )
        .bind(&kid)
        .bind(secrets::seal(&signer.kek, &seed))
        .bind(created_at)
        .execute(pool)
        .await?;
        sqlx::query("DELETE FROM signing_keys").execute(pool).await?;
        signer.reload(pool).await?;
        // A key that lay in the database in plain text may be in old backups: it still verifies
        // the tokens it signed, but a new key signs from now on.
        if upgraded && signer.generations() == [1] {
            signer.rotate(pool).await?;
        }
        Ok(signer)
    }

    /// Adds the next generation of key, published now and signing in seven minutes. Returns its kid.
    pub async fn rotate(&self, pool: &AnyPool) -> Result<String, KeyError> {
        let kid = self
            .add_key(&mut *pool.acquire().await?, db::now_ms() + PUBLISH_AHEAD_MS)
            .await?;
        self.reload(pool).await?;
        Ok(kid)
    }

    /// Retires the key `kid` at once: this instance stops verifying and publishing it now, the
    /// others at their next reload (`RELOAD_EVERY`). If it was signing, a new key signs from now:
    /// an older key it had superseded never signs again. `Ok(None)` when no live
    /// key has that kid; else the new key's kid, if one was made.
    pub async fn retire(&self, pool: &AnyPool, kid: &str) -> Result<Option<Option<String>>, KeyError> {
        let now = db::now_ms();
        // One transaction: no instance reading the ring in between sees no key signing, or an
        // older one signing again.
        let mut tx = crate::db::begin_write(pool).await?;
        let retired: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE signing_key_ring SET retired_at = $2 WHERE kid = $1 AND retired_at IS NULL
             RETURNING generation, activates_at",
        )
        .bind(kid)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((generation, activates_at)) = retired else {
            return Ok(None);
        };
        // A live key newer than the retired one and signing already goes on signing.
        let (newer,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM signing_key_ring WHERE retired_at IS NULL AND activates_at <= $1 AND generation > $2",
        )
        .bind(now)
        .bind(generation)
        .fetch_one(&mut *tx)
        .await?;
        // A key still waiting to sign superseded nothing: the one signing now goes on.
        let replacement = if newer == 0 && activates_at <= now {
            Some(self.add_key(&mut tx, now).await?)
        } else {
            None
        };
        tx.commit().await?;
        self.reload(pool).await?;
        Ok(Some(replacement))
    }

    /// Adds the next generation of key, signing from `activates_at`.
    async fn add_key(&self, conn: &mut sqlx::AnyConnection, activates_at: i64) -> Result<String, KeyError> {
        let kid = secrets::random_id();
        sqlx::query(
            "INSERT INTO signing_key_ring (generation, kid, sealed_seed, created_at, activates_at)
             SELECT COALESCE(MAX(generation), 0) + 1, $1, $2, $3, $4 FROM signing_key_ring WHERE true
             ON CONFLICT DO NOTHING",
        )
        .bind(&kid)
        .bind(secrets::seal(&self.kek, &secrets::random_bytes::<32>()))
        .bind(db::now_ms())
        .bind(activates_at)
        .execute(conn)
        .await?;
        Ok(kid)
    }

    /// Reads the ring again, dropping keys whose successor has signed for longer than any token lives.
    pub async fn reload(&self, pool: &AnyPool) -> Result<(), KeyError> {
        let rows: Vec<(i64, String, String, i64, Option<i64>)> = sqlx::query_as(
            "SELECT generation, kid, sealed_seed, activates_at, retired_at FROM signing_key_ring ORDER BY generation",
        )
        .fetch_all(pool)
        .await?;
        let now = db::now_ms();
        let mut ring = Vec::with_capacity(rows.len());
        for (i, (generation, kid, sealed, activates_at, retired_at)) in rows.iter().enumerate() {
            // Superseded by any later key that signed, retired since or not: a key once
            // superseded never comes back.
            let superseded_at = rows[i + 1..].iter().map(|r| r.3).find(|&at| at <= now);
            if retired_at.is_some() || superseded_at.is_some_and(|at| now - at > RETIRE_AFTER_MS) {
                continue;
            }
            let seed: [u8; 32] = secrets::open(&self.kek, sealed)
                .and_then(|s| s.try_into().ok())
                .ok_or(KeyError::WrongKeyFile)?;
            ring.push(RingKey {
                generation: *generation,
                kid: kid.clone(),
                key: SigningKey::from_bytes(&seed),
                activates_at: *activates_at,
            });
        }
        if let Ok(mut current) = self.ring.write() {
            *current = ring;
        }
        Ok(())
    }

    fn keys(&self) -> Vec<RingKey> {
        self.ring.read().map(|r| r.clone()).unwrap_or_default()
    }

    /// The key that signs now: the newest generation already active.
    fn current(&self) -> Option<RingKey> {
        let now = db::now_ms();
        let ring = self.ring.read().ok()?;
        ring.iter().rev().find(|k| k.activates_at <= now).cloned()
    }

    /// The kid that signs now.
    pub fn current_kid(&self) -> String {
        self.current().map(|k| k.kid).unwrap_or_default()
    }

    /// Signs the claims into a compact JWT.
    pub fn sign(&self, claims: &AccessClaims) -> String {
        // The ring always holds an active key: generation 1 activates when it is made.
        let Some(current) = self.current() else {
            return String::new();
        };
        let header = Header {
            alg: "EdDSA".into(),
            typ: "at+jwt".into(),
            kid: current.kid,
        };
        let mut jwt = format!("{}.{}", encode_json(&header), encode_json(claims));
        let signature = current.key.sign(jwt.as_bytes());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        jwt
    }

    /// Verifies signature, type, expiry, issuer and audience.
    /// The `kid` in a token's header (not verified: read it after `verify`).
    pub fn kid_of(jwt: &str) -> Option<String> {
        let header: Header = decode_json(jwt.split('.').next()?).ok()?;
        Some(header.kid)
    }

    pub fn verify(&self, jwt: &str, issuer: &str, now_secs: i64) -> Result<AccessClaims, VerifyError> {
        let mut parts = jwt.split('.');
        let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(VerifyError::Malformed);
        };
        let header: Header = decode_json(h)?;
        if header.alg != "EdDSA" || header.typ != "at+jwt" {
            return Err(VerifyError::Malformed);
        }
        let key = {
            let ring = self.ring.read().map_err(|_| VerifyError::Malformed)?;
            let found = ring.iter().find(|k| k.kid == header.kid);
            found.map(|k| k.key.verifying_key()).ok_or(VerifyError::UnknownKey)?
        };
        let sig_bytes: [u8; 64] = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| VerifyError::Malformed)?
            .try_into()
            .map_err(|_| VerifyError::Malformed)?;
        key.verify(
            &jwt.as_bytes()[..h.len() + 1 + c.len()],
            &Signature::from_bytes(&sig_bytes),
        )
        .map_err(|_| VerifyError::Signature)?;
        let claims: AccessClaims = decode_json(c)?;
        if claims.exp <= now_secs {
            return Err(VerifyError::Expired);
        }
        if claims.iss != issuer || claims.aud != issuer {
            return Err(VerifyError::Audience);
        }
        Ok(claims)
    }

    /// Every key a live token may carry or a token will soon carry, newest first, as a JWK Set
    /// (RFC 7517, OKP per RFC 8037).
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<serde_json::Value> = self
            .keys()
            .iter()
            .rev()
            .map(|k| {
                serde_json::json!({
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "alg": "EdDSA",
                    "use": "sig",
                    "kid": k.kid,
                    "x": URL_SAFE_NO_PAD.encode(k.key.verifying_key().as_bytes()),
                })
            })
            .collect();
        serde_json::json!({ "keys": keys })
    }

    /// The generations in the ring, oldest first (for tests and the operator's log).
    pub fn generations(&self) -> Vec<i64> {
        self.keys().iter().map(|k| k.generation).collect()
    }
}

fn encode_json<T: Serialize>(value: &T) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

fn decode_json<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, VerifyError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| VerifyError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(seed: u8) -> Signer {
        Signer {
            kek: [0; 32],
            ring: std::sync::RwLock::new(vec![RingKey {
                generation: 1,
                kid: "k1".into(),
                key: SigningKey::from_bytes(&[seed; 32]),
                activates_at: 0,
            }]),
        }
    }

    fn claims(exp: i64) -> AccessClaims {
        AccessClaims {
            iss: "http://issuer".into(),
            sub: "u1".into(),
            aud: "http://issuer".into(),
            exp,
            iat: exp - 3600,
            jti: "j".into(),
            client_id: "c".into(),
            workspace: "w".into(),
            grant_id: "g".into(),
            scope: Some("datasets:read".into()),
            ranges: vec!["10.0.0.0/8".into()],
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire() {
        let s = signer(7);
        let jwt = s.sign(&claims(2_000));
        assert_eq!(s.verify(&jwt, "http://issuer", 1_999), Ok(claims(2_000)));
        assert_eq!(s.verify(&jwt, "http://issuer", 2_000), Err(VerifyError::Expired));
        assert_eq!(s.verify(&jwt, "http://other", 1_000), Err(VerifyError::Audience));
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let s = signer(7);
        let jwt = s.sign(&claims(2_000));
        let mut forged = claims(2_000);
        forged.workspace = "other".into();
        let (h, rest) = jwt.split_once('.').unwrap();
        let sig = rest.rsplit_once('.').unwrap().1;
        let tampered = format!("{h}.{}.{sig}", encode_json(&forged));
        assert_eq!(s.verify(&tampered, "http://issuer", 1_000), Err(VerifyError::Signature));
        assert_eq!(s.verify("a.b", "http://issuer", 1_000), Err(VerifyError::Malformed));
        assert_eq!(
            signer(8).verify(&jwt, "http://issuer", 1_000),
            Err(VerifyError::Signature)
        );
    }
}
