//! User tokens: HS256 JWTs signed by the host platform — their claims, verification, minting
//! (the `token` subcommand, `--dev`, tests) and when a verified token stops being accepted.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chat_core::{AccountId, AccountRole, ChatError, Identity, UserId};
use http::HeaderMap;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::bearer;

/// The claims of a user token, exactly as the contract names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id as a decimal string.
    pub sub: String,
    /// Account id.
    pub account_id: i64,
    /// `admin`, `supervisor` or `agent`.
    pub role: String,
    /// Expiry, seconds since the Unix epoch.
    pub exp: u64,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Issuer; checked when `CHAT_JWT_ISSUER` is set ([`Verifier::expecting`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// Audience (one value when minted; a token may carry a list); checked when
    /// `CHAT_JWT_AUDIENCE` is set ([`Verifier::expecting`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<serde_json::Value>,
}

impl Claims {
    /// The identity these claims state, or `Unauthorized` if any claim is malformed.
    pub fn identity(&self) -> Result<Identity, ChatError> {
        if self.sub.is_empty() || !self.sub.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ChatError::Unauthorized);
        }
        let user: i64 = self.sub.parse().map_err(|_| ChatError::Unauthorized)?;
        let role = AccountRole::parse(&self.role).ok_or(ChatError::Unauthorized)?;
        if user <= 0 || self.account_id <= 0 {
            return Err(ChatError::Unauthorized);
        }
        Ok(Identity {
            account: AccountId(self.account_id),
            user: UserId(user),
            role,
            name: self.name.clone(),
        })
    }
}

/// Verifies user tokens: HS256 only, `exp` required and checked, `nbf` checked when present,
/// `iss` and `aud` required and checked when configured ([`Verifier::expecting`]).
pub struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for tokens signed with `secret`, accepting `leeway_secs` of clock skew.
    pub fn new(secret: &[u8], leeway_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = false;
        validation.leeway = leeway_secs;
        Self {
            key: DecodingKey::from_secret(secret),
            validation,
        }
    }

    /// Also requires `iss` to equal `issuer` and `aud` to be or contain `audience`, for each
    /// that is `Some` (`CHAT_JWT_ISSUER`, `CHAT_JWT_AUDIENCE`): a token without the claim or
    /// with another value is `Unauthorized`.
    pub fn expecting(mut self, issuer: Option<&str>, audience: Option<&str>) -> Self {
        let mut required = vec!["exp"];
        if let Some(iss) = issuer {
            self.validation.set_issuer(&[iss]);
            required.push("iss");
        }
        if let Some(aud) = audience {
            self.validation.set_audience(&[aud]);
            self.validation.validate_aud = true;
            required.push("aud");
        }
        self.validation.set_required_spec_claims(&required);
        self
    }

    /// The identity in a request's bearer token; `Unauthorized` for anything wrong with it.
    pub fn verify(&self, headers: &HeaderMap) -> Result<Identity, ChatError> {
        self.verify_with_expiry(headers).map(|(id, _)| id)
    }

    /// The identity in a request's bearer token and the token's `exp` (seconds since the Unix
    /// epoch), for connections that must end when the token does.
    pub fn verify_with_expiry(&self, headers: &HeaderMap) -> Result<(Identity, u64), ChatError> {
        let token = bearer(headers).ok_or(ChatError::Unauthorized)?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|_| ChatError::Unauthorized)?;
        Ok((data.claims.identity()?, data.claims.exp))
    }
}

/// Signs a user token for `ttl` from now, without `iss` or `aud` (tests, examples).
pub fn mint(
    secret: &[u8],
    account: i64,
    user: i64,
    role: AccountRole,
    name: Option<&str>,
    ttl: Duration,
) -> Result<String, ChatError> {
    mint_claims(secret, &claims_for(account, user, role, name, ttl)?)
}

