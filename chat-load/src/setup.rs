//! The workload's world: accounts, users provisioned through the service API, rooms, tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use http::Method;
use serde_json::json;

use crate::client::Http;

/// One account of the world.
pub struct Account {
    /// Account id.
    pub id: i64,
    /// `(user id, token)`; the first user is a supervisor who created every room.
    pub users: Vec<(i64, String)>,
    /// Room ids.
    pub rooms: Vec<String>,
}

/// Mints a token as the host platform would.
pub fn token(secret: &str, account: i64, user: i64, role: &str) -> Result<String, String> {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs()
        + 3600;
    let claims =
        json!({ "sub": user.to_string(), "account_id": account, "role": role, "exp": exp });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .map_err(|e| e.to_string())
}

async fn expect(
    res: Result<(u16, bytes::Bytes), String>,
    ok: &[u16],
    what: &str,
) -> Result<serde_json::Value, String> {
    let (status, body) = res?;
    if !ok.contains(&status) {
        return Err(format!(
            "{what}: HTTP {status}: {}",
            String::from_utf8_lossy(&body)
        ));
    }
    Ok(serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null))
}

/// Provisions `users` users in `account` (ids `account * 1_000_000 + 1…`), the first a
/// supervisor, and creates `rooms` rooms with all of them as members.
pub async fn account(
    http: &Http,
    base: &str,
    secret: &str,
    service_token: &str,
    account: i64,
    users: usize,
    rooms: usize,
) -> Result<Account, String> {
    let mut out = Account {
        id: account,
        users: Vec::with_capacity(users),
        rooms: Vec::with_capacity(rooms),
    };
    for i in 0..users.max(1) {
        let user = account * 1_000_000 + 1 + i as i64;
        let role = if i == 0 { "supervisor" } else { "agent" };
        let url = format!("{base}/api/v1/accounts/{account}/chat/users/{user}");
        let body = json!({ "name": format!("load {user}"), "role": role, "active": true });
        expect(
            http.send(Method::PUT, &url, Some(service_token), Some(&body))
                .await,
            &[200],
            "provision",
        )
        .await?;
        out.users.push((user, token(secret, account, user, role)?));
    }
    let sup = out.users[0].1.clone();
    let others: Vec<i64> = out.users[1..].iter().map(|(u, _)| *u).collect();
    for r in 0..rooms {
        let url = format!("{base}/api/v1/accounts/{account}/chat/rooms");
        let first: Vec<i64> = others.iter().copied().take(100).collect();
        let body = json!({ "type": "room", "name": format!("load room {r}"), "member_ids": first });
        let room = expect(
            http.send(Method::POST, &url, Some(&sup), Some(&body)).await,
            &[201],
            "create room",
        )
        .await?;
        let id = room["id"].as_str().ok_or("room without id")?.to_owned();
        for chunk in others.chunks(100).skip(1) {
            let url = format!("{base}/api/v1/accounts/{account}/chat/rooms/{id}/members");
            let body = json!({ "user_ids": chunk });
            expect(
                http.send(Method::POST, &url, Some(&sup), Some(&body)).await,
                &[200],
                "add members",
            )
            .await?;
        }
        out.rooms.push(id);
    }
    Ok(out)
}
