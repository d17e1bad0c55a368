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

/// Without `CHAT_ALLOWED_ORIGINS`, only the server's own origin (and no `Origin` at all) may
/// open `/ws` and `/events`: `null`, duplicates and any other origin are `403`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_origin_policy_is_same_origin_only() {
    let mut config = realtime_config();
    config.realtime.max_connections_per_user = 100;
    let s = start(config).await;
    assert_eq!(s_config_origins_default(), None);
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let own = format!("http://{}", s.addr);
    let own_https = format!("https://{}", s.addr);
    let other_port = format!("http://127.0.0.1:{}", s.addr.port().wrapping_add(1));
    let by_name = format!("http://localhost:{}", s.addr.port());
    let accepted: Vec<Vec<(&str, &str)>> =
        vec![vec![], vec![("origin", &own)], vec![("origin", &own_https)]];
    let refused: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("null", vec![("origin", "null")]),
        ("foreign", vec![("origin", "https://evil.example")]),
        ("another port", vec![("origin", &other_port)]),
        ("another host name", vec![("origin", &by_name)]),
        ("a path", vec![("origin", "http://127.0.0.1/x")]),
        ("duplicate own", vec![("origin", &own), ("origin", &own)]),
        (
            "own then foreign",
            vec![("origin", &own), ("origin", "https://evil.example")],
        ),
    ];
    for headers in &accepted {
        let sse = s.sse(1, "", Some(&t3), headers).await;
        assert!(sse.is_ok(), "SSE refused with {headers:?}");
        let ws = s.ws(1, "", Some(&t3), headers).await;
        assert!(ws.is_ok(), "WebSocket refused with {headers:?}");
    }
    for (name, headers) in &refused {
        let res = match s.sse(1, "", Some(&t3), headers).await {
            Ok(_) => panic!("SSE accepted with {name}"),
            Err(res) => res,
        };
        assert_eq!(
            (res.status, res.error_code().as_str()),
            (403, "forbidden"),
            "SSE, {name}"
        );
        // The WebSocket client sets each header once: duplicates go over raw TCP.
        if headers.len() == 1 {
            let res = match s.ws(1, "", Some(&t3), headers).await {
                Ok(_) => panic!("WebSocket accepted with {name}"),
                Err(res) => res,
            };
            assert_eq!(res.status, 403, "WebSocket, {name}");
        } else {
            let origins: String = headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}\r\n"))
                .collect();
            let answer = s
                .raw(
                    format!(
                        "GET {}/ws HTTP/1.1\r\nhost: {}\r\nupgrade: websocket\r\n\
                         connection: Upgrade\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                         sec-websocket-version: 13\r\nauthorization: Bearer {t3}\r\n{origins}\
                         connection: close\r\n\r\n",
                        s.base(1),
                        s.addr
                    )
                    .as_bytes(),
                )
                .await;
            assert!(
                answer.starts_with("HTTP/1.1 403"),
                "WebSocket, {name}: {answer}"
            );
            assert!(answer.contains("\"forbidden\""), "{answer}");
        }
    }
    s.stop().await;
}

fn s_config_origins_default() -> Option<Vec<String>> {
    chat_server_min::RealtimeConfig::default().allowed_origins
}
