import test from "node:test";
import assert from "node:assert/strict";
import { canCreateRoom, canDeleteMessage, canEditMessage, roomMenu } from "../../src/lib/permissions.js";

/** @param {Partial<import("../../src/types.js").Message>} m */
const msg = (m) => /** @type {import("../../src/types.js").Message} */ ({ id: "m", room_id: "r", account_id: 1, sender_id: 3, content: "x", message_type: "text", mentions: [], client_id: null, seq: 1, created_at: "2026-01-01T00:00:00.000Z", edited_at: null, deleted_at: null, ...m });

test("only admins and supervisors see Nova sala", () => {
  assert.equal(canCreateRoom("admin"), true);
  assert.equal(canCreateRoom("supervisor"), true);
  assert.equal(canCreateRoom("agent"), false);
  assert.equal(canCreateRoom("owner"), false);
  assert.equal(canCreateRoom(""), false);
});

test("room menu by permission: DMs have none; managers and owners/moderators manage; only managers archive", () => {
  const room = /** @type {const} */ ({ type: "room" });
  assert.deepEqual(roomMenu({ type: "dm" }, { accountRole: "admin", roomRole: "owner" }), { rename: false, members: false, leave: false, archive: false });
  assert.deepEqual(roomMenu(room, { accountRole: "agent", roomRole: "member" }), { rename: false, members: false, leave: true, archive: false });
  assert.deepEqual(roomMenu(room, { accountRole: "agent", roomRole: "moderator" }), { rename: true, members: true, leave: true, archive: false });
  assert.deepEqual(roomMenu(room, { accountRole: "agent", roomRole: "owner" }), { rename: true, members: true, leave: true, archive: false });
  assert.deepEqual(roomMenu(room, { accountRole: "supervisor", roomRole: null }), { rename: true, members: true, leave: false, archive: true });
  assert.deepEqual(roomMenu(room, { accountRole: "admin", roomRole: "member" }), { rename: true, members: true, leave: true, archive: true });
});

test("edit: own, live, non-system messages only", () => {
  assert.equal(canEditMessage(msg({}), 3), true);
  assert.equal(canEditMessage(msg({}), 4), false);
  assert.equal(canEditMessage(msg({ deleted_at: "2026-01-01T00:00:01.000Z", content: null }), 3), false);
  assert.equal(canEditMessage(msg({ message_type: "system" }), 3), false);
});

test("delete: sender, room owners/moderators, admins, supervisors; never a deleted or system message", () => {
  const other = { selfId: 4, accountRole: "agent", roomRole: /** @type {const} */ ("member") };
  assert.equal(canDeleteMessage(msg({}), { ...other, selfId: 3 }), true);
  assert.equal(canDeleteMessage(msg({}), other), false);
  assert.equal(canDeleteMessage(msg({}), { ...other, roomRole: "moderator" }), true);
  assert.equal(canDeleteMessage(msg({}), { ...other, roomRole: "owner" }), true);
  assert.equal(canDeleteMessage(msg({}), { ...other, accountRole: "supervisor", roomRole: null }), true);
  assert.equal(canDeleteMessage(msg({}), { ...other, accountRole: "admin" }), true);
  assert.equal(canDeleteMessage(msg({ deleted_at: "2026-01-01T00:00:01.000Z" }), { ...other, accountRole: "admin" }), false);
  assert.equal(canDeleteMessage(msg({ message_type: "system" }), { ...other, accountRole: "admin" }), false);
});
