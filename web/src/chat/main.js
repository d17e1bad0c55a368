// The chat page's entry (`/embed`): the frame side of the embed handshake, then the client,
// the store and the elements.
//
// 1. Post `chat:ready` to the parent (or opener) once per allowed origin — the list comes from
//    the page's `<meta name="chat-config">`, written by the server — so no other origin gets it.
// 2. Accept `chat:init` only from an allowed origin AND from the parent/opener window itself
//    (`isTrustedInitEvent`); anything else is ignored and counted in a console warning.
// 3. Afterwards only the private MessagePort is listened to: `chat:token`, `chat:open`,
//    `chat:open-dm`, `chat:locale` in; `chat:unread`, `chat:notification`,
//    `chat:token-expiring`, `chat:error` out.
// The token stays in this module's memory: never in the URL, storage, cookies or a log.

import { createClient } from "../client.js";
import {
  errorMessage,
  isTrustedInitEvent,
  notificationMessage,
  parseHostMessage,
  readyMessage,
  refreshDelay,
  tokenClaims,
  tokenExpiringMessage,
  unreadMessage,
} from "../lib/handshake.js";
import { createI18n } from "../lib/i18n.js";
import { safeTimeZone } from "../lib/time.js";
import { PresenceTracker } from "../lib/presence.js";
import { ChatStore } from "./store.js";
import { h } from "./dom.js";
import "./app.js";

/** @typedef {import("./app.js").ChatApp} ChatApp */

/** @returns {{embedOrigins: string[], dev: boolean}} */
function readConfig() {
  const meta = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="chat-config"]'));
  try {
    const parsed = JSON.parse(meta?.content ?? "{}");
    const origins = Array.isArray(parsed.embedOrigins) ? parsed.embedOrigins.filter((/** @type {unknown} */ o) => typeof o === "string") : [];
    return { embedOrigins: origins, dev: parsed.dev === true };
  } catch {
    return { embedOrigins: [], dev: false };
  }
}

/** @param {string} text */
function showNotice(text) {
  const root = document.querySelector("#chat-root") ?? document.body;
  root.replaceChildren(h("main", { class: "notice" }, [h("p", { text })]));
}

function boot() {
  const config = readConfig();
  const host = window.parent !== window ? window.parent : window.opener;
  const bootI18n = createI18n({ locale: navigator.languages });
  if (!host) {
    showNotice(bootI18n.t("embed.noHost"));
    return;
  }
  showNotice(bootI18n.t("embed.waiting"));
  let ignored = 0;
  /** @param {MessageEvent} event */
  const onMessage = (event) => {
    const trusted = isTrustedInitEvent(event, { allowedOrigins: config.embedOrigins, expectedSource: host });
    const message = trusted ? parseHostMessage(event.data, event.ports) : null;
    if (!message || message.type !== "chat:init" || !message.port) {
      ignored += 1;
      console.warn(`chat: ignored a message that is not a trusted chat:init (${ignored} so far)`);
      return;
    }
    window.removeEventListener("message", onMessage);
    start(message, message.port);
  };
  window.addEventListener("message", onMessage);
  // Where the browser tells the parent's origin (Chromium, Safari), post only there: the
  // others would be refused anyway, each with a console error.
  const ancestor = window.parent !== window ? location.ancestorOrigins?.[0] : undefined;
  const targets = ancestor && config.embedOrigins.includes(ancestor) ? [ancestor] : config.embedOrigins;
  for (const origin of targets) {
    try {
      host.postMessage(readyMessage(), origin);
    } catch {
      // A malformed origin in the list: skip it.
    }
  }
}

/**
 * @param {Extract<import("../lib/handshake.js").HostMessage, {type: "chat:init"}>} init
 * @param {MessagePort} port
 */
