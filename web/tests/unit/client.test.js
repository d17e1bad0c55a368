import test from "node:test";
import assert from "node:assert/strict";
import {
  createClient, ChatApiError, parseRetryAfter, filenameFromDisposition, isSessionFatal, newClientId,
} from "../../src/client.js";

const BASE = "https://chat.example.test";
const PREFIX = "/api/v1/accounts/42/chat";
const TOKEN = "eyJhbGciOiJIUzI1NiJ9.secret-token.sig";

/**
 * @param {number} status
 * @param {unknown} [body]
 * @param {Record<string, string>} [headers]
 */
function json(status, body, headers = {}) {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", "X-Request-Id": "req-1", ...headers },
  });
}

/**
 * A fake `fetch` with a route table (`"METHOD /path"` → handler) and a log of every call.
 *
 * @param {Record<string, (url: URL, init: RequestInit) => Response | Promise<Response>>} [routes]
 */
function fakeFetch(routes = {}) {
  /** @type {{method: string, url: string, path: string, headers: Record<string, string>, body: any, init: RequestInit}[]} */
  const calls = [];
  let tickets = 0;
  /** @type {Record<string, (url: URL, init: RequestInit) => Response | Promise<Response>>} */
  const table = {
    "POST /realtime/ticket": () => json(200, { ticket: `t${++tickets}`, expires_at: "2026-12-03T12:00:30.000Z" }),
    ...routes,
  };
  /** @type {typeof globalThis.fetch} */
  const fetchFn = async (input, init = {}) => {
    const url = new URL(String(input));
    const method = init.method ?? "GET";
    const path = url.pathname.startsWith(PREFIX) ? url.pathname.slice(PREFIX.length) : url.pathname;
    const headers = /** @type {Record<string, string>} */ (init.headers ?? {});
    calls.push({ method, url: url.href, path, headers, body: typeof init.body === "string" ? JSON.parse(init.body) : undefined, init });
    const handler = table[`${method} ${path}`];
    return handler ? handler(url, init) : json(200, { items: [], next_cursor: null });
  };
  return { fetch: fetchFn, calls, routes: table };
}

/**
 * @param {typeof globalThis.fetch} fetchFn
 * @param {Partial<import("../../src/client.js").ClientOptions>} [extra]
 */
function client(fetchFn, extra = {}) {
  return createClient({ baseUrl: BASE, accountId: 42, getToken: () => TOKEN, fetch: fetchFn, ...extra });
}

test("every REST call sends the awaited token in the header, never in the URL", async () => {
  const f = fakeFetch();
  let n = 0;
  const c = client(f.fetch, { getToken: async () => `${TOKEN}-${++n}` });
  await c.listRooms({ limit: 20, cursor: "abc", scope: "account" });
  await c.createRoom({ name: "Suporte", memberIds: [3, 4] });
  await c.openDm(5);
  await c.getRoom("r/1");
  await c.renameRoom("r1", "Novo nome");
  await c.archiveRoom("r1");
  await c.addMembers("r1", [6], "moderator");
  await c.addMembers("r1", [7]);
  await c.removeMember("r1", 6);
  await c.listMessages("r1", { around: "first_unread", limit: 50 });
  await c.listMessages("r1", { cursor: "next" });
  await c.sendMessage("r1", { content: "olá @Ana", clientId: "c-1", mentions: [3] });
  await c.sendMessage("r1", { content: "sem menção" });
  await c.editMessage("m1", "editado");
  await c.deleteMessage("m1");
  await c.markRead("r1", "m1");
  await c.markRead("r1");
  await c.unread();
  await c.listAudit({ action: "room.created", actorId: 3, targetId: "r1", from: new Date("2026-12-01T00:00:00Z"), to: "2026-12-02T00:00:00.000Z", limit: 10 });
  await c.listUsers({ q: "joão", includeInactive: true });
  await c.listUsers({});
  await c.getUser(12);
  await c.stats("month");
  await c.listNotifications({ unreadOnly: true, limit: 5 });
  await c.markNotificationsRead(["n1", "n2"]);
  await c.markNotificationsRead("all");
  await c.presence();
  await c.realtimeTicket();

  assert.deepEqual(f.calls.map((x) => `${x.method} ${x.url.slice(BASE.length + PREFIX.length)}`), [
    "GET /rooms?limit=20&cursor=abc&scope=account",
    "POST /rooms",
    "POST /rooms",
    "GET /rooms/r%2F1",
    "PATCH /rooms/r1",
    "DELETE /rooms/r1",
    "POST /rooms/r1/members",
    "POST /rooms/r1/members",
    "DELETE /rooms/r1/members/6",
    "GET /rooms/r1/messages?limit=50&around=first_unread",
    "GET /rooms/r1/messages?cursor=next",
    "POST /rooms/r1/messages",
    "POST /rooms/r1/messages",
    "PATCH /messages/m1",
    "DELETE /messages/m1",
    "POST /rooms/r1/read",
    "POST /rooms/r1/read",
    "GET /unread",
    "GET /audit?action=room.created&actor_id=3&target_id=r1&from=2026-12-01T00%3A00%3A00.000Z&to=2026-12-02T00%3A00%3A00.000Z&limit=10",
    "GET /users?q=jo%C3%A3o&include_inactive=true",
    "GET /users",
    "GET /users/12",
    "GET /stats?range=month",
    "GET /notifications?unread_only=true&limit=5",
    "POST /notifications/read",
    "POST /notifications/read",
    "GET /presence",
    "POST /realtime/ticket",
  ]);
  assert.deepEqual(f.calls.map((x) => x.body).filter(Boolean), [
    { type: "room", name: "Suporte", member_ids: [3, 4] },
    { type: "dm", member_ids: [5] },
    { name: "Novo nome" },
    { user_ids: [6], role: "moderator" },
    { user_ids: [7] },
    { content: "olá @Ana", client_id: "c-1", mentions: [3] },
    { content: "sem menção", client_id: f.calls[12].body.client_id },
    { content: "editado" },
    { message_id: "m1" },
    {},
    { ids: ["n1", "n2"] },
    { all: true },
  ]);
  assert.match(f.calls[12].body.client_id, /^[!-~]{1,128}$/);
  f.calls.forEach((call, i) => {
    assert.equal(call.headers.Authorization, `Bearer ${TOKEN}-${i + 1}`, "a fresh getToken() per call");
    assert.ok(!call.url.includes(TOKEN), `token in ${call.url}`);
    assert.equal(call.init.credentials, "omit");
    assert.equal(call.headers["Content-Type"], call.body === undefined ? undefined : "application/json");
  });
});

