//! Query strings and path parameters: any query decodes; every parameter the routes read is
//! a value or a typed refusal that maps to a 4xx (never a 5xx); a path id that does not parse
//! is `NotFound`.
#![no_main]

use chat_core::{ChatError, MessageId, RoomId};
use chat_server_min::http::{ApiError, Params, Query};
use libfuzzer_sys::fuzz_target;

fn client_error<T: std::fmt::Debug>(r: Result<T, ChatError>) {
    if let Err(e) = r {
        let status = ApiError::Chat(e).into_reply("fuzz").status;
        assert!(status.is_client_error(), "{status}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let q = Query::parse(Some(text));
    client_error(q.limit());
    client_error(q.cursor());
    for name in ["user_id", "room_id", "since", "before", "after"] {
        client_error(q.int(name));
    }
    for name in [
        "around",
        "scope",
        "q",
        "ticket",
        "unread",
        "include_inactive",
        "action",
    ] {
        client_error(q.get(name));
    }
    if let Ok(Some(limit)) = q.limit() {
        client_error(chat_core::validate::limit(Some(limit)));
    }
    for name in ["room_id", "message_id", "user_id", "account_id"] {
        let params = Params(vec![(name.to_owned(), text.to_owned())]);
        for r in [
            params.id::<RoomId>(name).map(drop),
            params.id::<MessageId>(name).map(drop),
            params.id::<i64>(name).map(drop),
        ] {
            assert!(matches!(r, Ok(()) | Err(ChatError::NotFound)), "{r:?}");
        }
    }
});
