//! A service embedding the chat: open the SQLite store, admit a few staff members, and run a
//! short, realistic session — a supervisor opens a team room, agents talk, someone edits and
//! deletes, a DM, unread badges, the audit trail.
//!
//! Run: `cargo run -p chat-examples --example embed [-- path/to/chat.db]`
//! (without a path it uses a temporary database).

use std::sync::Arc;

use chat_core::store::AuditFilter;
use chat_core::{AccountId, AccountRole, Chat, Identity, NewMessage, NewRoom, RoomType, UserId};
use chat_sqlite::SqliteStore;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = match std::env::args().nth(1) {
        Some(path) => SqliteStore::open(path)?,
        None => SqliteStore::open_temporary()?,
    };
    let chat = Chat::new(Arc::new(store));
    let account = AccountId(42);

    // The host platform authenticates its users; the chat only needs who they are.
    let who = |user: i64, role: AccountRole, name: &str| Identity {
        account,
        user: UserId(user),
        role,
        name: Some(name.to_owned()),
    };
    let ana = chat.enter(who(1, AccountRole::Supervisor, "Ana")).await?;
    let bruno = chat.enter(who(2, AccountRole::Agent, "Bruno")).await?;
    let carla = chat.enter(who(3, AccountRole::Agent, "Carla")).await?;

    let (room, _) = chat
        .create_room(
            &ana,
            NewRoom {
                kind: RoomType::Room,
                name: Some("Suporte Interno".into()),
                member_ids: vec![bruno.user(), carla.user()],
            },
        )
        .await?;
    println!("room {} created by {}", room.id, ana.user());

    let say = |text: &str| NewMessage {
        content: text.into(),
        ..Default::default()
    };
    chat.send_message(&bruno, room.id, say("Cliente 1234 pediu reembolso."))
        .await?;
    let question = NewMessage {
        content: "@Ana posso aprovar?".into(),
        mentions: vec![ana.user()],
        client_id: Some("carla-0001".into()),
        ..Default::default()
    };
    let (typo, _) = chat.send_message(&carla, room.id, question.clone()).await?;
    // A retry of the same send (same client_id) stores nothing new.
    let (again, stored) = chat.send_message(&carla, room.id, question).await?;
    assert!(!stored && again.id == typo.id);
    chat.edit_message(&carla, typo.id, "@Ana posso aprovar o reembolso?")
        .await?;

    let unread = chat.unread(&ana).await?;
    println!(
        "Ana: {} unread, {} mention(s)",
        unread.total, unread.rooms[0].mention_count
    );

    let page = chat.list_messages(&ana, room.id, None, Some(10)).await?;
    for m in page.items.iter().rev() {
        let text = m.content.as_deref().unwrap_or("(deleted)");
        println!("  #{} user {}: {}", m.seq, m.sender_id, text);
    }
    chat.mark_read(&ana, room.id, None).await?;
    chat.send_message(&ana, room.id, say("Aprovado.")).await?;

    // Agents may not create rooms, but anyone may open a DM.
    let (dm, created) = chat
        .create_room(
            &bruno,
            NewRoom {
                kind: RoomType::Dm,
                name: None,
                member_ids: vec![carla.user()],
            },
        )
        .await?;
    println!("DM {} (new: {created})", dm.id);
    let (msg, _) = chat.send_message(&bruno, dm.id, say("almoço?")).await?;
    chat.delete_message(&bruno, msg.id).await?;
    let carla_dm = chat
        .unread(&carla)
        .await?
        .rooms
        .into_iter()
        .find(|r| r.room_id == dm.id);
    println!(
        "Carla's DM badge after Bruno deleted his message: {}",
        carla_dm.map_or(0, |r| r.unread_count)
    );

    let admin = chat.enter(who(9, AccountRole::Admin, "Root")).await?;
    let audit = chat
        .list_audit(&admin, &AuditFilter::default(), None, Some(20))
        .await?;
    println!("audit trail:");
    for e in audit.items.iter().rev() {
        let by = e
            .actor_id
            .map_or("the service".to_owned(), |u| u.to_string());
        println!("  {} by {by} on {}", e.action, e.target_id);
    }
    Ok(())
}
