//! Access tokens: JWTs per RFC 9068 (`typ: at+jwt`), signed with Ed25519. The key is kept in the
//! database so it survives restarts and is shared by every instance on the same database; its
//! public half is served as a JWKS.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sqlx::AnyPool;

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
}

/// The service's signing key.
#[derive(Clone)]
pub struct Signer {
    kid: String,
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl Signer {
    /// Loads the key from the database, creating it on first start. Instances starting together
    /// on one database agree on the first key written.
    pub async fn load_or_create(pool: &AnyPool) -> anyhow::Result<Signer> {
        if let Some(signer) = Self::load(pool).await? {
            return Ok(signer);
        }
        let seed = secrets::random_bytes::<32>();
        sqlx::query(
            "INSERT INTO signing_keys (kid, secret_seed, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(secrets::random_id())
        .bind(URL_SAFE_NO_PAD.encode(seed))
        .bind(db::now_ms())
        .execute(pool)
        .await?;
        Self::load(pool)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the signing key was not stored"))
    }

    async fn load(pool: &AnyPool) -> anyhow::Result<Option<Signer>> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT kid, secret_seed FROM signing_keys ORDER BY created_at, kid LIMIT 1")
                .fetch_optional(pool)
                .await?;
        let Some((kid, seed)) = row else {
            return Ok(None);
        };
        let seed: [u8; 32] = URL_SAFE_NO_PAD
            .decode(seed)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("stored signing key has the wrong length"))?;
        Ok(Some(Signer {
            kid,
            key: SigningKey::from_bytes(&seed),
        }))
    }

    /// Signs the claims into a compact JWT.
    pub fn sign(&self, claims: &AccessClaims) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            typ: "at+jwt".into(),
            kid: self.kid.clone(),
        };
        let mut jwt = format!("{}.{}", encode_json(&header), encode_json(claims));
        let signature = self.key.sign(jwt.as_bytes());
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        jwt
    }

    /// Verifies signature, type, expiry, issuer and audience.
    pub fn verify(&self, jwt: &str, issuer: &str, now_secs: i64) -> Result<AccessClaims, VerifyError> {
        let mut parts = jwt.split('.');
        let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(VerifyError::Malformed);
        };
        let header: Header = decode_json(h)?;
        if header.alg != "EdDSA" || header.typ != "at+jwt" || header.kid != self.kid {
            return Err(VerifyError::Malformed);
        }
        let sig_bytes: [u8; 64] = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| VerifyError::Malformed)?
            .try_into()
            .map_err(|_| VerifyError::Malformed)?;
        self.verifying_key()
            .verify(
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

    fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key as a JWK Set (RFC 7517, OKP per RFC 8037).
    pub fn jwks(&self) -> serde_json::Value {
        serde_json::json!({
            "keys": [{
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(self.verifying_key().as_bytes()),
            }]
        })
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

    fn signer() -> Signer {
        Signer {
            kid: "k1".into(),
            key: SigningKey::from_bytes(&[7u8; 32]),
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
        }
    }

    #[test]
    fn signed_tokens_verify_until_they_expire() {
        let s = signer();
        let jwt = s.sign(&claims(2_000));
        assert_eq!(s.verify(&jwt, "http://issuer", 1_999), Ok(claims(2_000)));
        assert_eq!(s.verify(&jwt, "http://issuer", 2_000), Err(VerifyError::Expired));
        assert_eq!(s.verify(&jwt, "http://other", 1_000), Err(VerifyError::Audience));
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let s = signer();
        let jwt = s.sign(&claims(2_000));
        let mut forged = claims(2_000);
        forged.workspace = "other".into();
        let (h, rest) = jwt.split_once('.').unwrap();
        let sig = rest.rsplit_once('.').unwrap().1;
        let tampered = format!("{h}.{}.{sig}", encode_json(&forged));
        assert_eq!(s.verify(&tampered, "http://issuer", 1_000), Err(VerifyError::Signature));
        assert_eq!(s.verify("a.b", "http://issuer", 1_000), Err(VerifyError::Malformed));
        let other = Signer {
            kid: "k1".into(),
            key: SigningKey::from_bytes(&[8u8; 32]),
        };
        assert_eq!(other.verify(&jwt, "http://issuer", 1_000), Err(VerifyError::Signature));
    }
}
