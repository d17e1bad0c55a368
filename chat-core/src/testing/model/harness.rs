//! Runs a sequence against a fresh store and the model side by side.
//!
//! Each user step goes through `Chat::enter` first (as the server does per request), then the
//! facade call; its outcome class must be the model's, and on success the returned data must
//! match and the model takes the effect. After every step `check::Harness::check_all`
//! compares the whole visible state of every user with the model.

use std::collections::BTreeSet;

use crate::store::AuditFilter;
use crate::{
    Actor, AuditAction, Chat, ChatError, Entitlements, Identity, Message, NewMessage, NewRoom,
    RoomId, RoomType, UserId,
};
use proptest::test_runner::TestCaseError;

use crate::testing::TestBackend;

use super::ops::{AuditBy, Op, CONTENTS, NAMES};
use super::state::{
    kind_of, valid_content, valid_name, DmPlan, Kind, Model, Seen, SendPlan, ACCOUNTS, USERS,
};

/// A step's failure, as text.
pub type R<T = ()> = Result<T, String>;

macro_rules! ensure {
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err(format!($($arg)+));
        }
    };
}

/// `store` vs `model`.
macro_rules! ensure_eq {
    ($store:expr, $model:expr, $($arg:tt)+) => {{
        let (s, m) = (&$store, &$model);
        if s != m {
            return Err(format!("{}: store {:?} != model {:?}", format!($($arg)+), s, m));
        }
    }};
}
pub(crate) use {ensure, ensure_eq};

/// An error where none was expected.
pub fn unexpected(e: ChatError) -> String {
    format!("unexpected error: {e:?}")
}

thread_local! {
    /// Facade calls checked on this thread (the test's, which `block_on` polls the sequence
    /// on): `(succeeded, all)`.
    static OUTCOMES: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
}

/// The `(succeeded, all)` facade calls checked on this thread since the last call.
pub fn take_outcomes() -> (u64, u64) {
    OUTCOMES.with(|c| c.replace((0, 0)))
}

/// The outcome class of a facade result must be the model's.
fn same_kind<T, P>(got: &Result<T, ChatError>, plan: &Result<P, Kind>) -> R {
    let want = plan.as_ref().map_or_else(|k| *k, |_| Kind::Ok);
    let _ = OUTCOMES.try_with(|c| {
        let (ok, all) = c.get();
        c.set((ok + u64::from(want == Kind::Ok), all + 1));
    });
    if std::env::var_os("MODEL_STATS").is_some() {
        // The result type names the call well enough: `(Message, bool)` is a send.
        let call = std::any::type_name::<T>().replace("crate::model::", "");
        eprintln!("model-stat {call} -> {want:?}");
    }
    match got {
        Err(e) if kind_of(got) != want => Err(format!("outcome {e:?}, model expects {want:?}")),
        Ok(_) if want != Kind::Ok => Err(format!("outcome Ok, model expects {want:?}")),
        _ => Ok(()),
    }
}

fn identity(u: usize) -> Identity {
    Identity {
        account: ACCOUNTS[USERS[u].account],
        user: USERS[u].id,
        role: USERS[u].role,
        name: Some(format!("user {}", USERS[u].id)),
    }
}

pub struct Harness {
    pub chat: Chat,
    /// Every user as admitted at the start; checks use them even when `enter` would now
    /// refuse the user (disabled account, deactivated user).
    pub actors: Vec<Actor>,
    pub model: Model,
    /// Every id each user has seen in any answer.
    pub seen: Vec<BTreeSet<Seen>>,
}

/// Runs one sequence; the error names the step and what disagreed.
pub async fn run(factory: fn() -> TestBackend, steps: &[Op]) -> Result<(), TestCaseError> {
    let mut h = Harness::new(factory()).await.map_err(TestCaseError::fail)?;
    for (i, op) in steps.iter().enumerate() {
        h.step(op)
            .await
            .map_err(|e| TestCaseError::fail(format!("step {i} {op:?}: {e}")))?;
        h.check_all()
            .await
            .map_err(|e| TestCaseError::fail(format!("after step {i} {op:?}: {e}")))?;
    }
    for acc in 0..ACCOUNTS.len() {
        h.check_audit(acc)
            .await
            .map_err(|e| TestCaseError::fail(format!("audit at the end: {e}")))?;
    }
    h.check_seen().map_err(TestCaseError::fail)?;
    Ok(())
}

