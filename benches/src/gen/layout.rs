//! Who is who: the sizes of the generated world, its rooms, their members and senders, and
//! the well-known users the harness measures as (the two readers, each account's admin).

use chat_core::ids::{RoomId, UserId};
use chat_core::model::{AccountRole, RoomRole};

use super::{Rng, ACCOUNTS, GEN_VERSION, T_START};

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

    /// The cached file's name (without extension): everything that changes the data.
    pub(super) fn key(&self) -> String {
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
