//! Token expiry, shutdown, keepalive and connection slots.

use super::*;

/// A connection ends when its token (or its ticket's token) expires: 4001 on the
/// WebSocket, `event: error` `token_expired` on SSE.
#[tokio::test]
async fn connections_end_when_the_token_expires() {
    let mut config = realtime_config();
    config.jwt_leeway_secs = 0;
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let short = chat_server_min::auth::mint(
        SECRET,
        1,
        3,
        AccountRole::Agent,
        None,
        Duration::from_secs(2),
    )
    .unwrap();
    let mut ws = s.ws(1, "", Some(&short), &[]).await.unwrap();
    let res = s
        .send(
            Method::POST,
            &format!("{}/realtime/ticket", s.base(1)),
            Some(&short),
            None,
            &[],
        )
        .await;
    let body = res.json();
    let expires = chat_core::Timestamp::parse_rfc3339(body["expires_at"].as_str().unwrap())
        .unwrap()
        .0;
    assert!(
        expires <= chat_core::Timestamp::now().0 + 2_000,
        "the ticket does not outlive its token"
    );
    let mut sse = s
        .sse(
            1,
            &format!("?ticket={}", body["ticket"].as_str().unwrap()),
            None,
            &[],
        )
        .await
        .unwrap();
    let (code, reason) = ws
        .closed(Duration::from_secs(10))
        .await
        .expect("a close frame");
    assert_eq!(code, 4001);
    assert!(reason.starts_with("token_expired"), "{reason}");
    let mut last = None;
    loop {
        match sse.recv(Duration::from_secs(10)).await {
            Got::Json(v) => last = Some(v),
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(last.unwrap()["code"], "token_expired");
    s.stop().await;
}

/// Shutdown closes WebSockets with 1001 and ends SSE streams with `going_away`, promptly.
#[tokio::test]
async fn shutdown_closes_realtime_connections() {
    let mut config = realtime_config();
    config.realtime.sse_heartbeat = Duration::from_millis(100);
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let mut ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    let mut sse = s.sse(1, "", Some(&t3), &[]).await.unwrap();
    assert_eq!(
        metric(&s, "chat_realtime_connections{transport=\"ws\"}").await,
        1.0
    );
    assert_eq!(
        metric(&s, "chat_realtime_connections{transport=\"sse\"}").await,
        1.0
    );
    // Heartbeat comments while nothing happens (`: ok` first).
    assert!(matches!(
        sse.recv(Duration::from_millis(450)).await,
        Got::Timeout
    ));
    assert!(sse.comments >= 3, "heartbeats: {}", sse.comments);
    let stopping = tokio::spawn(s.stop());
    let (code, _) = ws.closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 1001);
    let mut last = None;
    loop {
        match sse.recv(WAIT).await {
            Got::Json(v) => last = Some(v),
            Got::Ended => break,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(last.unwrap()["code"], "going_away");
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .unwrap()
        .unwrap();
}

/// The server pings; a client that answers stays, one that goes silent is closed (4000).
#[tokio::test]
async fn keepalive_pings_and_closes_silent_connections() {
    let mut config = realtime_config();
    config.realtime.ping_interval = Duration::from_millis(200);
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let mut alive = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    let mut silent = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    // The live client keeps reading (tungstenite answers the pings) for a second.
    let until = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        let left = until.saturating_duration_since(tokio::time::Instant::now());
        match alive.recv(left).await {
            Got::Timeout => break,
            Got::Json(v) => assert_eq!(v["type"], "presence.changed"),
            other => panic!("the answering client was closed: {other:?}"),
        }
    }
    let (code, reason) = silent.closed(WAIT).await.expect("a close frame");
    assert_eq!(code, 4000);
    assert!(reason.starts_with("keepalive_timeout"), "{reason}");
    alive.send_json(frame("ping")).await;
    match alive.recv(WAIT).await {
        Got::Json(v) => assert_eq!(v, json!({"type": "pong"})),
        other => panic!("the answering client was closed: {other:?}"),
    }
    s.stop().await;
}

/// A client that goes away frees its connection slot at once (SSE included), so reloads do
/// not run into the per-user limit.
#[tokio::test]
async fn closed_clients_free_their_slots() {
    let mut config = realtime_config();
    config.realtime.max_connections_per_user = 1;
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    for _ in 0..5 {
        let sse = s.sse(1, "", Some(&t3), &[]).await.unwrap();
        drop(sse);
        let mut freed = false;
        for _ in 0..100 {
            if metric(&s, "chat_realtime_connections{transport=\"sse\"}").await == 0.0 {
                freed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(freed, "the dropped SSE client's slot was not freed");
        let ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
        drop(ws);
        for _ in 0..100 {
            if metric(&s, "chat_realtime_connections{transport=\"ws\"}").await == 0.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert_eq!(
        metric(&s, "chat_realtime_connections{transport=\"ws\"}").await,
        0.0
    );
    s.stop().await;
}
