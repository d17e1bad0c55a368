//! `--dev` mode helpers: a generated secret, a seeded demo account, and a curl walk-through.

use std::fmt::Write as _;
use std::time::Duration;

use chat_core::{
    AccountId, AccountRole, Actor, Chat, ChatError, Identity, NewMessage, NewRoom, RoomId,
    RoomType, UserId,
};

use crate::auth;
use crate::config::Config;

/// The demo account's id.
pub const DEMO_ACCOUNT: i64 = 1;

/// The demo users: id, role, name.
pub const DEMO_USERS: [(i64, AccountRole, &str); 4] = [
    (1, AccountRole::Admin, "Ada Admin"),
    (2, AccountRole::Supervisor, "Sam Supervisor"),
    (3, AccountRole::Agent, "Alice Agent"),
    (4, AccountRole::Agent, "Bob Agent"),
];

/// Name of the demo team room.
pub const DEMO_ROOM: &str = "General";

/// What [`seed`] made (or found).
#[derive(Debug, Clone, Copy)]
pub struct Demo {
    /// The team room.
    pub room: RoomId,
    /// The DM between the two agents.
    pub dm: RoomId,
}

async fn actor(chat: &Chat, user: i64) -> Result<Actor, ChatError> {
    let (id, role, name) = DEMO_USERS
        .iter()
        .find(|(u, _, _)| *u == user)
        .copied()
        .ok_or(ChatError::NotFound)?;
    chat.enter(Identity {
        account: AccountId(DEMO_ACCOUNT),
        user: UserId(id),
        role,
        name: Some(name.to_owned()),
    })
    .await
}

async fn say(
    chat: &Chat,
    who: &Actor,
    room: RoomId,
    key: &str,
    text: &str,
) -> Result<(), ChatError> {
    let msg = NewMessage {
        content: text.to_owned(),
        client_id: Some(key.to_owned()),
        ..NewMessage::default()
    };
    chat.send_message(who, room, msg).await.map(|_| ())
}

/// Seeds the demo account: an admin, a supervisor, two agents, a team room and a DM with a
/// few messages. Idempotent: run again on the same database, it finds what it made.
pub async fn seed(chat: &Chat) -> Result<Demo, ChatError> {
    let account = AccountId(DEMO_ACCOUNT);
    for (user, role, name) in DEMO_USERS {
        chat.provision_user(account, UserId(user), Some(name), role, true)
            .await?;
    }
    let admin = actor(chat, 1).await?;
    let supervisor = actor(chat, 2).await?;
    let alice = actor(chat, 3).await?;
    let bob = actor(chat, 4).await?;

    let existing = chat.list_rooms(&admin, None, Some(100)).await?;
    let room = match existing
        .items
        .iter()
        .find(|r| r.room.kind == RoomType::Room && r.room.name.as_deref() == Some(DEMO_ROOM))
    {
        Some(r) => r.room.id,
        None => {
            let input = NewRoom {
                kind: RoomType::Room,
                name: Some(DEMO_ROOM.to_owned()),
                member_ids: vec![UserId(2), UserId(3), UserId(4)],
            };
            chat.create_room(&admin, input).await?.0.id
        }
    };
    say(
        chat,
        &admin,
        room,
        "seed-room-1",
        "Welcome to the team room!",
    )
    .await?;
    say(
        chat,
        &supervisor,
        room,
        "seed-room-2",
        "Shift handover at 17:00.",
    )
    .await?;
    say(chat, &alice, room, "seed-room-3", "Noted, thanks.").await?;

    let dm = NewRoom {
        kind: RoomType::Dm,
        name: None,
        member_ids: vec![UserId(4)],
    };
    let dm = chat.create_room(&alice, dm).await?.0.id;
    say(
        chat,
        &alice,
        dm,
        "seed-dm-1",
        "Hi Bob, can you take ticket 4711?",
    )
    .await?;
    say(chat, &bob, dm, "seed-dm-2", "Sure, on it.").await?;
    say(chat, &alice, dm, "seed-dm-3", "Thanks!").await?;
    Ok(Demo { room, dm })
}

