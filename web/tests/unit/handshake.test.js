import test from "node:test";
import assert from "node:assert/strict";
import {
  isTrustedInitEvent, parseHostMessage, tokenExpiresAt, refreshDelay, readyMessage, unreadMessage, errorMessage, notificationMessage,
} from "../../src/lib/handshake.js";

/** @param {Record<string, unknown>} payload */
function jwt(payload) {
  /** @param {unknown} o */
  const b64 = (o) =>
    btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(o))))
      .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${b64({ alg: "HS256", typ: "JWT" })}.${b64(payload)}.c2lnbmF0dXJl`;
}
const TOKEN = jwt({ sub: "12", account_id: 1, role: "agent", exp: 1_800_000_000, name: "Ana Ç" });
const ROOM = "01937a2b-1c2d-7e3f-8a9b-0c1d2e3f4a5b";

test("init is trusted only from an allowed origin, exactly, and from the parent", () => {
  const parent = {};
  const allowed = { allowedOrigins: ["https://hub.example.com"], expectedSource: parent };
  assert.equal(isTrustedInitEvent({ origin: "https://hub.example.com", source: parent }, allowed), true);
  assert.equal(isTrustedInitEvent({ origin: "https://hub.example.com", source: {} }, allowed), false, "another window");
  assert.equal(isTrustedInitEvent({ origin: "https://hub.example.com.evil.test", source: parent }, allowed), false);
  assert.equal(isTrustedInitEvent({ origin: "https://hub.example.com:444", source: parent }, allowed), false);
  assert.equal(isTrustedInitEvent({ origin: "http://hub.example.com", source: parent }, allowed), false);
  assert.equal(isTrustedInitEvent({ origin: "null", source: parent }, { allowedOrigins: ["null"], expectedSource: parent }), false);
  assert.equal(isTrustedInitEvent({ origin: "https://hub.example.com", source: null }, { ...allowed, expectedSource: null }), false, "no parent, no opener");
  assert.equal(isTrustedInitEvent({ origin: "https://hub.example.com", source: parent }, { ...allowed, allowedOrigins: [] }), false);
});

test("host messages are validated and reduced to their known fields", () => {
  const port = /** @type {MessagePort} */ (/** @type {unknown} */ ({ fake: "port" }));
  assert.deepEqual(parseHostMessage({ type: "chat:init", v: 1, token: TOKEN, locale: "en", timeZone: "America/Sao_Paulo", extra: "x" }, [port]), {
    type: "chat:init", v: 1, token: TOKEN, port, locale: "en", timeZone: "America/Sao_Paulo",
  });
  assert.deepEqual(parseHostMessage({ type: "chat:init", v: 1, token: TOKEN }), { type: "chat:init", v: 1, token: TOKEN, port: null });
  assert.equal(parseHostMessage({ type: "chat:init", v: 2, token: TOKEN }), null, "another protocol version");
  assert.equal(parseHostMessage({ type: "chat:init", v: 1, token: "not a jwt" }), null);
  assert.equal(parseHostMessage({ type: "chat:init", v: 1, token: TOKEN, locale: "<img>" }), null);
  assert.equal(parseHostMessage({ type: "chat:init", v: 1, token: TOKEN, timeZone: "../../etc" }), null);
  assert.deepEqual(parseHostMessage({ type: "chat:token", token: TOKEN }), { type: "chat:token", token: TOKEN });
  assert.equal(parseHostMessage({ type: "chat:token", token: 42 }), null);
  assert.deepEqual(parseHostMessage({ type: "chat:open", room_id: ROOM }), { type: "chat:open", room_id: ROOM });
  assert.equal(parseHostMessage({ type: "chat:open", room_id: "../rooms" }), null);
  assert.deepEqual(parseHostMessage({ type: "chat:open-dm", user_id: 12 }), { type: "chat:open-dm", user_id: 12 });
  assert.equal(parseHostMessage({ type: "chat:open-dm", user_id: "12" }), null);
  assert.equal(parseHostMessage({ type: "chat:open-dm", user_id: 0 }), null);
  assert.equal(parseHostMessage({ type: "chat:open-dm", user_id: 2 ** 60 }), null);
  assert.deepEqual(parseHostMessage({ type: "chat:locale", locale: "pt-BR" }), { type: "chat:locale", locale: "pt-BR" });
  for (const junk of [null, undefined, "chat:init", 42, [], { type: "chat:ready" }, { type: "__proto__" }]) {
    assert.equal(parseHostMessage(junk), null);
  }
});

test("the token's exp schedules chat:token-expiring 60 s ahead", () => {
  assert.equal(tokenExpiresAt(TOKEN), 1_800_000_000_000);
  const now = 1_800_000_000_000 - 10 * 60_000;
  assert.equal(refreshDelay(TOKEN, now), 9 * 60_000);
  assert.equal(refreshDelay(TOKEN, 1_800_000_000_000 - 30_000), 0, "already inside the lead: at once");
  assert.equal(tokenExpiresAt(jwt({ sub: "1" })), null, "no exp");
  assert.equal(tokenExpiresAt(jwt({ exp: "soon" })), null);
  assert.equal(tokenExpiresAt("a.b!.c"), null);
  assert.equal(tokenExpiresAt("a.%%%.c"), null);
  assert.equal(tokenExpiresAt("eyJ.bm90IGpzb24.x"), null, "payload not JSON");
  assert.equal(refreshDelay("junk", 0), null);
});

test("frame to host messages", () => {
  assert.deepEqual(readyMessage(), { type: "chat:ready", v: 1 });
  assert.deepEqual(unreadMessage({ total: 3, mentions: 1 }), { type: "chat:unread", total: 3, mentions: 1 });
  assert.deepEqual(errorMessage("user_deactivated"), { type: "chat:error", code: "user_deactivated" });
  assert.deepEqual(notificationMessage({ kind: "dm", room_id: ROOM, message_id: "m", title: "Ana", body: "oi" }), {
    type: "chat:notification", kind: "dm", room_id: ROOM, message_id: "m", title: "Ana", body: "oi",
  });
});

test("tokenClaims reads who the user is without verifying, and refuses junk", async () => {
  const { tokenClaims, parseHostMessage } = await import("../../src/lib/handshake.js");
  /** @param {unknown} payload */
  const jwt = (payload) => `eyJhbGciOiJIUzI1NiJ9.${btoa(JSON.stringify(payload)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}.sig`;
  assert.deepEqual(tokenClaims(jwt({ sub: "12", account_id: 7, role: "supervisor", name: "Ana", exp: 100 })), { userId: 12, accountId: 7, role: "supervisor", name: "Ana", exp: 100_000 });
  assert.deepEqual(tokenClaims(jwt({ sub: "3", exp: 1 })), { userId: 3, accountId: null, role: "agent", name: null, exp: 1000 });
  assert.equal(tokenClaims(jwt({ sub: 12 })), null, "sub must be a decimal string");
  assert.equal(tokenClaims(jwt({ sub: "-1" })), null);
  assert.equal(tokenClaims(jwt({ sub: "99999999999999999999" })), null);
  assert.equal(tokenClaims("not a token"), null);
  assert.equal(tokenClaims("a.!!!.c"), null);
  // chat:init's accountId: a number or its decimal string; anything else refuses the init.
  const token = jwt({ sub: "3" });
  assert.equal(/** @type {any} */ (parseHostMessage({ type: "chat:init", v: 1, token, accountId: 5 }))?.accountId, 5);
  assert.equal(/** @type {any} */ (parseHostMessage({ type: "chat:init", v: 1, token, accountId: "5" }))?.accountId, 5);
  assert.equal(parseHostMessage({ type: "chat:init", v: 1, token, accountId: "5; drop" }), null);
  assert.equal(parseHostMessage({ type: "chat:init", v: 1, token, accountId: -1 }), null);
  assert.equal(/** @type {any} */ (parseHostMessage({ type: "chat:init", v: 1, token }))?.accountId, undefined);
});
