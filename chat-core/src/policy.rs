//! The policy engine: who may do what, decided in one pure function.
//!
//! Every decision the chat makes about permission is [`decide`] applied to an [`Action`] and
//! the [`Subject`] facts the facade loaded for it (account role, room type, the caller's room
//! role, ownership, the target member's role). Nothing else in the crate answers "may this
//! actor…?", so the whole rule set can be printed as a table ([`table`]) and that table is
//! committed as `docs/policy.md` and checked by a test: a change of rule is a visible diff.
//!
//! Outcomes follow the contract: a room the caller may not even know exists is `NotFound`
//! (never `Forbidden`, which would confirm it exists); a visible room where the caller lacks
//! the right is `Forbidden`; an action that is never possible on a DM is `Invalid` (422).

use crate::error::ChatError;
use crate::model::{AccountRole, RoomRole, RoomType};

/// Something an actor asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Create a team room.
    CreateRoom,
    /// Create (or find) a DM.
    CreateDm,
    /// List the audit log.
    ViewAudit,
    /// Read a room and its member list.
    ViewRoom,
    /// Rename a room.
    RenameRoom,
    /// Archive (soft-delete) a room.
    ArchiveRoom,
    /// Add members with [`Subject::target_role`] as their role.
    AddMembers,
    /// Remove a member whose role is [`Subject::target_role`]; `own` means leaving.
    RemoveMember,
    /// List messages.
    ReadMessages,
    /// Send a message.
    SendMessage,
    /// Move one's read pointer.
    MarkRead,
    /// Edit a message; `own` means the caller sent it.
    EditMessage,
    /// Soft-delete a message; `own` means the caller sent it.
    DeleteMessage,
    /// List the account's inactive users in the directory (`include_inactive`); active ones
    /// are listed for everyone.
    ViewInactiveUsers,
    /// List every team room of the account, member or not (`scope=account`).
    ViewAccountRooms,
    /// Read the account's activity statistics.
    ViewStats,
    /// Export the audit log (itself audited).
    ExportAudit,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: &'static [Action] = &[
        Action::CreateRoom,
        Action::CreateDm,
        Action::ViewAudit,
        Action::ViewRoom,
        Action::RenameRoom,
        Action::ArchiveRoom,
        Action::AddMembers,
        Action::RemoveMember,
        Action::ReadMessages,
        Action::SendMessage,
        Action::MarkRead,
        Action::EditMessage,
        Action::DeleteMessage,
        Action::ViewInactiveUsers,
        Action::ViewAccountRooms,
        Action::ViewStats,
        Action::ExportAudit,
    ];

    /// Actions about the account as a whole: no room facts apply.
    pub fn is_account_level(self) -> bool {
        matches!(
            self,
            Action::CreateRoom
                | Action::CreateDm
                | Action::ViewAudit
                | Action::ViewInactiveUsers
                | Action::ViewAccountRooms
                | Action::ViewStats
                | Action::ExportAudit
        )
    }

    /// Whether `own` changes the outcome of this action.
    pub fn uses_ownership(self) -> bool {
        matches!(
            self,
            Action::RemoveMember | Action::EditMessage | Action::DeleteMessage
        )
    }

    /// Whether `target_role` changes the outcome of this action.
    pub fn uses_target_role(self) -> bool {
        matches!(self, Action::AddMembers | Action::RemoveMember)
    }
}

/// The facts a decision depends on. Only these: the engine never reads the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subject {
    /// The caller's account role.
    pub account_role: AccountRole,
    /// The room's type; `None` for account-level actions.
    pub room_type: Option<RoomType>,
    /// The caller's role in the room; `None` if not a member.
    pub membership: Option<RoomRole>,
    /// The caller owns the target (sent the message / is the member being removed).
    pub own: bool,
    /// Role being granted (add) or held by the member being removed (remove).
    pub target_role: Option<RoomRole>,
}