/// The text `--dev` prints: tokens for every demo user and ready-to-paste curl commands.
pub fn walkthrough(base_url: &str, config: &Config, demo: &Demo) -> Result<String, ChatError> {
    let secret = &config.jwt_secret;
    let service_token = config.service_token.as_deref();
    let ttl = Duration::from_secs(12 * 3600);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n=== chat-server-min dev mode: demo account {DEMO_ACCOUNT} ===\n\n\
Open {base_url}/dev in a browser: a demo hub with Alice and Bob chatting side by side\n\
and the admin console, each embedded with /embed.js like a real host.\n"
    );
    let _ = writeln!(out, "# tokens (valid 12 h):");
    for (user, role, name) in DEMO_USERS {
        // With the configured `iss`/`aud`, so the demo tokens work when they are checked.
        let mut claims = auth::claims_for(DEMO_ACCOUNT, user, role, Some(name), ttl)?;
        claims.iss = config.jwt_issuer.clone();
        claims.aud = config.jwt_audience.clone().map(serde_json::Value::String);
        let token = auth::mint_claims(secret, &claims)?;
        let var = match user {
            1 => "ADMIN",
            2 => "SUPERVISOR",
            3 => "ALICE",
            _ => "BOB",
        };
        let _ = writeln!(out, "export {var}='{token}'   # user {user}, {role}");
    }
    let api = format!("{base_url}/api/v1/accounts/{DEMO_ACCOUNT}/chat");
    let (room, dm) = (demo.room, demo.dm);
    let _ = writeln!(
        out,
        "export CHAT='{api}'\n\n\
# Alice's rooms, with unread counts
curl -s \"$CHAT/rooms\" -H \"Authorization: Bearer $ALICE\"\n\
# the DM's messages, newest first
curl -s \"$CHAT/rooms/{dm}/messages?limit=10\" -H \"Authorization: Bearer $ALICE\"\n\
# Bob answers (201; send again with the same client_id: 200, nothing new)
curl -s -X POST \"$CHAT/rooms/{dm}/messages\" -H \"Authorization: Bearer $BOB\" \\\n  -H 'Content-Type: application/json' -d '{{\"content\":\"Done!\",\"client_id\":\"walk-1\"}}'\n\
# Alice's unread counts, then mark the DM read
curl -s \"$CHAT/unread\" -H \"Authorization: Bearer $ALICE\"\n\
curl -s -X POST \"$CHAT/rooms/{dm}/read\" -H \"Authorization: Bearer $ALICE\"\n\
# the team room with its members; an agent may not create rooms (403)
curl -s \"$CHAT/rooms/{room}\" -H \"Authorization: Bearer $SUPERVISOR\"\n\
curl -s -X POST \"$CHAT/rooms\" -H \"Authorization: Bearer $ALICE\" \\\n  -H 'Content-Type: application/json' -d '{{\"type\":\"room\",\"name\":\"Mine\"}}'\n\
# the directory: search by the start of any word of a name, accents and case ignored
curl -s \"$CHAT/users?q=ali\" -H \"Authorization: Bearer $BOB\"\n\
# activity statistics (admins and supervisors): the last 24 hours by hour; also range=hour|month
curl -s \"$CHAT/stats?range=day\" -H \"Authorization: Bearer $SUPERVISOR\"\n\
# the audit log (admins only), then all of it as a CSV download (semicolons for spreadsheets
# that want them; format=jsonl for one JSON entry per line)
curl -s \"$CHAT/audit?limit=5\" -H \"Authorization: Bearer $ADMIN\"\n\
curl -s -OJ \"$CHAT/audit/export?format=csv&delimiter=semicolon\" -H \"Authorization: Bearer $ADMIN\"\n\
# realtime: Alice's live events over SSE (keep it open; Ctrl-C ends it) — see REALTIME.md
curl -sN \"$CHAT/events\" -H \"Authorization: Bearer $ALICE\"\n\
# browsers: a single-use 30 s ticket for /ws?ticket=… or /events?ticket=…; presence; notifications
curl -s -X POST \"$CHAT/realtime/ticket\" -H \"Authorization: Bearer $ALICE\"\n\
curl -s \"$CHAT/presence\" -H \"Authorization: Bearer $ALICE\"; curl -s \"$CHAT/notifications?unread_only=true\" -H \"Authorization: Bearer $BOB\"\n\
# operations
curl -s {base_url}/healthz; curl -s {base_url}/metrics | head"
    );
    if let Some(token) = service_token {
        let _ = writeln!(
            out,
            "# service API (host platform)\nexport SERVICE='{token}'\n\
curl -s -X PUT \"$CHAT/users/5\" -H \"Authorization: Bearer $SERVICE\" \\\n  -H 'Content-Type: application/json' -d '{{\"name\":\"Carol Agent\",\"role\":\"agent\",\"active\":true}}'\n\
curl -s \"$CHAT/entitlements\" -H \"Authorization: Bearer $SERVICE\""
        );
    }
    let _ = writeln!(
        out,
        "\n# more tokens: CHAT_JWT_SECRET='{}' cargo run --release -p chat-server-min -- token --account 1 --user 3 --role agent\n",
        String::from_utf8_lossy(secret)
    );
    Ok(out)
}

