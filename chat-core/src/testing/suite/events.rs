//! The event log and subscriptions: visibility, resume without gaps or duplicates, removal
//! and deactivation.

use std::time::Duration;

use crate::chat::Subscription;
use crate::events::{Event, EventType};
use crate::testing::fixtures::{text, world};
use crate::testing::TestBackend;
use crate::AccountRole;

/// Generous: only a broken implementation waits this long.
const WAIT: Duration = Duration::from_secs(10);
/// How long "nothing more arrives" is watched.
const QUIET: Duration = Duration::from_millis(200);

async fn take(sub: &mut Subscription, n: usize) -> Vec<Event> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let e = tokio::time::timeout(WAIT, sub.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events arrived: {out:?}", out.len()))
            .unwrap();
        out.push((*e).clone());
    }
    out
}

async fn assert_quiet(sub: &mut Subscription) {
    if let Ok(e) = tokio::time::timeout(QUIET, sub.next()).await {
        panic!("unexpected event: {e:?}");
    }
}

fn kinds(events: &[Event]) -> Vec<EventType> {
    events.iter().map(|e| e.kind).collect()
}

/// Members get the room's events; a non-member of the same account and everyone of the other
/// account get nothing; `read.updated` reaches only the reader.
pub async fn events_reach_exactly_their_audience(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let mut s_a1 = w.chat.subscribe(a1, None).await.unwrap();
    let mut s_a2 = w.chat.subscribe(a2, None).await.unwrap();
    let mut s_b = w.chat.subscribe(&w.b.agents[0], None).await.unwrap();
    let room = w.room(sup, "ops", &[a1]).await;
    let m = w.send(sup, room.id, "hi").await;
    w.chat.mark_read(a1, room.id, None).await.unwrap();
    let got = take(&mut s_a1, 3).await;
    assert_eq!(
        kinds(&got),
        vec![
            EventType::RoomCreated,
            EventType::MessageCreated,
            EventType::ReadUpdated
        ]
    );
    assert_eq!(
        got[1].data["id"],
        serde_json::json!(m.id),
        "data is the message"
    );
    assert_eq!(got[1].data["seq"], serde_json::json!(1));
    assert!(got.windows(2).all(|p| p[0].id < p[1].id), "ids increase");
    assert!(got.iter().all(|e| e.account_id == a1.account()));
    assert_quiet(&mut s_a2).await;
    assert_quiet(&mut s_b).await;
}

/// A client that missed 300 events (more than one log page), 200 of them visible, resumes with the last id it saw and gets exactly the
/// visible ones, in order, once — then live events.
pub async fn events_resume_replays_missed_exactly_once(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let shared = w.room(sup, "shared", &[a1]).await;
    let private = w.room(sup, "private", &[a2]).await;
    let mut sub = w.chat.subscribe(a1, None).await.unwrap();
    w.send(sup, shared.id, "before").await;
    let seen = take(&mut sub, 1).await;
    let last = seen[0].id.unwrap();
    drop(sub);
    let mut expected = Vec::new();
    for i in 0..300 {
        let room = if i % 3 == 0 { private.id } else { shared.id };
        let m = w.send(sup, room, &format!("m{i}")).await;
        if room == shared.id {
            expected.push(m.id);
        }
    }
    let mut sub = w.chat.subscribe(a1, Some(last)).await.unwrap();
    assert_eq!(sub.resume_outcome(), Some(crate::ResumeOutcome::Replayed));
    let got = take(&mut sub, expected.len()).await;
    let ids: Vec<_> = got.iter().map(|e| e.data["id"].clone()).collect();
    let want: Vec<_> = expected.iter().map(|id| serde_json::json!(id)).collect();
    assert_eq!(
        ids, want,
        "replay is exactly the missed visible events, in order"
    );
    let live = w.send(sup, shared.id, "live").await;
    let next = take(&mut sub, 1).await;
    assert_eq!(next[0].data["id"], serde_json::json!(live.id));
    assert_quiet(&mut sub).await;
}

