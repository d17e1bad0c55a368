//! Read pointers and unread counts.

use super::{decide_room, retrying, same_membership, Actor, Chat};
use crate::error::{ChatError, Result};
use crate::events::{EventDraft, EventType, Payload};
use crate::ids::{MessageId, RoomId, Timestamp};
use crate::model::{ReadState, Unread};
use crate::policy::Action;
use crate::store::{Applied, Op, Precondition, Write};

impl Chat {
    /// Marks the room read up to `message` (a message of that room) or the newest message.
    /// The pointer never moves backwards.
    pub async fn mark_read(
        &self,
        actor: &Actor,
        room: RoomId,
        message: Option<MessageId>,
    ) -> Result<ReadState> {
        let mut attempts = 0;
        retrying(|| {
            let first = attempts == 0;
            attempts += 1;
            self.mark_read_attempt(actor, room, message, first)
        })
        .await
    }

    /// One decision and write of [`Chat::mark_read`]; `first` is false after a `Conflict`.
    async fn mark_read_attempt(
        &self,
        actor: &Actor,
        room: RoomId,
        message: Option<MessageId>,
        first: bool,
    ) -> Result<ReadState> {
        // Reading to the newest reads nothing before its write, whose preconditions
        // re-check room and membership: it may decide from the remembered access.
        let access = self
            .access_for_write(actor, room, first && message.is_none())
            .await?;
        decide_room(actor, &access, |s| s, Action::MarkRead)?;
        let up_to = match message {
            None => None,
            Some(id) => {
                let found = self
                    .store
                    .message_access(actor.account, id, actor.user)
                    .await?
                    .filter(|m| m.message.room_id == room)
                    .ok_or_else(|| {
                        ChatError::invalid("message_id", "no such message in this room")
                    })?;
                Some(found.message.seq)
            }
        };
        let write = Write::new(
            actor.account,
            Op::MarkRead {
                room,
                user: actor.user,
                up_to,
                at: Timestamp::now(),
            },
        )
        .expect(Precondition::RoomLive(room))
        .expect(same_membership(actor, &access));
        let write = write.event(EventDraft::user(
            EventType::ReadUpdated,
            Some(room),
            actor.user,
            Payload::Applied,
        ));
        match self.commit(write).await?.applied {
            Applied::Read(state) => Ok(state),
            other => Err(ChatError::internal(format!("mark read returned {other:?}"))),
        }
    }

    /// Unread and mention counts for every live room the caller is a member of, in one store
    /// call whose cost depends only on the number of rooms.
    pub async fn unread(&self, actor: &Actor) -> Result<Unread> {
        let rooms = self.store.unread(&actor.own()).await?;
        let total = rooms.iter().map(|r| r.unread_count).sum();
        Ok(Unread { total, rooms })
    }
}
