// Random interleavings of everything that can happen to a room's history — new messages
// (some the reader's own, optimistic, with acks lost, late or early), edits, deletes,
// duplicated events, pages answered late and out of order, jumps, trims, resyncs — checked
// against a model of the server after every step and at the end.

import test from "node:test";
import assert from "node:assert/strict";
import { Timeline } from "../../src/lib/timeline.js";

/** @typedef {import("../../src/types.js").Message} Message */
/** @typedef {import("../../src/types.js").MessagePage} MessagePage */
/** @typedef {import("../../src/lib/timeline.js").PageRequest} PageRequest */

const ROOM = "room";
const ME = 1;

/** @param {number} seed */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {number} seed */
function simulate(seed) {
  const rng = mulberry32(seed);
  /** @param {number} n */
  const int = (n) => Math.floor(rng() * n);
  let clock = Date.UTC(2026, 11, 3, 12, 0, 0);
  const stamp = () => new Date((clock += 1000)).toISOString();

  /** The server's room: index seq-1 holds the current version. @type {Message[]} */
  const server = [];
  /**
   * @param {number} sender
   * @param {string | null} clientId
   */
  const create = (sender, clientId) => {
    const seq = server.length + 1;
    /** @type {Message} */
    const m = {
      id: `m${seq}`, room_id: ROOM, account_id: 1, sender_id: sender, content: `text ${seq}`, message_type: "text",
      mentions: [], client_id: clientId, seq, created_at: stamp(), edited_at: null, deleted_at: null,
    };
    server.push(m);
    return m;
  };
  const initial = 30 + int(150);
  for (let i = 0; i < initial; i += 1) create(2 + int(3), null);

  /**
   * A page as the server answers it now.
   *
   * @param {{cursor?: string, around?: string}} query
   * @param {number} limit
   * @returns {MessagePage}
   */
  const list = (query, limit) => {
    /** @param {Message[]} slice */
    const page = (slice) => ({
      items: [...slice].reverse(),
      next_cursor: slice.length && slice[0].seq > 1 ? `older:${slice[0].seq}` : null,
      prev_cursor: slice.length && slice[slice.length - 1].seq < server.length ? `newer:${slice[slice.length - 1].seq}` : null,
    });
    if (query.cursor) {
      const [dir, at] = query.cursor.split(":");
      const k = Number(at);
      return dir === "older" ? page(server.filter((m) => m.seq < k).slice(-limit)) : page(server.filter((m) => m.seq > k).slice(0, limit));
    }
    if (query.around && query.around !== "first_unread") {
      const i = server.findIndex((m) => m.id === query.around);
      const from = Math.max(0, i - Math.floor(limit / 2));
      return { ...page(server.slice(from, from + limit)), anchor_id: query.around };
    }
    return page(server.slice(-limit));
  };

  const tl = new Timeline({ roomId: ROOM, selfId: ME, maxMessages: 40 + int(40) });
  /** Events in commit order, not yet delivered. @type {{type: string, data: Message}[]} */
  const events = [];
  /** Answers in flight. @type {{request: PageRequest, page: MessagePage}[]} */
  const inflight = [];
  /** Acks in flight. @type {Message[]} */
  const acks = [];
  let nextClientId = 0;

  /** @param {PageRequest | null} request */
  const ask = (request) => {
    if (request) inflight.push({ request, page: list(request.query, 5 + int(30)) });
  };
  /** @param {{type: string, data: Message}} e */
  const deliver = (e) => tl.applyEvent({ type: e.type, account_id: 1, room_id: ROOM, ts: e.data.created_at, data: e.data });

  const check = (/** @type {string} */ step) => {
    const items = tl.items();
    for (let i = 0; i < items.length; i += 1) {
      const m = items[i];
      assert.equal(m.id, `m${m.seq}`, `${step}: id and seq agree`);
      if (i > 0) assert.equal(m.seq, items[i - 1].seq + 1, `${step}: contiguous, ordered, no duplicates (seed ${seed})`);
      const current = server[m.seq - 1];
      if (current.deleted_at) {
        // Shown as deleted, or not yet told (its event is still queued).
        if (!m.deleted_at) assert.ok(events.some((e) => e.data.id === m.id), `${step}: a delete was lost (seed ${seed})`);
      }
    }
  };

  ask(tl.reset(rng() < 0.5 ? "latest" : { around: `m${1 + int(server.length)}` }));
  for (let step = 0; step < 250; step += 1) {
    const r = rng();
    if (r < 0.12) {
      const mine = rng() < 0.4;
      if (mine) {
        const clientId = `c${nextClientId++}`;
        tl.addPending({ clientId, content: "mine" });
        const m = create(ME, clientId);
        events.push({ type: "message.created", data: m });
        if (rng() < 0.8) acks.push(m);
        else tl.markFailed(clientId, new Error("lost answer"));
      } else {
        events.push({ type: "message.created", data: create(2 + int(3), null) });
      }
    } else if (r < 0.18 && server.length > 0) {
      const i = int(server.length);
      if (!server[i].deleted_at) {
        server[i] = { ...server[i], content: `edit ${step}`, edited_at: stamp() };
        events.push({ type: "message.updated", data: server[i] });
      }
    } else if (r < 0.22 && server.length > 0) {
      const i = int(server.length);
      if (!server[i].deleted_at) {
        server[i] = { ...server[i], content: null, deleted_at: stamp() };
        events.push({ type: "message.deleted", data: server[i] });
      }
    } else if (r < 0.42 && events.length > 0) {
      const e = /** @type {{type: string, data: Message}} */ (events.shift());
      deliver(e);
      if (rng() < 0.2) deliver(e); // a duplicate
    } else if (r < 0.5 && acks.length > 0) {
      tl.applyAck(acks.splice(int(acks.length), 1)[0]);
    } else if (r < 0.62) {
      ask(tl.request(rng() < 0.5 ? "older" : "newer"));
    } else if (r < 0.8 && inflight.length > 0) {
      const { request, page } = inflight.splice(int(inflight.length), 1)[0];
      tl.applyPage(request, page);
    } else if (r < 0.83) {
      ask(tl.reset(rng() < 0.5 ? "latest" : { around: `m${1 + int(server.length)}` }));
    } else if (r < 0.86) {
      tl.trim(rng() < 0.5 ? "older" : "newer");
    } else if (r < 0.88) {
      ask(tl.resync());
    } else if (r < 0.9) {
      const failed = tl.pending().find((p) => p.status === "failed");
      if (failed && tl.retry(failed.client_id)) {
        // The retry reuses the client_id: the server answers with the original message.
        const original = server.find((m) => m.client_id === failed.client_id);
        if (original) acks.push(server[original.seq - 1]);
      }
    } else if (tl.needsReload) {
      ask(tl.reset("latest"));
    }
    check(`step ${step}`);
  }

  // Drain: every event, every ack, every answer (in random order).
  while (events.length > 0) deliver(/** @type {{type: string, data: Message}} */ (events.shift()));
  while (acks.length > 0) tl.applyAck(acks.splice(int(acks.length), 1)[0]);
  while (inflight.length > 0) {
    const { request, page } = inflight.splice(int(inflight.length), 1)[0];
    tl.applyPage(request, page);
  }
  check("drained");
  for (const m of tl.items()) assert.deepEqual(m, server[m.seq - 1], `seed ${seed}: ${m.id} is the server's current version`);
  for (const p of tl.pending()) {
    assert.equal(p.status, "failed", `seed ${seed}: only a send whose answer was lost and never retried may stay`);
    assert.ok(!server.some((m) => m.client_id === p.client_id && events.length === 0 && tl.get(m.id)), `seed ${seed}: a pending message shown twice`);
  }
  // Walk to the live end and back to the start with fresh answers: the whole room, once.
  if (tl.needsReload || !tl.loaded) ask(tl.reset("latest"));
  while (inflight.length > 0) {
    const { request, page } = /** @type {{request: PageRequest, page: MessagePage}} */ (inflight.shift());
    tl.applyPage(request, page);
  }
  for (let req = tl.request("newer"), guard = 0; req && guard < 500; req = tl.request("newer"), guard += 1) tl.applyPage(req, list(req.query, 25));
  assert.equal(tl.atLatest, true, `seed ${seed}: reaches the live end`);
  assert.equal(tl.items().at(-1)?.seq ?? 0, server.length, `seed ${seed}: the newest message is shown`);
  /** @type {Set<number>} */
  const seen = new Set(tl.items().map((m) => m.seq));
  for (let req = tl.request("older"), guard = 0; req && guard < 500; req = tl.request("older"), guard += 1) {
    tl.applyPage(req, list(req.query, 25));
    for (const m of tl.items()) seen.add(m.seq);
    check("walking back");
  }
  assert.equal(tl.atStart, true, `seed ${seed}: reaches the start`);
  assert.equal(seen.size, server.length, `seed ${seed}: every message was reachable`);
}

test("random interleavings of pages, events, acks, jumps and trims keep the history exact", () => {
  for (let seed = 1; seed <= 300; seed += 1) simulate(seed);
});
