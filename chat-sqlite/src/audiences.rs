//! Who an event goes to: [`Audiences::resolve`] turns an event's audience rule into its users,
//! the one place that does.
//!
//! A room's members come from the writer's memory of who is in a room, so that a send does not
//! read every member row of its room to resolve its event's audience (it did: a tenth of a
//! small send's SQL, and a scan of a thousand rows per message in a thousand-member room).
//!
//! Why it cannot go stale:
//! * every write of this store runs on the writer thread, and only some kinds of write can
//!   change a room's members or its account — anything but a message write, a read pointer,
//!   notifications or a directory sighting ([`keeps_members`]; a new kind of write forgets by
//!   default). When a batch holds one of those, the batch neither reads nor fills the memo
//!   (its lookups go to the database, inside its transaction) and the memo is forgotten at the
//!   end of the batch, whether the batch committed or not;
//! * a batch of only member-keeping writes cannot change members, committed or rolled back, so
//!   what the memo holds is what the database holds;
//! * another connection's commit (another process on the same file, a tool) is seen through
//!   `PRAGMA data_version`, read in each of the batch's transactions once it holds the write
//!   lock, and forgets everything.
//!
//! Which makes a contract for its caller (`writes::apply_batch`): [`Audiences::begin`] with the
//! batch's ops before anything, [`Audiences::locked`] right after every `BEGIN IMMEDIATE` of
//! the batch, [`Audiences::end`] after its last transaction, [`Audiences::forget`] if it
//! panicked.

use std::collections::HashMap;
use std::sync::Arc;

use chat_core::events::AudienceRule;
use chat_core::ids::{AccountId, RoomId, UserId};
use chat_core::store::Op;
use rusqlite::{params, Connection};

/// Rooms remembered at most; past it the memo starts over (bounded memory, no bookkeeping).
const MAX_ROOMS: usize = 4096;

/// Member ids remembered at most, over all rooms (~16 bytes each with their JSON): a few
/// huge rooms must not hold hundreds of MiB either.
const MAX_MEMBERS: usize = 1 << 20;

/// Whether a write of this kind leaves every room's members and account as they were.
fn keeps_members(op: &Op) -> bool {
    matches!(
        op,
        Op::SendMessage(_)
            | Op::EditMessage { .. }
            | Op::DeleteMessage { .. }
            | Op::MarkRead { .. }
            | Op::ReadNotifications { .. }
            | Op::SeenUser { .. }
            | Op::RecordOnly
    )
}

/// The users an event goes to (a room's members, or a whole audience), sorted and distinct, as
/// the log stores them: ids and their JSON array.
#[derive(Debug, Clone)]
pub(crate) struct Recipients {
    /// Sorted, distinct.
    pub(crate) users: Arc<[UserId]>,
    /// `users` as a JSON array of numbers.
    pub(crate) json: Arc<str>,
}

impl Recipients {
    fn new(mut users: Vec<UserId>) -> rusqlite::Result<Self> {
        users.sort_unstable();
        users.dedup();
        let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
        let json = serde_json::to_string(&ids)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        Ok(Self {
            json: json.into(),
            users: users.into(),
        })
    }
}

/// The memo, owned by the writer thread.
#[derive(Debug, Default)]
pub(crate) struct Audiences {
    rooms: HashMap<(i64, RoomId), Recipients>,
    /// Member ids held in `rooms`.
    held: usize,
    /// `PRAGMA data_version` when last looked at; `None` before the first batch.
    seen_version: Option<i64>,
    /// The running batch holds a write that may change members: bypass the memo.
    bypass: bool,
}

