// The frame side of the embed handshake (web-client.md, steps 2–5) for the admin console:
// post `chat:ready` to the parent/opener for each allowed origin, accept one `chat:init` only
// from an allowed origin AND from that very window, then speak over the private port only —
// `chat:token-expiring` 60 s before `exp` (answered by `chat:token`), `chat:locale`, and
// `chat:error` when the API refuses the token (the session ends; nothing is retried with it).
// The token stays in this closure: never in a URL, storage or a log line.

import { errorMessage, isTrustedInitEvent, parseHostMessage, readyMessage, refreshDelay, tokenExpiringMessage } from "../lib/handshake.js";

/**
 * @typedef {object} FrameSession
 * @property {() => string} token the current token
 * @property {(code: string) => void} fail tells the host the session ended (`chat:error`)
 */

/**
 * The part of `window` the session uses (a test passes a fake).
 *
 * @typedef {object} FrameWindow
 * @property {any} parent
 * @property {any} opener
 * @property {(type: "message", fn: (event: MessageEvent) => void) => void} addEventListener
 * @property {(type: "message", fn: (event: MessageEvent) => void) => void} removeEventListener
 */

/**
 * @typedef {object} InitInfo
 * @property {string} token
 * @property {string | undefined} locale
 * @property {string | undefined} timeZone
 * @property {number | null} accountId from `chat:init` when the host sent a valid one
 */

/**
 * Starts the handshake. Returns false when there is no host window to talk to (the page was
 * opened on its own).
 *
 * @param {{
 *   allowedOrigins: readonly string[],
 *   onInit: (info: InitInfo, session: FrameSession) => void,
 *   onLocale: (change: {locale?: string, timeZone?: string}) => void,
 *   win?: FrameWindow,
 *   now?: () => number,
 *   warn?: (text: string) => void,
 * }} o `win`, `now` and `warn` are for tests (default: this window, Date.now, console.warn)
 */
export function startFrameSession({ allowedOrigins, onInit, onLocale, win = window, now = Date.now, warn = (text) => console.warn(text) }) {
  const host = win.parent !== win ? win.parent : win.opener;
  if (!host) return false;
  let ignored = 0;

  /** @param {MessageEvent} event */
  const onMessage = (event) => {
    const trusted = isTrustedInitEvent(event, { allowedOrigins, expectedSource: host });
    const message = trusted ? parseHostMessage(event.data, event.ports) : null;
    if (!message || message.type !== "chat:init" || !message.port) {
      ignored += 1;
      // Only the origin, never the data (it could hold a token).
      warn(`chat admin: ignored a message from ${event.origin || "an unknown origin"} (${ignored} so far)`);
      return;
    }
    win.removeEventListener("message", onMessage);
    const port = message.port;
    let token = message.token;
    /** @type {ReturnType<typeof setTimeout> | null} */
    let timer = null;
    let ended = false;
    const schedule = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      const delay = refreshDelay(token, now());
      if (delay === null || ended) return;
      // setTimeout holds at most ~24.8 days; a longer token is asked for again later.
      timer = setTimeout(() => {
        timer = null;
        if (!ended) port.postMessage(tokenExpiringMessage());
      }, Math.min(delay, 2 ** 31 - 1));
    };
    port.onmessage = (e) => {
      const m = parseHostMessage(e.data);
      if (!m || ended) return;
      if (m.type === "chat:token") {
        token = m.token;
        schedule();
      } else if (m.type === "chat:locale") {
        onLocale({ locale: m.locale, timeZone: m.timeZone });
      }
      // chat:open / chat:open-dm are for the chat view; the console has no room to open.
    };
    port.start();
    schedule();
    const raw = /** @type {Record<string, unknown>} */ (event.data);
    const accountId = typeof raw.accountId === "number" && Number.isSafeInteger(raw.accountId) && raw.accountId > 0 ? raw.accountId : null;
    onInit(
      { token, locale: message.locale, timeZone: message.timeZone, accountId },
      {
        token: () => token,
        fail(code) {
          if (ended) return;
          ended = true;
          if (timer !== null) clearTimeout(timer);
          port.postMessage(errorMessage(code));
        },
      },
    );
  };
  win.addEventListener("message", onMessage);
  const ready = readyMessage();
  for (const origin of allowedOrigins) {
    try {
      host.postMessage(ready, origin);
    } catch {
      // A malformed origin in the configuration: skip it (the server checks the list).
    }
  }
  return true;
}
