// The host-side helper, served at `/embed.js` (web-client.md, "The embed handshake"). A host
// page imports it as a module from the chat's origin and mounts instances:
//
//   import { mount } from "https://chat.example.com/embed.js";
//   const chat = mount(document.querySelector("#chat"), {
//     chatOrigin: "https://chat.example.com", accountId: 42,
//     getToken: async () => (await fetch("/my-hub/chat-token")).text(),
//     locale: "pt-BR", timeZone: "America/Sao_Paulo", view: "chat",
//   });
//   element.addEventListener("chat-unread", (e) => showBadge(e.detail.total));
//
// Security: the token goes to the frame only by `postMessage` addressed to the chat's exact
// origin, with a private `MessageChannel` port; it never appears in a URL, a cookie or web
// storage. A `chat:ready` is answered only when it comes from this instance's own frame (or
// window) AND from the chat's origin; anything else is ignored.

import { PROTOCOL_VERSION } from "./lib/handshake.js";

/**
 * @typedef {object} MountOptions
 * @property {string} chatOrigin the chat server's origin, e.g. "https://chat.example.com"
 * @property {number} accountId the account the tokens are for
 * @property {() => string | Promise<string>} getToken a fresh user token (asked at start and ~60 s before each expiry)
 * @property {string} [locale] "pt-BR" (default) or "en"
 * @property {string} [timeZone] IANA zone for dates (default: the browser's)
 * @property {"chat" | "admin"} [view] the chat (default) or the admin console
 * @property {"frame" | "window"} [target] an iframe inside `element` (default), or a window opened by `window.open`
 * @property {string} [title] accessible name of the frame (default "Chat" / "Chat admin")
 */

/**
 * @typedef {object} ChatInstance
 * @property {Promise<void>} ready resolves when the frame has accepted its first `chat:init`
 * @property {HTMLIFrameElement | null} frame the iframe (null in window mode)
 * @property {(roomId: string) => void} open shows a room
 * @property {(userId: number) => void} openDm opens (or creates) the DM with a colleague
 * @property {(opts: {locale?: string, timeZone?: string}) => void} setLocale changes language or zone
 * @property {() => void} destroy removes the frame (or closes the window) and stops listening
 */

/** Events dispatched on the mount element, by port message type. */
const EVENTS = Object.freeze({
  "chat:unread": "chat-unread",
  "chat:notification": "chat-notification",
  "chat:error": "chat-error",
});

/**
 * The canonical form of an origin, or null when `value` is not exactly an origin
 * (`scheme://host[:port]`, no path, query or credentials).
 *
 * @param {string} value
 */
export function normalizeOrigin(value) {
  if (typeof value !== "string") return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  if (url.username || url.password || url.search || url.hash) return null;
  if (url.pathname !== "/" && url.pathname !== "") return null;
  return url.origin;
}

/**
 * Mounts one chat instance into `element`.
 *
 * @param {HTMLElement} element where the frame goes, and where events are dispatched
 * @param {MountOptions} options
 * @returns {ChatInstance}
 */
export function mount(element, options) {
  const chatOrigin = normalizeOrigin(options.chatOrigin);
  if (!chatOrigin) throw new TypeError("mount: chatOrigin must be an origin like https://chat.example.com");
  if (typeof options.getToken !== "function") throw new TypeError("mount: getToken must be a function");
  if (!Number.isSafeInteger(options.accountId) || options.accountId <= 0) {
    throw new TypeError("mount: accountId must be a positive integer");
  }
  const view = options.view === "admin" ? "admin" : "chat";
  const url = `${chatOrigin}${view === "admin" ? "/embed/admin" : "/embed"}`;
  let locale = options.locale;
  let timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;

  /** @type {HTMLIFrameElement | null} */
  let frame = null;
  /** @type {Window | null} */
  let win = null;
  if (options.target === "window") {
    win = window.open(url, "_blank");
    if (!win) throw new Error("mount: the window could not be opened (blocked pop-up?)");
  } else {
    frame = document.createElement("iframe");
    frame.src = url;
    frame.title = options.title ?? (view === "admin" ? "Chat admin" : "Chat");
    frame.referrerPolicy = "no-referrer";
    frame.className = "chat-embed-frame";
    element.append(frame);
  }
  const target = () => (frame ? frame.contentWindow : win);

  /** @type {MessagePort | null} */
  let port = null;
  let destroyed = false;
  /** @type {(value: void) => void} */
  let resolveReady = () => {};
  /** @type {Promise<void>} */
  const ready = new Promise((resolve) => {
    resolveReady = resolve;
  });

  /** @param {Record<string, unknown>} message */
  const send = (message) => {
    if (port) port.postMessage(message);
  };

  /** @param {MessageEvent} event */
  const onPortMessage = async (event) => {
    const data = event.data;
    if (!data || typeof data !== "object" || typeof data.type !== "string") return;
    if (data.type === "chat:token-expiring") {
      try {
        const token = await options.getToken();
        send({ type: "chat:token", token });
      } catch (error) {
        console.warn("chat embed: getToken failed; the session ends when the token expires", error);
      }
      return;
    }
    const name = /** @type {Record<string, string>} */ (EVENTS)[data.type];
    if (name) element.dispatchEvent(new CustomEvent(name, { detail: data }));
  };

  /** @param {MessageEvent} event */
  const onWindowMessage = async (event) => {
    const data = event.data;
    const isReady = data && typeof data === "object" && data.type === "chat:ready";
    if (!isReady) return;
    if (event.origin !== chatOrigin || event.source !== target()) {
      console.warn("chat embed: ignored chat:ready from an unexpected window or origin", event.origin);
      return;
    }
    if (data.v !== PROTOCOL_VERSION) {
      console.warn("chat embed: unsupported protocol version", data.v);
      return;
    }
    // A (re)loaded frame: a new private channel each time.
    let token;
    try {
      token = await options.getToken();
    } catch (error) {
      console.warn("chat embed: getToken failed", error);
      element.dispatchEvent(new CustomEvent("chat-error", { detail: { type: "chat:error", code: "token_unavailable" } }));
      return;
    }
    const w = target();
    if (destroyed || !w) return;
    if (port) port.close();
    const channel = new MessageChannel();
    port = channel.port1;
    port.onmessage = onPortMessage;
    w.postMessage(
      { type: "chat:init", v: PROTOCOL_VERSION, token, locale, timeZone, accountId: options.accountId },
      chatOrigin,
      [channel.port2],
    );
    resolveReady();
  };
  window.addEventListener("message", onWindowMessage);

  return {
    ready,
    frame,
    open(roomId) {
      send({ type: "chat:open", room_id: roomId });
    },
    openDm(userId) {
      send({ type: "chat:open-dm", user_id: userId });
    },
    setLocale(opts) {
      if (opts.locale) locale = opts.locale;
      if (opts.timeZone) timeZone = opts.timeZone;
      send({ type: "chat:locale", locale, timeZone });
    },
    destroy() {
      destroyed = true;
      window.removeEventListener("message", onWindowMessage);
      if (port) port.close();
      port = null;
      if (frame) frame.remove();
      if (win) win.close();
    },
  };
}
