import test from "node:test";
import assert from "node:assert/strict";
import { Timeline, isSameOrNewer } from "../../src/lib/timeline.js";

/** @typedef {import("../../src/types.js").Message} Message */
/** @typedef {import("../../src/types.js").MessagePage} MessagePage */

const ROOM = "room-1";
const ME = 7;
const OTHER = 8;

/**
 * @param {number} seq
 * @param {Partial<Message>} [extra]
 * @returns {Message}
 */
function msg(seq, extra = {}) {
  return {
    id: `m${seq}`, room_id: ROOM, account_id: 1, sender_id: OTHER, content: `text ${seq}`,
    message_type: "text", mentions: [], client_id: null, seq,
    created_at: new Date(Date.UTC(2026, 11, 3, 12, 0, seq)).toISOString(),
    edited_at: null, deleted_at: null, ...extra,
  };
}

/**
 * A fake room on the server with messages 1..n, paging like the API: newest first inside a
 * page, `next_cursor` older, `prev_cursor` newer, `around` centred.
 *
 * @param {number} n
 */
function fakeRoom(n) {
  /** @type {Message[]} */
  const all = Array.from({ length: n }, (_, i) => msg(i + 1));
  /**
   * @param {Message[]} slice ascending
   * @returns {MessagePage}
   */
  const page = (slice) => {
    const lo = slice.length ? slice[0].seq : 0;
    const hi = slice.length ? slice[slice.length - 1].seq : 0;
    return {
      items: [...slice].reverse(),
      next_cursor: slice.length && lo > 1 ? `older:${lo}` : null,
      prev_cursor: slice.length && hi < all.length ? `newer:${hi}` : null,
    };
  };
  return {
    all,
    /** @param {{cursor?: string, around?: string}} query @param {number} limit */
    list(query, limit = 50) {
      if (query.cursor) {
        const [dir, at] = query.cursor.split(":");
        const k = Number(at);
        if (dir === "older") return page(all.filter((m) => m.seq < k).slice(-limit));
        return page(all.filter((m) => m.seq > k).slice(0, limit));
      }
      if (query.around) {
        const i = all.findIndex((m) => m.id === query.around);
        const from = Math.max(0, i - Math.floor(limit / 2));
        return { ...page(all.slice(from, from + limit)), anchor_id: query.around };
      }
      return page(all.slice(-limit));
    },
  };
}

/** @param {Timeline} tl */
const seqs = (tl) => tl.items().map((m) => m.seq);

/** @param {number} a @param {number} b */
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/**
 * @param {string} type
 * @param {Message} data
 */
const ev = (type, data) => ({ id: 1, type, account_id: 1, room_id: data.room_id, ts: data.created_at, data });

test("the latest page, then older pages until the start, ordered by seq without duplicates", () => {
  const room = fakeRoom(120);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  assert.equal(tl.request("older"), null, "nothing to page before the first page");
  assert.ok(tl.applyPage(r, room.list(r.query)));
  assert.deepEqual(seqs(tl), range(71, 120));
  assert.equal(tl.atLatest, true);
  assert.equal(tl.atStart, false);
  const o1 = tl.request("older");
  assert.ok(o1);
  assert.equal(tl.request("older"), null, "one older load at a time");
  tl.applyPage(o1, room.list(o1.query));
  const o2 = tl.request("older");
  assert.ok(o2);
  tl.applyPage(o2, room.list(o2.query));
  assert.deepEqual(seqs(tl), range(1, 120));
  assert.equal(tl.atStart, true);
  assert.equal(tl.request("older"), null);
  // The same page again (a double scroll event answered twice) changes nothing.
  tl.applyPage({ kind: "older", generation: tl.generation, query: {} }, room.list({ cursor: "older:71" }));
  assert.deepEqual(seqs(tl), range(1, 120));
});

