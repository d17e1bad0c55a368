//! The audit log (admins), and the host platform's operations: directory provisioning and
//! entitlements. The latter take no [`Actor`]: the host is trusted (the server guards them
//! with the service token), and they must work for users who cannot act themselves.

use serde_json::json;

use super::{retrying, Actor, Chat};
use crate::cursor::Pager;
use crate::error::{ChatError, Result};
use crate::hub::FeedItem;
use crate::ids::{AccountId, AuditId, Timestamp, UserId};
use crate::model::{AccountRole, AuditAction, AuditEntry, DirectoryEntry, Entitlements, Page};
use crate::policy::{decide, Action, Subject};
use crate::store::{AuditFilter, AuditPosition, AuditScope, Op, Precondition, Write};
use crate::validate;

impl Chat {
    /// Audit entries of the actor's account, newest first (admins only).
    pub async fn list_audit(
        &self,
        actor: &Actor,
        filter: &AuditFilter,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<AuditEntry>> {
        let limit = validate::limit(limit)?;
        decide(Action::ViewAudit, &Subject::account(actor.role)).into_result()?;
        let pager = Pager::new("audit", actor.account.to_string(), limit);
        let after = pager.after(cursor)?;
        let scope = AuditScope::new(actor.account);
        let items = self
            .store
            .list_audit(&scope, filter, after, pager.fetch())
            .await?;
        Ok(pager.page(items, |e| AuditPosition {
            created_at: e.created_at,
            id: e.id,
        }))
    }

    /// Creates or replaces a directory entry. Deactivating a user makes [`Chat::enter`] refuse
    /// them and keeps them from being added to rooms; their memberships stay.
    pub async fn provision_user(
        &self,
        account: AccountId,
        user: UserId,
        name: Option<&str>,
        role: AccountRole,
        active: bool,
    ) -> Result<DirectoryEntry> {
        if account.0 <= 0 {
            return Err(ChatError::invalid("account_id", "must be a positive id"));
        }
        if user.0 <= 0 {
            return Err(ChatError::invalid("user_id", "must be a positive id"));
        }
        let name = name
            .map(validate::room_name)
            .transpose()
            .map_err(|_| ChatError::invalid("name", "1 to 80 characters, no control characters"))?;
        let entry = retrying(|| async {
            let current = self.store.directory(account, &[user]).await?.pop();
            let was = current.as_ref().map(|e| (e.name.clone(), e.role, e.active));
            let action = match &current {
                None => AuditAction::UserProvisioned,
                Some(e) if e.active != active && active => AuditAction::UserReactivated,
                Some(e) if e.active != active => AuditAction::UserDeactivated,
                Some(e) if e.name != name || e.role != role => AuditAction::UserUpdated,
                // A PUT that changes nothing writes nothing, its audit entry included.
                Some(e) => return Ok(e.clone()),
            };
            let now = Timestamp::now();
            let entry = DirectoryEntry {
                account_id: account,
                user_id: user,
                name: name.clone(),
                role,
                active,
                last_seen_at: current.as_ref().map_or(now, |e| e.last_seen_at),
            };
            let previous = current
                .as_ref()
                .map(|e| json!({ "name": e.name, "role": e.role.as_str(), "active": e.active }));
            let metadata = json!({
                "actor": "service",
                "name": entry.name,
                "role": role.as_str(),
                "active": active,
                "previous": previous,
            });
            let write = Write::new(account, Op::ProvisionUser(entry.clone()))
                .expect(Precondition::DirectoryIs(user, was))
                .audit(service_audit(
                    account,
                    action,
                    user.to_string(),
                    metadata,
                    now,
                ));
            self.commit(write).await?;
            Ok(entry)
        })
        .await?;
        self.admission.forget_user(account, user);
        if !active {
            // Live streams of a deactivated user end now, not at their next request.
            self.bus().publish(account, FeedItem::UserDeactivated(user));
        }
        Ok(entry)
    }

    /// A user's directory entry, if known in the account.
    pub async fn directory_entry(
        &self,
        account: AccountId,
        user: UserId,
    ) -> Result<Option<DirectoryEntry>> {
        Ok(self.store.directory(account, &[user]).await?.pop())
    }

    /// Replaces the account's entitlements. Lowering a maximum below current usage blocks new
    /// rooms/members but removes nothing.
    pub async fn set_entitlements(
        &self,
        account: AccountId,
        entitlements: Entitlements,
    ) -> Result<Entitlements> {
        if account.0 <= 0 {
            return Err(ChatError::invalid("account_id", "must be a positive id"));
        }
        retrying(|| async {
            let current = self.store.entitlements(account).await?;
            if current == entitlements {
                // Nothing changes: nothing is written, no audit entry.
                return Ok(());
            }
            let now = Timestamp::now();
            let metadata = json!({
                "actor": "service",
                "chat_enabled": entitlements.chat_enabled,
                "max_rooms": entitlements.max_rooms,
                "max_members_per_room": entitlements.max_members_per_room,
                "previous": current,
            });
            let action = AuditAction::EntitlementsUpdated;
            let write = Write::new(account, Op::SetEntitlements(entitlements))
                .expect(Precondition::EntitlementsAre(current))
                .audit(service_audit(
                    account,
                    action,
                    account.to_string(),
                    metadata,
                    now,
                ));
            self.commit(write).await.map(drop)
        })
        .await?;
        self.admission.forget_account(account);
        if !entitlements.chat_enabled {
            // Open streams of the account end now, not at their next request.
            self.bus().publish(account, FeedItem::ChatDisabled);
        }
        Ok(entitlements)
    }

    /// The account's entitlements (defaults: enabled, no limits).
    pub async fn entitlements(&self, account: AccountId) -> Result<Entitlements> {
        Ok(self.store.entitlements(account).await?)
    }
}

/// An audit entry of the host platform's service API: no actor, `metadata.actor: "service"`.
fn service_audit(
    account: AccountId,
    action: AuditAction,
    target: String,
    metadata: serde_json::Value,
    at: Timestamp,
) -> AuditEntry {
    AuditEntry {
        id: AuditId::new(),
        account_id: account,
        actor_id: None,
        action,
        target_id: target,
        metadata,
        created_at: at,
    }
}
