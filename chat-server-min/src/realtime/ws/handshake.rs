//! The WebSocket handshake, checked before anything else happens: a request that is not a
//! version-13 handshake is refused with `426` and the usual JSON error.

use http::HeaderMap;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::http::ApiError;

/// Checks the handshake headers and returns `Sec-WebSocket-Accept`; `426` when the request is
/// not a WebSocket handshake (version 13).
pub(crate) fn accept_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let has_token = |name: http::header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    if !has_token(http::header::UPGRADE, "websocket")
        || !has_token(http::header::CONNECTION, "upgrade")
    {
        return Err(ApiError::UpgradeRequired(
            "a WebSocket handshake is required (Connection: Upgrade, Upgrade: websocket)",
        ));
    }
    if headers
        .get(http::header::SEC_WEBSOCKET_VERSION)
        .map(http::HeaderValue::as_bytes)
        != Some(b"13")
    {
        return Err(ApiError::UpgradeRequired(
            "Sec-WebSocket-Version must be 13",
        ));
    }
    let key = headers
        .get(http::header::SEC_WEBSOCKET_KEY)
        .map(http::HeaderValue::as_bytes)
        .filter(|k| k.len() == 24)
        .ok_or(ApiError::UpgradeRequired(
            "Sec-WebSocket-Key is missing or malformed",
        ))?;
    Ok(derive_accept_key(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_headers() {
        let mut h = HeaderMap::new();
        assert!(accept_key(&h).is_err());
        h.insert("upgrade", http::HeaderValue::from_static("WebSocket"));
        h.insert(
            "connection",
            http::HeaderValue::from_static("keep-alive, Upgrade"),
        );
        h.insert(
            "sec-websocket-version",
            http::HeaderValue::from_static("13"),
        );
        assert!(accept_key(&h).is_err(), "no key");
        h.insert(
            "sec-websocket-key",
            http::HeaderValue::from_static("dGhlIHNhbXBsZSBub25jZQ=="),
        );
        // RFC 6455's example.
        assert_eq!(accept_key(&h).unwrap(), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        h.insert("sec-websocket-version", http::HeaderValue::from_static("8"));
        assert!(accept_key(&h).is_err());
    }
}
