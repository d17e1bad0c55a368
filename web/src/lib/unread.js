// Unread badges: per room, the unread and mention counts, and the totals the frame reports to
// the host (`chat:unread {total, mentions}`).
//
// The server is the authority: `GET /unread` (or the rooms list) seeds the counts, and every
// `read.updated` (this tab, another tab, another device) sets a room's counts to what the
// server computed. Between those, `message.created` from others counts up — once per message:
// a message at or below what was already counted or read (a duplicate, a replay) counts nothing.

/** @typedef {import("../types.js").Message} Message */
/** @typedef {import("../types.js").UnreadSummary} UnreadSummary */
/** @typedef {import("../types.js").ReadState} ReadState */
/** @typedef {import("../types.js").Room} Room */
/** @typedef {import("../types.js").ChatEvent} ChatEvent */

/**
 * @typedef {object} RoomBadge
 * @property {number} unread
 * @property {number} mentions
 * @property {number} countedSeq the highest seq already counted or read (-1: unknown)
 */

export class UnreadState {
  /** @type {Map<string, RoomBadge>} */
  #rooms = new Map();

  /** @param {{selfId: number}} options */
  constructor({ selfId }) {
    this.selfId = selfId;
  }

  /**
   * Replaces every count with `GET /unread`'s answer (at start and after `resync_required`).
   *
   * @param {UnreadSummary} summary
   */
  setSummary(summary) {
    /** @type {Map<string, RoomBadge>} */
    const next = new Map();
    for (const r of summary?.rooms ?? []) {
      if (!r || typeof r.room_id !== "string") continue;
      const previous = this.#rooms.get(r.room_id);
      next.set(r.room_id, { unread: count(r.unread_count), mentions: count(r.mention_count), countedSeq: previous?.countedSeq ?? -1 });
    }
    this.#rooms = next;
    return true;
  }

  /**
   * Seeds rooms from `GET /rooms` items (they carry `unread_count`, `mention_count`, `last_seq`).
   *
   * @param {readonly Room[]} rooms
   */
  setRooms(rooms) {
    for (const room of rooms) {
      if (!room || typeof room.id !== "string") continue;
      this.#rooms.set(room.id, {
        unread: count(room.unread_count),
        mentions: count(room.mention_count),
        countedSeq: typeof room.last_seq === "number" ? room.last_seq : -1,
      });
    }
    return true;
  }

  /**
   * Applies a realtime event; returns whether a count changed.
   *
   * @param {ChatEvent} event
   */
  applyEvent(event) {
    if (!event || typeof event.type !== "string") return false;
    switch (event.type) {
      case "read.updated":
        return this.applyReadState(event.data);
      case "message.created":
        return this.#messageCreated(event.data);
      case "room.deleted":
        return this.#rooms.delete(event.data?.id ?? event.room_id);
      case "member.removed":
        return event.data?.user_id === this.selfId ? this.#rooms.delete(event.data?.room_id ?? event.room_id) : false;
      default:
        return false;
    }
  }

  /**
   * The server's read state of a room (`read.updated`, or the answer to `POST …/read`).
   *
   * @param {ReadState} state
   */
  applyReadState(state) {
    if (!state || typeof state.room_id !== "string") return false;
    const room = this.#room(state.room_id);
    const before = `${room.unread}/${room.mentions}`;
    room.unread = count(state.unread_count);
    if (state.mention_count !== undefined) room.mentions = count(state.mention_count);
    else if (room.unread === 0) room.mentions = 0;
    if (typeof state.last_read_seq === "number") room.countedSeq = Math.max(room.countedSeq, state.last_read_seq);
    return before !== `${room.unread}/${room.mentions}`;
  }

  /**
   * Clears a room at once when the reader reads it (the server's answer follows).
   *
   * @param {string} roomId
   * @param {number} [upToSeq]
   */
  markReadLocally(roomId, upToSeq) {
    const room = this.#room(roomId);
    const changed = room.unread !== 0 || room.mentions !== 0;
    room.unread = 0;
    room.mentions = 0;
    if (typeof upToSeq === "number") room.countedSeq = Math.max(room.countedSeq, upToSeq);
    return changed;
  }

  /** @param {Message} message */
  #messageCreated(message) {
    if (!message || typeof message.room_id !== "string" || typeof message.seq !== "number") return false;
    const room = this.#room(message.room_id);
    if (message.seq <= room.countedSeq) return false;
    room.countedSeq = message.seq;
    // A sender's own message marks the room read for them (a read.updated follows).
    if (message.sender_id === this.selfId || message.message_type === "system") return false;
    room.unread += 1;
    if (Array.isArray(message.mentions) && message.mentions.includes(this.selfId)) room.mentions += 1;
    return true;
  }

  /** @param {string} roomId */
  #room(roomId) {
    let room = this.#rooms.get(roomId);
    if (!room) {
      room = { unread: 0, mentions: 0, countedSeq: -1 };
      this.#rooms.set(roomId, room);
    }
    return room;
  }

  /**
   * A room's badge.
   *
   * @param {string} roomId
   * @returns {{unread: number, mentions: number}}
   */
  room(roomId) {
    const r = this.#rooms.get(roomId);
    return { unread: r?.unread ?? 0, mentions: r?.mentions ?? 0 };
  }

  /** The sums over every room (`total` is what `/unread` calls it). */
  totals() {
    let total = 0;
    let mentions = 0;
    for (const r of this.#rooms.values()) {
      total += r.unread;
      mentions += r.mentions;
    }
    return { total, mentions };
  }
}

/** @param {unknown} n */
function count(n) {
  return typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
