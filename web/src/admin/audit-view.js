// <admin-audit>: the account's audit log (admins). A table — time in the user's zone, actor
// by name, action in words, target, request id, metadata on demand — with filters (action,
// actor picked from the directory, target, a range of days) kept in the page URL, "Carregar
// mais" paging, and export of the current filter as CSV (comma or semicolon) or JSONL.
//
// The export is fetched with the token in the Authorization header (client.exportAudit) and
// handed to the browser as a Blob behind an `<a download>` object URL: the token never goes in
// a URL, and the file is byte for byte what the API sent.

import { AdminUserPicker } from "./user-picker.js";
import { AUDIT_ACTIONS, filtersFromQuery, toApiFilters } from "../lib/audit-filters.js";
import { defaultDelimiter, exportChoice } from "../lib/export-options.js";
import { formatDateTime, isoString } from "../lib/time.js";
import { h, uid } from "./dom.js";

/** @typedef {import("./context.js").AdminContext} AdminContext */
/** @typedef {import("../types.js").AuditEntry} AuditEntry */
/** @typedef {import("../lib/audit-filters.js").AuditViewFilters} AuditViewFilters */

const PAGE = 50;

export class AdminAudit extends HTMLElement {
  /** @type {AdminContext | null} */
  #ctx = null;
  /** @type {AuditViewFilters} */
  #filters = {};
  /** @type {string | null} */
  #cursor = null;
  #count = 0;
  /** @type {AbortController | null} */
  #loading = null;
  #exporting = false;
  #rows = h("tbody");
  #status = h("p", { class: "view-status", role: "status" });
  #more = h("button", { type: "button", class: "button", hidden: true });
  #empty = h("p", { class: "empty", hidden: true });
  // Filter controls.
  #action = h("select", { name: "action" });
  #picker = new AdminUserPicker();
  #target = h("input", { type: "text", name: "target", maxlength: 200, autocomplete: "off", spellcheck: "false" });
  #from = h("input", { type: "date", name: "from" });
  #to = h("input", { type: "date", name: "to" });
  #format = h("select", { name: "format" });
  #delimiter = h("select", { name: "delimiter" });
  #exportButton = h("button", { type: "button", class: "button" });