/// Sends racing a resume: across the replay/live seam every event arrives once, in order.
pub async fn events_resume_seam_under_concurrent_writes(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1) = (&w.a.supervisor, &w.a.agents[0]);
    let room = w.room(sup, "busy", &[a1]).await;
    for i in 0..50 {
        w.send(sup, room.id, &format!("old {i}")).await;
    }
    let chat = w.chat.clone();
    let sender = sup.clone();
    let writer = tokio::spawn(async move {
        for i in 0..100 {
            chat.send_message(&sender, room.id, text(&format!("new {i}")))
                .await
                .unwrap();
        }
    });
    // Resume from the room.created event (id 1 of a fresh account... or whatever came first).
    let mut sub = w.chat.subscribe(a1, Some(0)).await.unwrap();
    let got = take(&mut sub, 1 + 150).await;
    writer.await.unwrap();
    let ids: Vec<i64> = got.iter().map(|e| e.id.unwrap()).collect();
    assert!(
        ids.windows(2).all(|p| p[0] < p[1]),
        "strictly increasing: {ids:?}"
    );
    let seqs: Vec<i64> = got[1..]
        .iter()
        .map(|e| e.data["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (1..=150).collect::<Vec<_>>(),
        "every message once, in order"
    );
    assert_quiet(&mut sub).await;
}

/// A resume point the log does not have (in the future, or negative) is `resync_required`,
/// then live events.
pub async fn events_unknown_since_requires_resync(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1) = (&w.a.supervisor, &w.a.agents[0]);
    let room = w.room(sup, "r", &[a1]).await;
    for since in [10_000, -5] {
        let mut sub = w.chat.subscribe(a1, Some(since)).await.unwrap();
        assert_eq!(
            sub.resume_outcome(),
            Some(crate::ResumeOutcome::ResyncRequired)
        );
        let first = take(&mut sub, 1).await;
        assert_eq!(first[0].kind, EventType::ResyncRequired);
        assert_eq!(first[0].id, None);
        let m = w.send(sup, room.id, "after").await;
        let next = take(&mut sub, 1).await;
        assert_eq!(next[0].data["id"], serde_json::json!(m.id));
    }
}

/// A removed member receives `member.removed` and nothing of the room after it; a resume
/// over the same span agrees.
pub async fn events_removed_member_gets_removal_then_nothing(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1) = (&w.a.supervisor, &w.a.agents[0]);
    let room = w.room(sup, "r", &[a1]).await;
    let mut sub = w.chat.subscribe(a1, None).await.unwrap();
    let start = sub.last_id();
    w.chat.remove_member(sup, room.id, a1.user()).await.unwrap();
    w.send(sup, room.id, "secret").await;
    w.chat.rename_room(sup, room.id, "renamed").await.unwrap();
    let got = take(&mut sub, 1).await;
    assert_eq!(got[0].kind, EventType::MemberRemoved);
    assert_eq!(got[0].data["user_id"], serde_json::json!(a1.user()));
    assert_quiet(&mut sub).await;
    let mut replay = w.chat.subscribe(a1, Some(start)).await.unwrap();
    assert_eq!(
        kinds(&take(&mut replay, 1).await),
        vec![EventType::MemberRemoved]
    );
    assert_quiet(&mut replay).await;
}

/// A removed member who resumes from before the removal never reads what changed after it:
/// the replay leaves out message events of a room they are no longer a member of (their
/// text is rendered as it is now), so an edit or a delete made after the removal shows
/// nothing; `member.removed` still arrives. Re-added, they replay the room again.
pub async fn events_replay_after_removal_shows_nothing_of_later_changes(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a1, a2]).await;
    let other = w.room(sup, "other", &[a1]).await;
    let start = w.chat.subscribe(a1, None).await.unwrap().last_id();
    let edited = w.send(a2, room.id, "before removal").await;
    let deleted = w.send(a2, room.id, "also before").await;
    w.chat.remove_member(sup, room.id, a1.user()).await.unwrap();
    w.chat
        .edit_message(a2, edited.id, "EDITED-AFTER-REMOVAL")
        .await
        .unwrap();
    w.chat.delete_message(a2, deleted.id).await.unwrap();
    let kept = w.send(sup, other.id, "elsewhere").await;

    let mut replay = w.chat.subscribe(a1, Some(start)).await.unwrap();
    let got = take(&mut replay, 2).await;
    assert_quiet(&mut replay).await;
    let text = serde_json::to_string(&got).unwrap();
    assert!(!text.contains("EDITED-AFTER-REMOVAL"), "{text}");
    assert_eq!(
        kinds(&got),
        vec![EventType::MemberRemoved, EventType::MessageCreated],
        "the removal, then the other room: {text}"
    );
    assert_eq!(got[1].data["id"], serde_json::json!(kept.id));

    // Back in the room, the replay shows its messages again, as they are now.
    w.chat
        .add_members(sup, room.id, &[a1.user()], None)
        .await
        .unwrap();
    let mut again = w.chat.subscribe(a1, Some(start)).await.unwrap();
    let got = take(&mut again, 5).await;
    let of_edited: Vec<_> = got
        .iter()
        .filter(|e| e.data["id"] == serde_json::json!(edited.id))
        .map(|e| e.data["content"].clone())
        .collect();
    assert_eq!(of_edited, vec![serde_json::json!("EDITED-AFTER-REMOVAL")]);
}

