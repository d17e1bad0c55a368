//! CORS for hosts whose own front end, on another origin, calls the API from the browser
//! (`CHAT_CORS_ORIGINS`). Only the exact origins listed get CORS headers, on `/api` routes,
//! errors included; never `Access-Control-Allow-Credentials` (tokens travel in the
//! `Authorization` header, never in cookies). With no list, no CORS header is ever sent.

use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::response::Reply;

/// Request headers a cross-origin caller may send.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, X-Request-Id";
/// Response headers its script may read.
const EXPOSE_HEADERS: &str = "X-Request-Id, Retry-After";
/// How long a browser may cache a preflight (10 minutes: a changed list takes effect soon).
const MAX_AGE_SECS: &str = "600";

/// The request's `Origin` when it is one of `allowed` and the path is under `/api`: a single
/// `Origin` header, compared exactly.
pub fn allowed_origin(allowed: &[String], path: &str, headers: &HeaderMap) -> Option<String> {
    if allowed.is_empty() || !path.starts_with("/api/") {
        return None;
    }
    let mut origins = headers.get_all(http::header::ORIGIN).iter();
    let (Some(origin), None) = (origins.next(), origins.next()) else {
        return None;
    };
    let origin = origin.to_str().ok()?;
    allowed
        .iter()
        .any(|a| a == origin)
        .then(|| origin.to_owned())
}

/// Whether `method` and `headers` make a CORS preflight.
pub fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight from an allowed origin for a path that takes `methods`.
pub fn preflight(origin: &str, methods: &str) -> Reply {
    with_headers(Reply::empty(StatusCode::NO_CONTENT), origin)
        .header("access-control-allow-methods", methods)
        .header("access-control-allow-headers", ALLOW_HEADERS)
        .header("access-control-max-age", MAX_AGE_SECS)
}

/// `reply` with the headers that let the allowed `origin` read it.
pub fn with_headers(reply: Reply, origin: &str) -> Reply {
    reply
        .header("access-control-allow-origin", origin)
        .header("access-control-expose-headers", EXPOSE_HEADERS)
        .header("vary", "Origin")
}

/// Checks one configured origin: `scheme://host[:port]`, nothing else (no path, no `*`).
pub fn valid_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    matches!(scheme, "http" | "https")
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', '*', ' ', '@'])
        && HeaderValue::from_str(origin).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origins: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for o in origins {
            h.append(
                http::header::ORIGIN,
                HeaderValue::from_str(o).unwrap_or_else(|_| HeaderValue::from_static("bad")),
            );
        }
        h
    }

    #[test]
    fn exact_origins_on_api_paths_only() {
        let allowed = vec!["https://hub.example".to_owned()];
        let ok = headers(&["https://hub.example"]);
        let p = "/api/v1/accounts/1/chat/rooms";
        assert_eq!(
            allowed_origin(&allowed, p, &ok).as_deref(),
            Some("https://hub.example")
        );
        assert_eq!(allowed_origin(&allowed, "/healthz", &ok), None);
        assert_eq!(allowed_origin(&[], p, &ok), None, "no list, no CORS");
        for bad in [
            headers(&["https://hub.example.evil"]),
            headers(&["http://hub.example"]),
            headers(&["null"]),
            headers(&["https://hub.example", "https://hub.example"]),
            headers(&[]),
        ] {
            assert_eq!(allowed_origin(&allowed, p, &bad), None, "{bad:?}");
        }
    }

    #[test]
    fn configured_origins_are_plain_origins() {
        for good in ["https://hub.example", "http://127.0.0.1:8081"] {
            assert!(valid_origin(good), "{good}");
        }
        for bad in [
            "*",
            "hub.example",
            "https://hub.example/",
            "https://",
            "ftp://x",
            "https://a b",
        ] {
            assert!(!valid_origin(bad), "{bad}");
        }
    }
}