/// The claims of a user token valid for `ttl` from now, without `iss` or `aud` (set them for
/// a server that checks them, then [`mint_claims`]).
pub fn claims_for(
    account: i64,
    user: i64,
    role: AccountRole,
    name: Option<&str>,
    ttl: Duration,
) -> Result<Claims, ChatError> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(ChatError::internal)?;
    Ok(Claims {
        sub: user.to_string(),
        account_id: account,
        role: role.as_str().to_owned(),
        exp: now.as_secs().saturating_add(ttl.as_secs()),
        name: name.map(str::to_owned),
        iss: None,
        aud: None,
    })
}

/// Signs `claims` with HS256 (the `token` subcommand, `--dev`).
pub fn mint_claims(secret: &[u8], claims: &Claims) -> Result<String, ChatError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .map_err(ChatError::internal)
}

/// When a token with this `exp` stops being accepted (`exp` + leeway), as an `Instant`:
/// realtime connections end then, and tickets never outlive it.
pub fn token_deadline(exp: u64, leeway_secs: u64) -> Instant {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let left = exp.saturating_add(leeway_secs).saturating_sub(now);
    Instant::now() + Duration::from_secs(left.min(10 * 365 * 86_400))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64_free::b64;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn headers(token: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
        );
        h
    }

    /// Minimal unpadded base64url, to forge tokens by hand.
    mod base64_free {
        pub fn b64(data: &[u8]) -> String {
            const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let mut out = String::new();
            for chunk in data.chunks(3) {
                let b = [
                    chunk[0],
                    *chunk.get(1).unwrap_or(&0),
                    *chunk.get(2).unwrap_or(&0),
                ];
                let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
                for i in 0..=chunk.len() {
                    out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        }
    }

    #[test]
    fn round_trip() {
        let t = mint(
            SECRET,
            7,
            12,
            AccountRole::Agent,
            Some("Ana"),
            Duration::from_secs(60),
        )
        .unwrap();
        let id = Verifier::new(SECRET, 0).verify(&headers(&t)).unwrap();
        assert_eq!(
            (id.account, id.user, id.role),
            (AccountId(7), UserId(12), AccountRole::Agent)
        );
    }

    #[test]
    fn refusals() {
        let v = Verifier::new(SECRET, 0);
        let t = mint(
            b"another secret another secret !!",
            7,
            12,
            AccountRole::Agent,
            None,
            Duration::from_secs(60),
        )
        .unwrap();
        assert!(v.verify(&headers(&t)).is_err(), "bad signature");
        let exp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 60;
        let none = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(format!(r#"{{"sub":"12","account_id":7,"role":"agent","exp":{exp}}}"#).as_bytes())
        );
        assert!(v.verify(&headers(&none)).is_err(), "alg none");
        for claims in [
            Claims {
                sub: "x12".into(),
                account_id: 7,
                role: "agent".into(),
                exp,
                name: None,
                iss: None,
                aud: None,
            },
            Claims {
                sub: "+12".into(),
                account_id: 7,
                role: "agent".into(),
                exp,
                name: None,
                iss: None,
                aud: None,
            },
            Claims {
                sub: "12".into(),
                account_id: 7,
                role: "root".into(),
                exp,
                name: None,
                iss: None,
                aud: None,
            },
            Claims {
                sub: "12".into(),
                account_id: 7,
                role: "agent".into(),
                exp: exp - 7200,
                name: None,
                iss: None,
                aud: None,
            },
        ] {
            let t = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(SECRET),
            )
            .unwrap();
            assert!(v.verify(&headers(&t)).is_err(), "{claims:?}");
        }
        let no_exp = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &serde_json::json!({"sub": "12", "account_id": 7, "role": "agent"}),
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(v.verify(&headers(&no_exp)).is_err(), "missing exp");
        let hs512 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &Claims {
                sub: "12".into(),
                account_id: 7,
                role: "agent".into(),
                exp,
                name: None,
                iss: None,
                aud: None,
            },
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(v.verify(&headers(&hs512)).is_err(), "other alg");
    }
}
