// <admin-console>: the console's frame — a heading, ARIA tabs (Auditoria for admins;
// Atividade and Salas for admins and supervisors, as the API allows them) and one panel per
// tab, built when first shown and kept afterwards. ←/→/Home/End move between tabs and open
// them (automatic activation: every panel is cheap to show once loaded). The open tab is kept
// in the page URL with the audit filters.

import { AdminAudit } from "./audit-view.js";
import { AdminActivity } from "./activity-view.js";
import { AdminRooms } from "./rooms-view.js";
import { pickTab, visibleTabs } from "../lib/admin-view.js";
import { h } from "./dom.js";

/** @typedef {import("./context.js").AdminContext} AdminContext */
/** @typedef {import("../lib/admin-view.js").AdminTab} AdminTab */
/** @typedef {import("../lib/admin-view.js").AdminViewState} AdminViewState */

const LABELS = /** @type {const} */ ({ audit: "admin.tab.audit", activity: "admin.tab.activity", rooms: "admin.tab.rooms" });

export class AdminConsole extends HTMLElement {
  /** @type {AdminContext | null} */
  #ctx = null;
  /** @type {AdminTab[]} */
  #tabs = [];
  /** @type {Map<AdminTab, {tab: HTMLButtonElement, panel: HTMLElement, view: (HTMLElement & {load(): Promise<void>}) | null}>} */
  #parts = new Map();
  /** @type {AdminTab | null} */
  #current = null;
  /** @type {AdminViewState["filters"]} */
  #filters = {};

  /**
   * @param {AdminContext} ctx
   * @param {AdminViewState} view what the page URL asked for
   */
  configure(ctx, view) {
    this.#ctx = ctx;
    this.#filters = view.filters;
    const { i18n } = ctx;
    this.#tabs = visibleTabs(ctx.me.role);
    this.#parts.clear();
    const heading = h("h1", { class: "console-title", text: i18n.t("admin.title") });
    if (this.#tabs.length === 0) {
      this.replaceChildren(h("header", { class: "console-head" }, [heading]), h("p", { class: "view-status", text: i18n.t("admin.noAccess") }));
      return;
    }
    const tablist = h("div", { role: "tablist", class: "tabs", "aria-label": i18n.t("admin.sections") });
    const panels = h("div", { class: "panels" });
    for (const name of this.#tabs) {
      const tabId = `tab-${name}`;
      const panelId = `panel-${name}`;
      const tab = h("button", { type: "button", role: "tab", id: tabId, "aria-controls": panelId, "aria-selected": "false", tabindex: -1, "data-tab": name, class: "tab", text: i18n.t(LABELS[name]) });
      const panel = h("section", { role: "tabpanel", id: panelId, "aria-labelledby": tabId, class: "panel", hidden: true, tabindex: 0 });
      tab.addEventListener("click", () => this.show(name));
      tablist.append(tab);
      panels.append(panel);
      this.#parts.set(name, { tab, panel, view: null });
    }
    tablist.addEventListener("keydown", (e) => this.#onKey(e));
    this.replaceChildren(h("header", { class: "console-head" }, [heading]), tablist, panels);
    this.show(pickTab(view.tab, this.#tabs) ?? this.#tabs[0], { focus: false });
  }

  /**
   * Opens a tab (building and loading its view the first time).
   *
   * @param {AdminTab} name
   * @param {{focus?: boolean}} [o]
   */
  show(name, { focus = false } = {}) {
    const ctx = this.#ctx;
    const part = this.#parts.get(name);
    if (!ctx || !part) return;
    for (const [other, p] of this.#parts) {
      const on = other === name;
      p.tab.setAttribute("aria-selected", String(on));
      p.tab.tabIndex = on ? 0 : -1;
      p.panel.hidden = !on;
    }
    if (focus) part.tab.focus();
    this.#current = name;
    ctx.saveView(name, this.#filters);
    if (!part.view) {
      part.view = this.#build(ctx, name);
      part.panel.append(part.view);
      void part.view.load();
    }
  }

  /**
   * @param {AdminContext} ctx
   * @param {AdminTab} name
   * @returns {HTMLElement & {load(): Promise<void>}}
   */
  #build(ctx, name) {
    if (name === "audit") {
      const view = new AdminAudit();
      view.configure({ ...ctx, saveView: (tab, filters) => {
        this.#filters = filters;
        ctx.saveView(tab, filters);
      } }, this.#filters);
      return view;
    }
    if (name === "activity") {
      const view = new AdminActivity();
      view.configure(ctx);
      return view;
    }
    const view = new AdminRooms();
    view.configure(ctx);
    return view;
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    if (this.#current === null) return;
    const i = this.#tabs.indexOf(this.#current);
    const n = this.#tabs.length;
    /** @type {Record<string, number>} */
    const moves = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 };
    if (!(e.key in moves)) return;
    e.preventDefault();
    this.show(this.#tabs[moves[e.key]], { focus: true });
  }
}

customElements.define("admin-console", AdminConsole);
