// What every admin console element is given by the page (`main.js`): the API client, the
// strings, the user's zone, the caller, and the shared caches. Types only.

/**
 * @typedef {object} AdminContext
 * @property {import("../client.js").ChatClient} client
 * @property {import("../lib/i18n.js").I18n} i18n
 * @property {string} timeZone the host's IANA zone (checked)
 * @property {import("../lib/token-claims.js").TokenClaims} me
 * @property {import("../lib/user-names.js").UserNames} names
 * @property {(error: unknown) => boolean} onError reports an error; true when it ended the session
 *   (the element then stops what it was doing)
 * @property {(text: string) => void} announce says something in the page's polite live region
 * @property {(tab: import("../lib/admin-view.js").AdminTab, filters: import("../lib/audit-filters.js").AuditViewFilters) => void} saveView
 *   keeps the view in the page URL (`history.replaceState`)
 */

export {};