impl Subject {
    /// Facts for an account-level action.
    pub fn account(account_role: AccountRole) -> Self {
        Self {
            account_role,
            room_type: None,
            membership: None,
            own: false,
            target_role: None,
        }
    }

    /// Facts for an action on a room.
    pub fn room(
        account_role: AccountRole,
        room_type: RoomType,
        membership: Option<RoomRole>,
    ) -> Self {
        Self {
            account_role,
            room_type: Some(room_type),
            membership,
            own: false,
            target_role: None,
        }
    }

    /// Sets [`Subject::own`].
    pub fn own(mut self, own: bool) -> Self {
        self.own = own;
        self
    }

    /// Sets [`Subject::target_role`].
    pub fn target(mut self, role: RoomRole) -> Self {
        self.target_role = Some(role);
        self
    }
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Deny {
    /// Pretend the room does not exist (404).
    NotFound,
    /// Visible, but not allowed (403) — with the reason.
    Forbidden(&'static str),
    /// Never possible for this kind of room (422) — field and reason.
    Invalid(&'static str, &'static str),
}

/// The engine's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The action is allowed.
    Allow,
    /// The action is refused, and why (which the facade maps to the error a client sees).
    Deny(Deny),
}

impl Decision {
    /// `Ok(())` or the matching [`ChatError`].
    pub fn into_result(self) -> Result<(), ChatError> {
        match self {
            Decision::Allow => Ok(()),
            Decision::Deny(Deny::NotFound) => Err(ChatError::NotFound),
            Decision::Deny(Deny::Forbidden(why)) => Err(ChatError::Forbidden(why)),
            Decision::Deny(Deny::Invalid(field, why)) => Err(ChatError::invalid(field, why)),
        }
    }
}

use Decision::Allow;

const NOT_FOUND: Decision = Decision::Deny(Deny::NotFound);

const fn forbidden(why: &'static str) -> Decision {
    Decision::Deny(Deny::Forbidden(why))
}

const fn dm_fixed(field: &'static str) -> Decision {
    Decision::Deny(Deny::Invalid(field, "a DM's name and membership are fixed"))
}

/// Decides whether an actor with these facts may perform this action.
pub fn decide(action: Action, s: &Subject) -> Decision {
    use AccountRole::{Admin, Agent, Supervisor};
    use RoomRole::{Member, Moderator, Owner};

    let manager = s.account_role.is_manager();
    match action {
        Action::CreateRoom => match s.account_role {
            Admin | Supervisor => Allow,
            Agent => forbidden("only admins and supervisors create rooms"),
        },
        Action::CreateDm => Allow,
        Action::ViewAudit => match s.account_role {
            Admin => Allow,
            Supervisor | Agent => forbidden("only admins read the audit log"),
        },
        Action::ViewInactiveUsers => match s.account_role {
            Admin | Supervisor => Allow,
            Agent => forbidden("only admins and supervisors list inactive users"),
        },
        Action::ViewAccountRooms => match s.account_role {
            Admin | Supervisor => Allow,
            Agent => forbidden("only admins and supervisors list every room of the account"),
        },
        Action::ViewStats => match s.account_role {
            Admin | Supervisor => Allow,
            Agent => forbidden("only admins and supervisors read the statistics"),
        },
        Action::ExportAudit => match s.account_role {
            Admin => Allow,
            Supervisor | Agent => forbidden("only admins export the audit log"),
        },
        _ => {
            // Room-level: a room is visible to its members and to the account's managers.
            if s.membership.is_none() && !manager {
                return NOT_FOUND;
            }
            let dm = s.room_type == Some(RoomType::Dm);
            match action {
                Action::ViewRoom => Allow,
                Action::RenameRoom if dm => dm_fixed("name"),
                Action::RenameRoom => match (manager, s.membership) {
                    (true, _) | (_, Some(Owner | Moderator)) => Allow,
                    _ => forbidden("only owners, moderators and managers rename rooms"),
                },
                Action::ArchiveRoom => match manager {
                    true => Allow,
                    false => forbidden("only admins and supervisors archive rooms"),
                },
                Action::AddMembers if dm => dm_fixed("user_ids"),
                Action::AddMembers => match (manager, s.membership, s.target_role) {
                    (true, _, _) | (_, Some(Owner), _) => Allow,
                    (_, Some(Moderator), Some(Member)) => Allow,
                    (_, Some(Moderator), _) => forbidden("moderators add plain members only"),
                    _ => forbidden("only owners, moderators and managers add members"),
                },
                Action::RemoveMember if dm => dm_fixed("user_id"),
                Action::RemoveMember => match (manager, s.membership, s.own, s.target_role) {
                    (_, Some(_), true, _) => Allow, // leaving
                    (true, _, _, _) | (_, Some(Owner), _, _) => Allow,
                    (_, Some(Moderator), _, Some(Member)) => Allow,
                    (_, Some(Moderator), _, _) => forbidden("moderators remove plain members only"),
                    _ => forbidden("only owners, moderators and managers remove members"),
                },
                Action::ReadMessages | Action::SendMessage | Action::MarkRead => {
                    match s.membership {
                        Some(_) => Allow,
                        None => forbidden("messages are for room members only"),
                    }
                }
                Action::EditMessage => match (s.membership, s.own) {
                    (Some(_), true) => Allow,
                    _ => forbidden("only the sender edits a message"),
                },
                Action::DeleteMessage => match (manager, s.membership, s.own) {
                    (_, Some(_), true) => Allow,
                    (true, _, _) | (_, Some(Owner | Moderator), _) => Allow,
                    _ => forbidden("only the sender, room owners/moderators and managers delete"),
                },
                Action::CreateRoom
                | Action::CreateDm
                | Action::ViewAudit
                | Action::ViewInactiveUsers
                | Action::ViewAccountRooms
                | Action::ViewStats
                | Action::ExportAudit => NOT_FOUND,
            }
        }
    }
}

fn outcome(d: Decision) -> String {
    match d {
        Decision::Allow => "allow".to_owned(),
        Decision::Deny(Deny::NotFound) => "404".to_owned(),
        Decision::Deny(Deny::Forbidden(_)) => "403".to_owned(),
        Decision::Deny(Deny::Invalid(..)) => "422".to_owned(),
    }
}

/// Every combination of facts that can change the outcome of `action`, in table order:
/// account roles × (for room actions) room types × memberships × ownership (where it
/// matters) × target roles (where they matter).
pub fn subjects(action: Action) -> Vec<Subject> {
    let mut out = Vec::new();
    for &role in AccountRole::ALL {
        if action.is_account_level() {
            out.push(Subject::account(role));
            continue;
        }
        let owns: &[bool] = if action.uses_ownership() {
            &[false, true]
        } else {
            &[false]
        };
        let targets: Vec<Option<RoomRole>> = if action.uses_target_role() {
            RoomRole::ALL.iter().copied().map(Some).collect()
        } else {
            vec![None]
        };
        for &kind in RoomType::ALL {
            let memberships = std::iter::once(None).chain(RoomRole::ALL.iter().copied().map(Some));
            for membership in memberships {
                for &own in owns {
                    for &target in &targets {
                        let mut s = Subject::room(role, kind, membership).own(own);
                        s.target_role = target;
                        out.push(s);
                    }
                }
            }
        }
    }
    out
}

/// Every relevant combination of facts, as a markdown table (committed as `docs/policy.md`).
pub fn table() -> String {
    let mut out = String::from(
        "# Policy table\n\n\
         Generated from `chat_core::policy::table()`; a test fails when the rules and this file \
         disagree (regenerate with `UPDATE_POLICY_TABLE=1 cargo test -p chat-core policy`).\n\n\
         `membership` is the caller's role in the room (`-`: not a member); `own`: the caller \
         sent the message or is the member being removed; `target`: the role granted (add) or \
         held by the removed member. 404 hides the room, 403 refuses a visible one, 422 is never \
         possible on that kind of room.\n\n\
         | action | account role | room | membership | own | target | outcome |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for &action in Action::ALL {
        for s in subjects(action) {
            let d = decide(action, &s);
            let Some(kind) = s.room_type else {
                let role = s.account_role;
                out.push_str(&format!(
                    "| {action:?} | {role} | - | - | - | - | {} |\n",
                    outcome(d)
                ));
                continue;
            };
            out.push_str(&format!(
                "| {action:?} | {} | {kind} | {} | {} | {} | {} |\n",
                s.account_role,
                s.membership.map_or("-", RoomRole::as_str),
                if s.own { "yes" } else { "no" },
                s.target_role.map_or("-", RoomRole::as_str),
                outcome(d)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use AccountRole::*;
    use RoomRole::*;

    #[test]
    fn committed_table_matches_rules() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/policy.md");
        let generated = table();
        if std::env::var_os("UPDATE_POLICY_TABLE").is_some() {
            // Regenerating makes the comparison below pass by construction: never under CI.
            assert!(
                std::env::var_os("CI").is_none(),
                "UPDATE_POLICY_TABLE is set under CI: it would rewrite docs/policy.md instead of checking it"
            );
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/policy.md is out of date: run UPDATE_POLICY_TABLE=1 cargo test -p chat-core policy"
        );
    }

    #[test]
    fn non_members_who_are_not_managers_never_learn_a_room_exists() {
        for &action in Action::ALL.iter().filter(|a| !a.is_account_level()) {
            for kind in [RoomType::Dm, RoomType::Room] {
                for own in [false, true] {
                    let s = Subject::room(Agent, kind, None).own(own).target(Member);
                    assert_eq!(decide(action, &s), NOT_FOUND, "{action:?}");
                }
            }
        }
    }

    #[test]
    fn messages_need_membership_even_for_admins() {
        for action in [Action::ReadMessages, Action::SendMessage, Action::MarkRead] {
            let s = Subject::room(Admin, RoomType::Room, None);
            assert!(matches!(
                decide(action, &s),
                Decision::Deny(Deny::Forbidden(_))
            ));
            let s = Subject::room(Agent, RoomType::Room, Some(Member));
            assert_eq!(decide(action, &s), Allow);
        }
    }

    #[test]
    fn only_the_sender_edits() {
        for role in [Admin, Supervisor, Agent] {
            for m in [Owner, Moderator, Member] {
                let s = Subject::room(role, RoomType::Room, Some(m));
                assert_ne!(decide(Action::EditMessage, &s), Allow);
                assert_eq!(decide(Action::EditMessage, &s.own(true)), Allow);
            }
        }
    }

    #[test]
    fn agents_create_dms_not_rooms() {
        assert_eq!(decide(Action::CreateDm, &Subject::account(Agent)), Allow);
        assert!(matches!(
            decide(Action::CreateRoom, &Subject::account(Agent)),
            Decision::Deny(Deny::Forbidden(_))
        ));
    }

    #[test]
    fn dm_membership_is_fixed_for_everyone() {
        for role in [Admin, Supervisor, Agent] {
            for action in [Action::AddMembers, Action::RemoveMember, Action::RenameRoom] {
                let s = Subject::room(role, RoomType::Dm, Some(Member))
                    .own(true)
                    .target(Member);
                assert!(matches!(
                    decide(action, &s),
                    Decision::Deny(Deny::Invalid(..))
                ));
            }
        }
    }

    #[test]
    fn moderators_manage_plain_members_only() {
        let s = Subject::room(Agent, RoomType::Room, Some(Moderator));
        assert_eq!(decide(Action::AddMembers, &s.target(Member)), Allow);
        assert_ne!(decide(Action::AddMembers, &s.target(Moderator)), Allow);
        assert_eq!(decide(Action::RemoveMember, &s.target(Member)), Allow);
        assert_ne!(decide(Action::RemoveMember, &s.target(Owner)), Allow);
        assert_eq!(
            decide(Action::RemoveMember, &s.target(Moderator).own(true)),
            Allow
        );
    }
}
