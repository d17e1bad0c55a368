//! Presence across devices and reconnects; typing frames, errors and limits.

use super::*;

/// Presence over two devices (WS and SSE), a reconnect inside the grace period without a
/// flap, away and back, offline after the grace period.
#[tokio::test]
async fn presence_merges_devices_and_survives_a_quick_reconnect() {
    let presence = PresenceConfig {
        grace: Duration::from_millis(600),
        idle_after: Duration::from_secs(3600),
        tick: Duration::from_millis(20),
    };
    let s = start_with(realtime_config(), presence, chat_sqlite::Options::default()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let observer = user(&s.chat, 1, 2, AccountRole::Supervisor).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let room = team_room(&s.chat, &admin, "R", &[2]).await;
    let t2 = token(1, 2, AccountRole::Supervisor);
    let t3 = token(1, 3, AccountRole::Agent);
    let mut o = Client::Ws(s.ws(1, "", Some(&t2), &[]).await.unwrap());
    let of_3 = |v: &Value| v["type"] == "presence.changed" && v["data"]["user_id"] == 3;
    let statuses = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter(|v| of_3(v))
            .map(|v| v["data"]["status"].as_str().unwrap().to_owned())
            .collect()
    };
    let presence_of_3 = || async {
        let res = s.get(&format!("{}/presence", s.base(1)), Some(&t2)).await;
        assert_eq!(res.status, 200);
        let body = res.json();
        assert_eq!(body["next_cursor"], Value::Null);
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["user_id"] == 3)
            .cloned()
            .unwrap()
    };
    // A sentinel event for the observer: everything published before it has arrived.
    let sentinel = {
        let observer = observer.clone();
        let chat = s.chat.clone();
        move || {
            let (observer, chat) = (observer.clone(), chat.clone());
            async move { chat.mark_read(&observer, room.id, None).await.unwrap() }
        }
    };

    let sse = s.sse(1, "", Some(&t3), &[]).await.unwrap();
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["online"]);
    assert_eq!(presence_of_3().await["status"], "online");
    let mut ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    drop(sse);
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        presence_of_3().await["status"],
        "online",
        "the other device is still connected"
    );

    // Close the last device and reconnect within the grace period: no offline flap.
    ws.stream.close(None).await.unwrap();
    drop(ws);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(presence_of_3().await["status"], "online");
    sentinel().await;
    let got = o
        .until(WAIT, |v| of_3(v), |v| v["type"] == "read.updated")
        .await;
    assert!(statuses(&got).is_empty(), "no flap: {got:?}");

    // Away on request and back, through client frames.
    ws.send_json(json!({"type": "presence", "status": "away"}))
        .await;
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["away"]);
    assert_eq!(presence_of_3().await["status"], "away");
    ws.send_json(json!({"type": "presence", "status": "online"}))
        .await;
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["online"]);

    // Gone for longer than the grace period: offline.
    drop(ws);
    let got = o.until(WAIT, |v| of_3(v), |v| of_3(v)).await;
    assert_eq!(statuses(&got), ["offline"]);
    let entry = presence_of_3().await;
    assert_eq!(entry["status"], "offline");
    assert!(entry["last_seen_at"].as_str().unwrap().ends_with('Z'));
    s.stop().await;
}

