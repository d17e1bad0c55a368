//! `X-Request-Id`: kept when the client sends a sane one, made up otherwise.

use http::HeaderMap;

/// The header carrying the request id, in and out.
pub const HEADER: &str = "x-request-id";

/// Whether `id` may be kept: 1–64 characters of `[A-Za-z0-9._-]`.
pub fn is_valid(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The incoming request id if valid, else a fresh one (a UUID v7, so ids sort by time).
pub fn from_headers(headers: &HeaderMap) -> String {
    headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid(v))
        .map_or_else(fresh, str::to_owned)
}

/// A new request id (a UUID v7, so ids sort by time).
pub fn fresh() -> String {
    uuid::Uuid::now_v7().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity() {
        assert!(is_valid("abc-DEF_1.2"));
        assert!(is_valid(&"a".repeat(64)));
        assert!(!is_valid(&"a".repeat(65)));
        assert!(!is_valid(""));
        assert!(!is_valid("a b"));
        assert!(!is_valid("a\nb"));
        assert!(!is_valid("é"));
    }

    #[test]
    fn invalid_ids_are_replaced() {
        let mut h = HeaderMap::new();
        h.insert(HEADER, http::HeaderValue::from_static("bad id!"));
        let id = from_headers(&h);
        assert_ne!(id, "bad id!");
        assert!(is_valid(&id));
        h.insert(HEADER, http::HeaderValue::from_static("good-id"));
        assert_eq!(from_headers(&h), "good-id");
    }
}
