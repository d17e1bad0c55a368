//! Removed members, deactivated users, disabled chat and slow consumers stop at once.

use super::*;

/// A removed member gets `member.removed` and nothing after; a deactivated user's
/// WebSocket is closed (4003) and SSE stream ended at once; disabling the account's chat
/// ends every stream of the account (4004).
#[tokio::test]
async fn removed_members_and_deactivated_users_stop_receiving_at_once() {
    let s = start(realtime_config()).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    let a = user(&s.chat, 1, 3, AccountRole::Agent).await;
    for u in [4, 5, 6] {
        user(&s.chat, 1, u, AccountRole::Agent).await;
    }
    let room = team_room(&s.chat, &admin, "R", &[3, 4, 5, 6]).await;
    let connect_ws = |u: i64| {
        let t = token(1, u, AccountRole::Agent);
        let s = &s;
        async move { Client::Ws(s.ws(1, "", Some(&t), &[]).await.unwrap()) }
    };
    let mut c3 = connect_ws(3).await;
    let mut c4 = connect_ws(4).await;
    let mut c4_sse = Client::Sse(
        s.sse(1, "", Some(&token(1, 4, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );
    let mut c5 = connect_ws(5).await;
    let mut c6_sse = Client::Sse(
        s.sse(1, "", Some(&token(1, 6, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );

    // Removal: 4 learns of it on both devices, then nothing of the room.
    s.chat
        .remove_member(&admin, room.id, UserId(4))
        .await
        .unwrap();
    let (after, _) = s
        .chat
        .send_message(&a, room.id, text("after the removal"))
        .await
        .unwrap();
    let (sentinel, _) = s
        .chat
        .create_room(
            &admin,
            NewRoom {
                kind: RoomType::Room,
                name: Some("S".into()),
                member_ids: vec![UserId(4)],
            },
        )
        .await
        .unwrap();
    for c in [&mut c4, &mut c4_sse] {
        let got = c.durable_until(|v| v["type"] == "room.created").await;
        let types: Vec<_> = got.iter().map(|v| v["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["member.removed", "room.created"], "{got:?}");
        assert_eq!(got[0]["data"]["user_id"], 4);
        assert_eq!(got[1]["room_id"], json!(sentinel.id));
    }
    let got = c3.durable_until(|v| v["type"] == "message.created").await;
    assert_eq!(got.last().unwrap()["data"]["id"], json!(after.id));

    // Deactivation through the service API: 5's WebSocket and 6's stream end at once.
    for u in [5, 6] {
        let res = s
            .json(
                Method::PUT,
                &format!("{}/users/{u}", s.base(1)),
                Some(SERVICE_TOKEN),
                json!({"role": "agent", "active": false}),
            )
            .await;
        assert_eq!(res.status, 200);
    }
    s.chat
        .send_message(&a, room.id, text("after the deactivation"))
        .await
        .unwrap();
    let Client::Ws(ws5) = &mut c5 else {
        unreachable!()
    };
    let (code, reason) = loop {
        match ws5.recv(WAIT).await {
            Got::Json(v) => assert_ne!(v["data"]["content"], "after the deactivation", "{v}"),
            Got::Closed(frame) => break frame.expect("a close frame"),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(code, 4003);
    assert!(reason.starts_with("user_deactivated"), "{reason}");
    let mut last = None;
    loop {
        match c6_sse.recv(WAIT).await {
            Got::Json(v) => {
                assert_ne!(v["data"]["content"], "after the deactivation", "{v}");
                last = Some(v);
            }
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    let last = last.unwrap();
    assert_eq!(
        (last["type"].as_str(), last["code"].as_str()),
        (Some("error"), Some("user_deactivated"))
    );
    assert!(
        metric(
            &s,
            "chat_realtime_closes_total{reason=\"user_deactivated\",transport=\"ws\"}"
        )
        .await
            >= 1.0
    );
    assert!(
        metric(
            &s,
            "chat_realtime_closes_total{reason=\"user_deactivated\",transport=\"sse\"}"
        )
        .await
            >= 1.0
    );

    // Disabling the account's chat ends every stream of the account.
    let mut c3_sse = Client::Sse(
        s.sse(1, "", Some(&token(1, 3, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );
    let res = s
        .json(
            Method::PUT,
            &format!("{}/entitlements", s.base(1)),
            Some(SERVICE_TOKEN),
            json!({"chat_enabled": false, "max_rooms": null, "max_members_per_room": null}),
        )
        .await;
    assert_eq!(res.status, 200);
    let (code, reason) = ws_of(&mut c3).closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 4004);
    assert!(reason.starts_with("entitlement_denied"), "{reason}");
    let mut last = None;
    loop {
        match c3_sse.recv(WAIT).await {
            Got::Json(v) => last = Some(v),
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(last.unwrap()["code"], "entitlement_denied");
    s.stop().await;
}

/// A client that never reads (WS and SSE, with a small receive buffer) is cut off as a slow
/// consumer, while a normal client keeps receiving everything.
#[tokio::test]
async fn a_client_that_never_reads_is_cut_off_and_others_are_not_held_up() {
    let mut config = realtime_config();
    config.realtime.queue_capacity = 16;
    config.realtime.slow_consumer_after = Duration::from_millis(300);
    let s = start(config).await;
    let admin = user(&s.chat, 1, 1, AccountRole::Admin).await;
    for u in [3, 4, 5] {
        user(&s.chat, 1, u, AccountRole::Agent).await;
    }
    let room = team_room(&s.chat, &admin, "R", &[3, 4, 5]).await;
    let small_socket = || async {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.set_recv_buffer_size(4096).unwrap();
        sock.connect(s.addr).await.unwrap()
    };
    // The slow WebSocket client: handshake, then never read.
    let url = format!("ws://{}{}/ws", s.addr, s.base(1));
    let mut req =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", token(1, 3, AccountRole::Agent))
            .parse()
            .unwrap(),
    );
    let (slow_ws, _) = tokio_tungstenite::client_async(req, small_socket().await)
        .await
        .unwrap();
    // The slow SSE client: a raw request, then never read.
    let mut slow_sse = small_socket().await;
    let head = format!(
        "GET {}/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\r\n",
        s.base(1),
        token(1, 4, AccountRole::Agent)
    );
    tokio::io::AsyncWriteExt::write_all(&mut slow_sse, head.as_bytes())
        .await
        .unwrap();
    // The normal client reads everything, in a task of its own.
    let mut fast = Client::Ws(
        s.ws(1, "", Some(&token(1, 5, AccountRole::Agent)), &[])
            .await
            .unwrap(),
    );
    let reader = tokio::spawn(async move {
        fast.until(
            Duration::from_secs(120),
            |v| v["type"] == "message.created",
            |v| v["data"]["content"] == "last",
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;

    let big = "x".repeat(3500);
    let mut sent = Vec::new();
    let started = std::time::Instant::now();
    loop {
        for _ in 0..50 {
            let (m, _) = s
                .chat
                .send_message(&admin, room.id, text(&big))
                .await
                .unwrap();
            sent.push(m.id);
        }
        let ws = metric(
            &s,
            "chat_realtime_closes_total{reason=\"slow_consumer\",transport=\"ws\"}",
        )
        .await;
        let sse = metric(
            &s,
            "chat_realtime_closes_total{reason=\"slow_consumer\",transport=\"sse\"}",
        )
        .await;
        if ws >= 1.0 && sse >= 1.0 {
            break;
        }
        assert!(
            sent.len() < 8000 && started.elapsed() < Duration::from_secs(90),
            "slow consumers were not cut off ({ws}, {sse})"
        );
    }
    let (last, _) = s
        .chat
        .send_message(&admin, room.id, text("last"))
        .await
        .unwrap();
    sent.push(last.id);
    let got = tokio::time::timeout(Duration::from_secs(60), reader)
        .await
        .unwrap()
        .unwrap();
    let got: Vec<String> = got
        .iter()
        .map(|v| v["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    let sent: Vec<String> = sent.iter().map(ToString::to_string).collect();
    assert_eq!(
        got, sent,
        "the normal client received every message, in order"
    );

    // The slow clients' streams end (after whatever the kernel had buffered).
    let mut slow_ws = slow_ws;
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        use futures_util::StreamExt;
        let mut close = None;
        while let Some(m) = slow_ws.next().await {
            match m {
                Ok(tokio_tungstenite::tungstenite::Message::Close(f)) => {
                    close = f.map(|f| u16::from(f.code))
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        close
    })
    .await
    .expect("the slow WebSocket was closed");
    if let Some(code) = ended {
        assert_eq!(code, 4008);
    }
    let drained = tokio::time::timeout(Duration::from_secs(30), async {
        let mut buf = vec![0u8; 65536];
        loop {
            match tokio::io::AsyncReadExt::read(&mut slow_sse, &mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(drained.is_ok(), "the slow SSE connection was dropped");
    s.stop().await;
}