test("the base URL may carry a path prefix; a bad account id or missing getToken is refused", async () => {
  const f = fakeFetch();
  const c = createClient({ baseUrl: "https://hub.test/chat/", accountId: "42", getToken: () => TOKEN, fetch: f.fetch });
  await c.unread();
  assert.equal(f.calls[0].url, "https://hub.test/chat/api/v1/accounts/42/chat/unread");
  assert.throws(() => createClient({ baseUrl: BASE, accountId: "42; drop", getToken: () => TOKEN, fetch: f.fetch }), TypeError);
  assert.throws(() => createClient({ baseUrl: BASE, accountId: 0, getToken: () => TOKEN, fetch: f.fetch }), TypeError);
  assert.throws(() => createClient(/** @type {any} */ ({ baseUrl: BASE, accountId: 1, fetch: f.fetch })), TypeError);
});

test("errors: the contract's JSON body, Retry-After, details, request id", async () => {
  const f = fakeFetch({
    "GET /rooms": () => json(429, { error: { code: "rate_limited", message: "slow down", request_id: "req-429" } }, { "Retry-After": "7" }),
    "POST /rooms": () => json(422, { error: { code: "validation_failed", message: "bad", request_id: "req-422", details: [{ field: "name", message: "too long" }] } }),
    "GET /unread": () => json(503, { error: { code: "overloaded", message: "busy", request_id: "r" } }, { "Retry-After": "Thu, 03 Dec 2099 12:00:00 GMT" }),
  });
  const c = client(f.fetch);
  await assert.rejects(c.listRooms(), (e) => {
    assert.ok(e instanceof ChatApiError);
    assert.equal(e.status, 429);
    assert.equal(e.code, "rate_limited");
    assert.equal(e.message, "slow down");
    assert.equal(e.requestId, "req-429");
    assert.equal(e.retryAfter, 7);
    return true;
  });
  await assert.rejects(c.createRoom({ name: "x".repeat(100) }), (e) => {
    assert.ok(e instanceof ChatApiError);
    assert.deepEqual(e.details, [{ field: "name", message: "too long" }]);
    assert.equal(e.retryAfter, null);
    return true;
  });
  await assert.rejects(c.unread(), (e) => e instanceof ChatApiError && e.code === "overloaded" && typeof e.retryAfter === "number" && e.retryAfter > 1000);
});

