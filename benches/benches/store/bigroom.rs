//! Sends in one big room (every user of account 1 a member: 1,000 in a full run): what a
//! send costs as its room grows. The world's rooms have about ten members each; a message's
//! event goes to every member of its room, so this is where a per-member cost would show.

use chat_benches::gen::Layout;
use chat_benches::stats::Samples;
use chat_core::{Actor, NewRoom, RoomId, RoomType, UserId};

use crate::harness::{enter, open, options, Run};
use crate::load::send_load;

/// Members of the big room in a full run (a quick run takes 50).
pub const MEMBERS: i64 = 1_000;

/// The big room's member count, and the send figures at 1 and 32 concurrent senders
/// (NORMAL, group commit).
pub fn sends(run: &Run) -> (i64, Samples, Samples) {
    let members = if run.quick { 50 } else { MEMBERS };
    chat_benches::raw::settle(&run.work).unwrap();
    let chat = open(&run.work, &options(false, true, 4));
    let (room, senders) = run.rt.block_on(async {
        let owner = enter(&chat, 1, Layout::admin(1).0).await;
        let input = NewRoom {
            kind: RoomType::Room,
            name: Some("everyone".into()),
            member_ids: vec![],
        };
        let room: RoomId = chat.create_room(&owner, input).await.unwrap().0.id;
        let mut actors: Vec<Actor> = vec![owner.clone()];
        let mut pending = Vec::new();
        for user in (1..=members).filter(|u| *u != owner.user().0) {
            actors.push(enter(&chat, 1, user).await);
            pending.push(UserId(user));
            if pending.len() == chat_core::validate::MAX_IDS {
                chat.add_members(&owner, room, &pending, None)
                    .await
                    .unwrap();
                pending.clear();
            }
        }
        if !pending.is_empty() {
            chat.add_members(&owner, room, &pending, None)
                .await
                .unwrap();
        }
        (room, actors)
    });
    let with = |n: usize| -> Vec<(Actor, RoomId)> {
        senders.iter().take(n).map(|a| (a.clone(), room)).collect()
    };
    let one = send_load(&run.rt, &chat, &with(1), run.b.tput);
    let many = send_load(&run.rt, &chat, &with(32), run.b.tput);
    (members, one, many)
}