impl Audiences {
    /// Starts a batch of `ops`.
    pub(crate) fn begin<'a>(&mut self, mut ops: impl Iterator<Item = &'a Op>) {
        self.bypass = !ops.all(keeps_members);
    }

    /// To be called in every transaction of the batch right after `BEGIN IMMEDIATE`: with the
    /// write lock held nobody else can commit until the transaction ends, so a version read
    /// now is the one the transaction sees throughout (read before the lock, another
    /// process could commit in between).
    pub(crate) fn locked(&mut self, tx: &Connection) {
        let version = tx
            .query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0))
            .ok();
        if version.is_none() || version != self.seen_version {
            self.clear();
        }
        if version.is_none() {
            self.bypass = true;
        }
        self.seen_version = version;
    }

    /// Forgets everything: for a batch that ended in a way nobody reasoned about (a panic).
    pub(crate) fn forget(&mut self) {
        self.clear();
        self.bypass = false;
    }

    fn clear(&mut self) {
        self.rooms.clear();
        self.held = 0;
    }

    /// Ends the batch (committed or not).
    pub(crate) fn end(&mut self) {
        if self.bypass {
            self.clear();
            self.bypass = false;
        }
    }

    /// The users an event of `account` with audience `rule` goes to. A room's members come
    /// from [`Audiences::members`].
    pub(crate) fn resolve(
        &mut self,
        tx: &Connection,
        account: AccountId,
        rule: &AudienceRule,
    ) -> rusqlite::Result<Recipients> {
        let users = match rule {
            AudienceRule::RoomMembers { room, plus } => {
                let members = self.members(tx, account, *room)?;
                if plus.is_empty() {
                    return Ok(members);
                }
                members.users.iter().chain(plus).copied().collect()
            }
            AudienceRule::Users(users) => users.clone(),
            // An audience this backend does not know is empty: fail closed.
            _ => Vec::new(),
        };
        Recipients::new(users)
    }

    /// The members of `room` in `account` (none if the room is not of that account), from the
    /// memo or read inside the open transaction `tx`.
    pub(crate) fn members(
        &mut self,
        tx: &Connection,
        account: AccountId,
        room: RoomId,
    ) -> rusqlite::Result<Recipients> {
        let key = (account.0, room);
        if !self.bypass {
            if let Some(m) = self.rooms.get(&key) {
                return Ok(m.clone());
            }
        }
        let members = read(tx, account, room)?;
        if !self.bypass {
            let size = members.users.len();
            if self.rooms.len() >= MAX_ROOMS || self.held + size > MAX_MEMBERS {
                self.clear();
            }
            if size <= MAX_MEMBERS {
                self.held += size;
                self.rooms.insert(key, members.clone());
            }
        }
        Ok(members)
    }

    #[cfg(test)]
    pub(crate) fn remembered(&self) -> usize {
        self.rooms.len()
    }
}

