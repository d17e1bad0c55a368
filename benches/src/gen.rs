//! Deterministic generated data, written straight into SQLite (the facade would take hours for
//! a million messages), keeping every invariant the store maintains:
//!
//! - `rooms.last_seq` = the newest `seq` (1, 2, 3… with no gap), `last_message_at` its time;
//! - per member: `last_read_seq`, and `unread_count` / `mention_count` equal to the live
//!   messages of others (mentions of them) after that pointer; a sender's pointer is at or past
//!   their own newest message;
//! - mentions rows for every mention, one `mention` notification per mentioned member;
//! - deleted messages: content erased, `deleted_at` set, a `message.deleted` audit entry;
//! - the event log: per-account ids 1, 2, 3… in commit order with the counter at the last id,
//!   the newest `keep_events` rows kept (what count-based retention leaves) and
//!   `pruned_through` just below them; message events carry their `message_id`, and a deleted
//!   message's text is erased from its logged events;
//! - audit `room.created` / `member.added` for every room, as the facade writes them.
//!
//! The schema comes from `chat_sqlite::SqliteStore` itself (its migrations); [`verify`]
//! recounts every counter from the rows after generation.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chat_core::events::EventType;
use chat_core::ids::{MessageId, NotificationId, RoomId, Timestamp, UserId};
use chat_core::model::{
    AccountRole, AuditAction, Message, MessageType, Notification, NotificationKind, RoomRole,
};
use chat_core::AccountId;
use rusqlite::{params, Connection};
use serde_json::json;
use uuid::Uuid;

/// Bump when the generated data changes: cached files of other versions are ignored.
pub const GEN_VERSION: u32 = 3;

/// The two accounts.
pub const ACCOUNTS: [i64; 2] = [1, 2];
/// Start of the generated history (2025-12-01T00:00:00Z) and its span (30 days).
const T_START: i64 = 1_764_547_200_000;
const SPAN_MS: i64 = 30 * 24 * 3600 * 1000;

/// How big the world is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Messages in all.
    pub messages: usize,
    /// Team rooms per account (two accounts).
    pub rooms_per_account: usize,
    /// Rooms of account 1 the two readers are members of.
    pub reader_rooms: usize,
    /// Users per account.
    pub users_per_account: i64,
    /// Senders per room (besides the owner and the readers).
    pub senders_per_room: usize,
    /// Unread messages of the backlog reader over their rooms.
    pub backlog: usize,
    /// Event rows kept per account (count retention).
    pub keep_events: i64,
}

impl Size {
    /// The world: `messages` over 1k rooms and 2 accounts, a user in 200 rooms with
    /// a 50k-message backlog (when history allows).
    pub fn full(messages: usize) -> Self {
        Self {
            messages,
            rooms_per_account: 500,
            reader_rooms: 200,
            users_per_account: 100,
            senders_per_room: 8,
            backlog: 50_000,
            keep_events: 100_000,
        }
    }

    /// Tiny data for CI.
    pub fn quick(messages: usize) -> Self {
        Self {
            messages,
            rooms_per_account: 10,
            reader_rooms: 8,
            users_per_account: 20,
            senders_per_room: 4,
            backlog: 200,
            keep_events: 100_000,
        }
    }

    fn key(&self) -> String {
        format!(
            "chat-v{GEN_VERSION}-s{}-m{}-r{}-u{}-b{}",
            chat_sqlite::SCHEMA_VERSION,
            self.messages,
            self.rooms_per_account,
            self.reader_rooms,
            self.backlog
        )
    }
}

/// SplitMix64: small, fast, deterministic.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    /// A UUID v7 at `ms` with deterministic random bits.
    pub fn uuid_v7(&mut self, ms: i64) -> Uuid {
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(ms as u64, &bytes).into_uuid()
    }
}

/// One generated room.
#[derive(Debug, Clone)]
pub struct RoomSpec {
    /// Id.
    pub id: RoomId,
    /// Tenant.
    pub account: i64,
    /// Name.
    pub name: String,
    /// Creation time.
    pub created_at: i64,
    /// Owner (the account's admin) first, then members.
    pub members: Vec<(i64, RoomRole)>,
    /// Members who send its messages.
    pub senders: Vec<i64>,
}

