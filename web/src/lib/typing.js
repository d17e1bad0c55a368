// Typing, both ways. Outgoing: at most one `typing` frame per room every 3 s while the user
// types (the server throttles too, silently; sending less saves frames and the 20/s budget).
// Incoming: who is typing in a room, each until their event's `expires_at` unless renewed,
// and no longer once their message arrives.
//
// Clocks differ between server and browser; an indicator lasts `expires_at - ts` (both server
// times) from when the event is received, so a skewed local clock neither hides it at once nor
// keeps it forever.

export const TYPING_INTERVAL_MS = 3000;
/** What the server uses (6 s) when an event lacks a usable `ts`; also the longest we trust. */
export const TYPING_TTL_MS = 6000;
const MAX_TTL_MS = 10_000;

/**
 * Outgoing throttle, per room.
 *
 * @param {{intervalMs?: number, now?: () => number}} [options]
 */
export function createTypingThrottle({ intervalMs = TYPING_INTERVAL_MS, now = Date.now } = {}) {
  /** @type {Map<string, number>} */
  const lastSent = new Map();
  return {
    /**
     * Whether to send a `typing` frame for this keystroke (and, if so, counts it as sent).
     *
     * @param {string} roomId
     */
    shouldSend(roomId) {
      const t = now();
      const last = lastSent.get(roomId);
      if (last !== undefined && t - last < intervalMs && t >= last) return false;
      lastSent.set(roomId, t);
      return true;
    },
    /**
     * After the message is sent (or the draft cleared): the next keystroke may send at once.
     *
     * @param {string} roomId
     */
    reset(roomId) {
      lastSent.delete(roomId);
    },
  };
}

/**
 * Incoming typing indicators.
 */
export class TypingIndicators {
  /** @type {Map<string, Map<number, {since: number, until: number}>>} */
  #rooms = new Map();

  /** @param {{selfId: number, now?: () => number}} options */
  constructor({ selfId, now = Date.now }) {
    this.selfId = selfId;
    this.now = now;
  }

  /**
   * A `typing` event (`data: {room_id, user_id, expires_at}`); returns whether the set of
   * typists changed.
   *
   * @param {import("../types.js").ChatEvent} event
   */
  apply(event) {
    const data = event?.data;
    if (!data || typeof data.room_id !== "string" || typeof data.user_id !== "number") return false;
    if (data.user_id === this.selfId) return false;
    const ttl = ttlOf(event.ts, data.expires_at);
    if (ttl <= 0) return false;
    const now = this.now();
    let room = this.#rooms.get(data.room_id);
    if (!room) {
      room = new Map();
      this.#rooms.set(data.room_id, room);
    }
    const existing = room.get(data.user_id);
    const fresh = !existing || existing.until <= now;
    room.set(data.user_id, { since: fresh ? now : existing.since, until: Math.max(now + ttl, existing?.until ?? 0) });
    return fresh;
  }

  /**
   * Their message arrived (or they left): the indicator goes at once.
   *
   * @param {string} roomId
   * @param {number} userId
   */
  clear(roomId, userId) {
    const room = this.#rooms.get(roomId);
    const entry = room?.get(userId);
    if (!room || !entry) return false;
    room.delete(userId);
    return entry.until > this.now();
  }

  /**
   * Who is typing in a room now, in the order they started.
   *
   * @param {string} roomId
   * @returns {number[]}
   */
  typists(roomId) {
    const room = this.#rooms.get(roomId);
    if (!room) return [];
    const now = this.now();
    /** @type {[number, number][]} */
    const live = [];
    for (const [userId, entry] of room) {
      if (entry.until > now) live.push([userId, entry.since]);
      else room.delete(userId);
    }
    return live.sort((a, b) => a[1] - b[1] || a[0] - b[0]).map(([userId]) => userId);
  }

  /**
   * Milliseconds until the next indicator of the room expires (for one timer), or null.
   *
   * @param {string} roomId
   */
  nextExpiryIn(roomId) {
    const room = this.#rooms.get(roomId);
    if (!room) return null;
    const now = this.now();
    let next = Infinity;
    for (const entry of room.values()) if (entry.until > now) next = Math.min(next, entry.until - now);
    return next === Infinity ? null : next;
  }
}

/**
 * How long an indicator lasts: `expires_at - ts` when both parse (server clock), else 6 s;
 * never more than 10 s.
 *
 * @param {unknown} ts
 * @param {unknown} expiresAt
 */
function ttlOf(ts, expiresAt) {
  const sent = typeof ts === "string" ? Date.parse(ts) : NaN;
  const expires = typeof expiresAt === "string" ? Date.parse(expiresAt) : NaN;
  if (Number.isNaN(expires)) return 0;
  const ttl = Number.isNaN(sent) ? TYPING_TTL_MS : expires - sent;
  return Math.min(ttl, MAX_TTL_MS);
}