test("around a message, then newer pages up to the live end", () => {
  const room = fakeRoom(200);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset({ around: "m100" });
  assert.deepEqual(r.query, { around: "m100" });
  tl.applyPage(r, room.list(r.query, 20));
  assert.equal(tl.anchorId, "m100");
  assert.deepEqual(seqs(tl), range(90, 109));
  assert.equal(tl.atLatest, false);
  // A live message beyond the window is not shown yet; it is added once the window reaches
  // the live end, even by pages fetched before it was sent.
  assert.equal(tl.applyEvent(ev("message.created", msg(201))), false);
  assert.equal(tl.get("m201"), undefined);
  for (let req = tl.request("newer"); req; req = tl.request("newer")) tl.applyPage(req, room.list(req.query, 50));
  assert.equal(tl.atLatest, true);
  assert.deepEqual(seqs(tl), range(90, 201));
  assert.equal(tl.applyEvent(ev("message.created", msg(201))), false, "a duplicate");
  assert.ok(tl.applyEvent(ev("message.created", msg(202))));
  assert.deepEqual(seqs(tl).slice(-2), [201, 202]);
});

test("out-of-order pages: a stale page from before a jump is ignored; a page leaving a hole is refused", () => {
  const room = fakeRoom(300);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r1 = tl.reset("latest");
  tl.applyPage(r1, room.list(r1.query));
  const older = tl.request("older");
  assert.ok(older);
  const jump = tl.reset({ around: "m20" });
  tl.applyPage(jump, room.list(jump.query, 10));
  assert.equal(tl.applyPage(older, room.list(older.query)), false, "answer to a request made before the jump");
  assert.deepEqual(seqs(tl), range(15, 24));
  // A page that does not touch the window (here: 100..149) would leave a hole: refused.
  const req = tl.request("newer");
  assert.ok(req);
  assert.equal(tl.applyPage(req, room.list({ cursor: "newer:99" })), false);
  assert.deepEqual(seqs(tl), range(15, 24));
  assert.equal(tl.isLoading("newer"), false, "a refused page frees the side for another try");
  // The reset answer arriving twice (a retry after a timeout) does not duplicate either.
  assert.equal(tl.applyPage(jump, room.list(jump.query, 10)), true);
  assert.deepEqual(seqs(tl), range(15, 24));
});

test("a page fetched before an edit, a delete or a new message but answered after their events", () => {
  const room = fakeRoom(100);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, room.list(r.query, 20));
  const older = tl.request("older");
  assert.ok(older);
  const stale = room.list(older.query, 20); // the server answered 61..80 as they were
  // Then, before that answer reaches us: 70 is edited, 75 deleted (both outside the window).
  const edited = msg(70, { content: "new text", edited_at: "2026-12-03T13:00:00.000Z" });
  const deleted = msg(75, { content: null, deleted_at: "2026-12-03T13:00:01.000Z" });
  assert.equal(tl.applyEvent(ev("message.updated", edited)), false);
  assert.equal(tl.applyEvent(ev("message.deleted", deleted)), false);
  tl.applyPage(older, stale);
  assert.equal(tl.get("m70")?.content, "new text");
  assert.equal(tl.get("m75")?.deleted_at, "2026-12-03T13:00:01.000Z");
  assert.equal(tl.get("m75")?.content, null);
});

test("events during a reset are kept and applied after the page, without duplicates", () => {
  const room = fakeRoom(50);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  // 51 arrives before the page (fetched before 51 was sent); 50 arrives too (already in the page).
  tl.applyEvent(ev("message.created", msg(51)));
  tl.applyEvent(ev("message.created", msg(50)));
  tl.applyEvent(ev("message.updated", msg(49, { content: "edited", edited_at: "2026-12-03T13:00:00.000Z" })));
  tl.applyPage(r, room.list(r.query));
  assert.deepEqual(seqs(tl), range(1, 51));
  assert.equal(tl.get("m49")?.content, "edited", "the edit is newer than the page's copy");
});

