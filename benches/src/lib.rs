//! Shared setup for the store benchmarks: deterministic data generated through the public
//! facade, so the numbers include validation, policy and audit — what an embedder pays.

use std::sync::Arc;

use chat_core::{
    AccountId, AccountRole, Actor, Chat, Identity, NewMessage, NewRoom, Result, RoomId, RoomType,
    UserId,
};
use chat_sqlite::SqliteStore;

/// The benchmark world: one account, a reader who is a member of `rooms` rooms, each with
/// `messages_per_room` messages from another member, all unread by the reader.
pub struct Fixture {
    /// The chat over a temporary SQLite database.
    pub chat: Chat,
    /// Member of every room; has read nothing.
    pub reader: Actor,
    /// Sends every message.
    pub sender: Actor,
    /// The rooms.
    pub rooms: Vec<RoomId>,
}

/// Builds the fixture (sizes from the caller; the numbers printed say which).
pub async fn fixture(rooms: usize, messages_per_room: usize) -> Result<Fixture> {
    let chat = Chat::new(Arc::new(SqliteStore::open_temporary()?));
    let id = |user: i64, role| Identity {
        account: AccountId(1),
        user: UserId(user),
        role,
        name: None,
    };
    let reader = chat.enter(id(1, AccountRole::Supervisor)).await?;
    let sender = chat.enter(id(2, AccountRole::Agent)).await?;
    let mut ids = Vec::with_capacity(rooms);
    for i in 0..rooms {
        let input = NewRoom {
            kind: RoomType::Room,
            name: Some(format!("room {i}")),
            member_ids: vec![sender.user()],
        };
        let (room, _) = chat.create_room(&reader, input).await?;
        for n in 0..messages_per_room {
            chat.send_message(&sender, room.id, text(&format!("message {n}")))
                .await?;
        }
        ids.push(room.id);
    }
    Ok(Fixture {
        chat,
        reader,
        sender,
        rooms: ids,
    })
}

/// A plain text message.
pub fn text(content: &str) -> NewMessage {
    NewMessage {
        content: content.to_owned(),
        ..Default::default()
    }
}
