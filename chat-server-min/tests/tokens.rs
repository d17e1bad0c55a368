//! Optional `iss`/`aud` checks of user tokens (`CHAT_JWT_ISSUER`, `CHAT_JWT_AUDIENCE`),
//! black-box on a REST route, ticket issuance and both realtime transports.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use chat_core::AccountRole;
use common::{config, now_secs, start, user, Server, SECRET};
use http::Method;
use serde_json::{json, Value};

const ISSUER: &str = "https://hub.example";
const AUDIENCE: &str = "team-chat";

/// A token for user 3 of account 1 with these extra claims.
fn token_with(extra: Value) -> String {
    let mut claims = json!({
        "sub": "3", "account_id": 1, "role": "agent", "exp": now_secs() + 3600,
    });
    for (k, v) in extra.as_object().unwrap() {
        claims[k] = v.clone();
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

/// The statuses of: a REST read, ticket issuance, `/ws` and `/events` with a bearer token.
async fn statuses(s: &Server, token: &str) -> [u16; 4] {
    let base = s.base(1);
    let rooms = s.get(&format!("{base}/rooms"), Some(token)).await.status;
    let ticket = s
        .send(
            Method::POST,
            &format!("{base}/realtime/ticket"),
            Some(token),
            None,
            &[],
        )
        .await
        .status;
    let ws = match s.ws(1, "", Some(token), &[]).await {
        Ok(_) => 101,
        Err(res) => res.status,
    };
    let sse = match s.sse(1, "", Some(token), &[]).await {
        Ok(_) => 200,
        Err(res) => res.status,
    };
    [rooms, ticket, ws, sse]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_and_audience_are_required_when_configured() {
    let mut cfg = config();
    cfg.jwt_issuer = Some(ISSUER.into());
    cfg.jwt_audience = Some(AUDIENCE.into());
    cfg.realtime.max_connections_per_user = 100;
    let s = start(cfg).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let ok = [200, 200, 101, 200];
    for extra in [
        json!({"iss": ISSUER, "aud": AUDIENCE}),
        json!({"iss": ISSUER, "aud": ["other", AUDIENCE]}),
    ] {
        assert_eq!(
            statuses(&s, &token_with(extra.clone())).await,
            ok,
            "{extra}"
        );
    }
    let before = s.snapshot();
    for extra in [
        json!({}),
        json!({"aud": AUDIENCE}),
        json!({"iss": ISSUER}),
        json!({"iss": "https://evil.example", "aud": AUDIENCE}),
        json!({"iss": ISSUER, "aud": "other"}),
        json!({"iss": ISSUER, "aud": ["other"]}),
        json!({"iss": ISSUER.to_uppercase(), "aud": AUDIENCE}),
        json!({"iss": null, "aud": AUDIENCE}),
    ] {
        assert_eq!(
            statuses(&s, &token_with(extra.clone())).await,
            [401; 4],
            "{extra}"
        );
    }
    // `chat_server_min::auth::mint` makes tokens without either claim: refused too.
    assert_eq!(
        statuses(&s, &common::token(1, 3, AccountRole::Agent)).await,
        [401; 4]
    );
    assert_eq!(before, s.snapshot(), "a refused token wrote something");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_and_audience_are_ignored_when_not_configured() {
    let mut cfg = config();
    cfg.realtime.max_connections_per_user = 100;
    let s = start(cfg).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    for extra in [json!({}), json!({"iss": "anyone", "aud": "anything"})] {
        assert_eq!(
            statuses(&s, &token_with(extra.clone())).await,
            [200, 200, 101, 200],
            "{extra}"
        );
    }
    s.stop().await;
}
