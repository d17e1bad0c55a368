// <admin-activity>: the account's activity from `GET /stats` (admins, supervisors) — totals
// as figures, then three charts: messages per minute over the last hour (`range=hour`),
// messages and active senders per day over 30 days and rooms created per day (`range=month`).
// Loaded when the tab opens and on "Atualizar" (no polling: numbers that move under the
// reader's eyes are hard to read and to compare with the table).

import { AdminBarChart } from "./bar-chart.js";
import { h } from "./dom.js";

/** @typedef {import("./context.js").AdminContext} AdminContext */
/** @typedef {import("../types.js").Stats} Stats */

/** @param {string} name a stable hook for tests and styles */
function chart(name) {
  const el = new AdminBarChart();
  el.dataset.chart = name;
  return el;
}

const TOTALS = /** @type {const} */ ([
  ["messages_24h", "stats.totals.messages24h"],
  ["users_active_24h", "stats.totals.usersActive24h"],
  ["users", "stats.totals.users"],
  ["rooms", "stats.totals.rooms"],
  ["dms", "stats.totals.dms"],
]);

export class AdminActivity extends HTMLElement {
  /** @type {AdminContext | null} */
  #ctx = null;
  /** @type {AbortController | null} */
  #loading = null;
  #status = h("p", { class: "view-status", role: "status" });
  #body = h("div", { class: "activity-body" });

  /** @param {AdminContext} ctx */
  configure(ctx) {
    this.#ctx = ctx;
    const { i18n } = ctx;
    const refresh = h("button", { type: "button", class: "button", text: i18n.t("stats.refresh") });
    refresh.addEventListener("click", () => void this.load());
    this.replaceChildren(h("div", { class: "view-toolbar" }, [h("h2", { class: "view-title", text: i18n.t("admin.tab.activity") }), refresh]), this.#status, this.#body);
  }

  disconnectedCallback() {
    this.#loading?.abort();
  }

  /** Fetches both ranges and draws everything. */
  async load() {
    const ctx = this.#ctx;
    if (!ctx) return;
    this.#loading?.abort();
    const loading = new AbortController();
    this.#loading = loading;
    this.setAttribute("aria-busy", "true");
    this.#status.textContent = ctx.i18n.t("app.loading");
    try {
      const [hour, month] = await Promise.all([
        ctx.client.stats("hour", { signal: loading.signal }),
        ctx.client.stats("month", { signal: loading.signal }),
      ]);
      if (loading.signal.aborted) return;
      this.#draw(ctx, hour, month);
      this.#status.textContent = "";
    } catch (error) {
      if (loading.signal.aborted) return;
      if (!ctx.onError(error)) this.#status.textContent = ctx.i18n.errorMessage(/** @type {any} */ (error));
    } finally {
      if (this.#loading === loading) this.removeAttribute("aria-busy");
    }
  }

  /**
   * @param {AdminContext} ctx
   * @param {Stats} hour
   * @param {Stats} month
   */
  #draw(ctx, hour, month) {
    const { i18n, timeZone } = ctx;
    const totals = h(
      "dl",
      { class: "totals" },
      TOTALS.map(([key, label]) =>
        h("div", { class: "total", "data-total": key }, [h("dt", { text: i18n.t(label) }), h("dd", { text: i18n.number(month.totals[key] ?? 0) })]),
      ),
    );
    const perMinute = chart("messages-per-minute");
    perMinute.render(
      {
        title: i18n.t("stats.messagesPerMinute"),
        bucket: hour.bucket,
        series: [{ label: i18n.t("stats.messages") }],
        rows: hour.series.map((b) => ({ ts: b.ts, values: [b.messages] })),
      },
      { i18n, timeZone },
    );
    const perDay = chart("messages-per-day");
    perDay.render(
      {
        title: i18n.t("stats.perDay"),
        bucket: month.bucket,
        series: [{ label: i18n.t("stats.messages") }, { label: i18n.t("stats.activeSenders") }],
        rows: month.series.map((b) => ({ ts: b.ts, values: [b.messages, b.active_senders] })),
      },
      { i18n, timeZone },
    );
    const rooms = chart("rooms-per-day");
    rooms.render(
      {
        title: i18n.t("stats.roomsPerDay"),
        bucket: month.bucket,
        series: [{ label: i18n.t("stats.roomsCreated") }],
        rows: month.series.map((b) => ({ ts: b.ts, values: [b.rooms_created] })),
      },
      { i18n, timeZone },
    );
    this.#body.replaceChildren(totals, perMinute, perDay, rooms);
  }
}

customElements.define("admin-activity", AdminActivity);
