//! The service token: the host platform's bearer token for the service API (directory and
//! entitlements), compared in constant time.

use chat_core::ChatError;
use http::HeaderMap;
use subtle::ConstantTimeEq;

use super::bearer;

/// Checks the service API's bearer token in constant time. `Unauthorized` on any mismatch;
/// `NotFound` when the service API is disabled (no token configured).
pub fn check_service(expected: Option<&str>, headers: &HeaderMap) -> Result<(), ChatError> {
    let expected = expected.ok_or(ChatError::NotFound)?;
    let given = bearer(headers).ok_or(ChatError::Unauthorized)?;
    if bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
        Ok(())
    } else {
        Err(ChatError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_token() {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Bearer service-token-123456"),
        );
        assert!(check_service(Some("service-token-123456"), &h).is_ok());
        assert!(matches!(
            check_service(Some("service-token-123457"), &h),
            Err(ChatError::Unauthorized)
        ));
        assert!(matches!(check_service(None, &h), Err(ChatError::NotFound)));
    }
}