test("a live message after a hole is not shown and asks for a reload", () => {
  const room = fakeRoom(10);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, room.list(r.query));
  assert.equal(tl.applyEvent(ev("message.created", msg(13))), false);
  assert.equal(tl.needsReload, true);
  assert.deepEqual(seqs(tl), range(1, 10));
  tl.reset("latest");
  assert.equal(tl.needsReload, false);
});

test("pending messages: ack first, then the event — replaced exactly once", () => {
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, { items: [msg(1)], next_cursor: null, prev_cursor: null });
  const p = tl.addPending({ clientId: "c-1", content: "olá" });
  assert.equal(p?.status, "sending");
  assert.equal(tl.addPending({ clientId: "c-1", content: "olá" }), null, "double submit");
  const sent = msg(2, { sender_id: ME, client_id: "c-1", content: "olá" });
  assert.ok(tl.applyAck(sent));
  assert.equal(tl.pending().length, 0);
  tl.applyEvent(ev("message.created", sent));
  assert.deepEqual(seqs(tl), [1, 2]);
  assert.equal(tl.addPending({ clientId: "c-1", content: "olá" }), null, "already confirmed");
});

test("pending messages: event first, then a late ack (older than an edit) — no duplicate, no old text", () => {
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, { items: [msg(1)], next_cursor: null, prev_cursor: null });
  tl.addPending({ clientId: "c-2", content: "oi" });
  const sent = msg(2, { sender_id: ME, client_id: "c-2", content: "oi" });
  assert.ok(tl.applyEvent(ev("message.created", sent)));
  assert.equal(tl.pending().length, 0);
  tl.applyEvent(ev("message.updated", { ...sent, content: "oi!", edited_at: "2026-12-03T12:10:00.000Z" }));
  tl.applyAck(sent);
  assert.deepEqual(seqs(tl), [1, 2]);
  assert.equal(tl.get("m2")?.content, "oi!");
  // The send's answer was lost: markFailed after the event is a no-op, nothing to retry.
  assert.equal(tl.markFailed("c-2"), false);
  assert.equal(tl.retry("c-2"), null);
});

test("a failed send keeps its client_id for the retry; another user's client_id never settles mine", () => {
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, { items: [], next_cursor: null, prev_cursor: null });
  tl.addPending({ clientId: "c-3", content: "retry me" });
  assert.equal(tl.retry("c-3"), null, "only failed messages are retried");
  assert.ok(tl.markFailed("c-3", new Error("offline")));
  assert.equal(tl.pending()[0].status, "failed");
  const again = tl.retry("c-3");
  assert.equal(again?.client_id, "c-3");
  assert.equal(again?.status, "sending");
  tl.applyEvent(ev("message.created", msg(1, { sender_id: OTHER, client_id: "c-3" })));
  assert.equal(tl.pending().length, 1);
  tl.applyAck(msg(2, { sender_id: ME, client_id: "c-3", content: "retry me" }));
  assert.equal(tl.pending().length, 0);
  assert.deepEqual(seqs(tl), [1, 2]);
});

test("a pending message settles even when its message lands outside the window", () => {
  const room = fakeRoom(400);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset({ around: "m10" });
  tl.applyPage(r, room.list(r.query, 10));
  tl.addPending({ clientId: "c-4", content: "far away" });
  assert.ok(tl.applyAck(msg(401, { sender_id: ME, client_id: "c-4" })));
  assert.equal(tl.pending().length, 0);
  assert.equal(tl.get("m401"), undefined);
});