impl Harness {
    /// Checks a message the store says it stored against the model's plan, then applies it.
    fn stored_send(&mut self, u: usize, id: RoomId, msg: &Message, plan: SendPlan) -> R {
        let SendPlan::New {
            room: r,
            content,
            mentions,
            kind,
            client_id,
        } = plan
        else {
            return Err(format!(
                "stored a message the model sees as a repeat: {msg:?}"
            ));
        };
        ensure_eq!(msg.seq, self.model.rooms[r].last_seq + 1, "seq");
        ensure_eq!(msg.room_id, id, "room_id");
        ensure_eq!(msg.sender_id, USERS[u].id, "sender_id");
        ensure_eq!(msg.content, Some(content), "stored content");
        ensure_eq!(msg.mentions, mentions, "mentions");
        ensure_eq!(msg.message_type, kind, "message_type");
        ensure_eq!(msg.client_id, client_id, "client_id");
        ensure!(
            msg.edited_at.is_none() && msg.deleted_at.is_none(),
            "a new message is neither edited nor deleted: {msg:?}"
        );
        self.model.apply_send(u, r, msg);
        self.see_message(u, msg)
    }

    /// Sends at once. Each is admitted and planned against the state before the burst — a
    /// send changes no membership, so no send's outcome depends on another's — then all run
    /// concurrently, and the stored ones are applied to the model in the order the store
    /// gave them (by room, then `seq`), which also checks that each room's `seq` goes on
    /// without a gap or a repeat.
    async fn burst(&mut self, sends: &[Op]) -> R {
        let mut calls = Vec::new();
        for op in sends {
            let Op::Send {
                content, mentions, ..
            } = op
            else {
                return Err(format!("a burst holds only sends: {op:?}"));
            };
            let (u, id, _) = self.model.resolve(op);
            let entered = self.chat.enter(identity(u)).await;
            let admitted = match self.model.enter(u) {
                Kind::Ok => Ok(()),
                k => Err(k),
            };
            same_kind(&entered, &admitted)?;
            let Ok(actor) = entered else {
                continue;
            };
            let acc = USERS[u].account;
            let content = CONTENTS[usize::from(*content) % CONTENTS.len()];
            let mentions: Vec<UserId> = mentions
                .iter()
                .map(|r| Model::resolve_user(acc, *r))
                .collect();
            let plan = self.model.send(u, id, content, &mentions, None);
            let input = NewMessage {
                content: content.to_owned(),
                message_type: None,
                mentions,
                client_id: None,
            };
            calls.push((u, id, actor, input, plan));
        }
        let results = futures::future::join_all(
            calls
                .iter()
                .map(|(_, id, actor, input, _)| self.chat.send_message(actor, *id, input.clone())),
        )
        .await;
        let mut stored = Vec::new();
        for ((u, id, _, _, plan), got) in calls.into_iter().zip(results) {
            same_kind(&got, &plan)?;
            if let (Ok((msg, was_stored)), Ok(plan)) = (got, plan) {
                ensure!(was_stored, "a send without a client id must store: {msg:?}");
                stored.push((u, id, msg, plan));
            }
        }
        stored.sort_by_key(|(_, id, msg, _)| (*id, msg.seq));
        for (u, id, msg, plan) in stored {
            self.stored_send(u, id, &msg, plan)?;
        }
        Ok(())
    }

