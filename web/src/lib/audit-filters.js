// The audit table's filters as the admin console keeps them in its page URL (so a view can be
// reloaded, bookmarked and shared — the URL never holds a token), and as the API takes them.
// The URL holds calendar days in the user's zone (an inclusive range, as a person picks it);
// the API takes instants (`from` inclusive, `to` exclusive).

import { nextDay, startOfDay } from "./time.js";

/** Every action the audit log writes (v1 and v1.1), in the order the filter lists them. */
export const AUDIT_ACTIONS = Object.freeze([
  "room.created",
  "room.updated",
  "room.deleted",
  "room.viewed",
  "member.added",
  "member.removed",
  "message.edited",
  "message.deleted",
  "audit.exported",
  "user.provisioned",
  "user.updated",
  "user.deactivated",
  "user.reactivated",
  "entitlements.updated",
]);

/**
 * @typedef {object} AuditViewFilters
 * @property {string} [action]
 * @property {number} [actorId]
 * @property {string} [targetId]
 * @property {string} [from] first day, `"YYYY-MM-DD"` in the user's zone
 * @property {string} [to] last day (inclusive)
 */

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Reads the filters from a page URL's query; anything malformed is left out (a hand-edited
 * URL must not break the page).
 *
 * @param {string | URLSearchParams} search
 * @returns {AuditViewFilters}
 */
export function filtersFromQuery(search) {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  /** @type {AuditViewFilters} */
  const filters = {};
  const action = params.get("action");
  if (action && /^[a-z][a-z_]*(\.[a-z_]+)+$/.test(action) && action.length <= 64) filters.action = action;
  const actor = params.get("actor");
  if (actor && /^[1-9][0-9]{0,18}$/.test(actor) && Number.isSafeInteger(Number(actor))) filters.actorId = Number(actor);
  const target = params.get("target")?.trim();
  if (target && target.length <= 200) filters.targetId = target;
  for (const key of /** @type {const} */ (["from", "to"])) {
    const value = params.get(key);
    if (value && DAY.test(value) && isRealDay(value)) filters[key] = value;
  }
  if (filters.from && filters.to && filters.from > filters.to) [filters.from, filters.to] = [filters.to, filters.from];
  return filters;
}

/**
 * The page URL's query for these filters (`?` included, or `""` when there is none), in a
 * fixed order so equal filters give equal URLs.
 *
 * @param {AuditViewFilters} filters
 */
export function filtersToQuery(filters) {
  const params = new URLSearchParams();
  if (filters.action) params.set("action", filters.action);
  if (filters.actorId !== undefined) params.set("actor", String(filters.actorId));
  if (filters.targetId) params.set("target", filters.targetId);
  if (filters.from) params.set("from", filters.from);
  if (filters.to) params.set("to", filters.to);
  const query = params.toString();
  return query ? `?${query}` : "";
}

/**
 * The filters as `client.listAudit` / `client.exportAudit` take them: days become instants in
 * the user's zone, the last day inclusive (so `to` is the start of the day after).
 *
 * @param {AuditViewFilters} filters
 * @param {string} timeZone
 * @returns {import("../client.js").AuditFilters}
 */
export function toApiFilters(filters, timeZone) {
  /** @type {import("../client.js").AuditFilters} */
  const api = {};
  if (filters.action) api.action = filters.action;
  if (filters.actorId !== undefined) api.actorId = filters.actorId;
  if (filters.targetId) api.targetId = filters.targetId;
  if (filters.from) api.from = startOfDay(filters.from, timeZone);
  if (filters.to) api.to = startOfDay(nextDay(filters.to), timeZone);
  return api;
}

/** @param {string} key */
function isRealDay(key) {
  const [y, m, d] = key.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}
