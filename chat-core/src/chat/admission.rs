//! Admitting callers: entitlements, deactivation, and the directory entry — on every request,
//! so it is served from a small cache.
//!
//! Entitlements and directory entries are cached for [`ADMISSION_TTL`]. Changes made through
//! this `Chat` (provisioning, entitlements) apply at once; changes made by another process on
//! the same database apply within the TTL. The directory entry is rewritten only when the
//! token's name or role differs or `last_seen_at` is a minute old, so a busy user costs no
//! writes.

use std::time::{Duration, Instant};

use quick_cache::sync::Cache;

use super::{Actor, Chat, Identity};
use crate::error::{ChatError, Result};
use crate::ids::{AccountId, Timestamp, UserId};
use crate::model::{DirectoryEntry, Entitlements};
use crate::store::{Op, Write};

/// How long another process's entitlement or directory change may take to apply here.
pub const ADMISSION_TTL: Duration = Duration::from_secs(5);
/// A caller's directory entry is rewritten at most this often when nothing else changed.
const SEEN_REFRESH_MS: i64 = 60_000;
/// Entries kept per cache: bounded memory however many users call.
const CAPACITY: usize = 100_000;

pub(super) struct Admission {
    entitlements: Cache<AccountId, (Instant, Entitlements)>,
    directory: Cache<(AccountId, UserId), (Instant, Option<DirectoryEntry>)>,
}

impl Default for Admission {
    fn default() -> Self {
        Self {
            entitlements: Cache::new(CAPACITY),
            directory: Cache::new(CAPACITY),
        }
    }
}

impl Admission {
    pub(super) fn forget_user(&self, account: AccountId, user: UserId) {
        self.directory.remove(&(account, user));
    }

    pub(super) fn forget_account(&self, account: AccountId) {
        self.entitlements.remove(&account);
    }
}

fn fresh<T: Clone>(hit: Option<(Instant, T)>) -> Option<T> {
    hit.filter(|(at, _)| at.elapsed() < ADMISSION_TTL)
        .map(|(_, v)| v)
}

/// The token's display name, trimmed, without control characters, at most 80 characters.
fn display_name(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(crate::validate::MAX_NAME_CHARS)
        .collect()
}

impl Chat {
    /// Admits a caller: refuses a disabled account (`EntitlementDenied`) or a deactivated user
    /// (`UserDeactivated`), and records the caller in the account's directory.
    pub async fn enter(&self, id: Identity) -> Result<Actor> {
        if id.account.0 <= 0 || id.user.0 <= 0 {
            return Err(ChatError::Unauthorized);
        }
        let entitlements = match fresh(self.admission.entitlements.get(&id.account)) {
            Some(e) => e,
            None => {
                let e = self.store.entitlements(id.account).await?;
                self.admission
                    .entitlements
                    .insert(id.account, (Instant::now(), e));
                e
            }
        };
        if !entitlements.chat_enabled {
            return Err(ChatError::EntitlementDenied("chat_enabled"));
        }
        let key = (id.account, id.user);
        let known = match fresh(self.admission.directory.get(&key)) {
            Some(e) => e,
            None => {
                let e = self.store.directory(id.account, &[id.user]).await?.pop();
                self.admission
                    .directory
                    .insert(key, (Instant::now(), e.clone()));
                e
            }
        };
        let name = id
            .name
            .as_deref()
            .map(display_name)
            .filter(|n| !n.is_empty());
        let now = Timestamp::now();
        // The directory follows the token's role and name at once (the host platform is the
        // authority on both); otherwise it is refreshed once a minute. A host that keeps two
        // valid tokens with different roles for one user alive makes each request a write.
        let up_to_date = match &known {
            Some(e) if !e.active => return Err(ChatError::UserDeactivated),
            Some(e) => {
                e.role == id.role
                    && (name.is_none() || name == e.name)
                    && now.0 - e.last_seen_at.0 < SEEN_REFRESH_MS
            }
            None => false,
        };
        if !up_to_date {
            let op = Op::SeenUser {
                user: id.user,
                name: name.clone(),
                role: id.role,
                at: now,
            };
            self.commit(Write::new(id.account, op)).await?;
            // Re-read on the next request rather than assume `active`: a deactivation racing
            // this write must not be papered over by the cache.
            self.admission.forget_user(id.account, id.user);
        }
        Ok(Actor {
            account: id.account,
            user: id.user,
            role: id.role,
            request_id: None,
        })
    }
}
