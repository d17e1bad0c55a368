//! Fixtures: a chat with two accounts, each with an admin, a supervisor and agents, all
//! provisioned in the directory.

use crate::chat::{Actor, Chat};
use crate::ids::{AccountId, UserId};
use crate::model::AccountRole;

use super::TestBackend;

/// Account A and account B.
pub const ACC_A: AccountId = AccountId(1);
/// Account B.
pub const ACC_B: AccountId = AccountId(2);

/// One account's people, all provisioned and active.
pub struct People {
    pub admin: Actor,
    pub supervisor: Actor,
    pub agents: Vec<Actor>,
}

/// The world the suite plays in.
pub struct World {
    pub chat: Chat,
    pub backend: TestBackend,
    pub a: People,
    pub b: People,
}

async fn people(chat: &Chat, account: AccountId, base: i64) -> People {
    let make = |n: i64, role: AccountRole| {
        let chat = chat.clone();
        async move {
            let user = UserId(base + n);
            chat.provision_user(account, user, Some(&format!("user {}", user.0)), role, true)
                .await
                .unwrap();
            Actor::unchecked(account, user, role)
        }
    };
    People {
        admin: make(1, AccountRole::Admin).await,
        supervisor: make(2, AccountRole::Supervisor).await,
        agents: vec![
            make(3, AccountRole::Agent).await,
            make(4, AccountRole::Agent).await,
            make(5, AccountRole::Agent).await,
        ],
    }
}

/// Accounts A (users 11–15) and B (users 21–25), everyone provisioned and active.
pub async fn world(backend: TestBackend) -> World {
    let chat = Chat::new(backend.store.clone());
    let a = people(&chat, ACC_A, 10).await;
    let b = people(&chat, ACC_B, 20).await;
    World {
        chat,
        backend,
        a,
        b,
    }
}
