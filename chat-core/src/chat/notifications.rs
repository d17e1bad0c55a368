//! In-app notifications: one per mention and per DM message, for the recipient only, stored
//! with the message in the same transaction and announced by a `notification.created` event.

use super::{Actor, Chat};
use crate::cursor::Pager;
use crate::error::{ChatError, Result};
use crate::ids::{NotificationId, Timestamp, UserId};
use crate::model::{Message, Notification, NotificationKind, Page};
use crate::store::{Applied, NotificationPosition, Op, Write};
use crate::validate;

/// The notifications a new message creates: a `mention` for each mentioned user other than
/// the sender, and a `dm` for the other participant of a DM (`dm_peers`: the DM's members,
/// empty for team rooms) unless they were mentioned already — one notification per recipient.
pub(super) fn notifications_for(message: &Message, dm_peers: &[UserId]) -> Vec<Notification> {
    let make = |user: UserId, kind| Notification {
        id: NotificationId::new(),
        user_id: user,
        kind,
        room_id: message.room_id,
        message_id: message.id,
        created_at: message.created_at,
        read_at: None,
    };
    let mut out: Vec<Notification> = Vec::new();
    for &user in &message.mentions {
        if user != message.sender_id && !out.iter().any(|n| n.user_id == user) {
            out.push(make(user, NotificationKind::Mention));
        }
    }
    for &user in dm_peers {
        if user != message.sender_id && !out.iter().any(|n| n.user_id == user) {
            out.push(make(user, NotificationKind::Dm));
        }
    }
    out
}

impl Chat {
    /// The caller's notifications, newest first; only unread ones if `unread_only`.
    pub async fn list_notifications(
        &self,
        actor: &Actor,
        unread_only: bool,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> Result<Page<Notification>> {
        let limit = validate::limit(limit)?;
        let pager = Pager::new("notifications", actor.scope_key(), limit);
        let after = pager.after(cursor)?;
        let items = self
            .store
            .list_notifications(&actor.own(), unread_only, after, pager.fetch())
            .await?;
        Ok(pager.page(items, |n| NotificationPosition {
            created_at: n.created_at,
            id: n.id,
        }))
    }

    /// Marks the caller's notifications read: these ids (at most 100; ids that are not the
    /// caller's are ignored) or, with `None`, all. Returns how many changed.
    pub async fn read_notifications(
        &self,
        actor: &Actor,
        ids: Option<&[NotificationId]>,
    ) -> Result<u64> {
        if ids.is_some_and(|ids| ids.len() > validate::MAX_IDS) {
            return Err(ChatError::invalid(
                "ids",
                format!("at most {} ids", validate::MAX_IDS),
            ));
        }
        let op = Op::ReadNotifications {
            user: actor.user,
            ids: ids.map(<[NotificationId]>::to_vec),
            at: Timestamp::now(),
        };
        match self.commit(Write::new(actor.account, op)).await?.applied {
            Applied::Count(n) => Ok(n),
            other => Err(ChatError::internal(format!(
                "read notifications returned {other:?}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccountId, MessageId, RoomId};
    use crate::model::MessageType;

    fn message(sender: i64, mentions: &[i64]) -> Message {
        Message {
            id: MessageId::new(),
            room_id: RoomId::new(),
            account_id: AccountId(1),
            sender_id: UserId(sender),
            content: Some("x".into()),
            message_type: MessageType::Text,
            mentions: mentions.iter().copied().map(UserId).collect(),
            client_id: None,
            seq: 1,
            created_at: Timestamp(0),
            edited_at: None,
            deleted_at: None,
        }
    }

    #[test]
    fn one_per_recipient_never_the_sender() {
        let m = message(1, &[1, 2, 3, 2]);
        let kinds: Vec<_> = notifications_for(&m, &[])
            .iter()
            .map(|n| (n.user_id.0, n.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (2, NotificationKind::Mention),
                (3, NotificationKind::Mention)
            ]
        );
    }

    #[test]
    fn dm_peer_gets_dm_unless_mentioned() {
        let peers = [UserId(1), UserId(2)];
        let plain = notifications_for(&message(1, &[]), &peers);
        assert_eq!(plain.len(), 1);
        assert_eq!(
            (plain[0].user_id.0, plain[0].kind),
            (2, NotificationKind::Dm)
        );
        let mentioned = notifications_for(&message(1, &[2]), &peers);
        assert_eq!(mentioned.len(), 1);
        assert_eq!(mentioned[0].kind, NotificationKind::Mention);
    }
}
