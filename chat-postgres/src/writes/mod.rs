//! The one write path: a [`Write`] in one READ COMMITTED transaction — its locks (`locks`),
//! its preconditions (`preconditions`), the op (`apply`, with read pointers in `pointers`),
//! its audit and notification rows, and its events, appended last (`crate::event_log`).

mod apply;
mod locks;
mod pointers;
mod preconditions;

use chat_core::store::{Committed, Write};

use crate::error::Result;
use crate::tx::{exec, Conn};

/// Applies `write` inside the open transaction `c` (the caller commits).
pub(crate) async fn apply(c: &Conn, write: &Write) -> Result<Committed> {
    let account = write.account();
    locks::take(c, write).await?;
    preconditions::check(c, write).await?;
    let applied = apply::op(c, account, write.op()).await?;
    let audit = write.audit_entries();
    if !audit.is_empty() {
        let ids: Vec<uuid::Uuid> = audit.iter().map(|e| e.id.0).collect();
        let actors: Vec<Option<i64>> = audit.iter().map(|e| e.actor_id.map(|u| u.0)).collect();
        let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
        let targets: Vec<&str> = audit.iter().map(|e| e.target_id.as_str()).collect();
        let metadata: Vec<String> = audit.iter().map(|e| e.metadata.to_string()).collect();
        let times: Vec<i64> = audit.iter().map(|e| e.created_at.0).collect();
        exec(
            c,
            "INSERT INTO internal_chat_audit (account_id, id, actor_id, action, target_id, metadata, created_at) \
             SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[])",
            &[&account.0, &ids, &actors, &actions, &targets, &metadata, &times],
        )
        .await?;
    }
    let notes = write.notifications();
    if !notes.is_empty() {
        let ids: Vec<uuid::Uuid> = notes.iter().map(|n| n.id.0).collect();
        let users: Vec<i64> = notes.iter().map(|n| n.user_id.0).collect();
        let kinds: Vec<&str> = notes.iter().map(|n| n.kind.as_str()).collect();
        let rooms: Vec<uuid::Uuid> = notes.iter().map(|n| n.room_id.0).collect();
        let messages: Vec<uuid::Uuid> = notes.iter().map(|n| n.message_id.0).collect();
        let times: Vec<i64> = notes.iter().map(|n| n.created_at.0).collect();
        exec(
            c,
            "INSERT INTO internal_chat_notifications (account_id, id, user_id, kind, room_id, message_id, created_at) \
             SELECT $1, * FROM unnest($2::uuid[], $3::bigint[], $4::text[], $5::uuid[], $6::uuid[], $7::bigint[])",
            &[&account.0, &ids, &users, &kinds, &rooms, &messages, &times],
        )
        .await?;
    }
    // Last: the counter row's lock is held from here to the commit (see `event_log`).
    let events = crate::event_log::append(c, account, write.events(), &applied).await?;
    Ok(Committed { applied, events })
}
