//! Resume without gaps or duplicates, and resync.

use super::*;

/// A client disconnects, 200 events happen (and others it may not see), it resumes with
/// `since`: exactly those events, in order, once, then live ones. Again over SSE with
/// `Last-Event-ID`, and with `?since=` on SSE.
#[tokio::test]
async fn resume_replays_exactly_the_missed_events_over_ws_and_sse() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let a = user(&s.chat, 1, 3, AccountRole::Agent).await;
    let b = user(&s.chat, 1, 4, AccountRole::Agent).await;
    user(&s.chat, 1, 5, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[3, 4]).await;
    let (hidden, _) = s
        .chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("Q".into()),
                member_ids: vec![UserId(4), UserId(5)],
            },
        )
        .await
        .unwrap();
    let ta = token(1, 3, AccountRole::Agent);
    let is_msg = |v: &Value| v["type"] == "message.created";

    let mut ws = Client::Ws(s.ws(1, "", Some(&ta), &[]).await.unwrap());
    let (m0, _) = s
        .chat
        .send_message(&b, room.id, text("before"))
        .await
        .unwrap();
    let first = ws.durable_until(is_msg).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["data"]["id"], json!(m0.id));
    let since = first[0]["id"].as_i64().unwrap();
    drop(ws);

    // 200 events A may see (messages, edits, deletes) and 50 it may not.
    let mut missed = Vec::new();
    for i in 0..150 {
        let (m, _) = s
            .chat
            .send_message(&b, room.id, text(&format!("m{i}")))
            .await
            .unwrap();
        missed.push(("message.created", m.id));
        if i % 3 == 0 {
            s.chat.edit_message(&b, m.id, "edited").await.unwrap();
            missed.push(("message.updated", m.id));
        } else if i % 3 == 1 && missed.len() < 200 {
            s.chat.delete_message(&b, m.id).await.unwrap();
            missed.push(("message.deleted", m.id));
        }
        if i % 3 == 2 {
            s.chat
                .send_message(&b, hidden.id, text("not for A"))
                .await
                .unwrap();
        }
        if missed.len() >= 200 {
            break;
        }
    }
    assert_eq!(missed.len(), 200);
    let want: Vec<(String, String)> = missed
        .iter()
        .map(|(t, id)| ((*t).to_owned(), id.to_string()))
        .collect();
    let of = |events: &[Value]| -> Vec<(String, String)> {
        events
            .iter()
            .map(|v| {
                (
                    v["type"].as_str().unwrap().to_owned(),
                    v["data"]["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };

    let mut ws = Client::Ws(
        s.ws(1, &format!("?since={since}"), Some(&ta), &[])
            .await
            .unwrap(),
    );
    let (live, _) = s
        .chat
        .send_message(&b, room.id, text("live"))
        .await
        .unwrap();
    let got = ws
        .durable_until(|v| v["data"]["id"] == json!(live.id))
        .await;
    assert_eq!(
        of(&got[..got.len() - 1]),
        want,
        "exactly the missed events, in order, once"
    );
    let last = got.last().unwrap()["id"].as_i64().unwrap();
    drop(ws);

    // 200 more, then SSE with Last-Event-ID (and a stale ?since= that the header overrides).
    let mut missed = Vec::new();
    for i in 0..200 {
        let (m, _) = s
            .chat
            .send_message(&b, room.id, text(&format!("n{i}")))
            .await
            .unwrap();
        missed.push(("message.created".to_owned(), m.id.to_string()));
        if i % 4 == 0 {
            s.chat
                .send_message(&b, hidden.id, text("not for A"))
                .await
                .unwrap();
        }
    }
    let ticket = s.ticket(1, &ta).await;
    let mut sse = Client::Sse(
        s.sse(
            1,
            &format!("?ticket={ticket}&since=1"),
            None,
            &[("last-event-id", &last.to_string())],
        )
        .await
        .unwrap(),
    );
    let (live, _) = s
        .chat
        .send_message(&b, room.id, text("live 2"))
        .await
        .unwrap();
    let got = sse
        .durable_until(|v| v["data"]["id"] == json!(live.id))
        .await;
    assert_eq!(of(&got[..got.len() - 1]), missed);
    let last = got.last().unwrap()["id"].as_i64().unwrap();
    drop(sse);

    // SSE with ?since= alone.
    let (m, _) = s
        .chat
        .send_message(&b, room.id, text("after sse"))
        .await
        .unwrap();
    let mut sse = Client::Sse(
        s.sse(1, &format!("?since={last}"), Some(&ta), &[])
            .await
            .unwrap(),
    );
    let got = sse.durable_until(is_msg).await;
    assert_eq!(got[0]["data"]["id"], json!(m.id));
    let _ = a;

    assert_eq!(
        metric(&s, "chat_realtime_resumes_total{outcome=\"replayed\"}").await,
        3.0
    );
    assert_eq!(
        metric(
            &s,
            "chat_realtime_resumes_total{outcome=\"resync_required\"}"
        )
        .await,
        0.0
    );
    assert!(metric(&s, "chat_realtime_events_delivered_total{transport=\"ws\"}").await >= 202.0);
    assert!(
        metric(
            &s,
            "chat_realtime_events_delivered_total{transport=\"sse\"}"
        )
        .await
            >= 202.0
    );
    s.stop().await;
}

/// A `since` older than the retained log (or one it never had) yields one
/// `resync_required`, then live events.
#[tokio::test]
async fn an_ancient_or_unknown_since_gets_resync_required() {
    let options = chat_sqlite::Options {
        retention: chat_sqlite::Retention {
            max_events: 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let s = start_with(realtime_config(), PresenceConfig::default(), options).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[3]).await;
    // The log is pruned every 256 ids: 300 events leave only the newest 20 or so.
    for i in 0..300 {
        s.chat
            .send_message(&admin, room.id, text(&format!("{i}")))
            .await
            .unwrap();
    }
    let ta = token(1, 3, AccountRole::Agent);
    let ticket = s.ticket(1, &ta).await;
    let mut clients = [
        Client::Ws(s.ws(1, "?since=1", Some(&ta), &[]).await.unwrap()),
        Client::Ws(s.ws(1, "?since=1000000", Some(&ta), &[]).await.unwrap()),
        Client::Sse(
            s.sse(
                1,
                &format!("?ticket={ticket}"),
                None,
                &[("last-event-id", "2")],
            )
            .await
            .unwrap(),
        ),
    ];
    let (m, _) = s
        .chat
        .send_message(&admin, room.id, text("live"))
        .await
        .unwrap();
    for (i, c) in clients.iter_mut().enumerate() {
        let got = c
            .until(
                WAIT,
                |v| v["type"] != "presence.changed",
                |v| v["type"] == "message.created",
            )
            .await;
        assert_eq!(got.len(), 2, "client {i}: {got:?}");
        assert_eq!(got[0]["type"], "resync_required");
        assert!(got[0].get("id").is_none(), "resync_required has no id");
        assert_eq!(got[1]["data"]["id"], json!(m.id), "then live events");
    }
    assert_eq!(
        metric(
            &s,
            "chat_realtime_resumes_total{outcome=\"resync_required\"}"
        )
        .await,
        3.0
    );
    s.stop().await;
}

/// Regression (security probe): a member removed from a room who resumes with a `since` from
/// before the removal must not read an edit made after it. The replay leaves out the room's
/// message events (rendered as the messages are now) and keeps `member.removed`.
#[tokio::test]
async fn a_removed_member_resuming_from_before_the_removal_reads_no_later_edit() {
    let s = start(realtime_config()).await;
    let sup = user(&s.chat, 1, 2, AccountRole::Supervisor).await;
    let sender = user(&s.chat, 1, 3, AccountRole::Agent).await;
    user(&s.chat, 1, 5, AccountRole::Agent).await;
    let room = team_room(&s.chat, &sup, "R", &[3, 5]).await;
    let t5 = token(1, 5, AccountRole::Agent);
    let mut ws = Client::Ws(s.ws(1, "", Some(&t5), &[]).await.unwrap());
    let (old, _) = s
        .chat
        .send_message(&sender, room.id, text("the original text"))
        .await
        .unwrap();
    let seen = ws.durable_until(|v| v["type"] == "message.created").await;
    let since = seen[0]["id"].as_i64().unwrap() - 1;
    drop(ws);

    s.chat
        .remove_member(&sup, room.id, UserId(5))
        .await
        .unwrap();
    s.chat
        .edit_message(&sender, old.id, "WRITTEN AFTER THE REMOVAL")
        .await
        .unwrap();
    let (sentinel, _) = s
        .chat
        .create_room(
            &sup,
            NewRoom {
                kind: RoomType::Room,
                name: Some("S".into()),
                member_ids: vec![UserId(5)],
            },
        )
        .await
        .unwrap();

    let ticket = s.ticket(1, &t5).await;
    for mut c in [
        Client::Ws(
            s.ws(1, &format!("?since={since}"), Some(&t5), &[])
                .await
                .unwrap(),
        ),
        Client::Sse(
            s.sse(1, &format!("?ticket={ticket}&since={since}"), None, &[])
                .await
                .unwrap(),
        ),
    ] {
        let got = c.durable_until(|v| v["type"] == "room.created").await;
        let text = serde_json::to_string(&got).unwrap();
        assert!(!text.contains("WRITTEN AFTER THE REMOVAL"), "{text}");
        let types: Vec<_> = got.iter().map(|v| v["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["member.removed", "room.created"], "{text}");
        assert_eq!(got[1]["room_id"], json!(sentinel.id));
    }
    s.stop().await;
}
