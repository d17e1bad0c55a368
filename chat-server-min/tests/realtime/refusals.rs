//! Everything refused before the upgrade, each with its JSON error.

use super::*;

#[tokio::test]
async fn refusals_happen_before_the_upgrade_with_json_errors() {
    let mut config = realtime_config();
    config.realtime.ticket_ttl = Duration::from_millis(300);
    config.realtime.allowed_origins = Some(vec!["https://hub.example".into()]);
    config.realtime.max_connections_per_user = 2;
    let s = start(config).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);

    let refused = |r: Result<common::live::Ws, Resp>| match r {
        Ok(_) => panic!("connection was accepted"),
        Err(res) => res,
    };
    let refused_sse = |r: Result<common::live::Sse, Resp>| match r {
        Ok(_) => panic!("stream was accepted"),
        Err(res) => res,
    };

    // No token, a malformed token, an expired one, a token in the URL.
    for res in [
        refused(s.ws(1, "", None, &[]).await),
        refused(s.ws(1, "", Some("nope"), &[]).await),
        refused(
            s.ws(1, "", Some(&token_expired(1, 3, AccountRole::Agent)), &[])
                .await,
        ),
        refused(s.ws(1, &format!("?token={t3}"), None, &[]).await),
        refused(s.ws(1, &format!("?access_token={t3}"), None, &[]).await),
        refused_sse(s.sse(1, "", None, &[]).await),
    ] {
        assert_eq!(res.status, 401);
        assert_eq!(res.error_code(), "unauthorized");
    }

    // Tickets: unknown, reused, expired.
    let res = refused(s.ws(1, "?ticket=0123abcd", None, &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (401, "unauthorized")
    );
    let ticket = s.ticket(1, &t3).await;
    let res = s
        .send(
            Method::POST,
            &format!("{}/realtime/ticket", s.base(1)),
            Some(&t3),
            None,
            &[],
        )
        .await;
    let body = res.json();
    assert_eq!(body["ticket"].as_str().unwrap().len(), 64);
    assert!(body["expires_at"].as_str().unwrap().ends_with('Z'));
    let ws = s.ws(1, &format!("?ticket={ticket}"), None, &[]).await;
    assert!(ws.is_ok(), "a fresh ticket opens the WebSocket");
    drop(ws);
    let res = refused(s.ws(1, &format!("?ticket={ticket}"), None, &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (401, "unauthorized"),
        "reused"
    );
    let res = refused_sse(s.sse(1, &format!("?ticket={ticket}"), None, &[]).await);
    assert_eq!(res.status, 401, "reused on the other transport");
    let sse_ticket = s.ticket(1, &t3).await;
    assert!(s
        .sse(1, &format!("?ticket={sse_ticket}"), None, &[])
        .await
        .is_ok());
    let stale = s.ticket(1, &t3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let res = refused(s.ws(1, &format!("?ticket={stale}"), None, &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (401, "unauthorized"),
        "expired"
    );

    // Origin: a foreign one is refused, the allowed one and none at all are accepted.
    let res = refused(
        s.ws(1, "", Some(&t3), &[("origin", "https://evil.example")])
            .await,
    );
    assert_eq!((res.status, res.error_code().as_str()), (403, "forbidden"));
    let ticket = s.ticket(1, &t3).await;
    let res = refused(
        s.ws(
            1,
            &format!("?ticket={ticket}"),
            None,
            &[("origin", "https://evil.example")],
        )
        .await,
    );
    assert_eq!(res.status, 403);
    let res = refused_sse(
        s.sse(1, "", Some(&t3), &[("origin", "https://hub.example.evil")])
            .await,
    );
    assert_eq!(res.status, 403);
    let a = s
        .ws(1, "", Some(&t3), &[("origin", "https://hub.example")])
        .await;
    let b = s.ws(1, "", Some(&t3), &[]).await;
    assert!(a.is_ok() && b.is_ok());

    // The per-user connection limit (2 here), on either transport.
    let res = refused(s.ws(1, "", Some(&t3), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (429, "rate_limited")
    );
    assert!(res.header("retry-after").is_some());
    let res = refused_sse(s.sse(1, "", Some(&t3), &[]).await);
    assert_eq!(res.status, 429);
    drop((a, b));

    // Another account's path, a ticket used on another account.
    user(&s.chat, 1, 4, AccountRole::Agent).await;
    let t4 = token(1, 4, AccountRole::Agent);
    let res = refused(s.ws(2, "", Some(&t4), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (403, "account_mismatch")
    );
    let ticket = s.ticket(1, &t4).await;
    let res = refused(s.ws(2, &format!("?ticket={ticket}"), None, &[]).await);
    assert_eq!(res.error_code(), "account_mismatch");

    // A bad resume point, a plain GET (no handshake).
    let res = refused(s.ws(1, "?since=abc", Some(&t4), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (422, "validation_failed")
    );
    let res = refused_sse(s.sse(1, "", Some(&t4), &[("last-event-id", "-4")]).await);
    assert_eq!(res.status, 422);
    let res = s.get(&format!("{}/ws", s.base(1)), Some(&t4)).await;
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (426, "upgrade_required")
    );
    assert_eq!(res.header("upgrade").as_deref(), Some("websocket"));

    // A deactivated user, a disabled account.
    let res = s
        .json(
            Method::PUT,
            &format!("{}/users/4", s.base(1)),
            Some(SERVICE_TOKEN),
            json!({"role": "agent", "active": false}),
        )
        .await;
    assert_eq!(res.status, 200);
    let res = refused(s.ws(1, "", Some(&t4), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (403, "user_deactivated")
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
    let res = refused_sse(s.sse(1, "", Some(&t3), &[]).await);
    assert_eq!(
        (res.status, res.error_code().as_str()),
        (403, "entitlement_denied")
    );
    s.stop().await;
}
