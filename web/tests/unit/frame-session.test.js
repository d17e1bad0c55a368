import test from "node:test";
import assert from "node:assert/strict";
import { startFrameSession } from "../../src/admin/frame-session.js";

const HUB = "https://hub.example";

/** @param {Record<string, unknown>} payload */
const jwt = (payload) => `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(payload)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}.c2ln`;

function fakeWindow() {
  /** @type {{message: unknown, origin: string}[]} */
  const posted = [];
  const host = {
    /** @param {unknown} message @param {string} origin */
    postMessage(message, origin) {
      posted.push({ message, origin });
    },
  };
  /** @type {((event: any) => void)[]} */
  const listeners = [];
  const win = {
    parent: /** @type {any} */ (host),
    opener: null,
    /** @param {"message"} _type @param {(event: any) => void} fn */
    addEventListener(_type, fn) {
      listeners.push(fn);
    },
    /** @param {"message"} _type @param {(event: any) => void} fn */
    removeEventListener(_type, fn) {
      const i = listeners.indexOf(fn);
      if (i >= 0) listeners.splice(i, 1);
    },
  };
  /** @param {any} event */
  const dispatch = (event) => [...listeners].forEach((fn) => fn(event));
  return { win, host, posted, listeners, dispatch };
}

function fakePort() {
  /** @type {unknown[]} */
  const sent = [];
  const port = {
    sent,
    /** @type {((e: {data: unknown}) => void) | null} */
    onmessage: null,
    started: false,
    /** @param {unknown} m */
    postMessage(m) {
      sent.push(m);
    },
    start() {
      port.started = true;
    },
  };
  return port;
}

/** @param {{win: any}} w */
function start(w, overrides = {}) {
  /** @type {any[]} */
  const inits = [];
  /** @type {any[]} */
  const locales = [];
  /** @type {string[]} */
  const warnings = [];
  const started = startFrameSession({
    allowedOrigins: [HUB, "https://other.example"],
    onInit: (info, session) => inits.push({ info, session }),
    onLocale: (change) => locales.push(change),
    win: w.win,
    now: () => 1_000_000,
    warn: (text) => warnings.push(text),
    ...overrides,
  });
  return { started, inits, locales, warnings };
}

test("chat:ready goes to the parent, once per allowed origin and to no other", () => {
  const w = fakeWindow();
  const { started } = start(w);
  assert.equal(started, true);
  assert.deepEqual(w.posted, [
    { message: { type: "chat:ready", v: 1 }, origin: HUB },
    { message: { type: "chat:ready", v: 1 }, origin: "https://other.example" },
  ]);
});

test("a page with no parent or opener does not start", () => {
  const w = fakeWindow();
  w.win.parent = w.win;
  assert.equal(start(w).started, false);
  assert.deepEqual(w.posted, []);
});

test("chat:init only from an allowed origin AND the parent window, with a port; the rest is counted and ignored", () => {
  const w = fakeWindow();
  const s = start(w);
  const token = jwt({ sub: "1", account_id: 7, role: "admin", exp: 5_000 });
  const init = { type: "chat:init", v: 1, token, locale: "en", timeZone: "Europe/Lisbon", accountId: 7 };
  w.dispatch({ origin: "https://evil.example", source: w.host, data: init, ports: [fakePort()] });
  w.dispatch({ origin: HUB, source: {}, data: init, ports: [fakePort()] });
  w.dispatch({ origin: "null", source: w.host, data: init, ports: [fakePort()] });
  w.dispatch({ origin: HUB, source: w.host, data: init, ports: [] });
  w.dispatch({ origin: HUB, source: w.host, data: { ...init, v: 2 }, ports: [fakePort()] });
  assert.equal(s.inits.length, 0);
  assert.equal(s.warnings.length, 5);
  assert.ok(s.warnings.every((text) => !text.includes(token)), "a warning never carries the data");

  const port = fakePort();
  w.dispatch({ origin: HUB, source: w.host, data: init, ports: [port] });
  assert.equal(s.inits.length, 1);
  assert.deepEqual(s.inits[0].info, { token, locale: "en", timeZone: "Europe/Lisbon", accountId: 7 });
  assert.equal(port.started, true);
  assert.equal(w.listeners.length, 0, "after init, only the port is listened to");
  s.inits[0].session.fail("closed"); // stops the refresh timer
});

test("over the port: chat:token replaces the token, chat:locale is passed on, junk is ignored; fail() says chat:error once", () => {
  const w = fakeWindow();
  const s = start(w);
  const port = fakePort();
  const first = jwt({ sub: "1", account_id: 7, role: "admin", exp: 5_000 });
  w.dispatch({ origin: HUB, source: w.host, data: { type: "chat:init", v: 1, token: first }, ports: [port] });
  const { session, info } = s.inits[0];
  assert.equal(info.accountId, null, "no accountId in init: the page reads the token's");
  assert.equal(session.token(), first);
  const second = jwt({ sub: "1", account_id: 7, role: "admin", exp: 9_000 });
  port.onmessage?.({ data: { type: "chat:token", token: second } });
  port.onmessage?.({ data: { type: "chat:token", token: "not a jwt" } });
  port.onmessage?.({ data: { type: "chat:locale", locale: "pt-BR", timeZone: "America/Sao_Paulo" } });
  port.onmessage?.({ data: { type: "chat:locale", locale: "<script>" } });
  port.onmessage?.({ data: "chat:token" });
  assert.equal(session.token(), second);
  assert.deepEqual(s.locales, [{ locale: "pt-BR", timeZone: "America/Sao_Paulo" }]);
  session.fail("user_deactivated");
  session.fail("unauthorized");
  assert.deepEqual(
    port.sent.filter((m) => /** @type {any} */ (m).type === "chat:error"),
    [{ type: "chat:error", code: "user_deactivated" }],
  );
  port.onmessage?.({ data: { type: "chat:token", token: first } });
  assert.equal(session.token(), second, "an ended session takes no new token");
});

test("chat:token-expiring is posted 60 s before exp", async () => {
  const w = fakeWindow();
  // now() is 1,000,000 ms; exp 1,050 s is 50 s away: inside the 60 s lead, so at once.
  const s = start(w);
  const port = fakePort();
  w.dispatch({ origin: HUB, source: w.host, data: { type: "chat:init", v: 1, token: jwt({ sub: "1", account_id: 7, role: "admin", exp: 1_050 }) }, ports: [port] });
  assert.equal(s.inits.length, 1);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(port.sent, [{ type: "chat:token-expiring" }]);
  // A token with an hour left asks nothing yet.
  const later = fakePort();
  const w2 = fakeWindow();
  const s2 = start(w2);
  w2.dispatch({ origin: HUB, source: w2.host, data: { type: "chat:init", v: 1, token: jwt({ sub: "1", account_id: 7, role: "admin", exp: 4_600 }) }, ports: [later] });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(later.sent, []);
  s2.inits[0].session.fail("closed");
});
