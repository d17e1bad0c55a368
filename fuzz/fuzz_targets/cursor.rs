//! Cursor decoding: any text given as `?cursor=` is a position of the list or a typed refusal
//! naming `cursor`; every cursor the library can hand out decodes to its position — including
//! the directory's, whose position carries a folded display name (up to 80 characters, any
//! script) and ids as large as they come.
#![no_main]

use chat_core::{cursor, fold, validate, ChatError};
use libfuzzer_sys::fuzz_target;

fn refused_as_cursor(r: Result<String, ChatError>) {
    if let Err(e) = r {
        match e {
            ChatError::Validation(f) => {
                assert_eq!(f.first().map(|f| f.field.as_str()), Some("cursor"))
            }
            other => panic!("not a validation error: {other:?}"),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    refused_as_cursor(cursor::decode(
        text,
        "messages",
        "1:0190a1b2-0000-7000-8000-000000000000",
    ));
    refused_as_cursor(cursor::decode(text, "users", "1:0:00000000"));

    // Round trip of kind|scope|position, at the sizes the library uses (kinds are short
    // names, scopes a few ids, positions at most an id and a folded name): kinds and scopes
    // never hold a '|'; a position may.
    let mut parts = text.splitn(3, '\u{1f}');
    if let (Some(kind), Some(scope), Some(position)) = (parts.next(), parts.next(), parts.next()) {
        let sized = kind.len() <= 16 && scope.len() <= 64 && position.len() <= 400;
        if sized && !kind.contains('|') && !scope.contains('|') {
            let c = cursor::encode(kind, scope, position);
            let back = cursor::decode(&c, kind, scope);
            assert_eq!(back.as_deref().ok(), Some(position), "{c}");
        }
    }

    // The directory's cursor after a user with this display name (as admitted from a token, or
    // as provisioned), at the largest account and user ids and the longest scope.
    let admitted: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(validate::MAX_NAME_CHARS)
        .collect();
    let provisioned = validate::room_name(text).ok();
    for name in [Some(admitted), provisioned].into_iter().flatten() {
        let scope = format!("{}:1:ffffffff", i64::MAX);
        let position = format!("{}:{}", i64::MAX, fold::sort_key(Some(&name)));
        let c = cursor::encode("users", &scope, &position);
        let back = cursor::decode(&c, "users", &scope);
        assert_eq!(
            back.as_deref().ok(),
            Some(position.as_str()),
            "{name:?} → {c}"
        );
    }
});