test("edits and deletes: newest version wins; a delete is final; unknown messages are not added", () => {
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, { items: [msg(2), msg(1)], next_cursor: null, prev_cursor: null });
  const e1 = msg(1, { content: "v2", edited_at: "2026-12-03T12:05:00.000Z" });
  const e0 = msg(1, { content: "v1", edited_at: "2026-12-03T12:04:00.000Z" });
  const del = msg(1, { content: null, deleted_at: "2026-12-03T12:06:00.000Z", edited_at: "2026-12-03T12:05:00.000Z" });
  tl.applyEvent(ev("message.updated", e1));
  assert.equal(tl.applyEvent(ev("message.updated", e0)), false, "an older edit arriving late");
  assert.equal(tl.get("m1")?.content, "v2");
  tl.applyEvent(ev("message.deleted", del));
  assert.equal(tl.applyEvent(ev("message.updated", e1)), false, "no text comes back after a delete");
  assert.equal(tl.get("m1")?.content, null);
  assert.equal(tl.applyEvent(ev("message.updated", msg(99))), false);
  assert.equal(tl.get("m99"), undefined);
  // Other rooms' events and garbage are ignored.
  assert.equal(tl.applyEvent(ev("message.created", { ...msg(3), room_id: "other" })), false);
  assert.equal(tl.applyEvent(/** @type {any} */ ({ type: "message.created", room_id: ROOM, data: null })), false);
  assert.equal(tl.applyEvent(ev("room.updated", msg(3))), false);
  assert.deepEqual(seqs(tl), [1, 2]);
  assert.equal(isSameOrNewer(msg(1), msg(1)), true);
});

test("the window stays bounded and keeps how to reload what it dropped", () => {
  const room = fakeRoom(1000);
  const tl = new Timeline({ roomId: ROOM, selfId: ME, maxMessages: 300 });
  const r = tl.reset("latest");
  tl.applyPage(r, room.list(r.query, 100));
  // Scroll up through 500 messages: the newest are dropped.
  for (let i = 0; i < 5; i += 1) {
    const req = tl.request("older");
    assert.ok(req);
    tl.applyPage(req, room.list(req.query, 100));
    assert.ok(tl.size <= 300, `size ${tl.size}`);
  }
  assert.deepEqual(seqs(tl), range(401, 700));
  assert.equal(tl.atLatest, false);
  assert.deepEqual(tl.newer, { around: "m700" });
  // Live messages are not added while the newest part is dropped.
  room.all.push(msg(1001));
  assert.equal(tl.applyEvent(ev("message.created", msg(1001))), false);
  // Scroll back down: reloads what was dropped, contiguous, bounded, until live again.
  let guard = 0;
  for (let req = tl.request("newer"); req && guard < 50; req = tl.request("newer"), guard += 1) {
    assert.ok(tl.applyPage(req, room.list(req.query, 100)));
    assert.ok(tl.size <= 300);
    const s = seqs(tl);
    assert.equal(s[s.length - 1] - s[0] + 1, s.length, "no holes");
  }
  assert.equal(tl.atLatest, true);
  assert.deepEqual(seqs(tl), range(702, 1001));
  assert.deepEqual(tl.older, { around: "m702" });
  // Live appends grow the window until the page trims the side away from the reader.
  for (let s = 1002; s <= 1011; s += 1) {
    room.all.push(msg(s));
    tl.applyEvent(ev("message.created", msg(s)));
  }
  assert.equal(tl.size, 310);
  assert.equal(tl.trim("older"), 10);
  assert.deepEqual(seqs(tl), range(712, 1011));
  const back = tl.request("older");
  assert.deepEqual(back?.query, { around: "m712" });
});

test("resync reloads what is shown: the newest page when live, else around the anchor", () => {
  const room = fakeRoom(200);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  assert.deepEqual(tl.resync().query, {});
  const r = tl.reset({ around: "m50" });
  tl.applyPage(r, room.list(r.query, 20));
  tl.addPending({ clientId: "c-9", content: "still here" });
  const again = tl.resync();
  assert.deepEqual(again.query, { around: "m50" });
  // After a resync the server's state replaces the window (a message deleted meanwhile shows deleted).
  room.all[49] = msg(50, { content: null, deleted_at: "2026-12-03T13:00:00.000Z" });
  tl.applyPage(again, room.list(again.query, 20));
  assert.equal(tl.get("m50")?.deleted_at, "2026-12-03T13:00:00.000Z");
  assert.equal(tl.pending().length, 1, "pending messages survive; the page retries them with their client_id");
  const live = new Timeline({ roomId: ROOM, selfId: ME });
  const lr = live.reset("latest");
  live.applyPage(lr, room.list(lr.query));
  assert.deepEqual(live.resync().query, {});
});

