// The room list's order and filter: most recent activity first (the newest message, else the
// room's creation), ties by name then id so the order is stable; the filter matches the
// start of any word of the shown name, accent- and case-insensitive (like the directory).

import { fold } from "./mentions.js";

/** @typedef {import("../types.js").Room} Room */

/**
 * When a room last had activity, in epoch ms (0 when unknown).
 *
 * @param {Pick<Room, "last_message_at" | "created_at">} room
 */
export function activityOf(room) {
  const t = Date.parse(room.last_message_at ?? room.created_at ?? "");
  return Number.isFinite(t) ? t : 0;
}

/**
 * The rooms sorted for the list (a new array).
 *
 * @template {Pick<Room, "id" | "last_message_at" | "created_at">} T
 * @param {readonly T[]} rooms
 * @param {(room: T) => string} nameOf the shown name
 * @returns {T[]}
 */
export function sortRooms(rooms, nameOf) {
  return [...rooms].sort(
    (a, b) => activityOf(b) - activityOf(a) || nameOf(a).localeCompare(nameOf(b)) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/**
 * Whether a room's shown name matches the filter text (empty matches everything).
 *
 * @param {string} name
 * @param {string} filter
 */
export function matchesFilter(name, filter) {
  const q = fold(filter).trim();
  if (q === "") return true;
  const folded = fold(name);
  return folded.startsWith(q) || folded.split(/[\s\-_.]+/u).some((word) => word.startsWith(q));
}

/**
 * The other member of a DM (the peer), or null.
 *
 * @param {{members?: {user_id: number}[]}} room
 * @param {number} selfId
 */
export function dmPeer(room, selfId) {
  const other = room.members?.find((m) => m.user_id !== selfId);
  return other ? other.user_id : null;
}

/**
 * The next room to open with Alt+↑ (-1) / Alt+↓ (+1), wrapping around; null for an empty list.
 *
 * @param {readonly string[]} ids the list as shown
 * @param {string | null} current
 * @param {1 | -1} step
 */
export function adjacentRoom(ids, current, step) {
  if (ids.length === 0) return null;
  const at = current === null ? -1 : ids.indexOf(current);
  if (at === -1) return step > 0 ? ids[0] : ids[ids.length - 1];
  return ids[(at + step + ids.length) % ids.length];
}
