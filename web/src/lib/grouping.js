// The rows of a history: day separators in the user's zone, the "Novas mensagens" line, and
// messages marked as the start of a group (consecutive messages of one sender within 5
// minutes, on one day, with no separator between them, are shown under one name and time).

import { dayKey } from "./time.js";

/** @typedef {import("../types.js").Message} Message */

export const GROUP_WINDOW_MS = 5 * 60 * 1000;

/**
 * @typedef {{kind: "day", key: string, at: string}
 *   | {kind: "unread", key: string}
 *   | {kind: "message", key: string, message: Message, groupStart: boolean, groupEnd: boolean}} Row
 */

/**
 * Rows for messages sorted by `seq` ascending (the order the timeline keeps).
 *
 * @param {readonly Message[]} messages
 * @param {object} options
 * @param {string} options.timeZone the user's IANA zone
 * @param {number | null} [options.unreadAfterSeq] put the "Novas mensagens" line before the first
 *   message with a greater `seq` that another user sent (the reader's `last_read_seq`); null: none
 * @param {number | null} [options.selfId] the reader (own messages never open the unread line)
 * @param {number} [options.windowMs] grouping window (5 minutes)
 * @returns {Row[]}
 */
export function buildRows(messages, { timeZone, unreadAfterSeq = null, selfId = null, windowMs = GROUP_WINDOW_MS }) {
  /** @type {Row[]} */
  const rows = [];
  /** @type {Extract<Row, {kind: "message"}> | null} */
  let previous = null;
  let previousDay = "";
  let unreadPlaced = unreadAfterSeq === null;
  for (const message of messages) {
    const day = dayKey(message.created_at, timeZone);
    let boundary = false;
    if (day !== previousDay) {
      rows.push({ kind: "day", key: `day:${day}`, at: message.created_at });
      previousDay = day;
      boundary = true;
    }
    if (!unreadPlaced && unreadAfterSeq !== null && message.seq > unreadAfterSeq && message.sender_id !== selfId) {
      rows.push({ kind: "unread", key: "unread" });
      unreadPlaced = true;
      boundary = true;
    }
    const groupStart = boundary || previous === null || !continues(previous.message, message, windowMs);
    if (groupStart && previous) previous.groupEnd = true;
    /** @type {Extract<Row, {kind: "message"}>} */
    const row = { kind: "message", key: message.id, message, groupStart, groupEnd: false };
    rows.push(row);
    previous = row;
  }
  if (previous) previous.groupEnd = true;
  return rows;
}

/**
 * Whether `next` continues the group of `prev`: same sender, neither a system message, and at
 * most `windowMs` later (a clock that went backwards counts as a break).
 *
 * @param {Message} prev
 * @param {Message} next
 * @param {number} windowMs
 */
export function continues(prev, next, windowMs = GROUP_WINDOW_MS) {
  if (prev.sender_id !== next.sender_id) return false;
  if (prev.message_type === "system" || next.message_type === "system") return false;
  const gap = Date.parse(next.created_at) - Date.parse(prev.created_at);
  return Number.isFinite(gap) && gap >= 0 && gap <= windowMs;
}