/// Typing reaches the room's other members (not the typist, not outsiders) with an
/// `expires_at`, is throttled, and goes out again once the throttle has passed. Invalid
/// frames get error frames and leave the connection open; an oversized one closes it (1009).
#[tokio::test]
async fn typing_frames_errors_and_limits() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let typist = user(&s.chat, 1, 3, AccountRole::Agent).await;
    let four = user(&s.chat, 1, 4, AccountRole::Agent).await;
    for u in [5, 6] {
        user(&s.chat, 1, u, AccountRole::Agent).await;
    }
    let room = team_room(&s.chat, &admin, "R", &[3, 4, 5]).await;
    let tok = |u: i64| token(1, u, AccountRole::Agent);
    let mut c3 = Client::Ws(s.ws(1, "", Some(&tok(3)), &[]).await.unwrap());
    let mut c4 = Client::Ws(s.ws(1, "", Some(&tok(4)), &[]).await.unwrap());
    let mut c5 = Client::Sse(s.sse(1, "", Some(&tok(5)), &[]).await.unwrap());
    let mut c6 = Client::Ws(s.ws(1, "", Some(&tok(6)), &[]).await.unwrap());
    let not_presence = |v: &Value| v["type"] != "presence.changed";
    let typing = json!({"type": "typing", "room_id": room.id});

    ws_of(&mut c3).send_json(typing.clone()).await;
    let before = chat_core::Timestamp::now().0;
    let mut first_expiry = 0;
    for c in [&mut c4, &mut c5] {
        let got = c.until(WAIT, not_presence, |v| v["type"] == "typing").await;
        let ev = got.last().unwrap();
        assert!(ev.get("id").is_none(), "typing is ephemeral");
        assert_eq!(ev["room_id"], json!(room.id));
        assert_eq!(ev["data"]["user_id"], 3);
        let expires =
            chat_core::Timestamp::parse_rfc3339(ev["data"]["expires_at"].as_str().unwrap())
                .unwrap()
                .0;
        assert!(
            (before + 4_000..before + 8_000).contains(&expires),
            "expires about 6 s ahead"
        );
        first_expiry = expires;
    }
    // Not to the typist, nor to a non-member: a later durable event arrives with no typing before it.
    s.chat.mark_read(&typist, room.id, None).await.unwrap();
    let got = c3
        .until(WAIT, not_presence, |v| v["type"] == "read.updated")
        .await;
    assert_eq!(got.len(), 1, "{got:?}");
    let (other, _) = s
        .chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("S".into()),
                member_ids: vec![UserId(6)],
            },
        )
        .await
        .unwrap();
    let got = c6
        .until(WAIT, not_presence, |v| v["type"] == "room.created")
        .await;
    assert_eq!(got.len(), 1, "{got:?}");

    // Throttled: a second typing frame right away sends nothing.
    ws_of(&mut c3).send_json(typing.clone()).await;
    ws_of(&mut c3).send_json(frame("ping")).await;
    let got = c3.until(WAIT, not_presence, |v| v["type"] == "pong").await;
    assert_eq!(got.len(), 1);
    s.chat.mark_read(&four, room.id, None).await.unwrap();
    let got = c4
        .until(WAIT, not_presence, |v| v["type"] == "read.updated")
        .await;
    assert_eq!(got.len(), 1, "throttled: {got:?}");
    // After the throttle interval it goes out again, with a later expiry.
    tokio::time::sleep(chat_core::TYPING_THROTTLE + Duration::from_millis(100)).await;
    ws_of(&mut c3).send_json(typing.clone()).await;
    let got = c4
        .until(WAIT, not_presence, |v| v["type"] == "typing")
        .await;
    let expires =
        chat_core::Timestamp::parse_rfc3339(got[0]["data"]["expires_at"].as_str().unwrap())
            .unwrap()
            .0;
    assert!(expires > first_expiry);

    // Errors: each gets an error frame and the connection stays usable.
    let ws3 = ws_of(&mut c3);
    let cases = [
        (
            Some(json!({"type": "typing", "room_id": other.id})),
            "not_found",
        ),
        (
            Some(json!({"type": "typing", "room_id": "not-a-uuid"})),
            "validation_failed",
        ),
        (Some(json!({"type": "typing"})), "validation_failed"),
        (Some(json!({"type": "dance"})), "validation_failed"),
        (
            Some(json!({"type": "presence", "status": "busy"})),
            "validation_failed",
        ),
        (
            Some(json!({"type": "ping", "extra": 1})),
            "validation_failed",
        ),
        (Some(json!([1, 2])), "validation_failed"),
        (None, "validation_failed"),
    ];
    for (body, code) in cases {
        match body {
            Some(v) => ws3.send_json(v).await,
            None => {
                use futures_util::SinkExt;
                ws3.stream
                    .send(tokio_tungstenite::tungstenite::Message::text("{not json"))
                    .await
                    .unwrap();
            }
        }
        let got = loop {
            match ws3.recv(WAIT).await {
                Got::Json(v) if v["type"] == "error" => break v,
                Got::Json(v) => assert_ne!(v["type"], "pong", "{code}: no error frame"),
                other => panic!("{code}: {other:?}"),
            }
        };
        assert_eq!(got["code"], code, "{got}");
        assert!(got["message"].is_string());
    }
    {
        use futures_util::SinkExt;
        ws3.stream
            .send(tokio_tungstenite::tungstenite::Message::binary(vec![
                1u8, 2, 3,
            ]))
            .await
            .unwrap();
    }
    let got = loop {
        if let Got::Json(v) = ws3.recv(WAIT).await {
            if v["type"] == "error" {
                break v;
            }
        }
    };
    assert_eq!(got["code"], "validation_failed");
    ws3.send_json(frame("ping")).await;
    let got = c3.until(WAIT, |_| false, |v| v["type"] == "pong").await;
    assert_eq!(got[0], json!({"type": "pong"}));

    // A frame over 16 KiB closes the connection with 1009.
    let ws4 = ws_of(&mut c4);
    ws4.send_json(json!({"type": "ping", "pad": "x".repeat(17 * 1024)}))
        .await;
    let (code, reason) = ws4.closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 1009);
    assert!(reason.starts_with("message_too_big"), "{reason}");
    s.stop().await;
}