  /**
   * @param {AdminContext} ctx
   * @param {AuditViewFilters} filters from the page URL
   */
  configure(ctx, filters) {
    this.#ctx = ctx;
    const { i18n } = ctx;
    this.#filters = filters;

    this.#action.replaceChildren(
      h("option", { value: "", text: i18n.t("audit.filter.anyAction") }),
      ...AUDIT_ACTIONS.map((a) => h("option", { value: a, text: i18n.auditAction(a) })),
    );
    this.#picker.configure({ ctx, label: i18n.t("audit.filter.actor") });
    const field = (/** @type {string} */ label, /** @type {HTMLElement} */ control) => {
      const id = uid("audit-field");
      control.id = id;
      return h("div", { class: "field" }, [h("label", { for: id, text: label }), control]);
    };
    const apply = h("button", { type: "submit", class: "button primary", text: i18n.t("audit.filter.apply") });
    const reset = h("button", { type: "button", class: "button", text: i18n.t("audit.filter.clear") });
    const form = h("form", { class: "filters", "aria-label": i18n.t("audit.filters") }, [
      field(i18n.t("audit.filter.action"), this.#action),
      h("div", { class: "field" }, [this.#picker]),
      field(i18n.t("audit.filter.target"), this.#target),
      field(i18n.t("audit.filter.from"), this.#from),
      field(i18n.t("audit.filter.to"), this.#to),
      h("div", { class: "field actions" }, [apply, reset]),
    ]);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.#apply(this.#readForm());
    });
    reset.addEventListener("click", () => this.#apply({}));

    this.#format.replaceChildren(
      h("option", { value: "csv", text: i18n.t("audit.export.csv") }),
      h("option", { value: "jsonl", text: i18n.t("audit.export.jsonl") }),
    );
    const preferred = defaultDelimiter(i18n.locale);
    this.#delimiter.replaceChildren(
      h("option", { value: "semicolon", text: i18n.t("audit.export.semicolon"), selected: preferred === "semicolon" }),
      h("option", { value: "comma", text: i18n.t("audit.export.comma"), selected: preferred === "comma" }),
    );
    this.#format.addEventListener("change", () => {
      this.#delimiter.disabled = this.#format.value !== "csv";
    });
    this.#exportButton.textContent = i18n.t("audit.export.run");
    this.#exportButton.addEventListener("click", () => void this.#export());
    const exportGroup = h("div", { class: "export", role: "group", "aria-label": i18n.t("audit.export") }, [
      field(i18n.t("audit.export.format"), this.#format),
      field(i18n.t("audit.export.delimiter"), this.#delimiter),
      h("div", { class: "field actions" }, [this.#exportButton]),
    ]);

    const head = h("thead", {}, [
      h("tr", {}, [
        ...["audit.time", "audit.actor", "audit.action", "audit.target", "audit.requestId"].map((k) => h("th", { scope: "col", text: i18n.t(k) })),
        h("th", { scope: "col", text: i18n.t("audit.metadata") }),
      ]),
    ]);
    const table = h("table", { class: "audit-table" }, [h("caption", { class: "visually-hidden", text: i18n.t("audit.caption") }), head, this.#rows]);
    this.#more.textContent = i18n.t("audit.loadMore");
    this.#more.addEventListener("click", () => void this.#load(false));
    this.#empty.textContent = i18n.t("audit.empty");

    this.replaceChildren(
      h("h2", { class: "view-title", text: i18n.t("admin.tab.audit") }),
      form,
      exportGroup,
      this.#status,
      h("div", { class: "table-wrap" }, [table]),
      this.#empty,
      h("div", { class: "more" }, [this.#more]),
    );
    this.#fillForm(filters);
  }

  disconnectedCallback() {
    this.#loading?.abort();
  }

  /** Loads the first page for the current filters. */
  load() {
    return this.#load(true);
  }

  /** @returns {AuditViewFilters} */
  #readForm() {
    const params = new URLSearchParams();
    if (this.#action.value) params.set("action", this.#action.value);
    const actor = this.#picker.value;
    if (actor) params.set("actor", String(actor.userId));
    if (this.#target.value.trim()) params.set("target", this.#target.value.trim());
    if (this.#from.value) params.set("from", this.#from.value);
    if (this.#to.value) params.set("to", this.#to.value);
    // The same rules as a URL typed by hand: malformed values out, a reversed range put right.
    return filtersFromQuery(params);
  }

  /** @param {AuditViewFilters} filters */
  #fillForm(filters) {
    const ctx = this.#ctx;
    this.#action.value = filters.action ?? "";
    this.#target.value = filters.targetId ?? "";
    this.#from.value = filters.from ?? "";
    this.#to.value = filters.to ?? "";
    if (filters.actorId === undefined) {
      this.#picker.value = null;
    } else if (ctx) {
      const id = filters.actorId;
      this.#picker.value = { userId: id, name: ctx.names.peek(id) ?? ctx.i18n.t("message.unknownUser", { id }) };
      ctx.names.name(id).then(
        (name) => {
          if (name && this.#filters.actorId === id && this.#picker.value?.userId === id) this.#picker.value = { userId: id, name };
        },
        () => {},
      );
    }
  }

  /** @param {AuditViewFilters} filters */
  #apply(filters) {
    this.#filters = filters;
    this.#fillForm(filters);
    this.#ctx?.saveView("audit", filters);
    void this.#load(true);
  }

  /** @param {boolean} fresh */
  async #load(fresh) {
    const ctx = this.#ctx;
    if (!ctx) return;
    this.#loading?.abort();
    const loading = new AbortController();
    this.#loading = loading;
    if (fresh) {
      this.#cursor = null;
      this.#count = 0;
    }
    this.setAttribute("aria-busy", "true");
    this.#more.disabled = true;
    this.#status.textContent = ctx.i18n.t("app.loading");
    try {
      const page = await ctx.client.listAudit({
        ...toApiFilters(this.#filters, ctx.timeZone),
        limit: PAGE,
        cursor: fresh ? null : this.#cursor,
        signal: loading.signal,
      });
      if (loading.signal.aborted) return;
      if (fresh) this.#rows.replaceChildren();
      for (const entry of page.items) this.#rows.append(...this.#row(ctx, entry));
      this.#count += page.items.length;
      this.#cursor = page.next_cursor;
      this.#more.hidden = page.next_cursor === null;
      this.#empty.hidden = this.#count > 0;
      this.#status.textContent = ctx.i18n.t("audit.count", { count: this.#count });
    } catch (error) {
      if (loading.signal.aborted) return;
      if (!ctx.onError(error)) this.#status.textContent = ctx.i18n.errorMessage(/** @type {any} */ (error));
    } finally {
      if (this.#loading === loading) {
        this.removeAttribute("aria-busy");
        this.#more.disabled = false;
      }
    }
  }

  /**
   * The row of an entry and the row of its metadata (hidden until asked for).
   *
   * @param {AdminContext} ctx
   * @param {AuditEntry} entry
   * @returns {HTMLTableRowElement[]}
   */
  #row(ctx, entry) {
    const { i18n } = ctx;
    const actor = h("td", { class: "actor" });
    if (entry.actor_id === null || entry.actor_id === undefined) {
      actor.textContent = i18n.t("audit.actor.service");
    } else {
      const id = entry.actor_id;
      const known = ctx.names.peek(id);
      actor.textContent = known ?? i18n.t("message.unknownUser", { id });
      if (known === undefined) {
        ctx.names.name(id).then(
          (name) => {
            if (name) actor.textContent = name;
          },
          () => {},
        );
      }
    }
    const metadata = entry.metadata && typeof entry.metadata === "object" ? entry.metadata : {};
    const requestId = typeof metadata.request_id === "string" ? metadata.request_id : "";
    const detailsId = uid("audit-details");
    const toggle = h("button", { type: "button", class: "button link", "aria-expanded": "false", "aria-controls": detailsId, text: i18n.t("audit.metadata.show") });
    const details = h("tr", { id: detailsId, class: "audit-details", hidden: true }, [
      h("td", { colspan: 6 }, [h("pre", { text: JSON.stringify(metadata, null, 2) })]),
    ]);
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = i18n.t(open ? "audit.metadata.hide" : "audit.metadata.show");
      details.hidden = !open;
    });
    let when = "";
    let iso = "";
    try {
      when = formatDateTime(entry.created_at, { locale: i18n.locale, timeZone: ctx.timeZone });
      iso = isoString(entry.created_at);
    } catch {
      when = String(entry.created_at);
    }
    const row = h("tr", { "data-audit-id": entry.id }, [
      h("td", { class: "time" }, [h("time", { datetime: iso || false, text: when })]),
      actor,
      h("td", { class: "action", "data-action": entry.action, text: i18n.auditAction(entry.action) }),
      this.#targetCell(ctx, entry, metadata),
      h("td", { class: "request-id mono", text: requestId }),
      h("td", {}, [toggle]),
    ]);
    return [row, details];
  }

  /**
   * The target: its id (what the filter takes), and in words when the entry says who or what
   * it is — a user's name for member and user actions, a room's name from the metadata.
   *
   * @param {AdminContext} ctx
   * @param {AuditEntry} entry
   * @param {Record<string, unknown>} metadata
   */
  #targetCell(ctx, entry, metadata) {
    const id = entry.target_id ?? "";
    const cell = h("td", { class: "target" });
    const words = h("span", { class: "target-name" });
    if (/^(member|user)\./.test(entry.action) && /^[1-9][0-9]{0,18}$/.test(id)) {
      const userId = Number(id);
      const known = ctx.names.peek(userId);
      if (known) words.textContent = known;
      else if (known === undefined) {
        ctx.names.name(userId).then(
          (name) => {
            if (name) words.textContent = name;
          },
          () => {},
        );
      }
    } else if (typeof metadata.name === "string") {
      words.textContent = metadata.name;
    }
    cell.append(words, h("span", { class: "target-id mono", text: id }));
    return cell;
  }

  async #export() {
    const ctx = this.#ctx;
    if (!ctx || this.#exporting) return;
    this.#exporting = true;
    this.#exportButton.disabled = true;
    this.#status.textContent = ctx.i18n.t("audit.export.running");
    try {
      const choice = exportChoice(this.#format.value, this.#delimiter.value, ctx.i18n.locale);
      const { response, filename } = await ctx.client.exportAudit({ ...toApiFilters(this.#filters, ctx.timeZone), ...choice });
      const blob = await response.blob();
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: filename, class: "visually-hidden", tabindex: -1, text: filename });
      this.append(link);
      link.click();
      link.remove();
      // Give the browser time to start reading the Blob before letting it go.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.#status.textContent = ctx.i18n.t("audit.export.done", { file: filename });
    } catch (error) {
      if (!ctx.onError(error)) this.#status.textContent = ctx.i18n.errorMessage(/** @type {any} */ (error));
    } finally {
      this.#exporting = false;
      this.#exportButton.disabled = false;
    }
  }
}

customElements.define("admin-audit", AdminAudit);
