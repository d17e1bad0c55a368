//! Who acts: the [`Identity`] a host vouches for, and the [`Actor`] the facade admitted.
//!
//! The lowest module of the facade's types: the facade, presence and the testing suite all
//! take an `Actor`, so it lives here rather than in any of them.

use std::sync::Arc;

use crate::ids::{AccountId, UserId};
use crate::model::AccountRole;

/// Who the host platform says the caller is (the verified token's claims).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The account (tenant) of every row concerned.
    pub account: AccountId,
    /// The user concerned.
    pub user: UserId,
    /// Account role.
    pub role: AccountRole,
    /// Display name, if given.
    pub name: Option<String>,
}

/// An authenticated caller admitted by [`Chat::enter`](crate::Chat::enter): chat enabled for the account, user
/// not deactivated. Only `chat-core` can make one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub(crate) account: AccountId,
    pub(crate) user: UserId,
    pub(crate) role: AccountRole,
    pub(crate) request_id: Option<Arc<str>>,
}

impl Actor {
    /// The account (tenant): every row read or written under it belongs to it.
    pub fn account(&self) -> AccountId {
        self.account
    }
    /// The user it stands for.
    pub fn user(&self) -> UserId {
        self.user
    }
    /// Account role.
    pub fn role(&self) -> AccountRole {
        self.role
    }

    /// Tags what this actor does with a request id, which audit entries record in their
    /// metadata (`request_id`) so an entry can be traced to its request's log line.
    pub fn with_request_id(mut self, id: impl Into<Arc<str>>) -> Self {
        self.request_id = Some(id.into());
        self
    }

    /// Permission to read the actor's own lists from the store.
    pub(crate) fn own(&self) -> crate::store::UserScope {
        crate::store::UserScope::new(self.account, self.user)
    }

    /// The scope of the actor's own lists (rooms, notifications) in cursors.
    pub(crate) fn scope_key(&self) -> String {
        format!("{}:{}", self.account, self.user)
    }

    /// The request id set by [`Actor::with_request_id`].
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Builds an actor without the admission checks — for the conformance suite only.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn unchecked(account: AccountId, user: UserId, role: AccountRole) -> Self {
        Self {
            account,
            user,
            role,
            request_id: None,
        }
    }
}