function start(init, port) {
  let token = init.token;
  const claims = tokenClaims(token);
  const i18n = createI18n({ locale: init.locale ?? navigator.languages });
  const accountId = init.accountId ?? claims?.accountId ?? null;
  if (!claims || accountId === null) {
    port.postMessage(errorMessage("unauthorized"));
    showNotice(i18n.t("session.ended.unauthorized"));
    return;
  }
  const timeZone = safeTimeZone(init.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
  document.documentElement.lang = i18n.locale;
  document.title = i18n.t("app.title");

  const client = createClient({ accountId, getToken: () => token });
  const live = client.realtime();
  const store = new ChatStore({ client, live, selfId: claims.userId, accountRole: claims.role, selfName: claims.name, i18n, timeZone });

  // ---- to the host --------------------------------------------------------------------------
  let lastUnread = "";
  store.addEventListener("unread", () => {
    const totals = store.unread.totals();
    const key = `${totals.total}/${totals.mentions}`;
    if (key === lastUnread) return;
    lastUnread = key;
    port.postMessage(unreadMessage(totals));
  });
  store.addEventListener("notify", (e) => port.postMessage(notificationMessage(/** @type {CustomEvent} */ (e).detail)));
  store.addEventListener("ended", (e) => {
    port.postMessage(errorMessage(/** @type {CustomEvent} */ (e).detail.code));
    if (refreshTimer !== null) clearTimeout(refreshTimer);
  });

  /** @type {ReturnType<typeof setTimeout> | null} */
  let refreshTimer = null;
  const scheduleRefresh = () => {
    if (refreshTimer !== null) clearTimeout(refreshTimer);
    const delay = refreshDelay(token, Date.now());
    if (delay === null || store.ended) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      if (!store.ended) port.postMessage(tokenExpiringMessage());
    }, Math.min(delay, 2_147_000_000));
  };

  // ---- from the host ------------------------------------------------------------------------
  port.onmessage = (event) => {
    const message = parseHostMessage(event.data);
    if (!message || store.ended) return;
    switch (message.type) {
      case "chat:token": {
        const next = tokenClaims(message.token);
        // A token for someone else is not a refresh.
        if (!next || next.userId !== claims.userId) return;
        token = message.token;
        scheduleRefresh();
        break;
      }
      case "chat:open":
        void store.openFromHost(message.room_id);
        break;
      case "chat:open-dm":
        void store.openDm(message.user_id);
        break;
      case "chat:locale": {
        if (message.locale) store.i18n = createI18n({ locale: message.locale });
        if (message.timeZone) store.timeZone = safeTimeZone(message.timeZone);
        document.documentElement.lang = store.i18n.locale;
        document.title = store.i18n.t("app.title");
        app.render();
        break;
      }
      default:
        break;
    }
  };

  // ---- the page -----------------------------------------------------------------------------
  const app = /** @type {ChatApp} */ (document.createElement("chat-app"));
  const root = document.querySelector("#chat-root") ?? document.body;
  root.replaceChildren(app);
  app.attach(store);

  live.on("status", (status) => store.setStatus(status));
  live.on("event", (event) => store.handleEvent(event));
  // Realtime first, then the pages: events that race them are merged by the timeline.
  live.start();
  scheduleRefresh();
  store.start().catch(() => {
    // The store reports a refused token itself ("ended"); anything else shows as a problem.
  });

  // ---- presence: online while active, away when idle 5 min or hidden ------------------------
  const presence = new PresenceTracker();
  /** @param {"online" | "away" | null} change */
  const sendPresence = (change) => {
    if (change && !store.ended) live.setPresence(change);
  };
  let lastMove = 0;
  for (const type of ["keydown", "pointerdown", "focusin", "wheel"]) document.addEventListener(type, () => sendPresence(presence.activity()), { passive: true });
  document.addEventListener(
    "pointermove",
    () => {
      const now = Date.now();
      if (now - lastMove < 10_000) return;
      lastMove = now;
      sendPresence(presence.activity());
    },
    { passive: true },
  );
  document.addEventListener("visibilitychange", () => {
    sendPresence(presence.visibility(document.hidden));
    if (!document.hidden) live.reconnectNow();
  });
  window.addEventListener("online", () => live.reconnectNow());
  setInterval(() => sendPresence(presence.tick()), 30_000);
  if (document.hidden) sendPresence(presence.visibility(true));
}

boot();