    async fn new(backend: TestBackend) -> R<Self> {
        let chat = Chat::new(backend.store);
        let mut actors = Vec::new();
        for (u, spec) in USERS.iter().enumerate() {
            let id = identity(u);
            chat.provision_user(id.account, spec.id, id.name.as_deref(), spec.role, true)
                .await
                .map_err(unexpected)?;
            actors.push(chat.enter(id).await.map_err(unexpected)?);
        }
        for account in ACCOUNTS {
            let plan = chat.entitlements(account).await.map_err(unexpected)?;
            ensure_eq!(plan, Entitlements::default(), "default entitlements");
        }
        let mut model = Model::new();
        // Provisioning is the service API's: audited with no actor.
        for spec in USERS.iter() {
            model.accounts[spec.account].audit.push((
                AuditAction::UserProvisioned,
                None,
                spec.id.to_string(),
            ));
        }
        Ok(Self {
            chat,
            actors,
            model,
            seen: vec![BTreeSet::new(); USERS.len()],
        })
    }

    async fn step(&mut self, op: &Op) -> R {
        match op {
            Op::SetEntitlements {
                account,
                enabled,
                max_rooms,
                max_members,
            } => {
                let acc = usize::from(*account) % ACCOUNTS.len();
                let plan = Entitlements {
                    chat_enabled: *enabled,
                    max_rooms: *max_rooms,
                    max_members_per_room: *max_members,
                };
                let got = self.chat.set_entitlements(ACCOUNTS[acc], plan).await;
                ensure_eq!(got.map_err(unexpected)?, plan, "set_entitlements");
                let now = self.chat.entitlements(ACCOUNTS[acc]).await;
                ensure_eq!(now.map_err(unexpected)?, plan, "entitlements read back");
                let a = &mut self.model.accounts[acc];
                if (a.enabled, a.max_rooms, a.max_members) != (*enabled, *max_rooms, *max_members) {
                    a.audit.push((
                        AuditAction::EntitlementsUpdated,
                        None,
                        ACCOUNTS[acc].to_string(),
                    ));
                }
                (a.enabled, a.max_rooms, a.max_members) = (*enabled, *max_rooms, *max_members);
                return Ok(());
            }
            Op::Burst(sends) => return self.burst(sends).await,
            Op::SetActive { user, active } => {
                let u = usize::from(*user) % USERS.len();
                let id = identity(u);
                self.chat
                    .provision_user(id.account, id.user, id.name.as_deref(), id.role, *active)
                    .await
                    .map_err(unexpected)?;
                if self.model.active[u] != *active {
                    let action = if *active {
                        AuditAction::UserReactivated
                    } else {
                        AuditAction::UserDeactivated
                    };
                    self.model.accounts[USERS[u].account].audit.push((
                        action,
                        None,
                        id.user.to_string(),
                    ));
                }
                self.model.active[u] = *active;
                let entry = self.chat.directory_entry(id.account, id.user).await;
                let entry = entry
                    .map_err(unexpected)?
                    .ok_or("provisioned user unknown")?;
                ensure_eq!(
                    (entry.user_id, entry.role, entry.active),
                    (id.user, id.role, *active),
                    "directory entry read back"
                );
                return Ok(());
            }
            _ => {}
        }
        let (u, room_id, msg_id) = self.model.resolve(op);
        let entered = self.chat.enter(identity(u)).await;
        same_kind(
            &entered,
            &match self.model.enter(u) {
                Kind::Ok => Ok(()),
                k => Err(k),
            },
        )?;
        let Ok(actor) = entered else {
            return Ok(());
        };
        ensure_eq!(actor, self.actors[u], "enter admits the same actor");
        let me = USERS[u].id;
        let acc = USERS[u].account;
        let user = |r| Model::resolve_user(acc, r);
        match op {
            Op::CreateRoom { name, members, .. } => {
                let ids: Vec<UserId> = members.iter().copied().map(user).collect();
                let name = NAMES[usize::from(*name) % NAMES.len()];
                let plan = self.model.create_room(u, &ids, name);
                let input = NewRoom {
                    kind: RoomType::Room,
                    name: Some(name.to_owned()),
                    member_ids: ids,
                };
                let got = self.chat.create_room(&actor, input).await;
                same_kind(&got, &plan)?;
                if let (Ok((room, created)), Ok(others)) = (got, plan) {
                    ensure!(created, "a new room must say created");
                    ensure_eq!(room.kind, RoomType::Room, "kind");
                    ensure_eq!(room.name, valid_name(name).ok(), "stored name");
                    ensure_eq!(room.created_by, me, "created_by");
                    ensure_eq!(room.last_seq, 0, "last_seq of a new room");
                    self.model.add_room(u, &room, &others);
                    self.see_room_obj(u, &room)?;
                }
            }
            Op::CreateDm { with, .. } => {
                let ids: Vec<UserId> = with.iter().copied().map(user).collect();
                let plan = self.model.create_dm(u, &ids);
                let input = NewRoom {
                    kind: RoomType::Dm,
                    name: None,
                    member_ids: ids,
                };
                let got = self.chat.create_room(&actor, input).await;
                same_kind(&got, &plan)?;
                match (got, plan) {
                    (Ok((room, created)), Ok(DmPlan::Existing(r))) => {
                        ensure!(!created, "an existing DM must not say created");
                        self.compare_room(&room, r)?;
                        self.see_room_obj(u, &room)?;
                    }
                    (Ok((room, created)), Ok(DmPlan::New(other))) => {
                        ensure!(created, "a new DM must say created");
                        ensure_eq!(room.kind, RoomType::Dm, "kind");
                        ensure_eq!(room.name, None, "a DM has no name");
                        self.model.add_room(u, &room, &[other]);
                        self.see_room_obj(u, &room)?;
                    }
                    _ => {}
                }
            }
            Op::Rename { name, .. } => {
                let id = room_id;
                let name = NAMES[usize::from(*name) % NAMES.len()];
                let plan = self.model.rename(u, id, name);
                let got = self.chat.rename_room(&actor, id, name).await;
                same_kind(&got, &plan)?;
                if let (Ok(room), Ok((r, name))) = (got, plan) {
                    ensure!(
                        room.updated_at >= self.model.rooms[r].updated_at,
                        "rename moves updated_at forward"
                    );
                    self.model.apply_rename(u, r, name, room.updated_at);
                    self.compare_room(&room, r)?;
                    self.see_room_obj(u, &room)?;
                }
            }
            Op::Archive { .. } => {
                let id = room_id;
                let plan = self.model.archive(u, id);
                let got = self.chat.archive_room(&actor, id).await;
                same_kind(&got, &plan)?;
                if let Ok(r) = plan {
                    self.model.apply_archive(u, r);
                }
            }
            Op::AddMembers { users, role, .. } => {
                let id = room_id;
                let ids: Vec<UserId> = users.iter().copied().map(user).collect();
                let plan = self.model.add_members(u, id, &ids, *role);
                let got = self.chat.add_members(&actor, id, &ids, *role).await;
                same_kind(&got, &plan)?;
                if let (Ok(page), Ok((r, new, role))) = (got, plan) {
                    self.model.apply_add(u, r, &new, role);
                    ensure!(page.next_cursor.is_none(), "member list is one page");
                    self.compare_members(u, &page.items, r)?;
                }
            }
            Op::Remove { user: who, .. } => {
                let id = room_id;
                let target = who.map_or(me, user);
                let plan = self.model.remove_member(u, id, target);
                let got = self.chat.remove_member(&actor, id, target).await;
                same_kind(&got, &plan)?;
                if let Ok(r) = plan {
                    self.model.apply_remove(u, r, target);
                }
            }
            Op::Send {
                content,
                mentions,
                client_id,
                ..
            } => {
                let id = room_id;
                let content = CONTENTS[usize::from(*content) % CONTENTS.len()];
                let mentions: Vec<UserId> = mentions.iter().copied().map(user).collect();
                let client_id = client_id.map(|n| match n % 4 {
                    3 => "bad key".to_owned(),
                    n => format!("c{n}"),
                });
                let plan = self
                    .model
                    .send(u, id, content, &mentions, client_id.as_deref());
                let input = NewMessage {
                    content: content.to_owned(),
                    message_type: None,
                    mentions,
                    client_id,
                };
                let got = self.chat.send_message(&actor, id, input).await;
                same_kind(&got, &plan)?;
                match (got, plan) {
                    (Ok((msg, stored)), Ok(SendPlan::Dup(m))) => {
                        ensure!(!stored, "a repeated client_id must not store a new message");
                        self.compare_message(&msg, m)?;
                        self.see_message(u, &msg)?;
                    }
                    (Ok((msg, stored)), Ok(plan @ SendPlan::New { .. })) => {
                        ensure!(stored, "a new message must say stored");
                        self.stored_send(u, id, &msg, plan)?;
                    }
                    _ => {}
                }
            }
            Op::Edit { content, .. } => {
                let id = msg_id;
                let content = CONTENTS[usize::from(*content) % CONTENTS.len()];
                let plan = self.model.edit(u, id, content);
                let got = self.chat.edit_message(&actor, id, content).await;
                same_kind(&got, &plan)?;
                if let (Ok(msg), Ok((m, content))) = (got, plan) {
                    ensure_eq!(msg.content, valid_content(&content).ok(), "edited content");
                    ensure!(msg.edited_at.is_some(), "an edit sets edited_at");
                    self.model.apply_edit(u, m, content, msg.edited_at);
                    self.compare_message(&msg, m)?;
                    self.see_message(u, &msg)?;
                }
            }
            Op::Delete { .. } => {
                let id = msg_id;
                let plan = self.model.delete(u, id);
                let got = self.chat.delete_message(&actor, id).await;
                same_kind(&got, &plan)?;
                if let Ok(m) = plan {
                    self.model.apply_delete(u, m);
                }
            }
            Op::MarkRead { to, .. } => {
                let id = room_id;
                let to = to.map(|t| self.model.msg_ref(u, t, Some(id)));
                let plan = self.model.mark_read(u, id, to);
                let got = self.chat.mark_read(&actor, id, to).await;
                same_kind(&got, &plan)?;
                if let (Ok(state), Ok((r, seq))) = (got, plan) {
                    let before = self.model.rooms[r].members[&me].read_at;
                    if self.model.apply_mark_read(u, r, seq, state.last_read_at) {
                        ensure!(
                            state.last_read_at.is_some() && state.last_read_at >= before,
                            "a moved pointer has a newer last_read_at: {state:?}, was {before:?}"
                        );
                    } else {
                        ensure_eq!(
                            state.last_read_at,
                            before,
                            "last_read_at of an unmoved pointer"
                        );
                    }
                    let want_seq = self.model.rooms[r].members[&me].read_seq;
                    ensure_eq!(state.room_id, id, "read state room");
                    ensure_eq!(state.last_read_seq, want_seq, "last_read_seq");
                    ensure_eq!(
                        (state.unread_count, state.mention_count),
                        self.model.counts(r, me),
                        "(unread, mentions) after mark_read"
                    );
                }
            }
            Op::GetRoom { .. } => {
                let id = room_id;
                let plan = self.model.view_room(u, id);
                let got = self.chat.get_room(&actor, id).await;
                same_kind(&got, &plan)?;
                if let (Ok(detail), Ok(r)) = (got, plan) {
                    self.model.apply_view(u, r);
                    self.compare_detail(u, &detail, r)?;
                }
            }
            Op::ListMessages { limit, .. } => {
                let id = room_id;
                let limit = u32::from(*limit);
                let plan = self.model.read_messages(u, id, limit);
                // 50 is passed as "no limit", the default.
                let arg = (limit != 50).then_some(limit);
                let got = self.chat.list_messages(&actor, id, None, arg).await;
                same_kind(&got, &plan)?;
                if let (Ok(first), Ok(r)) = (got, plan) {
                    let all = self.walk_messages(&actor, id, first, limit).await?;
                    self.compare_messages(u, &all, r)?;
                }
            }
            Op::ListRooms { limit, .. } => {
                let limit = u32::from(*limit);
                if let Err(want) = Model::page_size(limit) {
                    let got = self.chat.list_rooms(&actor, None, Some(limit)).await;
                    ensure_eq!(kind_of(&got), want, "list_rooms with limit {limit}");
                } else {
                    let arg = (limit != 50).then_some(limit);
                    self.check_rooms(u, &actor, arg).await?;
                }
            }
            Op::Unread { .. } => self.check_unread(u, &actor).await?,
            Op::ListAudit { filter, .. } => {
                let filter = self.audit_filter(u, *filter);
                let plan = self.model.view_audit(u);
                let got = self.chat.list_audit(&actor, &filter, None, Some(3)).await;
                same_kind(&got, &plan)?;
                if let Ok(first) = got {
                    self.check_audit_pages(u, &actor, &filter, first, 3).await?;
                }
            }
            Op::CursorMisuse {
                other,
                room,
                other_room,
                ..
            } => {
                self.misuse_cursors(u, &actor, *other, *room, *other_room)
                    .await?
            }
            Op::SetEntitlements { .. } | Op::SetActive { .. } | Op::Burst(_) => unreachable!(),
        }
        Ok(())
    }

