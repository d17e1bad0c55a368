//! JWT verification. Mode 0: any bytes as the bearer token. Mode 1: any JSON as the claims of
//! a token correctly signed with the server's key (so the claim checks are reached, which a
//! random token never passes the signature to), checked with and without `iss`/`aud`.
//! Never a panic; every refusal is `Unauthorized` (401); an accepted token names a positive
//! account and user, a known role, an `exp` still in the future.
#![no_main]

use std::time::{SystemTime, UNIX_EPOCH};

use chat_core::ChatError;
use chat_server_min::auth::Verifier;
use http::{header::AUTHORIZATION, HeaderMap, HeaderValue};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-secret-fuzz-secret-fuzz-secret!";
const LEEWAY: u64 = 60;

fn check(verifier: &Verifier, value: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(value) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    match verifier.verify_with_expiry(&headers) {
        Ok((id, exp)) => {
            assert!(id.account.0 > 0 && id.user.0 > 0, "{id:?}");
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            assert!(exp + LEEWAY >= now, "expired token accepted: exp {exp}");
        }
        Err(ChatError::Unauthorized) => {}
        Err(other) => panic!("refused as {other:?}, not Unauthorized"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let plain = Verifier::new(SECRET, LEEWAY);
    if mode % 2 == 0 {
        let mut value = b"Bearer ".to_vec();
        value.extend_from_slice(rest);
        check(&plain, &value);
        check(&plain, rest);
        return;
    }
    let Ok(claims) = serde_json::from_slice::<serde_json::Value>(rest) else {
        return;
    };
    let Ok(token) = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET),
    ) else {
        return;
    };
    let value = format!("Bearer {token}");
    check(&plain, value.as_bytes());
    let strict = Verifier::new(SECRET, LEEWAY).expecting(Some("hub"), Some("chat"));
    check(&strict, value.as_bytes());
});