/// `--dev` is a local demo that prints admin tokens and the secrets that sign them, and seeds
/// users 1–4 of account 1: it must never meet production. It refuses a configured
/// `CHAT_JWT_SECRET`/`CHAT_SERVICE_TOKEN` (it generates its own), a non-loopback address, and
/// an existing database it did not create (marked by a `<db>.dev-demo` file next to it).
/// Returns whether the database is new (so the caller marks it once opened).
/// `secrets_configured`: whether a JWT secret or service token was given; `addr`: where it
/// would listen.
pub fn guard(
    secrets_configured: bool,
    addr: std::net::SocketAddr,
    db: &std::path::Path,
) -> Result<bool, String> {
    if secrets_configured {
        return Err(
            "--dev generates its own secrets and prints them: unset CHAT_JWT_SECRET and \
             CHAT_SERVICE_TOKEN (or run without --dev)"
                .into(),
        );
    }
    if !addr.ip().is_loopback() {
        return Err(format!(
            "--dev listens on loopback only (got {addr}): it prints admin tokens"
        ));
    }
    if db.exists() && !marker(db).exists() {
        return Err(format!(
            "--dev will not seed {}: it was not created by --dev (choose another --db)",
            db.display()
        ));
    }
    Ok(!db.exists())
}

/// The demo's JWT secret and service token for this database: generated the first time and
/// kept in `<db>.dev-secrets` (owner-only), so a restarted demo accepts the tokens it handed
/// out before (the `/dev` page and the browser tests restart it under open sessions).
pub fn secrets(db: &std::path::Path) -> Result<(String, String), String> {
    let mut name = db.as_os_str().to_owned();
    name.push(".dev-secrets");
    let path = std::path::PathBuf::from(name);
    let shown = path.display();
    if let Ok(text) = std::fs::read_to_string(&path) {
        let mut lines = text.lines();
        if let (Some(jwt), Some(service)) = (lines.next(), lines.next()) {
            if jwt.len() >= crate::config::MIN_SECRET_BYTES
                && service.len() >= crate::config::MIN_SERVICE_TOKEN_BYTES
            {
                return Ok((jwt.to_owned(), service.to_owned()));
            }
        }
        return Err(format!(
            "{shown} is not a dev secrets file (delete it to make new secrets)"
        ));
    }
    let jwt = auth::random_hex(32).map_err(|e| e.to_string())?;
    let service = auth::random_hex(24).map_err(|e| e.to_string())?;
    write_private(&path, &format!("{jwt}\n{service}\n"))
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok((jwt, service))
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?
        .write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Marks a database as created by `--dev`.
pub fn mark(db: &std::path::Path) -> Result<(), String> {
    std::fs::write(marker(db), "created by chat-server-min --dev\n")
        .map_err(|e| format!("cannot write {}: {e}", marker(db).display()))
}

fn marker(db: &std::path::Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".dev-demo");
    std::path::PathBuf::from(name)
}
