//! The checks. Each takes a fresh [`TestBackend`].

mod audit;
mod concurrency;
mod directory;
mod entitlements;
mod events;
mod history;
mod isolation;
mod messages;
mod notifications;
mod policy;
mod rooms;
mod stats;
mod store;
mod unread;
mod validation;

pub use audit::*;
pub use concurrency::*;
pub use directory::*;
pub use entitlements::*;
pub use events::*;
pub use history::*;
pub use isolation::*;
pub use messages::*;
pub use notifications::*;
pub use policy::*;
pub use rooms::*;
pub use stats::*;
pub use store::*;
pub use unread::*;
pub use validation::*;

use super::fixtures::world;
use super::TestBackend;
use crate::chat::{NewMessage, NewRoom};
use crate::model::RoomType;

/// The happy path end to end: a supervisor creates a room with an agent, the agent sends, the
/// supervisor sees one unread and reads it.
pub async fn smoke_create_room_send_and_read(b: TestBackend) {
    let w = world(b).await;
    let (sup, agent) = (&w.a.supervisor, &w.a.agents[0]);
    let (room, created) = w
        .chat
        .create_room(
            sup,
            NewRoom {
                kind: RoomType::Room,
                name: Some("Suporte".into()),
                member_ids: vec![agent.user()],
            },
        )
        .await
        .unwrap();
    assert!(created);
    let (msg, stored) = w
        .chat
        .send_message(
            agent,
            room.id,
            NewMessage {
                content: "olá".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(stored);
    assert_eq!(msg.seq, 1);
    let unread = w.chat.unread(sup).await.unwrap();
    assert_eq!(unread.total, 1);
    let page = w
        .chat
        .list_messages(sup, room.id, None, None)
        .await
        .unwrap();
    assert_eq!(page.items, vec![msg]);
    assert!(page.next_cursor.is_none());
    let state = w.chat.mark_read(sup, room.id, None).await.unwrap();
    assert_eq!(state.unread_count, 0);
    assert_eq!(w.chat.unread(sup).await.unwrap().total, 0);
}
