//! Request ids: any `X-Request-Id` header value gives a valid id to echo (a sane one is kept
//! as sent, anything else replaced) and never a panic.
#![no_main]

use chat_server_min::http::request_id::{from_headers, is_valid, HEADER};
use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = is_valid(text);
    }
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    headers.insert(HEADER, value.clone());
    let id = from_headers(&headers);
    assert!(is_valid(&id), "{id:?}");
    assert!(HeaderValue::from_str(&id).is_ok());
    match value.to_str() {
        Ok(sent) if is_valid(sent) => assert_eq!(id, sent),
        _ => assert_ne!(id.as_bytes(), data),
    }
});