/// Deactivating a user ends their subscriptions at once.
pub async fn events_deactivation_ends_subscriptions(b: TestBackend) {
    let w = world(b).await;
    let a1 = &w.a.agents[0];
    let mut sub = w.chat.subscribe(a1, None).await.unwrap();
    w.chat
        .provision_user(a1.account(), a1.user(), None, AccountRole::Agent, false)
        .await
        .unwrap();
    let end = tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("ended in time");
    assert!(end.is_err(), "the subscription ends: {end:?}");
}

/// Edits, deletes, renames, membership and archive all produce their events with the
/// resource as data.
pub async fn events_cover_every_change(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a1]).await;
    let mut sub = w.chat.subscribe(a1, None).await.unwrap();
    let m = w.send(a1, room.id, "typo").await;
    w.chat.edit_message(a1, m.id, "fixed").await.unwrap();
    w.chat.delete_message(a1, m.id).await.unwrap();
    w.chat.rename_room(sup, room.id, "new name").await.unwrap();
    w.chat
        .add_members(sup, room.id, &[a2.user()], None)
        .await
        .unwrap();
    w.chat.archive_room(sup, room.id).await.unwrap();
    let got = take(&mut sub, 6).await;
    assert_eq!(
        kinds(&got),
        vec![
            EventType::MessageCreated,
            EventType::MessageUpdated,
            EventType::MessageDeleted,
            EventType::RoomUpdated,
            EventType::MemberAdded,
            EventType::RoomDeleted,
        ]
    );
    assert_eq!(
        got[0].data["content"], "typo",
        "the live event carries the message"
    );
    assert_eq!(got[0].data["seq"], serde_json::json!(m.seq));
    assert_eq!(got[1].data["content"], "fixed");
    assert_eq!(got[2].data["content"], serde_json::Value::Null);
    assert_eq!(got[3].data["name"], "new name");
    assert_eq!(
        got[4].data["member"]["user_id"],
        serde_json::json!(a2.user())
    );
    assert_quiet(&mut sub).await;
}

/// Typing reaches the room's other members (not the typist, not non-members), is throttled,
/// carries its expiry, and needs the right to send.
pub async fn events_typing_reaches_other_members_throttled(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1, a2) = (&w.a.supervisor, &w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "r", &[a1]).await;
    let mut s_a1 = w.chat.subscribe(a1, None).await.unwrap();
    let mut s_sup = w.chat.subscribe(sup, None).await.unwrap();
    let mut s_a2 = w.chat.subscribe(a2, None).await.unwrap();
    assert!(w.chat.typing(sup, room.id).await.unwrap());
    assert!(!w.chat.typing(sup, room.id).await.unwrap(), "throttled");
    let got = take(&mut s_a1, 1).await;
    assert_eq!(got[0].kind, EventType::Typing);
    assert_eq!(got[0].id, None, "ephemeral");
    assert_eq!(got[0].data["user_id"], serde_json::json!(sup.user()));
    assert!(got[0].data["expires_at"].is_string());
    assert_quiet(&mut s_a1).await;
    assert_quiet(&mut s_sup).await;
    assert_quiet(&mut s_a2).await;
    crate::testing::fixtures::not_found(w.chat.typing(a2, room.id).await, "non-member typing");
    crate::testing::fixtures::not_found(w.chat.typing(&w.b.agents[0], room.id).await, "foreign");
}

