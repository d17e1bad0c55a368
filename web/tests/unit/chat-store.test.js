import test from "node:test";
import assert from "node:assert/strict";
import { ChatStore } from "../../src/chat/store.js";
import { ChatApiError } from "../../src/client.js";
import { createI18n } from "../../src/lib/i18n.js";

const ROOM = "01000000-0000-7000-8000-000000000001";
const DM = "01000000-0000-7000-8000-000000000002";
let seqClock = 0;

/** @param {number} seq @param {number} sender @param {Partial<import("../../src/types.js").Message>} [more] */
function message(seq, sender, more = {}) {
  seqClock += 1;
  return {
    id: `01000000-0000-7000-9000-${String(seq).padStart(12, "0")}`,
    room_id: ROOM,
    account_id: 1,
    sender_id: sender,
    content: `m${seq}`,
    message_type: /** @type {const} */ ("text"),
    mentions: [],
    client_id: null,
    seq,
    created_at: new Date(Date.UTC(2026, 0, 1, 12, 0, seqClock)).toISOString(),
    edited_at: null,
    deleted_at: null,
    ...more,
  };
}

/** A fake ChatClient: records calls, answers from the handlers given. */
function fakeClient(handlers = {}) {
  /** @type {{name: string, args: unknown[]}[]} */
  const calls = [];
  /** @type {Record<string, (...args: any[]) => any>} */
  const defaults = {
    listRooms: () => ({
      items: [
        { id: ROOM, account_id: 1, type: "room", name: "General", created_by: 1, created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z", last_message_at: "2026-01-01T12:00:00.000Z", last_seq: 2, unread_count: 1, mention_count: 0 },
        { id: DM, account_id: 1, type: "dm", name: null, created_by: 3, created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z", last_message_at: null, last_seq: 0, unread_count: 0, mention_count: 0 },
      ],
      next_cursor: null,
    }),
    listUsers: () => ({ items: [{ user_id: 3, name: "Alice", role: "agent", active: true, last_seen_at: null }, { user_id: 4, name: "Bob", role: "agent", active: true, last_seen_at: null }], next_cursor: null }),
    presence: () => ({ items: [{ user_id: 4, status: "online", last_seen_at: "2026-01-01T00:00:00.000Z" }], next_cursor: null }),
    listNotifications: () => ({ items: [], next_cursor: null }),
    getRoom: (/** @type {string} */ id) => ({ id, type: id === DM ? "dm" : "room", name: id === DM ? null : "General", members: [{ user_id: 3, role: "member", last_read_at: null, last_read_seq: 1 }, { user_id: 4, role: "owner", last_read_at: null, last_read_seq: 2 }] }),
    listMessages: () => ({ items: [message(2, 4), message(1, 3)], next_cursor: null, prev_cursor: null, anchor_id: null }),
    getUser: (/** @type {number} */ id) => ({ user_id: id, name: `User ${id}`, role: "agent", active: true, last_seen_at: null }),
    unread: () => ({ total: 0, rooms: [] }),
    markRead: (/** @type {string} */ room) => ({ room_id: room, last_read_at: null, last_read_seq: 2, unread_count: 0, mention_count: 0 }),
  };
  const all = { ...defaults, ...handlers };
  /** @type {any} */
  const client = {};
  for (const [name, fn] of Object.entries(all)) {
    client[name] = async (/** @type {unknown[]} */ ...args) => {
      calls.push({ name, args });
      return fn(...args);
    };
  }
  return { client, calls };
}

function fakeLive() {
  return { closed: 0, typed: /** @type {string[]} */ ([]), close() { this.closed += 1; }, typing(/** @type {string} */ r) { this.typed.push(r); return true; } };
}

/** @param {Record<string, (...args: any[]) => any>} [handlers] */
async function started(handlers) {
  const { client, calls } = fakeClient(handlers);
  const live = fakeLive();
  const store = new ChatStore({ client, live: /** @type {any} */ (live), selfId: 3, accountRole: "agent", selfName: "Alice", i18n: createI18n({ locale: "pt-BR" }), timeZone: "UTC" });
  /** @type {{type: string, detail: any}[]} */
  const events = [];
  for (const type of ["rooms", "timeline", "unread", "arrival", "ended", "notify", "problem", "typing"]) store.addEventListener(type, (e) => events.push({ type, detail: /** @type {CustomEvent} */ (e).detail }));
  await store.start(ROOM);
  return { store, calls, live, events };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

test("start loads rooms, names a DM after its peer, opens the room at the first unread", async () => {
  const { store, calls } = await started();
  assert.equal(store.currentRoomId, ROOM);
  assert.equal(store.unreadLine, 1, "the reader's last_read_seq places the Novas mensagens line");
  assert.deepEqual(calls.find((c) => c.name === "listMessages")?.args[1], { around: "first_unread", limit: 50 });
  assert.equal(store.roomName(store.rooms.get(DM)), "Bob");
  assert.equal(store.unread.room(ROOM).unread, 1);
  assert.deepEqual(store.timeline?.items().map((m) => m.seq), [1, 2]);
});

test("an optimistic send is replaced once whether the event or the ack comes first", async () => {
  /** @type {(m: any) => void} */
  let answer = () => {};
  /** @type {any} */
  let sent = null;
  const { store, events } = await started({
    sendMessage: (/** @type {string} */ room, /** @type {any} */ body) => {
      sent = body;
      return new Promise((resolve) => {
        answer = resolve;
      });
    },
  });
  store.send("  olá @Bob  ");
  assert.equal(store.timeline?.pending().length, 1);
  assert.equal(sent.content, "olá @Bob");
  assert.deepEqual(sent.mentions, [4]);
  assert.equal(sent.messageType, "mention");
  const confirmed = message(3, 3, { content: "olá @Bob", client_id: sent.clientId, mentions: [4], message_type: "mention" });
  store.handleEvent({ id: 10, type: "message.created", account_id: 1, room_id: ROOM, ts: confirmed.created_at, data: confirmed });
  answer(confirmed);
  await flush();
  assert.equal(store.timeline?.pending().length, 0);
  assert.deepEqual(store.timeline?.items().map((m) => m.seq), [1, 2, 3]);
  assert.equal(events.filter((e) => e.type === "arrival").length, 0, "own messages are not announced");
});

test("a failed send stays with its client_id and the retry reuses it", async () => {
  /** @type {string[]} */
  const ids = [];
  let fail = true;
  const { store } = await started({
    sendMessage: (/** @type {string} */ room, /** @type {any} */ body) => {
      ids.push(body.clientId);
      if (fail) throw new ChatApiError({ status: 0, code: "network_error", message: "down" });
      return message(3, 3, { client_id: body.clientId, content: body.content });
    },
  });
  store.send("oi");
  await flush();
  const [pending] = store.timeline?.pending() ?? [];
  assert.equal(pending.status, "failed");
  fail = false;
  store.retry(pending.client_id);
  await flush();
  assert.equal(ids.length, 2);
  assert.equal(ids[0], ids[1], "the same client_id: the server stores one message");
  assert.equal(store.timeline?.pending().length, 0);
  assert.equal(store.timeline?.items().length, 3);
});

test("a refused token ends the session: chat:error once, the realtime closed, nothing more sent", async () => {
  const { store, live, events, calls } = await started({
    sendMessage: () => {
      throw new ChatApiError({ status: 403, code: "user_deactivated", message: "no" });
    },
  });
  store.send("oi");
  await flush();
  assert.equal(store.ended, "user_deactivated");
  assert.equal(live.closed, 1);
  assert.deepEqual(events.filter((e) => e.type === "ended").map((e) => e.detail), [{ code: "user_deactivated" }]);
  const before = calls.length;
  store.send("again");
  await store.markAllNotificationsRead();
  await store.openDm(4);
  assert.equal(calls.length, before, "no request after the end");
  assert.equal(events.filter((e) => e.type === "problem").length, 0, "the end is not also a problem");
});

test("other 403s refuse one action only", async () => {
  const { store, events } = await started({
    createRoom: () => {
      throw new ChatApiError({ status: 403, code: "forbidden", message: "no" });
    },
  });
  assert.equal(await store.createRoom("x", []), false);
  assert.equal(store.ended, null);
  assert.equal(events.filter((e) => e.type === "problem").length, 1);
});

test("live events: arrivals from others announced once, badges counted once, typing cleared by the message", async () => {
  const { store, events } = await started();
  store.handleEvent({ type: "typing", account_id: 1, room_id: ROOM, ts: "2026-01-01T12:00:00.000Z", data: { room_id: ROOM, user_id: 4, expires_at: "2026-01-01T12:00:06.000Z" } });
  assert.deepEqual(store.typingState.typists(ROOM), [4]);
  const m = message(3, 4);
  const event = { id: 11, type: "message.created", account_id: 1, room_id: ROOM, ts: m.created_at, data: m };
  store.handleEvent(event);
  store.handleEvent(event);
  assert.deepEqual(store.typingState.typists(ROOM), []);
  assert.equal(events.filter((e) => e.type === "arrival").length, 1);
  assert.equal(store.unread.room(ROOM).unread, 2);
  assert.equal(store.rooms.get(ROOM)?.room.last_seq, 3);
  store.handleEvent({ id: 12, type: "read.updated", account_id: 1, room_id: ROOM, ts: m.created_at, data: { room_id: ROOM, last_read_at: null, last_read_seq: 3, unread_count: 0, mention_count: 0 } });
  assert.deepEqual(store.unread.totals(), { total: 0, mentions: 0 });
});

test("markRead posts once per newest message and applies the server's state", async () => {
  const { store, calls } = await started();
  await store.markRead();
  await store.markRead();
  assert.equal(calls.filter((c) => c.name === "markRead").length, 1);
  assert.equal(calls.find((c) => c.name === "markRead")?.args[1], message(2, 4).id);
  assert.equal(store.unread.room(ROOM).unread, 0);
  // Nothing unread: the reader's own new message needs no request.
  const own = message(3, 3);
  store.handleEvent({ id: 40, type: "message.created", account_id: 1, room_id: ROOM, ts: own.created_at, data: own });
  await store.markRead();
  assert.equal(calls.filter((c) => c.name === "markRead").length, 1);
});

test("removed from the open room: it leaves the list and another room opens", async () => {
  const { store } = await started();
  store.handleEvent({ id: 20, type: "member.removed", account_id: 1, room_id: ROOM, ts: "2026-01-01T12:00:00.000Z", data: { room_id: ROOM, user_id: 3 } });
  await flush();
  await flush();
  assert.equal(store.rooms.has(ROOM), false);
  assert.equal(store.currentRoomId, DM);
});

test("a notification for the host names the sender and carries the message text", async () => {
  const { store, events } = await started();
  const m = message(3, 4, { content: "@Alice olha", mentions: [3], message_type: "mention" });
  store.handleEvent({ id: 30, type: "message.created", account_id: 1, room_id: ROOM, ts: m.created_at, data: m });
  store.handleEvent({ id: 31, type: "notification.created", account_id: 1, room_id: ROOM, ts: m.created_at, data: { id: "n1", user_id: 3, kind: "mention", room_id: ROOM, message_id: m.id, created_at: m.created_at, read_at: null } });
  store.handleEvent({ id: 31, type: "notification.created", account_id: 1, room_id: ROOM, ts: m.created_at, data: { id: "n1", user_id: 3, kind: "mention", room_id: ROOM, message_id: m.id, created_at: m.created_at, read_at: null } });
  const notes = events.filter((e) => e.type === "notify").map((e) => e.detail);
  assert.deepEqual(notes, [{ kind: "mention", room_id: ROOM, message_id: m.id, title: "Bob mencionou você em General", body: "@Alice olha" }]);
  assert.equal(store.notifications.length, 1);
});

test("a presence.changed that races the presence list wins over it", async () => {
  /** @type {(v: any) => void} */
  let answer = () => {};
  const { client } = fakeClient({
    presence: () => new Promise((resolve) => {
      answer = resolve;
    }),
  });
  const store = new ChatStore({ client, live: /** @type {any} */ (fakeLive()), selfId: 3, accountRole: "agent", selfName: "Alice", i18n: createI18n({ locale: "pt-BR" }), timeZone: "UTC" });
  const starting = store.start(ROOM);
  await flush();
  store.handleEvent({ type: "presence.changed", account_id: 1, room_id: null, ts: "2026-01-01T00:00:00.000Z", data: { user_id: 4, status: "online", last_seen_at: "2026-01-01T00:00:00.000Z" } });
  answer({ items: [{ user_id: 4, status: "offline", last_seen_at: "2025-12-31T00:00:00.000Z" }, { user_id: 5, status: "away", last_seen_at: "2025-12-31T00:00:00.000Z" }], next_cursor: null });
  await starting;
  assert.equal(store.presence.get(4), "online", "the live event is newer than the list");
  assert.equal(store.presence.get(5), "away", "the list fills in the others");
});
