//! Secrets and their hashes: magic-link tokens, one-time codes, API tokens and session JWTs.
//! Only hashes are stored; the secrets exist in the mail, the cookie or the user's script.

use serde::{Deserialize, Serialize};

/// API tokens start with this, so a bearer value says which kind it is.
pub const API_TOKEN_PREFIX: &str = "afk_";

/// 244 random bits as 64 hex characters (two v4 UUIDs: the OS's CSPRNG via `getrandom`).
pub fn random_secret() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// A six-digit one-time code.
pub fn random_code() -> String {
    format!("{:06}", uuid::Uuid::new_v4().as_u128() % 1_000_000)
}

/// sha256 hex of `parts` joined by NUL: the stored form of a secret. The server key is
/// one part for low-entropy secrets (codes), so a leaked table cannot be brute-forced alone.
pub fn hash(parts: &[&str]) -> String {
    apiforge_store::sha256_hex(parts.join("\0").as_bytes())
}

/// A new API token: the secret shown once, and its hash.
pub fn new_api_token() -> (String, String) {
    let secret = format!("{API_TOKEN_PREFIX}{}", random_secret());
    let hashed = hash(&[&secret]);
    (secret, hashed)
}

/// The claims of a session JWT. `sid` ties it to a revocable session row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionClaims {
    pub sub: String,
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// Signs and checks session JWTs (HS256 with the server key).
#[derive(Clone)]
pub struct JwtKeys {
    encoding: jsonwebtoken::EncodingKey,
    decoding: jsonwebtoken::DecodingKey,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(..)")
    }
}

impl JwtKeys {
    pub fn new(secret: &str) -> Self {
        Self {
            encoding: jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            decoding: jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()),
        }
    }

    pub fn sign(&self, claims: &SessionClaims) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            claims,
            &self.encoding,
        )
    }

    /// The claims of a valid, unexpired token signed by us.
    pub fn verify(&self, token: &str) -> Option<SessionClaims> {
        let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        jsonwebtoken::decode::<SessionClaims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn secrets_are_long_distinct_and_codes_six_digits() {
        let (a, b) = (random_secret(), random_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        let code = random_code();
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn hashes_separate_their_parts() {
        assert_ne!(hash(&["ab", "c"]), hash(&["a", "bc"]));
        assert_eq!(hash(&["x"]).len(), 64);
    }

    #[test]
    fn jwts_round_trip_and_reject_other_keys_and_expiry() {
        let keys = JwtKeys::new("k1");
        let now = apiforge_store::now_ms() / 1000;
        let claims = SessionClaims {
            sub: "u".into(),
            sid: "s".into(),
            iat: now,
            exp: now + 60,
        };
        let token = keys.sign(&claims).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sid, "s");
        assert!(JwtKeys::new("k2").verify(&token).is_none());
        let expired = keys
            .sign(&SessionClaims {
                exp: now - 3600,
                ..claims
            })
            .unwrap();
        assert!(keys.verify(&expired).is_none());
        assert!(keys.verify("not a token").is_none());
    }
}
