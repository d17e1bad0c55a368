//! The rows: every table the store maintains, written in bulk from the plan (directory,
//! rooms, members and their audit entries first, then messages in time order with their
//! mentions, notifications, deletions and events), exactly as the facade would have left them.

use std::collections::HashMap;

use chat_core::events::EventType;
use chat_core::ids::{NotificationId, UserId};
use chat_core::model::{AuditAction, Notification, NotificationKind};
use rusqlite::{params, Connection};
use serde_json::json;
use uuid::Uuid;

use super::plan::{member_states, message_value, plan};
use super::{Layout, Rng, ACCOUNTS, SPAN_MS, T_START};

/// Writes the whole history of `layout` into the (empty, migrated) database.
pub(super) fn write_all(conn: &mut Connection, layout: &Layout) -> rusqlite::Result<()> {
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
            "INSERT INTO internal_chat_members (room_id, user_id, account_id, role, last_read_at, last_read_seq, skipped_count, mention_count, joined_at) \
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
                    // Messages after the pointer that do not count (migration 006).
                    last[r].0 - st.pointer - st.unread,
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
                // Events about a message store no data: the store renders them from the
                // message row when read (migration 005).
                emit(
                    EventType::MessageCreated,
                    String::new(),
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
                    emit(
                        EventType::MessageDeleted,
                        String::new(),
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
