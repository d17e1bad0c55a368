//! Exporting the audit log (admins): every matching entry oldest first, read in keyset pages
//! while the host streams them, so memory stays flat whatever the log's size.
//!
//! The export is itself audited (`audit.exported`, with the filters and the host's format),
//! and that entry is committed before [`Chat::export_audit`] returns — so before the host can
//! send a byte. It ends the time range: an export holds the entries stamped before it (its
//! own entry and anything written while it streams are not in it), so the same request
//! answers the same rows however long the stream takes.
//!
//! One export at a time per account: a second one while the first streams is
//! [`ChatError::Busy`]. An export holds a reader for as long as its consumer is slow, and a
//! full log is the largest read an account can ask for; one per account bounds both.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};

use super::{audit, Actor, Chat};
use crate::error::{ChatError, Result};
use crate::ids::{AccountId, Timestamp};
use crate::model::{AuditAction, AuditEntry};
use crate::policy::{decide, Action, Subject};
use crate::store::{AuditFilter, AuditPosition, AuditScope, ChatStore, Op, Write};

/// Entries read per store trip while an export streams.
pub const EXPORT_PAGE: u32 = 500;

/// What a refused second export is told to wait, in seconds (`Retry-After`).
pub const EXPORT_RETRY_AFTER_SECS: u64 = 5;

/// Accounts with an export streaming.
#[derive(Default)]
pub(super) struct ExportSlots(Mutex<HashSet<AccountId>>);

/// An account's export slot, given back when the export is dropped (finished, failed, or
/// its consumer gone).
struct Slot {
    slots: Arc<ExportSlots>,
    account: AccountId,
}

impl Slot {
    fn take(slots: &Arc<ExportSlots>, account: AccountId) -> Result<Self> {
        let mut busy = slots.0.lock().unwrap_or_else(|e| e.into_inner());
        if !busy.insert(account) {
            return Err(ChatError::Busy(EXPORT_RETRY_AFTER_SECS));
        }
        Ok(Self {
            slots: slots.clone(),
            account,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut busy = self.slots.0.lock().unwrap_or_else(|e| e.into_inner());
        busy.remove(&self.account);
    }
}

/// A running export: call [`AuditExport::next_page`] until it answers `None`.
pub struct AuditExport {
    store: Arc<dyn ChatStore>,
    scope: AuditScope,
    filter: AuditFilter,
    after: Option<AuditPosition>,
    done: bool,
    entry: AuditEntry,
    _slot: Slot,
}

impl std::fmt::Debug for AuditExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditExport")
            .field("filter", &self.filter)
            .finish_non_exhaustive()
    }
}

impl AuditExport {
    /// The range's start as asked (`None`: from the log's beginning).
    pub fn from(&self) -> Option<Timestamp> {
        self.filter.from
    }

    /// The range's end (exclusive): the `to` asked for, or the export's own time when none
    /// was given or it is later.
    pub fn to(&self) -> Timestamp {
        self.filter.to.unwrap_or(self.entry.created_at)
    }

    /// The `audit.exported` entry written for this export.
    pub fn entry(&self) -> &AuditEntry {
        &self.entry
    }

    /// The next page of entries, oldest first; `None` once every entry was returned. After
    /// an error the export is over (the host ends its stream).
    pub async fn next_page(&mut self) -> Result<Option<Vec<AuditEntry>>> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .store
            .list_audit_ascending(&self.scope, &self.filter, self.after.clone(), EXPORT_PAGE)
            .await;
        let page = match page {
            Ok(p) => p,
            Err(e) => {
                self.done = true;
                return Err(e.into());
            }
        };
        if page.len() < EXPORT_PAGE as usize {
            self.done = true;
        }
        self.after = page.last().map(|e| AuditPosition {
            created_at: e.created_at,
            id: e.id,
        });
        Ok((!page.is_empty()).then_some(page))
    }
}

impl Chat {
    /// Starts an export of the actor's account's audit log (admins only): entries matching
    /// `filter`, oldest first. `format` describes how the host renders it (e.g.
    /// `{"format": "csv", "delimiter": "semicolon"}`) and is recorded, with the filters, in
    /// the `audit.exported` entry committed before this returns. A refusal writes nothing.
    pub async fn export_audit(
        &self,
        actor: &Actor,
        filter: AuditFilter,
        format: Map<String, Value>,
    ) -> Result<AuditExport> {
        decide(Action::ExportAudit, &Subject::account(actor.role)).into_result()?;
        if let (Some(from), Some(to)) = (filter.from, filter.to) {
            if from >= to {
                return Err(ChatError::invalid("from", "must be before to"));
            }
        }
        let slot = Slot::take(&self.exports, actor.account)?;
        let now = Timestamp::now();
        let mut filter = filter;
        // The export's own time ends the range: later entries (its own first) are not in it.
        filter.to = Some(filter.to.map_or(now, |to| to.min(now)));
        let mut metadata = Map::new();
        metadata.insert(
            "filters".into(),
            json!({
                "action": filter.action.map(AuditAction::as_str),
                "actor_id": filter.actor_id,
                "target_id": filter.target_id,
                "from": filter.from,
                "to": filter.to,
            }),
        );
        metadata.extend(format);
        let entry = audit(
            actor,
            AuditAction::AuditExported,
            actor.account.to_string(),
            None,
            Value::Object(metadata),
            now,
        );
        let write = Write::new(actor.account, Op::RecordOnly).audit(entry.clone());
        self.commit(write).await?;
        Ok(AuditExport {
            store: self.store.clone(),
            scope: AuditScope::new(actor.account),
            filter,
            after: None,
            done: false,
            entry,
            _slot: slot,
        })
    }
}