/// Who is who; recomputed from the seed (cheap), so a cached database needs no side file.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Account 1's rooms first (the readers' rooms first among them), then account 2's.
    pub rooms: Vec<RoomSpec>,
    /// Sizes.
    pub size: Size,
}

impl Layout {
    /// User id `n` (1-based) of an account.
    pub fn user(account: i64, n: i64) -> i64 {
        (account - 1) * 1000 + n
    }
    /// The reader with a backlog (account 1).
    pub fn backlog_reader() -> UserId {
        UserId(Self::user(1, 1))
    }
    /// The reader who has read everything (account 1).
    pub fn caught_up_reader() -> UserId {
        UserId(Self::user(1, 2))
    }
    /// The admin of an account: owner of every room.
    pub fn admin(account: i64) -> UserId {
        UserId(Self::user(account, 3))
    }
    /// Account role of user `n` of an account.
    pub fn role_of(n: i64) -> AccountRole {
        match n {
            1 | 2 => AccountRole::Supervisor,
            3 => AccountRole::Admin,
            _ => AccountRole::Agent,
        }
    }

    /// The layout of `size`.
    pub fn new(size: Size) -> Self {
        let mut rng = Rng::new(0x5EED_0001);
        let mut rooms = Vec::new();
        for &account in &ACCOUNTS {
            for i in 0..size.rooms_per_account {
                let created_at = T_START - 24 * 3600 * 1000 + rooms.len() as i64;
                let id = RoomId(rng.uuid_v7(created_at));
                let mut members = vec![(Self::admin(account).0, RoomRole::Owner)];
                if account == 1 && i < size.reader_rooms {
                    members.push((Self::backlog_reader().0, RoomRole::Member));
                    members.push((Self::caught_up_reader().0, RoomRole::Member));
                }
                let mut senders = Vec::new();
                while senders.len() < size.senders_per_room {
                    let n = 4 + rng.below((size.users_per_account - 3) as u64) as i64;
                    let u = Self::user(account, n);
                    if !senders.contains(&u) {
                        senders.push(u);
                    }
                }
                members.extend(senders.iter().map(|u| (*u, RoomRole::Member)));
                rooms.push(RoomSpec {
                    id,
                    account,
                    name: format!("room {account}-{i}"),
                    created_at,
                    members,
                    senders,
                });
            }
        }
        Self { rooms, size }
    }

    /// The room 100+ pages deep paging runs in: account 1's first room (2% of all messages).
    pub fn hot_room(&self) -> &RoomSpec {
        &self.rooms[0]
    }
}

/// One planned message.
#[derive(Debug, Clone, Copy)]
struct Planned {
    room: u32,
    sender: i64,
    mention: Option<i64>,
    deleted: bool,
    seq: i64,
    at: i64,
    id: Uuid,
    words: u64,
}

const WORDS: &[&str] = &[
    "cliente",
    "pedido",
    "reembolso",
    "ticket",
    "fila",
    "escalar",
    "supervisor",
    "prazo",
    "ok",
    "obrigado",
    "ligação",
    "email",
    "urgente",
    "amanhã",
    "hoje",
    "status",
    "pago",
    "boleto",
    "cartão",
    "entrega",
    "atraso",
    "cancelar",
    "troca",
    "nota",
    "fiscal",
    "the",
    "customer",
    "asked",
    "about",
    "order",
    "refund",
    "please",
    "check",
    "queue",
    "done",
];

