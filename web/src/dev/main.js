// The demo host of `--dev` (`/dev`): it behaves like a real hub page — it gets a token per
// user from its own backend (here the dev server's `POST /dev/token`) and mounts instances
// with `/embed.js`, showing the unread badges and notifications the instances report.
// `?view=agents|admin|supervisor` picks the panels; `?user=<id>&as=chat|admin` mounts one
// instance alone (the browser tests use it), with `locale` and `tz` optional.

import { mount } from "../embed.js";

/** The demo account's users (`chat-server-min/src/dev.rs`). */
const USERS = Object.freeze({
  1: { role: "admin", name: "Ada Admin" },
  2: { role: "supervisor", name: "Sam Supervisor" },
  3: { role: "agent", name: "Alice Agent" },
  4: { role: "agent", name: "Bob Agent" },
});
const ACCOUNT = 1;

/** Users named in the page's query (`?user=5&role=agent&name=Carol`), beside the demo's. */
/** @type {Map<number, {role: string, name: string}>} */
const EXTRA = new Map();

/**
 * @param {number} userId
 * @returns {{role: string, name: string}}
 */
function userOf(userId) {
  return USERS[/** @type {1|2|3|4} */ (userId)] ?? EXTRA.get(userId) ?? { role: "agent", name: `User ${userId}` };
}

/**
 * A fresh token for a demo user, as a hub's backend would hand it out.
 *
 * @param {number} userId
 * @param {number} [ttlSecs]
 * @returns {Promise<string>}
 */
async function token(userId, ttlSecs) {
  const user = userOf(userId);
  const body = { account_id: ACCOUNT, user_id: userId, role: user.role, name: user.name };
  const res = await fetch("/dev/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(ttlSecs ? { ...body, ttl_secs: ttlSecs } : body),
  });
  if (!res.ok) throw new Error(`dev token: HTTP ${res.status}`);
  const json = await res.json();
  return json.token;
}

/**
 * One panel: a heading with the host's own unread badge, the instance, a toast line.
 *
 * @param {HTMLElement} container
 * @param {{userId: number, view: "chat" | "admin", locale?: string, timeZone?: string, ttlSecs?: number}} opts
 */
function panel(container, opts) {
  const template = /** @type {HTMLTemplateElement} */ (document.getElementById("panel"));
  const fragment = /** @type {DocumentFragment} */ (template.content.cloneNode(true));
  const section = /** @type {HTMLElement} */ (fragment.querySelector(".hub-panel"));
  const who = /** @type {HTMLElement} */ (fragment.querySelector(".hub-who"));
  const badge = /** @type {HTMLElement} */ (fragment.querySelector(".hub-badge"));
  const mountPoint = /** @type {HTMLElement} */ (fragment.querySelector(".hub-mount"));
  const toast = /** @type {HTMLElement} */ (fragment.querySelector(".hub-toast"));
  const user = userOf(opts.userId);
  who.textContent = `${user.name}${opts.view === "admin" ? " — console" : ""}`;
  container.append(fragment);
  const instance = mount(mountPoint, {
    chatOrigin: location.origin,
    accountId: ACCOUNT,
    getToken: () => token(opts.userId, opts.ttlSecs),
    locale: opts.locale,
    timeZone: opts.timeZone,
    view: opts.view,
    title: `Chat — ${user.name}`,
  });
  mountPoint.addEventListener("chat-unread", (e) => {
    const { total } = /** @type {CustomEvent<{total: number}>} */ (e).detail;
    badge.hidden = !total;
    badge.textContent = total ? String(total) : "";
  });
  mountPoint.addEventListener("chat-notification", (e) => {
    const { title, body } = /** @type {CustomEvent<{title: string, body: string}>} */ (e).detail;
    toast.textContent = `${title}: ${body}`;
  });
  mountPoint.addEventListener("chat-error", (e) => {
    const { code } = /** @type {CustomEvent<{code: string}>} */ (e).detail;
    toast.textContent = `The chat ended the session (${code}).`;
  });
  section.dataset.userId = String(opts.userId);
  return instance;
}

function main() {
  const params = new URLSearchParams(location.search);
  const hub = /** @type {HTMLElement} */ (document.getElementById("hub"));
  const locale = params.get("locale") ?? undefined;
  const timeZone = params.get("tz") ?? undefined;
  const ttl = Number(params.get("ttl"));
  const ttlSecs = Number.isSafeInteger(ttl) && ttl > 0 ? ttl : undefined;
  const solo = Number(params.get("user"));
  if (Number.isSafeInteger(solo) && solo > 0) {
    const role = params.get("role");
    if (role === "admin" || role === "supervisor" || role === "agent") {
      EXTRA.set(solo, { role, name: params.get("name") ?? `User ${solo}` });
    }
    document.body.classList.add("hub-solo");
    panel(hub, { userId: solo, view: params.get("as") === "admin" ? "admin" : "chat", locale, timeZone, ttlSecs });
    return;
  }
  const view = params.get("view") ?? "agents";
  for (const link of document.querySelectorAll("[data-view]")) {
    if (link instanceof HTMLElement && link.dataset.view === view) link.setAttribute("aria-current", "page");
  }
  if (view === "admin") {
    panel(hub, { userId: 1, view: "admin", locale, timeZone, ttlSecs });
  } else if (view === "supervisor") {
    panel(hub, { userId: 2, view: "chat", locale, timeZone, ttlSecs });
    panel(hub, { userId: 2, view: "admin", locale, timeZone, ttlSecs });
  } else {
    panel(hub, { userId: 3, view: "chat", locale, timeZone, ttlSecs });
    panel(hub, { userId: 4, view: "chat", locale, timeZone, ttlSecs });
  }
}

main();
