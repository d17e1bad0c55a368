// The admin console's view state, without the DOM: which tabs a role sees, and the page URL's
// query (the open tab plus the audit filters of `audit-filters.js`), so a reload, a bookmark
// or a shared link opens the same view. Nothing but these keys ever reaches the URL (never a
// token).

import { filtersFromQuery, filtersToQuery } from "./audit-filters.js";

/** @typedef {"audit" | "activity" | "rooms"} AdminTab */
/** @typedef {import("./audit-filters.js").AuditViewFilters} AuditViewFilters */

/** Every tab, in the order shown. */
export const ADMIN_TABS = Object.freeze(/** @type {AdminTab[]} */ (["audit", "activity", "rooms"]));

/**
 * The tabs a role sees, as the API allows them: the audit log is for admins only
 * (`GET /audit` is admin-only); statistics and every room of the account for admins and
 * supervisors; agents see none (the page says so).
 *
 * @param {string | null | undefined} role
 * @returns {AdminTab[]}
 */
export function visibleTabs(role) {
  if (role === "admin") return [...ADMIN_TABS];
  if (role === "supervisor") return ["activity", "rooms"];
  return [];
}

/**
 * The tab to open: the one asked for when the role sees it, else the first it sees.
 *
 * @param {unknown} requested
 * @param {readonly AdminTab[]} visible
 * @returns {AdminTab | null}
 */
export function pickTab(requested, visible) {
  const wanted = visible.find((t) => t === requested);
  return wanted ?? visible[0] ?? null;
}

/**
 * @typedef {object} AdminViewState
 * @property {AdminTab | null} tab the tab asked for (`null`: none named)
 * @property {AuditViewFilters} filters
 */

/**
 * @param {string | URLSearchParams} search
 * @returns {AdminViewState}
 */
export function viewFromQuery(search) {
  const params = typeof search === "string" ? new URLSearchParams(search) : search;
  const tab = params.get("tab");
  return {
    tab: ADMIN_TABS.find((t) => t === tab) ?? null,
    filters: filtersFromQuery(params),
  };
}

/**
 * The page URL's query (`?…` or `""`): the tab first, then the filters in their fixed order.
 * The filters are kept only while the audit tab is open (they mean nothing elsewhere).
 *
 * @param {AdminViewState} state
 */
export function viewToQuery({ tab, filters }) {
  const params = new URLSearchParams(tab === "audit" ? filtersToQuery(filters) : "");
  const out = new URLSearchParams();
  if (tab) out.set("tab", tab);
  for (const [k, v] of params) out.append(k, v);
  const query = out.toString();
  return query ? `?${query}` : "";
}
