// The embed handshake's rules (web-client.md, "The embed handshake"), without the DOM: which
// messages the frame accepts from the host, their shapes, and when to ask for a new token.
// `/embed` wires these to `window` and the `MessagePort`; `/embed.js` (the host side) uses the
// same shapes.
//
// Security: `chat:init` is accepted only when `event.origin` is exactly one of the allowed
// origins AND `event.source` is the frame's parent (or opener). After init, everything goes
// over the private `MessagePort`, so no other window can speak to the instance. Nothing here
// ever puts a token in an error, a log or a URL.

export const PROTOCOL_VERSION = 1;
/** Ask the host for a new token this long before the current one expires. */
export const TOKEN_REFRESH_LEAD_MS = 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCALE = /^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,8})*$/;
const TIME_ZONE = /^[A-Za-z0-9_+\-/]{1,64}$/;

/**
 * @typedef {{type: "chat:init", v: 1, token: string, port: MessagePort | null, locale?: string, timeZone?: string, accountId?: number}
 *   | {type: "chat:token", token: string}
 *   | {type: "chat:open", room_id: string}
 *   | {type: "chat:open-dm", user_id: number}
 *   | {type: "chat:locale", locale?: string, timeZone?: string}} HostMessage
 */

/**
 * Whether a `message` event may be the host's `chat:init`: exact origin match (no prefixes,
 * no wildcards, never `"null"`) and sent by the expected window (the parent, or the opener).
 *
 * @param {{origin: string, source: unknown}} event
 * @param {{allowedOrigins: readonly string[], expectedSource: unknown}} expected
 */
export function isTrustedInitEvent(event, { allowedOrigins, expectedSource }) {
  if (!event || typeof event.origin !== "string" || event.origin === "null") return false;
  if (expectedSource === null || expectedSource === undefined || event.source !== expectedSource) return false;
  return allowedOrigins.includes(event.origin);
}

/**
 * Validates a message from the host. Returns the message with only its known fields, or null
 * (unknown type, wrong version, wrong shapes). `ports` are the event's transferred ports:
 * `chat:init` carries the channel's port.
 *
 * @param {unknown} data
 * @param {readonly MessagePort[]} [ports]
 * @returns {HostMessage | null}
 */
export function parseHostMessage(data, ports = []) {
  if (!data || typeof data !== "object") return null;
  const m = /** @type {Record<string, unknown>} */ (data);
  switch (m.type) {
    case "chat:init": {
      if (m.v !== PROTOCOL_VERSION || !isToken(m.token)) return null;
      const extras = localeFields(m);
      if (!extras) return null;
      // The account may come as a number or its decimal string (`mount({accountId: "1"})`).
      const accountId = typeof m.accountId === "string" && /^[0-9]{1,16}$/.test(m.accountId) ? Number(m.accountId) : m.accountId;
      if (accountId !== undefined && !(typeof accountId === "number" && Number.isSafeInteger(accountId) && accountId > 0)) return null;
      /** @type {HostMessage} */
      const init = { type: "chat:init", v: 1, token: /** @type {string} */ (m.token), port: ports[0] ?? null, ...extras };
      if (typeof accountId === "number") init.accountId = accountId;
      return init;
    }
    case "chat:token":
      return isToken(m.token) ? { type: "chat:token", token: /** @type {string} */ (m.token) } : null;
    case "chat:open":
      return typeof m.room_id === "string" && UUID.test(m.room_id) ? { type: "chat:open", room_id: m.room_id } : null;
    case "chat:open-dm":
      return typeof m.user_id === "number" && Number.isSafeInteger(m.user_id) && m.user_id > 0 ? { type: "chat:open-dm", user_id: m.user_id } : null;
    case "chat:locale": {
      const extras = localeFields(m);
      return extras ? { type: "chat:locale", ...extras } : null;
    }
    default:
      return null;
  }
}

/**
 * The optional `locale` and `timeZone` of a message; null when present but malformed.
 *
 * @param {Record<string, unknown>} m
 * @returns {{locale?: string, timeZone?: string} | null}
 */
function localeFields(m) {
  /** @type {{locale?: string, timeZone?: string}} */
  const out = {};
  if (m.locale !== undefined) {
    if (typeof m.locale !== "string" || !LOCALE.test(m.locale)) return null;
    out.locale = m.locale;
  }
  if (m.timeZone !== undefined) {
    if (typeof m.timeZone !== "string" || !TIME_ZONE.test(m.timeZone)) return null;
    out.timeZone = m.timeZone;
  }
  return out;
}

/**
 * A plausible JWT: three base64url parts, bounded size. (The server verifies it; this only
 * keeps junk out of the client.)
 *
 * @param {unknown} token
 */
function isToken(token) {
  return typeof token === "string" && token.length <= 8192 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/**
 * The claims the frame needs from a JWT, read without verifying (the server verifies every
 * request): who the user is (`sub` as a number), the account, the role and the display name.
 * Null when the payload cannot be read or lacks a numeric `sub`.
 *
 * @param {string} token
 * @returns {{userId: number, accountId: number | null, role: string, name: string | null, exp: number | null} | null}
 */
export function tokenClaims(token) {
  if (!isToken(token)) return null;
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const payload = JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
    const userId = Number(payload?.sub);
    if (!payload || typeof payload.sub !== "string" || !/^[0-9]{1,19}$/.test(payload.sub) || !Number.isSafeInteger(userId)) return null;
    return {
      userId,
      accountId: Number.isSafeInteger(payload.account_id) ? payload.account_id : null,
      role: typeof payload.role === "string" ? payload.role : "agent",
      name: typeof payload.name === "string" && payload.name.trim() !== "" ? payload.name : null,
      exp: typeof payload.exp === "number" && Number.isFinite(payload.exp) ? payload.exp * 1000 : null,
    };
  } catch {
    return null;
  }
}

/**
 * The `exp` of a JWT in epoch milliseconds, read without verifying (only to schedule a
 * refresh), or null when it cannot be read.
 *
 * @param {string} token
 * @returns {number | null}
 */
export function tokenExpiresAt(token) {
  if (!isToken(token)) return null;
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "="));
    const payload = JSON.parse(json);
    return typeof payload?.exp === "number" && Number.isFinite(payload.exp) ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

/**
 * How long to wait before posting `chat:token-expiring` (60 s before `exp`; at once when that
 * moment has passed), or null when the token has no readable `exp`.
 *
 * @param {string} token
 * @param {number} now
 * @param {number} [leadMs]
 */
export function refreshDelay(token, now, leadMs = TOKEN_REFRESH_LEAD_MS) {
  const exp = tokenExpiresAt(token);
  return exp === null ? null : Math.max(0, exp - leadMs - now);
}

// ---- frame → host -------------------------------------------------------------------------

/** The first message, posted to the parent/opener for each allowed origin. */
export const readyMessage = () => ({ type: "chat:ready", v: PROTOCOL_VERSION });

/** @param {{total: number, mentions: number}} totals */
export const unreadMessage = ({ total, mentions }) => ({ type: "chat:unread", total, mentions });

export const tokenExpiringMessage = () => ({ type: "chat:token-expiring" });

/** @param {string} code the API's error code that ended the session */
export const errorMessage = (code) => ({ type: "chat:error", code });

/**
 * @param {{kind: "mention" | "dm", room_id: string, message_id: string, title: string, body: string}} n
 */
export const notificationMessage = ({ kind, room_id, message_id, title, body }) => ({
  type: "chat:notification",
  kind,
  room_id,
  message_id,
  title,
  body,
});