fn content(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let n = 3 + rng.below(23);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

fn plan(layout: &Layout) -> Vec<Planned> {
    let size = layout.size;
    let mut rng = Rng::new(0x5EED_0002);
    let mut last_seq = vec![0i64; layout.rooms.len()];
    let step = (SPAN_MS / size.messages.max(1) as i64).max(1);
    let mut out = Vec::with_capacity(size.messages);
    for i in 0..size.messages {
        let at = T_START + i as i64 * step;
        let room = if rng.chance(0.02) {
            0
        } else {
            rng.below(layout.rooms.len() as u64) as usize
        };
        let spec = &layout.rooms[room];
        let sender = spec.senders[rng.below(spec.senders.len() as u64) as usize];
        let mention = if rng.chance(0.03) {
            let others: Vec<i64> = spec
                .members
                .iter()
                .map(|m| m.0)
                .filter(|u| *u != sender)
                .collect();
            Some(others[rng.below(others.len() as u64) as usize])
        } else {
            None
        };
        let deleted = rng.chance(0.005);
        last_seq[room] += 1;
        out.push(Planned {
            room: room as u32,
            sender,
            mention,
            deleted,
            seq: last_seq[room],
            at,
            id: rng.uuid_v7(at),
            words: rng.next_u64(),
        });
    }
    out
}

/// A member's read state.
struct MemberState {
    pointer: i64,
    read_at: Option<i64>,
    unread: i64,
    mentions: i64,
}

fn member_states(layout: &Layout, plan: &[Planned]) -> Vec<Vec<MemberState>> {
    let size = layout.size;
    let mut rng = Rng::new(0x5EED_0003);
    let mut by_room: Vec<Vec<usize>> = vec![Vec::new(); layout.rooms.len()];
    for (i, p) in plan.iter().enumerate() {
        by_room[p.room as usize].push(i); // ascending seq
    }
    let per_room_backlog = (size.backlog / size.reader_rooms.max(1)) as i64;
    let mut out = Vec::new();
    for (r, spec) in layout.rooms.iter().enumerate() {
        let msgs: Vec<&Planned> = by_room[r].iter().map(|i| &plan[*i]).collect();
        let last = msgs.len() as i64;
        let mut states = Vec::new();
        for (user, _) in &spec.members {
            let user = *user;
            let pointer = if user == Layout::caught_up_reader().0 {
                last
            } else if user == Layout::backlog_reader().0 {
                // Walk back until `per_room_backlog` live messages are after the pointer.
                let mut live = 0;
                let mut p = last;
                while p > 0 && live < per_room_backlog {
                    if !msgs[(p - 1) as usize].deleted {
                        live += 1;
                    }
                    p -= 1;
                }
                p
            } else {
                let own = msgs
                    .iter()
                    .rev()
                    .find(|m| m.sender == user)
                    .map_or(0, |m| m.seq);
                own.max(last - rng.below(41) as i64).max(0)
            };
            let after = &msgs[pointer as usize..];
            let unread = after
                .iter()
                .filter(|m| m.sender != user && !m.deleted)
                .count() as i64;
            let mentions = after
                .iter()
                .filter(|m| m.mention == Some(user) && m.sender != user && !m.deleted)
                .count() as i64;
            let read_at = (pointer > 0).then(|| msgs[(pointer - 1) as usize].at + 1_000);
            states.push(MemberState {
                pointer,
                read_at,
                unread,
                mentions,
            });
        }
        out.push(states);
    }
    out
}

fn message_value(layout: &Layout, p: &Planned) -> Message {
    let spec = &layout.rooms[p.room as usize];
    Message {
        id: MessageId(p.id),
        room_id: spec.id,
        account_id: AccountId(spec.account),
        sender_id: UserId(p.sender),
        content: Some(content(p.words)),
        message_type: if p.mention.is_some() {
            MessageType::Mention
        } else {
            MessageType::Text
        },
        mentions: p.mention.map(UserId).into_iter().collect(),
        client_id: None,
        seq: p.seq,
        created_at: Timestamp(p.at),
        edited_at: None,
        deleted_at: None,
    }
}

/// Returns the path of the cached database for `size` in `dir`, generating it if needed.
pub fn ensure(size: Size, dir: &Path) -> chat_core::Result<PathBuf> {
    let path = dir.join(format!("{}.db", size.key()));
    if path.exists() {
        return Ok(path);
    }
    std::fs::create_dir_all(dir).map_err(internal)?;
    // Files of other generator versions are stale: do not let them pile up.
    let current = format!("chat-v{GEN_VERSION}-");
    for entry in std::fs::read_dir(dir).map_err(internal)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("chat-v") && !name.starts_with(&current) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    let tmp = dir.join(format!("{}.tmp", size.key()));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    // The schema exactly as the store makes it.
    drop(chat_sqlite::SqliteStore::open(&tmp)?);
    let started = std::time::Instant::now();
    let layout = Layout::new(size);
    let mut conn = Connection::open(&tmp).map_err(internal)?;
    conn.execute_batch(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;",
    )
    .map_err(internal)?;
    write_all(&mut conn, &layout).map_err(internal)?;
    let problems = verify(&conn).map_err(internal)?;
    if !problems.is_empty() {
        return Err(chat_core::ChatError::internal(format!(
            "generated data breaks store invariants: {problems:?}"
        )));
    }
    // One self-contained file (no -wal) so that copies of it are consistent; the store
    // switches it back to WAL when it opens a copy.
    conn.execute_batch("PRAGMA journal_mode = DELETE; VACUUM;")
        .map_err(internal)?;
    drop(conn);
    std::fs::rename(&tmp, &path).map_err(internal)?;
    eprintln!(
        "generated {} ({} messages) in {:.1}s",
        path.display(),
        size.messages,
        started.elapsed().as_secs_f64()
    );
    Ok(path)
}

fn internal(e: impl std::fmt::Display) -> chat_core::ChatError {
    chat_core::ChatError::internal(format!("generator: {e}"))
}

fn write_all(conn: &mut Connection, layout: &Layout) -> rusqlite::Result<()> {
    let plan = plan(layout);
    let states = member_states(layout, &plan);
    let t_end = T_START + SPAN_MS;
    let mut rng = Rng::new(0x5EED_0004);

    // Directory, rooms, members, and the rooms' audit entries.
    let tx = conn.transaction()?;
    {
        let mut dir = tx.prepare(
            "INSERT INTO internal_chat_directory (account_id, user_id, name, role, active, last_seen_at) \
             VALUES (?1, ?2, ?3, ?4, 1, ?5)",
        )?;
        for &a in &ACCOUNTS {
            for n in 1..=layout.size.users_per_account {
                let u = Layout::user(a, n);
                dir.execute(params![
                    a,
                    u,
                    format!("User {u}"),
                    Layout::role_of(n).as_str(),
                    t_end
                ])?;
            }
        }
        let mut last: Vec<(i64, Option<i64>)> = vec![(0, None); layout.rooms.len()];
        for p in &plan {
            last[p.room as usize] = (p.seq, Some(p.at));
        }
        let mut room = tx.prepare(
            "INSERT INTO internal_chat_rooms (id, account_id, type, name, created_by, created_at, updated_at, dm_key, last_seq, last_message_at) \
             VALUES (?1, ?2, 'room', ?3, ?4, ?5, ?5, NULL, ?6, ?7)",
        )?;
        let mut member = tx.prepare(
            "INSERT INTO internal_chat_members (room_id, user_id, account_id, role, last_read_at, last_read_seq, unread_count, mention_count, joined_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        let mut audit = tx.prepare(
            "INSERT INTO internal_chat_audit (id, account_id, actor_id, action, target_id, metadata, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (r, spec) in layout.rooms.iter().enumerate() {
            let owner = spec.members[0].0;
            room.execute(params![
                spec.id.0,
                spec.account,
                spec.name,
                owner,
                spec.created_at,
                last[r].0,
                last[r].1
            ])?;
            for ((user, role), st) in spec.members.iter().zip(&states[r]) {
                member.execute(params![
                    spec.id.0,
                    user,
                    spec.account,
                    role.as_str(),
                    st.read_at,
                    st.pointer,
                    st.unread,
                    st.mentions,
                    spec.created_at
                ])?;
            }
            let ids: Vec<i64> = spec.members.iter().map(|m| m.0).collect();
            let meta = json!({ "type": "room", "name": spec.name, "member_ids": ids, "account_role": "admin" });
            audit.execute(params![
                rng.uuid_v7(spec.created_at),
                spec.account,
                owner,
                AuditAction::RoomCreated.as_str(),
                spec.id.to_string(),
                meta.to_string(),
                spec.created_at
            ])?;
            for (user, role) in &spec.members[1..] {
                let meta = json!({ "room_id": spec.id.to_string(), "role": role.as_str(), "account_role": "admin" });
                audit.execute(params![
                    rng.uuid_v7(spec.created_at),
                    spec.account,
                    owner,
                    AuditAction::MemberAdded.as_str(),
                    user.to_string(),
                    meta.to_string(),
                    spec.created_at
                ])?;
            }
        }
    }
    tx.commit()?;

    // Event ids: count them first so that only the newest `keep_events` rows are written.
    let mut total: HashMap<i64, i64> = HashMap::new();
    for p in &plan {
        let a = layout.rooms[p.room as usize].account;
        let n = 1 + i64::from(p.mention.is_some()) + i64::from(p.deleted);
        *total.entry(a).or_default() += n;
    }
    let audiences: Vec<String> = layout
        .rooms
        .iter()
        .map(|s| {
            let mut ids: Vec<i64> = s.members.iter().map(|m| m.0).collect();
            ids.sort_unstable();
            serde_json::to_string(&ids).unwrap_or_default()
        })
        .collect();
    let mut next_id: HashMap<i64, i64> = HashMap::new();

    // Messages in time order, in big transactions.
    for chunk in plan.chunks(100_000) {
        let tx = conn.transaction()?;
        {
            let mut msg = tx.prepare_cached(
                "INSERT INTO internal_chat_messages (id, room_id, account_id, sender_id, content, message_type, mentions, client_id, seq, created_at, deleted_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8, ?9, ?10)",
            )?;
            let mut mention = tx.prepare_cached(
                "INSERT INTO internal_chat_mentions (room_id, user_id, seq, account_id) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut notif = tx.prepare_cached(
                "INSERT INTO internal_chat_notifications (id, account_id, user_id, kind, room_id, message_id, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut audit = tx.prepare_cached(
                "INSERT INTO internal_chat_audit (id, account_id, actor_id, action, target_id, metadata, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut event = tx.prepare_cached(
                "INSERT INTO internal_chat_events (account_id, id, type, room_id, ts, data, audience, message_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for p in chunk {
                let spec = &layout.rooms[p.room as usize];
                let a = spec.account;
                let m = message_value(layout, p);
                let mentions_json =
                    serde_json::to_string(&m.mentions.iter().map(|u| u.0).collect::<Vec<_>>())
                        .unwrap_or_default();
                let deleted_at = p.deleted.then_some(p.at + 1);
                msg.execute(params![
                    m.id.0,
                    spec.id.0,
                    a,
                    p.sender,
                    if p.deleted { None } else { m.content.clone() },
                    m.message_type.as_str(),
                    mentions_json,
                    p.seq,
                    p.at,
                    deleted_at
                ])?;
                let keep_from = total[&a] - layout.size.keep_events;
                let id = next_id.entry(a).or_default();
                let mut emit =
                    |kind: EventType, data: String, audience: &str, about: Option<Uuid>| {
                        *id += 1;
                        if *id > keep_from {
                            event.execute(params![
                                a,
                                *id,
                                kind.as_str(),
                                spec.id.0,
                                p.at,
                                data,
                                audience,
                                about
                            ])?;
                        }
                        Ok::<_, rusqlite::Error>(())
                    };
                // A deleted message's text is erased from the log too (events::rewrite_content).
                let mut logged = m.clone();
                if p.deleted {
                    logged.content = None;
                }
                emit(
                    EventType::MessageCreated,
                    json!(logged).to_string(),
                    &audiences[p.room as usize],
                    Some(m.id.0),
                )?;
                if let Some(user) = p.mention {
                    mention.execute(params![spec.id.0, user, p.seq, a])?;
                    let n = Notification {
                        id: NotificationId(rng.uuid_v7(p.at)),
                        user_id: UserId(user),
                        kind: NotificationKind::Mention,
                        room_id: spec.id,
                        message_id: m.id,
                        created_at: m.created_at,
                        read_at: None,
                    };
                    notif.execute(params![
                        n.id.0,
                        a,
                        user,
                        n.kind.as_str(),
                        spec.id.0,
                        m.id.0,
                        p.at
                    ])?;
                    emit(
                        EventType::NotificationCreated,
                        json!(n).to_string(),
                        &format!("[{user}]"),
                        None,
                    )?;
                }
                if p.deleted {
                    let meta = json!({ "sender_id": p.sender, "account_role": "agent",
                        "room_id": spec.id.to_string(), "room_role": "member" });
                    audit.execute(params![
                        rng.uuid_v7(p.at + 1),
                        a,
                        p.sender,
                        AuditAction::MessageDeleted.as_str(),
                        m.id.to_string(),
                        meta.to_string(),
                        p.at + 1
                    ])?;
                    let mut gone = m.clone();
                    gone.content = None;
                    gone.deleted_at = Some(Timestamp(p.at + 1));
                    emit(
                        EventType::MessageDeleted,
                        json!(gone).to_string(),
                        &audiences[p.room as usize],
                        Some(m.id.0),
                    )?;
                }
            }
        }
        tx.commit()?;
    }
    let tx = conn.transaction()?;
    for (a, last) in &next_id {
        // Retention has dropped everything older than the kept rows.
        let pruned_through = (last - layout.size.keep_events).max(0);
        tx.execute(
            "INSERT INTO internal_chat_event_counters (account_id, last_id, pruned_through) VALUES (?1, ?2, ?3)",
            params![a, last, pruned_through],
        )?;
    }
    tx.commit()?;
    // No ANALYZE: the store never runs it, so its databases have no planner statistics
    // (the harness measures an ANALYZEd copy separately: with the bundled SQLite's STAT4 it
    // re-prepares statements on every execution).
    Ok(())
}

/// Recounts every maintained value from the rows; returns the violations found.
pub fn verify(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let checks = [
        (
            "rooms.last_seq / last_message_at = newest message, seqs 1..n with no gap",
            "SELECT COUNT(*) FROM internal_chat_rooms r WHERE r.last_seq != \
               (SELECT COUNT(*) FROM internal_chat_messages m WHERE m.room_id = r.id) \
             OR r.last_seq != COALESCE((SELECT MAX(seq) FROM internal_chat_messages m WHERE m.room_id = r.id), 0) \
             OR r.last_message_at IS NOT (SELECT created_at FROM internal_chat_messages m WHERE m.room_id = r.id AND m.seq = r.last_seq)",
        ),
        (
            "members.unread_count = live messages of others after the pointer",
            "SELECT COUNT(*) FROM internal_chat_members mb WHERE mb.unread_count != \
               (SELECT COUNT(*) FROM internal_chat_messages m WHERE m.room_id = mb.room_id \
                  AND m.seq > mb.last_read_seq AND m.sender_id != mb.user_id AND m.deleted_at IS NULL)",
        ),
        (
            "members.mention_count = live mentions after the pointer",
            "SELECT COUNT(*) FROM internal_chat_members mb WHERE mb.mention_count != \
               (SELECT COUNT(*) FROM internal_chat_mentions mn JOIN internal_chat_messages m \
                  ON m.room_id = mn.room_id AND m.seq = mn.seq \
                WHERE mn.room_id = mb.room_id AND mn.user_id = mb.user_id \
                  AND mn.seq > mb.last_read_seq AND m.deleted_at IS NULL)",
        ),
        (
            "a sender's pointer is at or past their newest message",
            "SELECT COUNT(*) FROM internal_chat_members mb WHERE mb.last_read_seq < \
               COALESCE((SELECT MAX(seq) FROM internal_chat_messages m WHERE m.room_id = mb.room_id AND m.sender_id = mb.user_id), 0)",
        ),
        (
            "event counters = newest event id",
            "SELECT COUNT(*) FROM internal_chat_event_counters c WHERE c.last_id != \
               (SELECT MAX(id) FROM internal_chat_events e WHERE e.account_id = c.account_id)",
        ),
        (
            "event counters: pruned_through = the id just below the oldest kept event",
            "SELECT COUNT(*) FROM internal_chat_event_counters c WHERE c.pruned_through != \
               (SELECT MIN(id) - 1 FROM internal_chat_events e WHERE e.account_id = c.account_id)",
        ),
        (
            "message events name their message; no logged text of a deleted message",
            "SELECT COUNT(*) FROM internal_chat_events e WHERE \
               (e.type IN ('message.created', 'message.deleted') AND e.message_id IS NULL) \
               OR (e.message_id IN (SELECT id FROM internal_chat_messages WHERE deleted_at IS NOT NULL) \
                   AND json_extract(e.data, '$.content') IS NOT NULL)",
        ),
        (
            "one notification per mention",
            "SELECT ABS((SELECT COUNT(*) FROM internal_chat_mentions) - (SELECT COUNT(*) FROM internal_chat_notifications))",
        ),
    ];
    let mut problems = Vec::new();
    for (what, sql) in checks {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0))?;
        if n != 0 {
            problems.push(format!("{what}: {n} violations"));
        }
    }
    Ok(problems)
}
