import test from "node:test";
import assert from "node:assert/strict";
import { UnreadState } from "../../src/lib/unread.js";

const ME = 7;

/**
 * @param {string} room
 * @param {number} seq
 * @param {number} sender
 * @param {number[]} [mentions]
 */
const created = (room, seq, sender, mentions = []) => ({
  id: seq, type: "message.created", account_id: 1, room_id: room, ts: "2026-12-03T12:00:00.000Z",
  data: { id: `${room}-${seq}`, room_id: room, account_id: 1, sender_id: sender, content: "x", message_type: "text",
    mentions, client_id: null, seq, created_at: "2026-12-03T12:00:00.000Z", edited_at: null, deleted_at: null },
});

/** @param {Record<string, unknown>} data */
const readUpdated = (data) => ({ id: 99, type: "read.updated", account_id: 1, room_id: String(data.room_id), ts: "", data });

test("the summary seeds the counts; messages from others count up, mentions too", () => {
  const u = new UnreadState({ selfId: ME });
  u.setSummary({ total: 3, rooms: [{ room_id: "a", unread_count: 3, mention_count: 1 }, { room_id: "b", unread_count: 0, mention_count: 0 }] });
  assert.deepEqual(u.totals(), { total: 3, mentions: 1 });
  assert.ok(u.applyEvent(created("b", 5, 8, [ME])));
  assert.ok(u.applyEvent(created("b", 6, 8)));
  assert.deepEqual(u.room("b"), { unread: 2, mentions: 1 });
  assert.deepEqual(u.totals(), { total: 5, mentions: 2 });
});

test("duplicated and replayed events count once; own and system messages never", () => {
  const u = new UnreadState({ selfId: ME });
  u.setRooms([{ id: "a", account_id: 1, type: "room", name: "A", created_by: 1, created_at: "", updated_at: "", last_seq: 10, unread_count: 2, mention_count: 0 }]);
  assert.equal(u.applyEvent(created("a", 10, 8)), false, "already in the rooms list's count");
  assert.ok(u.applyEvent(created("a", 11, 8)));
  assert.equal(u.applyEvent(created("a", 11, 8)), false, "the same event twice");
  assert.equal(u.applyEvent(created("a", 12, ME)), false, "own message");
  assert.equal(u.applyEvent(created("a", 9, 8)), false, "an old one replayed");
  const sys = created("a", 13, 8);
  sys.data.message_type = "system";
  assert.equal(u.applyEvent(sys), false);
  assert.deepEqual(u.room("a"), { unread: 3, mentions: 0 });
});

test("read.updated from another tab sets the server's counts, and later messages count from there", () => {
  const u = new UnreadState({ selfId: ME });
  u.applyEvent(created("a", 1, 8, [ME]));
  u.applyEvent(created("a", 2, 8));
  assert.deepEqual(u.room("a"), { unread: 2, mentions: 1 });
  assert.ok(u.applyEvent(readUpdated({ room_id: "a", last_read_at: "x", last_read_seq: 2, unread_count: 0, mention_count: 0 })));
  assert.equal(u.applyEvent(readUpdated({ room_id: "a", last_read_at: "x", last_read_seq: 2, unread_count: 0, mention_count: 0 })), false);
  assert.equal(u.applyEvent(created("a", 2, 8)), false);
  assert.ok(u.applyEvent(created("a", 3, 8)));
  assert.deepEqual(u.totals(), { total: 1, mentions: 0 });
});

test("marking read locally, then the server's answer; rooms gone from the list", () => {
  const u = new UnreadState({ selfId: ME });
  u.setSummary({ total: 4, rooms: [{ room_id: "a", unread_count: 4, mention_count: 2 }, { room_id: "b", unread_count: 1, mention_count: 0 }] });
  assert.ok(u.markReadLocally("a", 40));
  assert.equal(u.markReadLocally("a"), false);
  assert.equal(u.applyReadState({ room_id: "a", last_read_at: "x", unread_count: 0 }), false);
  assert.equal(u.applyEvent(created("a", 40, 8)), false);
  assert.ok(u.applyEvent({ type: "room.deleted", account_id: 1, room_id: "b", ts: "", data: { id: "b" } }));
  assert.deepEqual(u.totals(), { total: 0, mentions: 0 });
  u.applyEvent(created("c", 1, 8));
  assert.equal(u.applyEvent({ type: "member.removed", account_id: 1, room_id: "c", ts: "", data: { room_id: "c", user_id: 99 } }), false);
  assert.ok(u.applyEvent({ type: "member.removed", account_id: 1, room_id: "c", ts: "", data: { room_id: "c", user_id: ME } }));
  assert.deepEqual(u.totals(), { total: 0, mentions: 0 });
});

test("a resync's summary replaces everything; garbage is ignored", () => {
  const u = new UnreadState({ selfId: ME });
  u.applyEvent(created("a", 1, 8));
  u.applyEvent(created("z", 1, 8));
  u.setSummary({ total: 1, rooms: [{ room_id: "a", unread_count: 1, mention_count: 0 }] });
  assert.deepEqual(u.totals(), { total: 1, mentions: 0 });
  assert.equal(u.applyEvent(created("a", 1, 8)), false, "still counted once after the resync");
  u.setSummary(/** @type {any} */ ({ rooms: [null, { room_id: "b", unread_count: -4, mention_count: "x" }] }));
  assert.deepEqual(u.room("b"), { unread: 0, mentions: 0 });
  assert.equal(u.applyEvent(/** @type {any} */ (null)), false);
  assert.equal(u.applyEvent(/** @type {any} */ ({ type: "message.created", data: { room_id: "a" } })), false);
});