test("the reader's last message for ↑-to-edit skips deleted and others' messages", () => {
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, {
    items: [msg(4), msg(3, { sender_id: ME, deleted_at: "2026-12-03T12:00:09.000Z", content: null }), msg(2, { sender_id: ME }), msg(1)],
    next_cursor: null, prev_cursor: null,
  });
  assert.equal(tl.lastOwnMessage()?.id, "m2");
});

test("a v1 server without prev_cursor: its pages are the newest", () => {
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, { items: [msg(3), msg(2)], next_cursor: "c" });
  assert.equal(tl.atLatest, true);
  const o = tl.request("older");
  assert.deepEqual(o?.query, { cursor: "c" });
  if (o) tl.applyPage(o, { items: [msg(1)], next_cursor: null });
  assert.equal(tl.atLatest, true);
  assert.equal(tl.atStart, true);
  assert.deepEqual(seqs(tl), [1, 2, 3]);
});

test("failed requests free their side; empty pages close it; discarded sends go", () => {
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset({ around: "m5" });
  tl.applyPage(r, { items: [msg(6), msg(5), msg(4)], next_cursor: "o", prev_cursor: "n", anchor_id: "m5" });
  const older = tl.request("older");
  assert.ok(older);
  assert.equal(tl.request("older"), null);
  tl.fail(older);
  const again = tl.request("older");
  assert.ok(again);
  tl.applyPage(again, { items: [], next_cursor: null, prev_cursor: "x" });
  assert.equal(tl.atStart, true);
  const newer = tl.request("newer");
  assert.ok(newer);
  tl.applyPage(newer, { items: [], next_cursor: "y", prev_cursor: null });
  assert.equal(tl.atLatest, true);
  // A failure reported for a request from before a jump does not free the new one.
  const o2 = tl.reset("latest");
  tl.fail(older);
  assert.equal(tl.isLoading("reset"), true);
  tl.applyPage(o2, { items: [msg(6)], next_cursor: "z", prev_cursor: null });
  tl.addPending({ clientId: "gone", content: "x" });
  tl.markFailed("gone");
  assert.equal(tl.discard("gone"), true);
  assert.deepEqual(tl.pending(), []);
});

test("a jump keeps the anchor in the middle when the page is larger than the bound", () => {
  const room = fakeRoom(100);
  const tl = new Timeline({ roomId: ROOM, selfId: ME, maxMessages: 10 });
  const r = tl.reset({ around: "m50" });
  tl.applyPage(r, room.list(r.query, 40));
  assert.deepEqual(seqs(tl), range(45, 54));
  assert.deepEqual(tl.older, { around: "m45" });
  assert.deepEqual(tl.newer, { around: "m54" });
});

test("only the last 500 messages from events are remembered for late pages", () => {
  const room = fakeRoom(1000);
  const tl = new Timeline({ roomId: ROOM, selfId: ME });
  const r = tl.reset("latest");
  tl.applyPage(r, room.list(r.query, 10));
  const older = tl.request("older");
  assert.ok(older);
  const stale = room.list(older.query, 10); // 981..990 as they were
  tl.applyEvent(ev("message.updated", msg(981, { content: "forgotten", edited_at: "2026-12-03T13:00:00.000Z" })));
  tl.applyEvent(ev("message.updated", msg(982, { content: "remembered", edited_at: "2026-12-03T13:00:00.000Z" })));
  for (let s = 1; s < 500; s += 1) tl.applyEvent(ev("message.updated", msg(s, { content: "x", edited_at: "2026-12-03T13:00:00.000Z" })));
  tl.applyPage(older, stale);
  assert.equal(tl.get("m981")?.content, "text 981");
  assert.equal(tl.get("m982")?.content, "remembered");
});
