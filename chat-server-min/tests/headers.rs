//! Headers on every response (v1.1): `nosniff`, a CSP that lets nothing load, no `Server`
//! header, `no-store`, the request id; and the CORS allow-list (`CHAT_CORS_ORIGINS`): exact
//! origins only, on `/api` routes, errors included, never credentials; unset, no CORS at all.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chat_core::AccountRole;
use common::*;
use http::Method;

const ROOMS: &str = "/api/v1/accounts/1/chat/rooms";
const HOST: &str = "http://host.example:8081";

fn assert_common(r: &Resp, what: &str) {
    assert_eq!(
        r.header("x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        r.header("content-security-policy").as_deref(),
        Some("default-src 'none'; frame-ancestors 'none'"),
        "{what}"
    );
    assert_eq!(r.header("server"), None, "{what}: no Server header");
    assert!(r.header("x-request-id").is_some(), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_the_security_headers_and_no_cors_by_default() {
    let s = start(config()).await;
    user(&s.chat, 1, 1, AccountRole::Admin).await;
    let admin = token(1, 1, AccountRole::Admin);
    let answers = [
        ("health", s.get("/healthz", None).await),
        ("openapi", s.get("/api/v1/openapi.json", None).await),
        ("rooms", s.get(ROOMS, Some(&admin)).await),
        ("401", s.get(ROOMS, None).await),
        ("404", s.get("/nowhere", None).await),
        (
            "422",
            s.get(&format!("{ROOMS}?limit=0"), Some(&admin)).await,
        ),
    ];
    for (what, r) in &answers {
        assert_common(r, what);
    }
    assert_eq!(answers[2].1.status, 200);
    assert_eq!(
        answers[2].1.header("cache-control").as_deref(),
        Some("no-store")
    );

    // No list: an Origin changes nothing, a preflight is an ordinary 405.
    let r = s
        .send(Method::GET, ROOMS, Some(&admin), None, &[("origin", HOST)])
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("access-control-allow-origin"), None);
    let r = s
        .send(
            Method::OPTIONS,
            ROOMS,
            None,
            None,
            &[("origin", HOST), ("access-control-request-method", "POST")],
        )
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(r.header("access-control-allow-origin"), None);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_origins_get_cors_on_api_routes_errors_included() {
    let s = start(config().with_cors_origins(vec![HOST.to_owned()]).unwrap()).await;
    user(&s.chat, 1, 1, AccountRole::Admin).await;
    let admin = token(1, 1, AccountRole::Admin);

    let pre = s
        .send(
            Method::OPTIONS,
            ROOMS,
            None,
            None,
            &[
                ("origin", HOST),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization, content-type",
                ),
            ],
        )
        .await;
    assert_eq!(pre.status, 204, "{}", pre.text());
    assert_eq!(
        pre.header("access-control-allow-origin").as_deref(),
        Some(HOST)
    );
    assert_eq!(pre.header("vary").as_deref(), Some("Origin"));
    let methods = pre.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("GET") && methods.contains("POST"),
        "{methods}"
    );
    let allowed = pre.header("access-control-allow-headers").unwrap();
    for h in ["Authorization", "Content-Type", "X-Request-Id"] {
        assert!(allowed.contains(h), "{allowed}");
    }
    assert_eq!(pre.header("access-control-allow-credentials"), None);

    for (what, r) in [
        (
            "ok",
            s.send(Method::GET, ROOMS, Some(&admin), None, &[("origin", HOST)])
                .await,
        ),
        (
            "401",
            s.send(Method::GET, ROOMS, None, None, &[("origin", HOST)])
                .await,
        ),
    ] {
        assert_eq!(
            r.header("access-control-allow-origin").as_deref(),
            Some(HOST),
            "{what}"
        );
        let exposed = r.header("access-control-expose-headers").unwrap();
        assert!(exposed.contains("X-Request-Id") && exposed.contains("Retry-After"));
        assert_eq!(r.header("access-control-allow-credentials"), None, "{what}");
        assert_common(&r, what);
    }
    assert_eq!(
        s.send(Method::GET, ROOMS, None, None, &[("origin", HOST)])
            .await
            .status,
        401
    );

    // Other origins, `null`, two Origin headers, and non-API paths: nothing.
    for origin in ["http://evil.example", "null", "http://host.example:8082"] {
        let r = s
            .send(
                Method::GET,
                ROOMS,
                Some(&admin),
                None,
                &[("origin", origin)],
            )
            .await;
        assert_eq!(r.header("access-control-allow-origin"), None, "{origin}");
        let r = s
            .send(
                Method::OPTIONS,
                ROOMS,
                None,
                None,
                &[("origin", origin), ("access-control-request-method", "GET")],
            )
            .await;
        assert_eq!(r.status, 405, "{origin}");
    }
    let r = s
        .send(
            Method::GET,
            ROOMS,
            Some(&admin),
            None,
            &[("origin", HOST), ("origin", HOST)],
        )
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        None,
        "two Origin headers"
    );
    let r = s
        .send(Method::GET, "/healthz", None, None, &[("origin", HOST)])
        .await;
    assert_eq!(
        r.header("access-control-allow-origin"),
        None,
        "not an API route"
    );
    s.stop().await;
}

#[test]
fn only_plain_origins_can_be_listed() {
    for bad in ["*", "https://hub.example/", "hub.example"] {
        assert!(
            config().with_cors_origins(vec![bad.to_owned()]).is_err(),
            "{bad}"
        );
    }
}