fn read(tx: &Connection, account: AccountId, room: RoomId) -> rusqlite::Result<Recipients> {
    // The account is checked on the room, once, so that the members come from the
    // `(room_id, user_id)` index alone (filtering each member row on its own `account_id`
    // read every row of a big room). Equivalent because a member row is only ever written
    // with its room's account (`writes::apply`).
    let users: Vec<UserId> = tx
        .prepare_cached(
            "SELECT mb.user_id FROM internal_chat_members mb WHERE mb.room_id = ?1 \
             AND EXISTS (SELECT 1 FROM internal_chat_rooms r WHERE r.id = ?1 AND r.account_id = ?2)",
        )?
        .query_map(params![room.0, account.0], |r| r.get(0).map(UserId))?
        .collect::<rusqlite::Result<_>>()?;
    Recipients::new(users)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::ids::Timestamp;
    use rusqlite::TransactionBehavior;

    fn db(path: &std::path::Path) -> Connection {
        let mut c = Connection::open(path).unwrap();
        c.pragma_update(None, "journal_mode", "WAL").unwrap();
        crate::migrate::migrate(&mut c).unwrap();
        c
    }

    fn add_room(c: &Connection) -> RoomId {
        let room = RoomId::new();
        c.execute(
            "INSERT INTO internal_chat_rooms (id, account_id, type, name, created_by, created_at, updated_at) \
             VALUES (?1, 1, 'room', 'r', 1, 0, 0)",
            [room.0],
        )
        .unwrap();
        room
    }

    fn add_member(c: &Connection, room: RoomId, user: i64) {
        c.execute(
            "INSERT INTO internal_chat_members (room_id, user_id, account_id, role, joined_at) \
             VALUES (?1, ?2, 1, 'member', 0)",
            params![room.0, user],
        )
        .unwrap();
    }

    fn mark_read(room: RoomId) -> Op {
        Op::MarkRead {
            room,
            user: UserId(1),
            up_to: None,
            at: Timestamp(0),
        }
    }

    /// A batch of `op` begun and its transaction opened, as the writer does.
    fn begin<'c>(
        c: &'c mut Connection,
        memo: &mut Audiences,
        op: &Op,
    ) -> rusqlite::Transaction<'c> {
        memo.begin(std::iter::once(op));
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .unwrap();
        memo.locked(&tx);
        tx
    }

    /// One batch: `begin`, a transaction that looks the room up, commit, `end`.
    fn batch(c: &mut Connection, memo: &mut Audiences, op: &Op, room: RoomId) -> Vec<UserId> {
        let tx = begin(c, memo, op);
        let users = memo
            .members(&tx, AccountId(1), room)
            .unwrap()
            .users
            .to_vec();
        tx.commit().unwrap();
        memo.end();
        users
    }

    #[test]
    fn an_audience_resolves_to_its_users_sorted_and_distinct_with_their_json() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db(&dir.path().join("r.db"));
        let room = add_room(&c);
        add_member(&c, room, 5);
        add_member(&c, room, 2);
        let mut memo = Audiences::default();
        let tx = begin(&mut c, &mut memo, &mark_read(room));
        let mut resolve = |rule: AudienceRule| memo.resolve(&tx, AccountId(1), &rule).unwrap();
        let members = resolve(AudienceRule::RoomMembers { room, plus: vec![] });
        assert_eq!(
            (&*members.users, &*members.json),
            (&[UserId(2), UserId(5)][..], "[2,5]")
        );
        let plus = vec![UserId(9), UserId(2)];
        let more = resolve(AudienceRule::RoomMembers { room, plus });
        assert_eq!(
            (&*more.users, &*more.json),
            (&[UserId(2), UserId(5), UserId(9)][..], "[2,5,9]")
        );
        let users = resolve(AudienceRule::Users(vec![UserId(3), UserId(1), UserId(3)]));
        assert_eq!(
            (&*users.users, &*users.json),
            (&[UserId(1), UserId(3)][..], "[1,3]")
        );
    }

    #[test]
    fn the_memo_outlives_its_own_commits_and_forgets_on_a_member_change() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = db(&dir.path().join("a.db"));
        let room = add_room(&c);
        add_member(&c, room, 1);
        let mut memo = Audiences::default();
        assert_eq!(
            batch(&mut c, &mut memo, &mark_read(room), room),
            [UserId(1)]
        );
        // Its own commits leave `data_version` as it was: still remembered, and served
        // without reading (a member added on this same connection without telling the memo
        // is not seen — which is why only member-keeping batches may use it).
        c.execute("UPDATE internal_chat_rooms SET name = 'x'", [])
            .unwrap();
        add_member(&c, room, 2);
        assert_eq!(memo.remembered(), 1);
        assert_eq!(
            batch(&mut c, &mut memo, &mark_read(room), room),
            [UserId(1)]
        );
        // A batch that may change members reads inside its transaction and forgets all.
        let remove = Op::RemoveMember {
            room,
            user: UserId(9),
        };
        assert_eq!(
            batch(&mut c, &mut memo, &remove, room),
            [UserId(1), UserId(2)]
        );
        assert_eq!(memo.remembered(), 0);
        assert_eq!(
            batch(&mut c, &mut memo, &mark_read(room), room),
            [UserId(1), UserId(2)]
        );
        // Another account's lookup of the same room finds nobody (the room is not its own).
        let tx = begin(&mut c, &mut memo, &mark_read(room));
        assert!(memo
            .members(&tx, AccountId(2), room)
            .unwrap()
            .users
            .is_empty());
        assert_eq!(
            &*memo.members(&tx, AccountId(1), room).unwrap().json,
            "[1,2]"
        );
    }
}