test("errors without a JSON body: the status decides the code, the header the request id", async () => {
  const f = fakeFetch({
    "GET /rooms": () => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "X-Request-Id": "px-1" } }),
    "GET /unread": () => new Response("", { status: 503, headers: { "Retry-After": "3" } }),
    "GET /presence": () => new Response("{\"error\": \"not an object\"}", { status: 404 }),
    "GET /stats": () => new Response("not json", { status: 200 }),
    "DELETE /messages/m1": () => new Response(null, { status: 204 }),
    "GET /users": () => new Response("", { status: 418 }),
  });
  const c = client(f.fetch);
  await assert.rejects(c.listRooms(), (e) => e instanceof ChatApiError && e.status === 502 && e.code === "internal" && e.requestId === "px-1" && e.message === "Bad Gateway");
  await assert.rejects(c.unread(), (e) => e instanceof ChatApiError && e.code === "overloaded" && e.retryAfter === 3 && e.requestId === null);
  await assert.rejects(c.presence(), (e) => e instanceof ChatApiError && e.code === "not_found");
  await assert.rejects(c.stats(), (e) => e instanceof ChatApiError && e.code === "invalid_response" && e.status === 200);
  await assert.rejects(c.listUsers(), (e) => e instanceof ChatApiError && e.code === "http_418");
  assert.equal(await c.deleteMessage("m1"), undefined);
});

test("network failures and aborts", async () => {
  const offline = client(async () => {
    throw new TypeError("Failed to fetch");
  });
  await assert.rejects(offline.unread(), (e) => e instanceof ChatApiError && e.status === 0 && e.code === "network_error" && e.cause instanceof TypeError);
  const controller = new AbortController();
  const aborting = client(async (_url, init) => {
    controller.abort();
    throw init?.signal?.reason ?? new Error("aborted");
  });
  await assert.rejects(aborting.unread({ signal: controller.signal }), (e) => e instanceof Error && e.name === "AbortError");
  const noToken = client(fakeFetch().fetch, { getToken: () => "" });
  await assert.rejects(noToken.unread(), (e) => e instanceof ChatApiError && e.code === "unauthorized" && e.status === 0);
  const failingHost = client(fakeFetch().fetch, { getToken: async () => { throw new Error("host refresh failed"); } });
  await assert.rejects(failingHost.unread(), (e) => e instanceof ChatApiError && e.code === "token_unavailable" && e.status === 0);
  assert.equal(isSessionFatal(new ChatApiError({ status: 401, code: "unauthorized", message: "" })), true);
  assert.equal(isSessionFatal(new ChatApiError({ status: 403, code: "user_deactivated", message: "" })), true);
  assert.equal(isSessionFatal(new ChatApiError({ status: 403, code: "account_mismatch", message: "" })), true);
  assert.equal(isSessionFatal(new ChatApiError({ status: 403, code: "forbidden", message: "" })), false, "one action refused");
  assert.equal(isSessionFatal(new ChatApiError({ status: 403, code: "entitlement_denied", message: "max_rooms" })), false);
  assert.equal(isSessionFatal(new ChatApiError({ status: 429, code: "rate_limited", message: "" })), false);
  assert.equal(isSessionFatal(new Error("x")), false);
});

test("Retry-After: seconds or an HTTP date; garbage is null", () => {
  const now = Date.parse("2026-12-03T12:00:00.000Z");
  assert.equal(parseRetryAfter("5", now), 5);
  assert.equal(parseRetryAfter(" 0 ", now), 0);
  assert.equal(parseRetryAfter("Thu, 03 Dec 2026 12:00:10 GMT", now), 10);
  assert.equal(parseRetryAfter("Thu, 03 Dec 2026 11:00:00 GMT", now), 0);
  assert.equal(parseRetryAfter("-1", now), null);
  assert.equal(parseRetryAfter("soon", now), null);
  assert.equal(parseRetryAfter("", now), null);
  assert.equal(parseRetryAfter(null, now), null);
});

test("audit export: a URL without credentials, and a streamed download with the token in the header", async () => {
  const f = fakeFetch({
    "GET /audit/export": () => new Response("\ufeffid,created_at\n", {
      status: 200,
      headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": 'attachment; filename="audit-42-2026-12-01-2026-12-02.csv"' },
    }),
  });
  const c = client(f.fetch);
  const url = new URL(c.auditExportUrl({ format: "csv", delimiter: "semicolon", action: "member.added", from: "2026-12-01T00:00:00.000Z" }));
  assert.equal(url.pathname, `${PREFIX}/audit/export`);
  assert.deepEqual(Object.fromEntries(url.searchParams), { format: "csv", delimiter: "semicolon", action: "member.added", from: "2026-12-01T00:00:00.000Z" });
  assert.equal(new URL(c.auditExportUrl({ format: "jsonl", delimiter: "comma" })).searchParams.has("delimiter"), false);
  const { response, filename } = await c.exportAudit({ format: "csv", delimiter: "comma", actorId: 3 });
  assert.equal(filename, "audit-42-2026-12-01-2026-12-02.csv");
  const bytes = new Uint8Array(await (await response.blob()).arrayBuffer());
  assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf], "the BOM reaches the file");
  assert.equal(f.calls[0].url, `${BASE}${PREFIX}/audit/export?format=csv&delimiter=comma&actor_id=3`);
  assert.equal(f.calls[0].headers.Authorization, `Bearer ${TOKEN}`);
});

