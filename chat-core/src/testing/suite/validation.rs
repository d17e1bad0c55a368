//! Input validation: every rule of the contract is a `Validation` error and writes nothing.

use crate::chat::{NewMessage, NewRoom};
use crate::ids::UserId;
use crate::model::{MessageType, RoomType};
use crate::store::AuditFilter;
use crate::testing::fixtures::{invalid, text, world, ACC_A};
use crate::testing::TestBackend;

/// Bad content, message types, names, id lists and limits are refused before anything is
/// written; the boundaries themselves are accepted.
pub async fn validation_bad_input_writes_nothing(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "rules", &[a0, a1]).await;
    let m = w.send(a0, room.id, "valid").await;
    let c = &w.chat;
    let before = w.snapshot(ACC_A, &w.a.users()).await;

    let too_long = "a".repeat(4001);
    let bad_contents = ["", "   ", " \n\t ", &too_long, "a\0b"];
    for content in bad_contents {
        let what = format!("content of {} chars", content.chars().count());
        invalid(c.send_message(a0, room.id, text(content)).await, &what);
        invalid(c.edit_message(a0, m.id, content).await, &what);
    }
    let system = NewMessage {
        message_type: Some(MessageType::System),
        ..text("I am the system")
    };
    invalid(c.send_message(a0, room.id, system).await, "system message");
    let many: Vec<UserId> = (1..=101).map(UserId).collect();
    for mentions in [
        many.clone(),
        vec![UserId(0)],
        vec![UserId(-3)],
        vec![UserId(999)],
    ] {
        let input = NewMessage {
            mentions,
            ..text("hi")
        };
        invalid(c.send_message(a0, room.id, input).await, "mentions");
    }
    for key in ["", "with space", "ünïcode", &"k".repeat(129)] {
        let input = NewMessage {
            client_id: Some(key.to_owned()),
            ..text("hi")
        };
        invalid(c.send_message(a0, room.id, input).await, "client_id");
    }

    let long_name = "n".repeat(81);
    for name in [
        None,
        Some(""),
        Some("   "),
        Some(long_name.as_str()),
        Some("a\u{7}b"),
        Some("a\0b"),
    ] {
        let input = NewRoom {
            kind: RoomType::Room,
            name: name.map(str::to_owned),
            member_ids: vec![],
        };
        invalid(
            c.create_room(sup, input).await,
            &format!("room name {name:?}"),
        );
        if let Some(n) = name {
            invalid(c.rename_room(sup, room.id, n).await, "rename");
        }
    }
    for ids in [
        many.clone(),
        vec![UserId(0)],
        vec![UserId(-1), a0.user()],
        vec![],
    ] {
        let input = NewRoom {
            kind: RoomType::Room,
            name: Some("ok".into()),
            member_ids: ids.clone(),
        };
        if !ids.is_empty() {
            invalid(c.create_room(sup, input).await, "member_ids");
        }
        invalid(c.add_members(sup, room.id, &ids, None).await, "user_ids");
    }
    for limit in [0, 101] {
        invalid(
            c.list_messages(a0, room.id, None, Some(limit)).await,
            "messages limit",
        );
        invalid(c.list_rooms(a0, None, Some(limit)).await, "rooms limit");
        let r = c
            .list_audit(&w.a.admin, &AuditFilter::default(), None, Some(limit))
            .await;
        invalid(r, "audit limit");
    }
    assert_eq!(
        before,
        w.snapshot(ACC_A, &w.a.users()).await,
        "a refused input wrote"
    );

    // The boundaries are accepted.
    let max = "é".repeat(4000);
    let (long, _) = c.send_message(a0, room.id, text(&max)).await.unwrap();
    assert_eq!(long.content.as_deref(), Some(max.as_str()));
    let name = "ñ".repeat(80);
    let renamed = c.rename_room(sup, room.id, &name).await.unwrap();
    assert_eq!(renamed.name.as_deref(), Some(name.as_str()));
    assert_eq!(
        c.list_messages(a0, room.id, None, Some(100))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert_eq!(
        c.list_messages(a0, room.id, None, Some(1))
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}
