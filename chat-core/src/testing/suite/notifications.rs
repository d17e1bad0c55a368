//! In-app notifications: who gets one, listing, marking read, isolation.

use std::time::Duration;

use crate::events::EventType;
use crate::model::NotificationKind;
use crate::testing::fixtures::{invalid, mention, text, world};
use crate::testing::TestBackend;

/// A mention notifies the mentioned member (not the sender, not other members); a DM message
/// notifies the other participant once, as a mention if it mentions them; each recipient
/// gets a `notification.created` event and nobody else does.
pub async fn notifications_for_mentions_and_dms(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a1, a2]).await;
    let mut sub_a1 = w.chat.subscribe(a1, None).await.unwrap();
    let (m, _) = w
        .chat
        .send_message(sup, room.id, mention("@a1 look", &[a1.user(), sup.user()]))
        .await
        .unwrap();
    let n1 = w
        .chat
        .list_notifications(a1, false, None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(n1.len(), 1);
    assert_eq!(
        (n1[0].kind, n1[0].message_id, n1[0].room_id),
        (NotificationKind::Mention, m.id, room.id)
    );
    assert!(n1[0].read_at.is_none());
    for other in [sup, a2] {
        let items = w
            .chat
            .list_notifications(other, false, None, None)
            .await
            .unwrap()
            .items;
        assert!(items.is_empty(), "{} was not mentioned", other.user());
    }
    let mut kinds = Vec::new();
    for _ in 0..2 {
        let e = tokio::time::timeout(Duration::from_secs(10), sub_a1.next())
            .await
            .unwrap()
            .unwrap();
        kinds.push(e.kind);
    }
    assert_eq!(
        kinds,
        vec![EventType::MessageCreated, EventType::NotificationCreated]
    );

    let dm = w.dm(a1, a2).await;
    w.chat.send_message(a1, dm.id, text("psst")).await.unwrap();
    w.chat
        .send_message(a1, dm.id, mention("@a2", &[a2.user()]))
        .await
        .unwrap();
    let n2 = w
        .chat
        .list_notifications(a2, false, None, None)
        .await
        .unwrap()
        .items;
    let kinds: Vec<_> = n2.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        vec![NotificationKind::Mention, NotificationKind::Dm],
        "newest first, one each"
    );
    assert_eq!(
        w.chat
            .list_notifications(a1, false, None, None)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

/// Paging, unread-only, marking read by id (only one's own) and all.
pub async fn notifications_read_and_pagination(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a1, a2]).await;
    for i in 0..5 {
        w.chat
            .send_message(
                sup,
                room.id,
                mention(&format!("n{i}"), &[a1.user(), a2.user()]),
            )
            .await
            .unwrap();
    }
    let mut all = Vec::new();
    let mut cursor = None;
    loop {
        let page = w
            .chat
            .list_notifications(a1, false, cursor.as_deref(), Some(2))
            .await
            .unwrap();
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(all.len(), 5);
    let mut ids: Vec<_> = all.iter().map(|n| n.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no duplicates across pages");
    assert!(all
        .windows(2)
        .all(|p| (p[0].created_at, p[0].id) > (p[1].created_at, p[1].id)));

    // Another user's ids change nothing of theirs.
    let theirs = w
        .chat
        .list_notifications(a2, false, None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(
        w.chat
            .read_notifications(a1, Some(&[theirs[0].id]))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        w.chat
            .list_notifications(a2, true, None, None)
            .await
            .unwrap()
            .items
            .len(),
        5
    );

    assert_eq!(
        w.chat
            .read_notifications(a1, Some(&[all[0].id, all[0].id]))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        w.chat
            .read_notifications(a1, Some(&[all[0].id]))
            .await
            .unwrap(),
        0,
        "already read"
    );
    let unread = w
        .chat
        .list_notifications(a1, true, None, None)
        .await
        .unwrap()
        .items;
    assert_eq!(unread.len(), 4);
    assert!(unread.iter().all(|n| n.id != all[0].id));
    assert_eq!(w.chat.read_notifications(a1, None).await.unwrap(), 4);
    assert!(w
        .chat
        .list_notifications(a1, true, None, None)
        .await
        .unwrap()
        .items
        .is_empty());
    let read = w
        .chat
        .list_notifications(a1, false, None, None)
        .await
        .unwrap()
        .items;
    assert!(read.iter().all(|n| n.read_at.is_some()));

    // Cursors are bound to their owner; too many ids is a validation error.
    let page = w
        .chat
        .list_notifications(a2, false, None, Some(1))
        .await
        .unwrap();
    let c = page.next_cursor.unwrap();
    invalid(
        w.chat.list_notifications(a1, false, Some(&c), None).await,
        "foreign cursor",
    );
    invalid(
        w.chat
            .list_notifications(a2, false, Some("garbage"), None)
            .await,
        "bad cursor",
    );
    let many = vec![all[0].id; 101];
    invalid(w.chat.read_notifications(a1, Some(&many)).await, "101 ids");
}

/// Notifications never cross accounts: the same numeric user in B sees nothing of A's, and
/// marking "all" read in B leaves A's unread.
pub async fn notifications_are_tenant_scoped(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1) = (&w.a.supervisor, &w.a.agents[0]);
    let room = w.room(sup, "r", &[a1]).await;
    w.chat
        .send_message(sup, room.id, mention("hey", &[a1.user()]))
        .await
        .unwrap();
    let b_twin = crate::chat::Actor::unchecked(w.b.admin.account(), a1.user(), a1.role());
    assert!(w
        .chat
        .list_notifications(&b_twin, false, None, None)
        .await
        .unwrap()
        .items
        .is_empty());
    assert_eq!(w.chat.read_notifications(&b_twin, None).await.unwrap(), 0);
    assert_eq!(
        w.chat
            .list_notifications(a1, true, None, None)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}