test("file names from Content-Disposition are taken safely", () => {
  assert.equal(filenameFromDisposition('attachment; filename="a b.csv"'), "a b.csv");
  assert.equal(filenameFromDisposition("attachment; filename=plain.jsonl"), "plain.jsonl");
  assert.equal(filenameFromDisposition("attachment; filename*=UTF-8''rel%C3%A1torio.csv; filename=\"x.csv\""), "relátorio.csv");
  assert.equal(filenameFromDisposition('attachment; filename="../../etc/passwd"'), ".._.._etc_passwd");
  assert.equal(filenameFromDisposition("attachment"), null);
  assert.equal(filenameFromDisposition(null), null);
  assert.equal(filenameFromDisposition('attachment; filename=""'), null);
  assert.match(newClientId(), /^[!-~]{1,128}$/);
  assert.notEqual(newClientId(), newClientId());
});

// ---- realtime ---------------------------------------------------------------------------

/** A fake clock and timer queue. */
function fakeTimers() {
  let now = 1_000_000;
  /** @type {{fn: () => void, at: number, ms: number}[]} */
  let queue = [];
  return {
    now: () => now,
    /** @param {() => void} fn @param {number} ms */
    setTimeout(fn, ms) {
      const timer = { fn, at: now + ms, ms };
      queue.push(timer);
      return timer;
    },
    /** @param {any} timer */
    clearTimeout(timer) {
      queue = queue.filter((t) => t !== timer);
    },
    /** delays of the timers waiting */
    pending: () => queue.map((t) => t.ms),
    /** @param {number} ms */
    async advance(ms) {
      now += ms;
      for (;;) {
        const due = queue.filter((t) => t.at <= now).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        queue = queue.filter((t) => t !== due);
        due.fn();
        await flush();
      }
    },
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A fake WebSocket class; every instance is kept for the test to drive. */
function fakeSockets() {
  /** @type {FakeSocket[]} */
  const instances = [];
  class FakeSocket {
    /** @param {string} url */
    constructor(url) {
      this.url = url;
      this.readyState = 0;
      /** @type {any[]} */
      this.sent = [];
      /** @type {{code?: number, reason?: string} | null} */
      this.closedByClient = null;
      /** @type {((ev: any) => void) | null} */ this.onopen = null;
      /** @type {((ev: {data: unknown}) => void) | null} */ this.onmessage = null;
      /** @type {((ev: {code: number, reason: string}) => void) | null} */ this.onclose = null;
      /** @type {((ev: any) => void) | null} */ this.onerror = null;
      instances.push(this);
    }
    /** @param {string} data */
    send(data) {
      this.sent.push(JSON.parse(data));
    }
    /** @param {number} [code] @param {string} [reason] */
    close(code, reason) {
      this.readyState = 3;
      this.closedByClient = { code, reason };
    }
    open() {
      this.readyState = 1;
      this.onopen?.({});
    }
    /** @param {unknown} frame */
    receive(frame) {
      this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
    }
    /** @param {number} code @param {string} [reason] */
    drop(code, reason = "") {
      this.readyState = 3;
      this.onerror?.({});
      this.onclose?.({ code, reason });
    }
    get params() {
      return Object.fromEntries(new URL(this.url).searchParams);
    }
  }
  return { FakeSocket, instances, last: () => instances[instances.length - 1] };
}

/**
 * @param {number} id
 * @param {string} [type]
 */
const event = (id, type = "message.created") => ({ id, type, account_id: 42, room_id: "r1", ts: "2026-12-03T12:00:00.000Z", data: { id: `m${id}` } });

/**
 * A connected setup: client, fake fetch, fake sockets, fake timers, and a log of what the
 * connection emitted.
 *
 * @param {{routes?: Parameters<typeof fakeFetch>[0], random?: () => number, since?: number}} [o]
 */
function realtimeSetup(o = {}) {
  const f = fakeFetch(o.routes);
  const sockets = fakeSockets();
  const timers = fakeTimers();
  const c = client(f.fetch);
  const live = c.connect({
    WebSocket: sockets.FakeSocket,
    setTimeout: timers.setTimeout,
    clearTimeout: timers.clearTimeout,
    now: timers.now,
    random: o.random ?? (() => 0.5),
    backoff: { baseMs: 100, capMs: 1000 },
    stableMs: 10_000,
    since: o.since,
  });
  /** @type {any[]} */
  const statuses = [];
  /** @type {any[]} */
  const events = [];
  live.on("status", (s) => statuses.push(s));
  live.on("event", (e) => events.push(e));
  const tickets = () => f.calls.filter((x) => x.path === "/realtime/ticket").length;
  return { f, sockets, timers, live, statuses, events, tickets };
}

test("connect: a ticket, then /ws with it (never the token); events in order, duplicates dropped", async () => {
  const s = realtimeSetup();
  assert.equal(s.live.status.state, "connecting");
  await flush();
  assert.equal(s.tickets(), 1);
  const ws = s.sockets.last();
  assert.equal(ws.url, `wss://chat.example.test${PREFIX}/ws?ticket=t1`);
  assert.ok(!ws.url.includes(TOKEN));
  ws.open();
  assert.equal(s.live.status.state, "open");
  /** @type {string[]} */
  const created = [];
  s.live.on("message.created", (e) => created.push(e.data.id));
  ws.receive(event(1));
  ws.receive(event(2));
  ws.receive(event(2));
  ws.receive(event(1));
  ws.receive({ type: "typing", account_id: 42, room_id: "r1", ts: "x", data: { user_id: 8 } });
  ws.receive(event(3));
  ws.receive("not json");
  ws.receive({ no: "type" });
  assert.deepEqual(created, ["m1", "m2", "m3"]);
  assert.deepEqual(s.events.map((e) => e.type), ["message.created", "message.created", "typing", "message.created"]);
  assert.equal(s.live.lastEventId, 3);
});

test("after a drop: backoff with jitter, a new ticket, and resume from the last id", async () => {
  const s = realtimeSetup({ random: () => 0.5 });
  await flush();
  s.sockets.last().open();
  s.sockets.last().receive(event(41));
  s.sockets.last().receive(event(42));
  s.sockets.last().drop(1006);
  assert.deepEqual(s.live.status, { state: "reconnecting", reason: "connection_lost", fatal: false, attempt: 1, retryInMs: 50 });
  assert.deepEqual(s.timers.pending(), [50]);
  await s.timers.advance(49);
  assert.equal(s.tickets(), 1, "waits the whole delay");
  await s.timers.advance(1);
  assert.equal(s.tickets(), 2, "a new ticket per connection");
  const ws2 = s.sockets.last();
  assert.deepEqual(ws2.params, { ticket: "t2", since: "42" });
  ws2.open();
  ws2.receive(event(42));
  ws2.receive(event(43));
  assert.deepEqual(s.events.map((e) => e.id), [41, 42, 43], "the seam has no duplicate");
  assert.equal(s.live.status.state, "open");
});

test("the delays grow by full jitter up to the cap, and reset once a connection was stable", async () => {
  const draws = [0.5, 0.5, 0.5, 0.5, 0.5, 0.999, 0, 0.5];
  let i = 0;
  const s = realtimeSetup({ random: () => draws[i++ % draws.length] });
  await flush();
  /** @type {number[]} */
  const delays = [];
  for (let k = 0; k < 7; k += 1) {
    s.sockets.last().drop(1006); // never opened: a failing server
    delays.push(/** @type {number} */ (s.live.status.retryInMs));
    await s.timers.advance(/** @type {number} */ (s.live.status.retryInMs));
  }
  // ceilings 100, 200, 400, 800, 1000, 1000, 1000 (cap) times the draws
  assert.deepEqual(delays, [50, 100, 200, 400, 500, 999, 0]);
  s.sockets.last().open();
  await s.timers.advance(10_000);
  s.sockets.last().drop(4008, "slow_consumer: too slow to keep up");
  assert.equal(s.live.status.reason, "slow_consumer");
  assert.equal(s.live.status.attempt, 1, "backoff restarted after a stable connection");
  assert.equal(s.live.status.retryInMs, 50);
});

test("a connection that drops at once does not reset the backoff", async () => {
  const s = realtimeSetup({ random: () => 0.5 });
  await flush();
  s.sockets.last().open();
  s.sockets.last().drop(1011, "internal: reading the event log failed");
  await s.timers.advance(50);
  s.sockets.last().open();
  await s.timers.advance(100);
  s.sockets.last().drop(1011);
  assert.equal(s.live.status.retryInMs, 100, "second attempt's window");
});

test("resync_required is surfaced, the resume point is dropped, and a resume without one asks to resync again", async () => {
  const s = realtimeSetup({ since: 999_999 });
  /** @type {any[]} */
  const resyncs = [];
  s.live.on("resync_required", (e) => resyncs.push(e.data));
  await flush();
  assert.equal(s.sockets.last().params.since, "999999");
  s.sockets.last().open();
  s.sockets.last().receive({ type: "resync_required", account_id: 42, room_id: null, ts: "x", data: { since: 999999, oldest_available: 10 } });
  assert.deepEqual(resyncs, [{ since: 999999, oldest_available: 10 }]);
  assert.equal(s.live.lastEventId, null);
  // Ids start over (another database): lower ids are accepted again.
  s.sockets.last().receive(event(5));
  assert.equal(s.live.lastEventId, 5);
  // A drop after the resync but before any new event: no resume point.
  s.sockets.last().receive({ type: "resync_required", account_id: 42, room_id: null, ts: "x", data: { since: 5, oldest_available: 10 } });
  s.sockets.last().drop(1001, "going_away: shutting down");
  assert.equal(s.live.status.reason, "going_away");
  await s.timers.advance(1000);
  assert.equal(s.sockets.last().params.since, undefined);
  s.sockets.last().open();
  assert.equal(resyncs.length, 3, "a synthetic resync_required: what happened meanwhile is unknown");
  assert.deepEqual(resyncs[2], { since: null, oldest_available: null });
});

test("4003 and 4004 stop for good: a fatal status and no retry", async () => {
  for (const [code, reason] of /** @type {const} */ ([[4003, "user_deactivated"], [4004, "entitlement_denied"]])) {
    const s = realtimeSetup();
    await flush();
    s.sockets.last().open();
    s.sockets.last().drop(code, `${reason}: bye`);
    assert.deepEqual(s.live.status, { state: "stopped", reason, fatal: true, attempt: 0, retryInMs: null });
    assert.deepEqual(s.timers.pending(), []);
    await s.timers.advance(3_600_000);
    assert.equal(s.tickets(), 1);
    assert.equal(s.sockets.instances.length, 1);
    assert.equal(s.live.send({ type: "ping" }), false);
  }
});

test("4001 token expired: a new ticket (made with a fresh token) and resume", async () => {
  const s = realtimeSetup();
  await flush();
  s.sockets.last().open();
  s.sockets.last().receive(event(7));
  s.sockets.last().drop(4001, "token_expired: the token expired");
  assert.equal(s.live.status.state, "reconnecting");
  assert.equal(s.live.status.reason, "token_expired");
  await s.timers.advance(1000);
  assert.deepEqual(s.sockets.last().params, { ticket: "t2", since: "7" });
});

test("ticket refusals: 401/403 end the session, 429 waits Retry-After, network errors back off", async () => {
  const unauthorized = realtimeSetup({ routes: { "POST /realtime/ticket": () => json(401, { error: { code: "unauthorized", message: "", request_id: "x" } }) } });
  await flush();
  assert.deepEqual(unauthorized.live.status, { state: "stopped", reason: "unauthorized", fatal: true, attempt: 0, retryInMs: null });
  assert.equal(unauthorized.sockets.instances.length, 0);

  const deactivated = realtimeSetup({ routes: { "POST /realtime/ticket": () => json(403, { error: { code: "user_deactivated", message: "", request_id: "x" } }) } });
  await flush();
  assert.equal(deactivated.live.status.reason, "user_deactivated");
  assert.equal(deactivated.live.status.fatal, true);

  let calls = 0;
  const limited = realtimeSetup({
    routes: {
      "POST /realtime/ticket": () => (++calls === 1
        ? json(429, { error: { code: "rate_limited", message: "", request_id: "x" } }, { "Retry-After": "5" })
        : json(200, { ticket: "ok", expires_at: "x" })),
    },
  });
  await flush();
  assert.equal(limited.live.status.state, "reconnecting");
  assert.equal(limited.live.status.reason, "rate_limited");
  assert.equal(limited.live.status.retryInMs, 5000);
  await limited.timers.advance(5000);
  assert.equal(limited.sockets.last().params.ticket, "ok");

  const offline = realtimeSetup({ routes: { "POST /realtime/ticket": () => { throw new TypeError("offline"); } } });
  await flush();
  assert.equal(offline.live.status.reason, "network_error");
  assert.equal(offline.live.status.state, "reconnecting");
});

test("close() stops for good, also in the middle of getting a ticket; reconnectNow skips the wait", async () => {
  const s = realtimeSetup();
  await flush();
  const ws = s.sockets.last();
  ws.open();
  s.live.close();
  assert.deepEqual(ws.closedByClient, { code: 1000, reason: "client closing" });
  assert.deepEqual(s.live.status, { state: "stopped", reason: "closed", fatal: false, attempt: 0, retryInMs: null });
  ws.drop(1000); // the close event of the socket we closed changes nothing
  await s.timers.advance(60_000);
  assert.equal(s.sockets.instances.length, 1);

  const early = realtimeSetup();
  early.live.close(); // the ticket request is in flight
  await flush();
  assert.equal(early.sockets.instances.length, 0, "no socket after close()");

  const again = realtimeSetup();
  await flush();
  again.sockets.last().drop(1006);
  assert.equal(again.timers.pending().length, 1);
  again.live.reconnectNow();
  await flush();
  assert.equal(again.sockets.instances.length, 2);
  assert.deepEqual(again.timers.pending(), [15_000], "the backoff timer is gone; only the new socket's open timeout");
  // start() after close() connects again, from the same resume point.
  again.sockets.last().open();
  again.sockets.last().receive(event(9));
  again.live.close();
  again.live.start();
  await flush();
  assert.equal(again.sockets.last().params.since, "9");
});

test("client frames: typing, presence, ping only while open; pong and error frames are surfaced", async () => {
  const s = realtimeSetup();
  assert.equal(s.live.typing("r1"), false, "not open yet");
  await flush();
  const ws = s.sockets.last();
  ws.open();
  assert.ok(s.live.typing("r1"));
  assert.ok(s.live.setPresence("away"));
  assert.ok(s.live.ping());
  assert.throws(() => s.live.setPresence(/** @type {any} */ ("offline")), RangeError);
  assert.deepEqual(ws.sent, [{ type: "typing", room_id: "r1" }, { type: "presence", status: "away" }, { type: "ping" }]);
  /** @type {any[]} */
  const got = [];
  s.live.on("pong", (p) => got.push(p));
  s.live.on("frame_error", (p) => got.push(p));
  ws.receive({ type: "pong" });
  ws.receive({ type: "error", code: "rate_limited", message: "too many frames" });
  assert.deepEqual(got, [{ type: "pong" }, { type: "error", code: "rate_limited", message: "too many frames" }]);
  assert.equal(s.events.length, 0, "neither is an event");
});

test("a replaced socket's late frames are ignored; a throwing listener does not stop the others", async () => {
  const s = realtimeSetup();
  await flush();
  const first = s.sockets.last();
  first.open();
  first.receive(event(1));
  first.drop(1006);
  await s.timers.advance(1000);
  const second = s.sockets.last();
  second.open();
  first.receive(event(100));
  first.drop(1006);
  assert.equal(s.live.status.state, "open");
  assert.deepEqual(s.events.map((e) => e.id), [1]);
  const original = console.error;
  /** @type {unknown[]} */
  const reported = [];
  console.error = (/** @type {unknown} */ e) => reported.push(e);
  try {
    s.live.on("message.created", () => {
      throw new Error("listener bug");
    });
    second.receive(event(2));
  } finally {
    console.error = original;
  }
  assert.deepEqual(s.events.map((e) => e.id), [1, 2], "the other listeners still ran");
  assert.equal(reported.length + (typeof globalThis.reportError === "function" ? 1 : 0) >= 1, true);
  const unsubscribe = s.live.on("event", () => assert.fail("removed"));
  unsubscribe();
  second.receive(event(3));
  assert.equal(s.events.length, 3);
});

test("the realtime URL is ws: for http and never carries the token", () => {
  const c = createClient({ baseUrl: "http://127.0.0.1:8080", accountId: 1, getToken: () => TOKEN, fetch: fakeFetch().fetch });
  assert.equal(c.websocketUrl("abc", 12), "ws://127.0.0.1:8080/api/v1/accounts/1/chat/ws?ticket=abc&since=12");
  assert.equal(c.websocketUrl("abc", null), "ws://127.0.0.1:8080/api/v1/accounts/1/chat/ws?ticket=abc");
  assert.equal(c.websocketUrl("abc", 0), "ws://127.0.0.1:8080/api/v1/accounts/1/chat/ws?ticket=abc&since=0");
});

test("realtime(): listeners see the first status; a chat disabled at ticket time is final; a failing host token is retried", async () => {
  const f = fakeFetch({ "POST /realtime/ticket": () => json(403, { error: { code: "entitlement_denied", message: "", request_id: "x" } }) });
  const sockets = fakeSockets();
  const timers = fakeTimers();
  const live = client(f.fetch).realtime({ WebSocket: sockets.FakeSocket, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout, now: timers.now });
  /** @type {string[]} */
  const states = [];
  live.on("status", (st) => states.push(`${st.state}:${st.reason}`));
  assert.equal(live.status.state, "stopped");
  live.start();
  await flush();
  assert.deepEqual(states, ["connecting:null", "stopped:entitlement_denied"]);
  assert.equal(live.status.fatal, true);

  const g = fakeFetch();
  const flaky = client(g.fetch, { getToken: () => { throw new Error("refresh failed"); } }).connect({
    WebSocket: sockets.FakeSocket, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout, now: timers.now, random: () => 0.5,
  });
  await flush();
  assert.equal(flaky.status.state, "reconnecting");
  assert.equal(flaky.status.reason, "token_unavailable");
  flaky.close();
});

test("an away presence is sent again after a reconnect (a new connection starts online)", async () => {
  const s = realtimeSetup();
  await flush();
  s.sockets.last().open();
  s.live.setPresence("away");
  s.sockets.last().drop(1006);
  await s.timers.advance(1000);
  s.sockets.last().open();
  assert.deepEqual(s.sockets.last().sent, [{ type: "presence", status: "away" }]);
  s.live.setPresence("online");
  s.sockets.last().drop(1006);
  await s.timers.advance(1000);
  s.sockets.last().open();
  assert.deepEqual(s.sockets.last().sent, []);
});

test("random drops, duplicates and replays: every event once, in order, resumed from the last id", async () => {
  const RESYNC = -1;
  for (let seed = 1; seed <= 40; seed += 1) {
    let a = seed;
    const rng = () => ((a = (a * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const s = realtimeSetup({ random: rng });
    let published = 0; // the server's event log: ids 1..published
    /** @type {number[]} */
    const got = [];
    s.live.on("message.created", (e) => got.push(e.id));
    s.live.on("resync_required", () => got.push(RESYNC));
    await flush();
    for (let step = 0; step < 120; step += 1) {
      const ws = s.sockets.last();
      const r = rng();
      if (ws.readyState === 0) {
        if (r < 0.8) {
          ws.open();
          // The server replays what this client missed after `since`, sometimes with an
          // overlap (a duplicate at the seam must be dropped by the client).
          const since = Number(ws.params.since ?? published);
          const from = Math.max(1, since + 1 - (rng() < 0.3 ? 2 : 0));
          for (let id = from; id <= published; id += 1) ws.receive(event(id));
        } else {
          ws.drop(1006);
        }
      } else if (ws.readyState === 1) {
        if (r < 0.6) {
          published += 1;
          ws.receive(event(published));
          if (rng() < 0.2) ws.receive(event(published));
        } else if (r < 0.8) {
          // Committed while the client is about to lose the connection: it never sees it live.
          published += 1;
          ws.drop([1001, 1006, 1011, 4000, 4001, 4008][Math.floor(rng() * 6)]);
        } else {
          ws.receive(event(Math.max(1, published - Math.floor(rng() * 3))));
        }
      } else {
        const wait = s.live.status.retryInMs ?? 0;
        assert.ok(wait >= 0 && wait <= 1000, `seed ${seed}: delay ${wait} within the cap`);
        await s.timers.advance(wait);
      }
      const tickets = s.tickets();
      assert.equal(s.sockets.instances.length, tickets, `seed ${seed}: one ticket per socket`);
      for (const w of s.sockets.instances) assert.ok(!w.url.includes(TOKEN));
    }
    const ids = got.filter((x) => x !== RESYNC);
    assert.equal(new Set(ids).size, ids.length, `seed ${seed}: no duplicates`);
    // A gap is allowed only where the page was told to resync (a reconnect with no resume
    // point: the client had not seen any event yet).
    for (let i = 1; i < got.length; i += 1) {
      if (got[i] === RESYNC || got[i - 1] === RESYNC) continue;
      assert.equal(got[i], got[i - 1] + 1, `seed ${seed}: no gaps`);
    }
    const firstId = ids[0];
    if (firstId !== undefined && firstId !== 1) assert.ok(got.indexOf(RESYNC) !== -1 && got.indexOf(RESYNC) < got.indexOf(firstId) + 1, `seed ${seed}: missed the first events without a resync`);
    s.live.close();
  }
});

test("a handshake that hangs is abandoned after openTimeoutMs and retried with a new ticket", async () => {
  const f = fakeFetch();
  const sockets = fakeSockets();
  const timers = fakeTimers();
  const live = client(f.fetch).connect({
    WebSocket: sockets.FakeSocket, setTimeout: timers.setTimeout, clearTimeout: timers.clearTimeout, now: timers.now,
    random: () => 0.5, backoff: { baseMs: 100, capMs: 1000 }, openTimeoutMs: 5000,
  });
  await flush();
  const hung = sockets.last();
  assert.deepEqual(timers.pending(), [5000]);
  await timers.advance(5000);
  assert.ok(hung.closedByClient, "the hung socket is closed");
  assert.equal(live.status.reason, "open_timeout");
  await timers.advance(50);
  assert.equal(sockets.instances.length, 2);
  assert.equal(sockets.last().params.ticket, "t2");
  sockets.last().open();
  assert.deepEqual(timers.pending(), [], "no open timer left once open");
  hung.open(); // a late open of the abandoned socket changes nothing
  hung.receive(event(1));
  assert.equal(live.lastEventId, null);
  live.close();
  assert.deepEqual(timers.pending(), []);
});
