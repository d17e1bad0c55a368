import test from "node:test";
import assert from "node:assert/strict";
import { buildRows, continues } from "../../src/lib/grouping.js";

/** @typedef {import("../../src/types.js").Message} Message */

/**
 * @param {number} seq
 * @param {number} sender
 * @param {string} at
 * @param {Partial<Message>} [extra]
 * @returns {Message}
 */
function msg(seq, sender, at, extra = {}) {
  return {
    id: `m${seq}`, room_id: "r", account_id: 1, sender_id: sender, content: `hi ${seq}`,
    message_type: "text", mentions: [], client_id: null, seq, created_at: at,
    edited_at: null, deleted_at: null, ...extra,
  };
}

/** @param {import("../../src/lib/grouping.js").Row[]} rows */
const shape = (rows) => rows.map((r) => (r.kind === "message" ? `${r.key}${r.groupStart ? "*" : ""}${r.groupEnd ? "." : ""}` : r.kind));

test("one sender within 5 minutes is one group; a 5:01 gap or another sender starts another", () => {
  const rows = buildRows([
    msg(1, 7, "2026-12-03T12:00:00.000Z"),
    msg(2, 7, "2026-12-03T12:04:00.000Z"),
    msg(3, 7, "2026-12-03T12:09:00.000Z"), // 5 min exactly after #2: same group
    msg(4, 7, "2026-12-03T12:14:01.000Z"), // 5:01 after #3
    msg(5, 8, "2026-12-03T12:14:30.000Z"),
    msg(6, 7, "2026-12-03T12:14:40.000Z"),
  ], { timeZone: "UTC" });
  assert.deepEqual(shape(rows), ["day", "m1*", "m2", "m3.", "m4*.", "m5*.", "m6*."]);
});

test("day boundaries follow the user's zone and break groups", () => {
  const list = [
    msg(1, 7, "2026-12-03T02:58:00.000Z"), // 23:58 on the 2nd in São Paulo
    msg(2, 7, "2026-12-03T03:01:00.000Z"), // 00:01 on the 3rd in São Paulo
  ];
  assert.deepEqual(shape(buildRows(list, { timeZone: "America/Sao_Paulo" })), ["day", "m1*.", "day", "m2*."]);
  assert.deepEqual(shape(buildRows(list, { timeZone: "UTC" })), ["day", "m1*", "m2."]);
  const days = buildRows(list, { timeZone: "America/Sao_Paulo" }).filter((r) => r.kind === "day");
  assert.deepEqual(days.map((d) => d.key), ["day:2026-12-02", "day:2026-12-03"]);
});

test("the unread line goes before the first message of someone else after the read point", () => {
  const list = [
    msg(1, 8, "2026-12-03T12:00:00.000Z"),
    msg(2, 7, "2026-12-03T12:01:00.000Z"), // own message after the read point: no line before it
    msg(3, 8, "2026-12-03T12:02:00.000Z"),
    msg(4, 8, "2026-12-03T12:03:00.000Z"),
  ];
  const rows = buildRows(list, { timeZone: "UTC", unreadAfterSeq: 1, selfId: 7 });
  assert.deepEqual(shape(rows), ["day", "m1*.", "m2*.", "unread", "m3*", "m4."]);
  assert.deepEqual(shape(buildRows(list, { timeZone: "UTC", unreadAfterSeq: 4, selfId: 7 })).includes("unread"), false);
  assert.deepEqual(shape(buildRows(list, { timeZone: "UTC", unreadAfterSeq: null })).includes("unread"), false);
});

test("system messages, deleted messages and clocks going backwards", () => {
  const rows = buildRows([
    msg(1, 7, "2026-12-03T12:00:00.000Z"),
    msg(2, 7, "2026-12-03T12:00:10.000Z", { message_type: "system" }),
    msg(3, 7, "2026-12-03T12:00:20.000Z", { content: null, deleted_at: "2026-12-03T12:01:00.000Z" }),
    msg(4, 7, "2026-12-03T12:00:30.000Z"),
    msg(5, 7, "2026-12-03T12:00:29.000Z"),
  ], { timeZone: "UTC" });
  assert.deepEqual(shape(rows), ["day", "m1*.", "m2*.", "m3*", "m4.", "m5*."]);
  assert.equal(continues(msg(1, 7, "bad"), msg(2, 7, "2026-12-03T12:00:00.000Z")), false);
});

test("empty input, one message", () => {
  assert.deepEqual(buildRows([], { timeZone: "UTC" }), []);
  assert.deepEqual(shape(buildRows([msg(1, 7, "2026-12-03T12:00:00.000Z")], { timeZone: "UTC" })), ["day", "m1*."]);
});