    fn audit_filter(&self, u: usize, filter: Option<(AuditBy, u8)>) -> AuditFilter {
        let Some((by, pick)) = filter else {
            return AuditFilter::default();
        };
        let pick_usize = usize::from(pick);
        match by {
            AuditBy::Action => AuditFilter {
                action: Some(AuditAction::ALL[pick_usize % AuditAction::ALL.len()]),
                ..AuditFilter::default()
            },
            AuditBy::Actor => AuditFilter {
                actor_id: Some(USERS[pick_usize % USERS.len()].id),
                ..AuditFilter::default()
            },
            AuditBy::Target => AuditFilter {
                target_id: Some(self.model.room_ref(u, pick).to_string()),
                ..AuditFilter::default()
            },
        }
    }

    /// A cursor is good only for the list, scope and user it came from (422 otherwise), and
    /// a tampered one is refused.
    async fn misuse_cursors(
        &mut self,
        u: usize,
        actor: &Actor,
        other: u8,
        room: u8,
        other_room: u8,
    ) -> R {
        let o = usize::from(other) % USERS.len();
        let page = self
            .chat
            .list_rooms(&self.actors[o].clone(), None, Some(1))
            .await
            .map_err(unexpected)?;
        if let Some(c) = page.next_cursor {
            let got = self.chat.list_rooms(actor, Some(&c), Some(1)).await;
            let want = if o == u { Kind::Ok } else { Kind::Validation };
            ensure_eq!(
                kind_of(&got),
                want,
                "list_rooms with the cursor of user {}",
                USERS[o].id
            );
            if let Ok(p) = got {
                for s in &p.items {
                    self.see_room_obj(u, &s.room)?;
                }
            }
            let mut bytes = c.into_bytes();
            let mid = bytes.len() / 2;
            bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
            let tampered = String::from_utf8(bytes).map_err(|e| e.to_string())?;
            let got = self.chat.list_rooms(actor, Some(&tampered), Some(1)).await;
            ensure_eq!(
                kind_of(&got),
                Kind::Validation,
                "list_rooms with a tampered cursor"
            );
        }
        let id = self.model.room_ref(u, room);
        if self.model.read_messages(u, id, 1).is_ok() {
            let page = self
                .chat
                .list_messages(actor, id, None, Some(1))
                .await
                .map_err(unexpected)?;
            if let Some(c) = page.next_cursor {
                let to = self.model.room_ref(u, other_room);
                let got = self.chat.list_messages(actor, to, Some(&c), Some(1)).await;
                let want = if to == id { Kind::Ok } else { Kind::Validation };
                ensure_eq!(
                    kind_of(&got),
                    want,
                    "messages of room {to} with a cursor of room {id}"
                );
                if let Ok(p) = got {
                    for m in &p.items {
                        self.see_message(u, m)?;
                    }
                }
            }
        }
        Ok(())
    }
}
