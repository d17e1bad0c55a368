//! Racing writers: entitlement limits hold, and the maintained unread/mention counters end up
//! exactly what the messages and read pointers say.

use futures::future::join_all;

use crate::chat::Actor;
use crate::error::ChatError;
use crate::model::Entitlements;
use crate::testing::fixtures::{mention, team, text, world, ACC_A};
use crate::testing::TestBackend;

/// Eight concurrent room creations against `max_rooms = 3`: exactly three rooms; four
/// concurrent single additions to a room of one against `max_members_per_room = 3`:
/// exactly two join. Every refusal names the limit.
pub async fn concurrency_limits_hold(b: TestBackend) {
    let w = world(b).await;
    let e = Entitlements {
        chat_enabled: true,
        max_rooms: Some(3),
        max_members_per_room: Some(3),
    };
    w.chat.set_entitlements(ACC_A, e).await.unwrap();
    let creators = [&w.a.admin, &w.a.supervisor];
    let tasks = (0..8).map(|i| {
        let (chat, actor) = (w.chat.clone(), creators[i % 2].clone());
        tokio::spawn(async move { chat.create_room(&actor, team(&format!("r{i}"), &[])).await })
    });
    let mut created = Vec::new();
    for r in join_all(tasks).await {
        match r.unwrap() {
            Ok((room, _)) => created.push(room.id),
            Err(ChatError::EntitlementDenied("max_rooms")) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created.len(), 3);
    assert_eq!(w.backend.store.live_team_rooms(ACC_A).await.unwrap(), 3);

    let room = created[0];
    let owner = w.chat.get_room(&w.a.admin, room).await.unwrap().members;
    assert_eq!(owner.len(), 1);
    let joiners: Vec<Actor> = [&w.a.admin, &w.a.agents[0], &w.a.agents[1], &w.a.agents[2]]
        .into_iter()
        .filter(|a| a.user() != owner[0].user_id)
        .cloned()
        .collect();
    let tasks = joiners.iter().map(|j| {
        let (chat, sup, user) = (w.chat.clone(), w.a.supervisor.clone(), j.user());
        tokio::spawn(async move { chat.add_members(&sup, room, &[user], None).await })
    });
    let mut joined = 0;
    for r in join_all(tasks).await {
        match r.unwrap() {
            Ok(_) => joined += 1,
            Err(ChatError::EntitlementDenied("max_members_per_room")) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(joined, 2);
    assert_eq!(
        w.chat
            .get_room(&w.a.admin, room)
            .await
            .unwrap()
            .members
            .len(),
        3
    );
}

/// Sends, mentions, deletes and read-pointer moves racing in one room; afterwards every
/// member's counters equal what the final messages and pointers imply.
pub async fn concurrency_counters_match_messages(b: TestBackend) {
    let w = world(b).await;
    let (sup, a0, a1, a2) = (
        &w.a.supervisor,
        &w.a.agents[0],
        &w.a.agents[1],
        &w.a.agents[2],
    );
    let room = w.room(sup, "storm", &[a0, a1, a2]).await.id;
    let mentioned = vec![a1.user(), a2.user()];
    let mut tasks = Vec::new();
    // a0 sends, mentioning a1 and a2 in every third message.
    let (chat, me) = (w.chat.clone(), a0.clone());
    tasks.push(tokio::spawn(async move {
        for i in 0..15 {
            let who = if i % 3 == 0 {
                mentioned.clone()
            } else {
                vec![]
            };
            chat.send_message(&me, room, mention(&format!("s{i}"), &who))
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
    }));
    // a1 and a2 send and move their pointers, to the newest or to a recent message.
    for reader in [a1, a2] {
        let (chat, me) = (w.chat.clone(), reader.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..15 {
                chat.send_message(&me, room, text(&format!("r{i}")))
                    .await
                    .unwrap();
                let page = chat.list_messages(&me, room, None, Some(6)).await.unwrap();
                let target = page.items.get(i % 6).map(|m| m.id);
                let target = if i % 4 == 0 { None } else { target };
                chat.mark_read(&me, room, target).await.unwrap();
                tokio::task::yield_now().await;
            }
        }));
    }
    // The supervisor (owner) deletes recent messages of anyone and reads now and then.
    let (chat, me) = (w.chat.clone(), sup.clone());
    tasks.push(tokio::spawn(async move {
        for i in 0..15 {
            let page = chat.list_messages(&me, room, None, Some(8)).await.unwrap();
            let live = page.items.iter().filter(|m| m.deleted_at.is_none());
            if let Some(m) = live.clone().nth(i % 3) {
                chat.delete_message(&me, m.id).await.unwrap();
            }
            if i % 5 == 0 {
                chat.mark_read(&me, room, None).await.unwrap();
            }
            tokio::task::yield_now().await;
        }
    }));
    for t in join_all(tasks).await {
        t.unwrap();
    }

    let detail = w.chat.get_room(sup, room).await.unwrap();
    let messages = w.messages(ACC_A, room, sup.user()).await;
    assert_eq!(messages.len() as i64, detail.room.last_seq);
    for member in &detail.members {
        let u = member.user_id;
        let unread: Vec<_> = messages
            .iter()
            .filter(|m| m.seq > member.last_read_seq && m.sender_id != u && m.deleted_at.is_none())
            .collect();
        let mentioned = unread.iter().filter(|m| m.mentions.contains(&u)).count() as i64;
        let expected = (unread.len() as i64, mentioned);
        let actor = [sup, a0, a1, a2]
            .into_iter()
            .find(|a| a.user() == u)
            .unwrap();
        let got = w.chat.unread(actor).await.unwrap();
        let got = got.rooms.iter().find(|r| r.room_id == room).unwrap();
        assert_eq!((got.unread_count, got.mention_count), expected, "user {u}");
        let listed = w.chat.list_rooms(actor, None, None).await.unwrap().items;
        let listed = listed.iter().find(|r| r.room.id == room).unwrap();
        assert_eq!(
            (listed.unread_count, listed.mention_count),
            expected,
            "user {u}"
        );
    }
}
