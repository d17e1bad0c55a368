// The admin console page (`/embed/admin`): reads the page configuration the server wrote,
// waits for the host's `chat:init` (frame-session.js), then mounts <admin-console> for the
// caller's role with the API client, the strings of the host's locale and its time zone.
// A token the API refuses ends the session here with a clear message.

import { AdminConsole } from "./admin-console.js";
import { createClient, isSessionFatal } from "../client.js";
import { viewFromQuery, viewToQuery } from "../lib/admin-view.js";
import { createI18n } from "../lib/i18n.js";
import { safeTimeZone } from "../lib/time.js";
import { tokenClaims } from "../lib/token-claims.js";
import { createUserNames } from "../lib/user-names.js";
import { h } from "./dom.js";
import { startFrameSession } from "./frame-session.js";

/** @typedef {import("./context.js").AdminContext} AdminContext */

/** @returns {{embedOrigins: string[], dev: boolean}} */
function readConfig() {
  const meta = document.querySelector('meta[name="chat-config"]');
  try {
    const config = JSON.parse(meta?.getAttribute("content") ?? "{}");
    const origins = Array.isArray(config.embedOrigins) ? config.embedOrigins.filter((/** @type {unknown} */ o) => typeof o === "string") : [];
    return { embedOrigins: origins, dev: config.dev === true };
  } catch {
    return { embedOrigins: [], dev: false };
  }
}

const app = /** @type {HTMLElement} */ (document.getElementById("app"));
const announcer = /** @type {HTMLElement} */ (document.getElementById("announcer"));

/** @param {import("../lib/i18n.js").I18n} i18n */
function applyLocale(i18n) {
  app.removeAttribute("aria-busy");
  document.documentElement.lang = i18n.locale;
  document.title = i18n.t("admin.title");
}

/**
 * @param {import("../lib/i18n.js").I18n} i18n
 * @param {string} text
 */
function showMessage(i18n, text) {
  applyLocale(i18n);
  app.replaceChildren(h("h1", { class: "console-title", text: i18n.t("admin.title") }), h("p", { class: "session-ended", role: "alert", text }));
}

const config = readConfig();
const fallbackI18n = createI18n({ locale: navigator.languages });

/** Set once the session starts: applies a `chat:locale` from the host. */
/** @type {(change: {locale?: string, timeZone?: string}) => void} */
let startLocale = () => {};

const started = startFrameSession({
  allowedOrigins: config.embedOrigins,
  onInit(init, session) {
    let i18n = createI18n({ locale: init.locale ?? navigator.languages });
    let timeZone = safeTimeZone(init.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
    const me = tokenClaims(init.token);
    if (!me) {
      session.fail("unauthorized");
      showMessage(i18n, i18n.t("session.ended.unauthorized"));
      return;
    }
    const client = createClient({ accountId: init.accountId ?? me.accountId, getToken: () => session.token() });
    const names = createUserNames(client);
    let ended = false;

    /** @param {unknown} error */
    const onError = (error) => {
      if (!isSessionFatal(error)) return false;
      if (!ended) {
        ended = true;
        const code = /** @type {import("../client.js").ChatApiError} */ (error).code;
        session.fail(code);
        const key = i18n.has(`session.ended.${code}`) ? `session.ended.${code}` : "session.ended.unauthorized";
        showMessage(i18n, i18n.t(key));
      }
      return true;
    };

    const mount = () => {
      if (ended) return;
      applyLocale(i18n);
      /** @type {AdminContext} */
      const ctx = {
        client,
        i18n,
        timeZone,
        me,
        names,
        onError,
        announce(text) {
          // Cleared first so the same words twice are announced twice.
          announcer.textContent = "";
          setTimeout(() => {
            announcer.textContent = text;
          }, 50);
        },
        saveView(tab, filters) {
          // Only the view goes in the URL; the token never does.
          history.replaceState(null, "", `${location.pathname}${viewToQuery({ tab, filters })}`);
        },
      };
      const view = new AdminConsole();
      app.replaceChildren(view);
      view.configure(ctx, viewFromQuery(location.search));
    };

    startLocale = (change) => {
      if (change.locale) i18n = createI18n({ locale: change.locale });
      if (change.timeZone) timeZone = safeTimeZone(change.timeZone);
      mount();
    };
    mount();
  },
  onLocale(change) {
    startLocale(change);
  },
});

if (!started) {
  showMessage(fallbackI18n, fallbackI18n.t("admin.needsHost"));
} else {
  // Until the host answers: the loading line in the browser's language.
  document.documentElement.lang = fallbackI18n.locale;
  document.title = fallbackI18n.t("admin.title");
}
