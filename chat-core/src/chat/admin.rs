//! The audit log (admins), and the host platform's operations: directory provisioning and
//! entitlements. The latter take no [`Actor`]: the host is trusted (the server guards them
//! with the service token), and they must work for users who cannot act themselves.

use super::{Actor, Chat};
use crate::cursor::Pager;
use crate::error::{ChatError, Result};
use crate::hub::FeedItem;
use crate::ids::{AccountId, Timestamp, UserId};
use crate::model::{AccountRole, AuditEntry, DirectoryEntry, Entitlements, Page};
use crate::policy::{decide, Action, Subject};
use crate::store::{AuditFilter, AuditPosition, AuditScope, Op, Write};
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
        let entry = DirectoryEntry {
            account_id: account,
            user_id: user,
            name,
            role,
            active,
            last_seen_at: Timestamp::now(),
        };
        self.commit(Write::new(account, Op::ProvisionUser(entry.clone())))
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
        self.commit(Write::new(account, Op::SetEntitlements(entitlements)))
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