/// A replay never returns what the API no longer shows: text replaced by an edit, deleted
/// text, or anything of an archived room (whose members get only `room.deleted`).
pub async fn events_log_forgets_what_the_api_no_longer_shows(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1) = (&w.a.supervisor, &w.a.agents[0]);
    let room = w.room(sup, "r", &[a1]).await;
    let gone = w.room(sup, "gone", &[a1]).await;
    let edited = w.send(a1, room.id, "ORIGINAL-PII").await;
    w.chat
        .edit_message(a1, edited.id, "redacted")
        .await
        .unwrap();
    let deleted = w.send(a1, room.id, "SECRET-PASSWORD").await;
    w.chat.delete_message(a1, deleted.id).await.unwrap();
    w.send(sup, gone.id, "ARCHIVED-CONTENT").await;
    w.chat.archive_room(sup, gone.id).await.unwrap();
    let kept = w.send(sup, room.id, "still here").await;

    let mut sub = w.chat.subscribe(a1, Some(0)).await.unwrap();
    let mut seen = Vec::new();
    loop {
        let e = take(&mut sub, 1).await.remove(0);
        let done = e.data["id"] == serde_json::json!(kept.id);
        seen.push(e);
        if done {
            break;
        }
    }
    let text = serde_json::to_string(&seen).unwrap();
    for secret in ["ORIGINAL-PII", "SECRET-PASSWORD", "ARCHIVED-CONTENT"] {
        assert!(!text.contains(secret), "{secret} replayed: {text}");
    }
    let of_gone: Vec<_> = seen
        .iter()
        .filter(|e| e.room_id == Some(gone.id))
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        of_gone,
        vec![EventType::RoomDeleted],
        "only the archive itself"
    );
    let of_edited: Vec<_> = seen
        .iter()
        .filter(|e| e.data["id"] == serde_json::json!(edited.id))
        .map(|e| e.data["content"].clone())
        .collect();
    assert_eq!(
        of_edited,
        vec![serde_json::json!("redacted"); 2],
        "created and updated, both current"
    );
    // The message as it is now, not only its text.
    let of_deleted: Vec<_> = seen
        .iter()
        .filter(|e| e.data["id"] == serde_json::json!(deleted.id))
        .collect();
    assert_eq!(of_deleted.len(), 2, "created and deleted");
    for e in of_deleted {
        assert!(e.data["deleted_at"].is_string(), "{}", e.data);
        assert_eq!(e.data["seq"], serde_json::json!(deleted.seq));
    }
    assert_quiet(&mut sub).await;
}

/// Disabling the account's chat ends its subscriptions; a subscriber that was behind the bus
/// when a deactivation was published still ends (it re-checks admission when catching up).
pub async fn events_disabled_chat_and_missed_deactivation_end_subscriptions(b: TestBackend) {
    let w = world(b).await;
    let (sup, a1) = (&w.a.supervisor, &w.a.agents[0]);
    let mut sub = w.chat.subscribe(a1, None).await.unwrap();
    let disabled = crate::model::Entitlements {
        chat_enabled: false,
        ..Default::default()
    };
    w.chat
        .set_entitlements(a1.account(), disabled)
        .await
        .unwrap();
    let end = tokio::time::timeout(WAIT, sub.next())
        .await
        .expect("ended in time");
    assert!(
        matches!(end, Err(crate::chat::SubscriptionEnd::ChatDisabled)),
        "{end:?}"
    );
    w.chat
        .set_entitlements(a1.account(), Default::default())
        .await
        .unwrap();

    // A resume starts behind: the deactivation it never saw on the bus still ends it.
    let room = w.room(sup, "r", &[a1]).await;
    w.send(sup, room.id, "before").await;
    w.chat
        .provision_user(a1.account(), a1.user(), None, AccountRole::Agent, false)
        .await
        .unwrap();
    let mut late = w.chat.subscribe(a1, Some(0)).await.unwrap();
    let end = tokio::time::timeout(WAIT, late.next())
        .await
        .expect("ended in time");
    assert!(
        matches!(end, Err(crate::chat::SubscriptionEnd::Deactivated)),
        "{end:?}"
    );
}
