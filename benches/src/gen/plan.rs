//! What happens in the generated history: every message planned up front (room, sender,
//! mention, deletion, time, id, words), then each member's read state derived from the plan,
//! so that the counters written next are exact by construction.

use chat_core::ids::{MessageId, Timestamp, UserId};
use chat_core::model::{Message, MessageType};
use chat_core::AccountId;
use uuid::Uuid;

use super::{Layout, Rng, SPAN_MS, T_START};

/// One planned message.
#[derive(Debug, Clone, Copy)]
pub(super) struct Planned {
    /// Index into [`Layout::rooms`].
    pub(super) room: u32,
    /// Sender (user id).
    pub(super) sender: i64,
    /// The member mentioned, if any.
    pub(super) mention: Option<i64>,
    /// Deleted right after it was sent.
    pub(super) deleted: bool,
    /// Its room's sequence number.
    pub(super) seq: i64,
    /// Send time (ms).
    pub(super) at: i64,
    /// Message id.
    pub(super) id: Uuid,
    /// Seed of its text.
    pub(super) words: u64,
}

const WORDS: &[&str] = &[
    "cliente",
    "pedido",
    "reembolso",
    "ticket",
    "fila",
    "escalar",
    "supervisor",
    "prazo",
    "ok",
    "obrigado",
    "ligação",
    "email",
    "urgente",
    "amanhã",
    "hoje",
    "status",
    "pago",
    "boleto",
    "cartão",
    "entrega",
    "atraso",
    "cancelar",
    "troca",
    "nota",
    "fiscal",
    "the",
    "customer",
    "asked",
    "about",
    "order",
    "refund",
    "please",
    "check",
    "queue",
    "done",
];

/// A message text of 3 to 25 words, from its own seed.
fn content(seed: u64) -> String {
    let mut rng = Rng::new(seed);
    let n = 3 + rng.below(23);
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    s
}

/// Every message of the history, in time order.
pub(super) fn plan(layout: &Layout) -> Vec<Planned> {
    let size = layout.size;
    let mut rng = Rng::new(0x5EED_0002);
    let mut last_seq = vec![0i64; layout.rooms.len()];
    let step = (SPAN_MS / size.messages.max(1) as i64).max(1);
    let mut out = Vec::with_capacity(size.messages);
    for i in 0..size.messages {
        let at = T_START + i as i64 * step;
        let room = if rng.chance(0.02) {
            0
        } else {
            rng.below(layout.rooms.len() as u64) as usize
        };
        let spec = &layout.rooms[room];
        let sender = spec.senders[rng.below(spec.senders.len() as u64) as usize];
        let mention = if rng.chance(0.03) {
            let others: Vec<i64> = spec
                .members
                .iter()
                .map(|m| m.0)
                .filter(|u| *u != sender)
                .collect();
            Some(others[rng.below(others.len() as u64) as usize])
        } else {
            None
        };
        let deleted = rng.chance(0.005);
        last_seq[room] += 1;
        out.push(Planned {
            room: room as u32,
            sender,
            mention,
            deleted,
            seq: last_seq[room],
            at,
            id: rng.uuid_v7(at),
            words: rng.next_u64(),
        });
    }
    out
}

/// A member's read state.
pub(super) struct MemberState {
    /// `last_read_seq`.
    pub(super) pointer: i64,
    /// `last_read_at`: a second after the message at the pointer, if any.
    pub(super) read_at: Option<i64>,
    /// `unread_count`.
    pub(super) unread: i64,
    /// `mention_count`.
    pub(super) mentions: i64,
}

/// Each room's members' read state, in the order of [`RoomSpec::members`](super::RoomSpec::members).
pub(super) fn member_states(layout: &Layout, plan: &[Planned]) -> Vec<Vec<MemberState>> {
    let size = layout.size;
    let mut rng = Rng::new(0x5EED_0003);
    let mut by_room: Vec<Vec<usize>> = vec![Vec::new(); layout.rooms.len()];
    for (i, p) in plan.iter().enumerate() {
        by_room[p.room as usize].push(i); // ascending seq
    }
    let per_room_backlog = (size.backlog / size.reader_rooms.max(1)) as i64;
    let mut out = Vec::new();
    for (r, spec) in layout.rooms.iter().enumerate() {
        let msgs: Vec<&Planned> = by_room[r].iter().map(|i| &plan[*i]).collect();
        let last = msgs.len() as i64;
        let mut states = Vec::new();
        for (user, _) in &spec.members {
            let user = *user;
            let pointer = if user == Layout::caught_up_reader().0 {
                last
            } else if user == Layout::backlog_reader().0 {
                // Walk back until `per_room_backlog` live messages are after the pointer.
                let mut live = 0;
                let mut p = last;
                while p > 0 && live < per_room_backlog {
                    if !msgs[(p - 1) as usize].deleted {
                        live += 1;
                    }
                    p -= 1;
                }
                p
            } else {
                let own = msgs
                    .iter()
                    .rev()
                    .find(|m| m.sender == user)
                    .map_or(0, |m| m.seq);
                own.max(last - rng.below(41) as i64).max(0)
            };
            let after = &msgs[pointer as usize..];
            let unread = after
                .iter()
                .filter(|m| m.sender != user && !m.deleted)
                .count() as i64;
            let mentions = after
                .iter()
                .filter(|m| m.mention == Some(user) && m.sender != user && !m.deleted)
                .count() as i64;
            let read_at = (pointer > 0).then(|| msgs[(pointer - 1) as usize].at + 1_000);
            states.push(MemberState {
                pointer,
                read_at,
                unread,
                mentions,
            });
        }
        out.push(states);
    }
    out
}

/// The message as the store returns it (and logs it) while it is live.
pub(super) fn message_value(layout: &Layout, p: &Planned) -> Message {
    let spec = &layout.rooms[p.room as usize];
    Message {
        id: MessageId(p.id),
        room_id: spec.id,
        account_id: AccountId(spec.account),
        sender_id: UserId(p.sender),
        content: Some(content(p.words)),
        message_type: if p.mention.is_some() {
            MessageType::Mention
        } else {
            MessageType::Text
        },
        mentions: p.mention.map(UserId).into_iter().collect(),
        client_id: None,
        seq: p.seq,
        created_at: Timestamp(p.at),
        edited_at: None,
        deleted_at: None,
    }
}
