//! Write bodies → decoding → the input rules: the first byte picks the route, the rest is the
//! body. Never a panic; every refusal is a 4xx with a typed error (a `Validation` error names
//! at least one field); the text rules are idempotent (a value they return is kept as is).
#![no_main]

use chat_core::{validate, ChatError};
use chat_server_min::http::ApiError;
use chat_server_min::routes::fuzz::{check, WriteBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let route = WriteBody::ALL[usize::from(pick) % WriteBody::ALL.len()];
    if let Err(e) = check(route, body) {
        if let ApiError::Chat(ChatError::Validation(fields)) = &e {
            assert!(
                !fields.is_empty(),
                "{route:?}: a validation error names no field"
            );
        }
        let status = e.into_reply("fuzz").status;
        assert!(status.is_client_error(), "{route:?} refused with {status}");
    }
    if let Ok(text) = std::str::from_utf8(body) {
        for rule in [validate::content, validate::room_name] {
            if let Ok(once) = rule(text) {
                assert_eq!(rule(&once).ok().as_deref(), Some(once.as_str()), "{text:?}");
            }
        }
    }
});
