// What the chat offers a user, by the contract's permission table (chat-api-v1.md,
// "Resources"): the UI hides what the API would refuse, and the API refuses anyway.
// Account roles: admin, supervisor, agent. Room roles: owner, moderator, member.

/** @typedef {import("../types.js").AccountRole} AccountRole */
/** @typedef {import("../types.js").MemberRole} MemberRole */
/** @typedef {import("../types.js").Message} Message */

/** @param {AccountRole | string} role */
const isManager = (role) => role === "admin" || role === "supervisor";

/**
 * "Nova sala": only admins and supervisors create team rooms (agents get 403).
 *
 * @param {AccountRole | string} accountRole
 */
export function canCreateRoom(accountRole) {
  return isManager(accountRole);
}

/**
 * The room menu's entries for a user. DMs have none but nothing (they cannot be renamed,
 * get members, be left or archived through the UI).
 *
 * @param {{type: "dm" | "room"}} room
 * @param {{accountRole: AccountRole | string, roomRole: MemberRole | null}} who `roomRole`
 *   null when the user is not a member (a manager looking at a room)
 * @returns {{rename: boolean, members: boolean, leave: boolean, archive: boolean}}
 */
export function roomMenu(room, { accountRole, roomRole }) {
  if (!room || room.type !== "room") return { rename: false, members: false, leave: false, archive: false };
  const manages = isManager(accountRole) || roomRole === "owner" || roomRole === "moderator";
  return { rename: manages, members: manages, leave: roomRole !== null, archive: isManager(accountRole) };
}

/**
 * Own messages only, never a deleted or system one.
 *
 * @param {Message} message
 * @param {number} selfId
 */
export function canEditMessage(message, selfId) {
  return Boolean(message) && message.sender_id === selfId && !message.deleted_at && message.message_type !== "system";
}

/**
 * Deletes: the sender, the room's owners and moderators, admins and supervisors; never twice,
 * never a system message.
 *
 * @param {Message} message
 * @param {{selfId: number, accountRole: AccountRole | string, roomRole: MemberRole | null}} who
 */
export function canDeleteMessage(message, { selfId, accountRole, roomRole }) {
  if (!message || message.deleted_at || message.message_type === "system") return false;
  return message.sender_id === selfId || isManager(accountRole) || roomRole === "owner" || roomRole === "moderator";
}
