// Helpers of the chat's browser tests, over the lead's harness (harness.js).

/** @typedef {import("playwright-core").Frame} Frame */
/** @typedef {import("playwright-core").Page} Page */

/** @type {User} */
export const ADA = { userId: 1, role: "admin", name: "Ada Admin" };
/** @type {User} */
export const SAM = { userId: 2, role: "supervisor", name: "Sam Supervisor" };
/** @type {User} */
export const ALICE = { userId: 3, role: "agent", name: "Alice Agent" };
/** @type {User} */
export const BOB = { userId: 4, role: "agent", name: "Bob Agent" };

/** Rate limits out of the way: the tests send thousands of messages through the API. */
export const FAST_ENV = {
  CHAT_RATE_USER_PER_SEC: "100000",
  CHAT_RATE_USER_BURST: "100000",
  CHAT_RATE_ACCOUNT_PER_SEC: "100000",
  CHAT_RATE_ACCOUNT_BURST: "100000",
};

/** @typedef {import("./harness.js").ChatServer} Server */
/** @typedef {{userId: number, role: "admin" | "supervisor" | "agent", name: string}} User */

/**
 * Calls the API (path under the account's chat API) and returns the parsed body; fails on a
 * non-2xx answer.
 *
 * @param {Server} server
 * @param {User} user
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 */
export async function call(server, user, method, path, body) {
  const token = await server.token(user);
  const answer = await server.api(token, method, path, body);
  if (answer.status < 200 || answer.status > 299) throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.json)}`);
  return answer.json;
}

/**
 * Every message of a room, oldest first (through the API, as the truth).
 *
 * @param {Server} server
 * @param {User} user
 * @param {string} roomId
 */
export async function allMessages(server, user, roomId) {
  /** @type {any[]} */
  const out = [];
  /** @type {string | null} */
  let cursor = null;
  do {
    const page = await call(server, user, "GET", `/rooms/${roomId}/messages?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    out.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return out.reverse();
}

/**
 * @param {Server} server
 * @param {string} name
 */
export async function roomByName(server, name) {
  const page = await call(server, ADA, "GET", "/rooms?limit=100");
  const room = page.items.find((/** @type {any} */ r) => r.name === name);
  if (!room) throw new Error(`no room ${name}`);
  return room.id;
}

/**
 * Opens a room from the list by its shown name.
 *
 * @param {Frame} frame
 * @param {string} name
 */
export async function openRoom(frame, name) {
  await frame.click(`chat-room-list button[data-room-name="${name}"]`);
  await frame.waitForSelector(`#room-title:text-is("${name}")`);
  await frame.waitForSelector('[role="feed"][aria-busy="false"]', { state: "attached" });
}

/** Texts of the feed's messages. @param {Frame} frame */
export function feedTexts(frame) {
  return frame.$$eval("[role=feed] article .message-text", (els) => els.map((e) => e.textContent ?? ""));
}

/**
 * Waits until `fn` returns a truthy value (polling), or fails after `ms`.
 *
 * @template T
 * @param {() => Promise<T> | T} fn
 * @param {number} [ms]
 * @param {string} [what]
 * @returns {Promise<T>}
 */
export async function until(fn, ms = 5000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Sends many messages through the API, a few at a time.
 *
 * @param {Server} server
 * @param {User} user
 * @param {string} roomId
 * @param {number} count
 * @param {(i: number) => string} text
 */
export async function seed(server, user, roomId, count, text) {
  const token = await server.token(user);
  // Each call its own client_ids: a repeated one is the same message (the server stores it once).
  const batch = Math.random().toString(36).slice(2, 10);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const answer = await server.api(token, "POST", `/rooms/${roomId}/messages`, { content: text(i), client_id: `seed-${batch}-${i}` });
      if (answer.status !== 201 && answer.status !== 200) throw new Error(`seed ${i}: ${answer.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
