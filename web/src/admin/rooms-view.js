// <admin-rooms>: every live team room of the account (`GET /rooms?scope=account`, admins and
// supervisors), most recent activity first, with its member count and last activity; "Abrir"
// opens the room editor (rename, members, archive). DMs are not listed: they are their pair's
// business (the API leaves them out).

import { AdminRoomEditor } from "./room-editor.js";
import { formatDateTime, isoString } from "../lib/time.js";
import { h } from "./dom.js";

/** @typedef {import("./context.js").AdminContext} AdminContext */
/** @typedef {import("../types.js").Room} Room */

const PAGE = 50;

export class AdminRooms extends HTMLElement {
  /** @type {AdminContext | null} */
  #ctx = null;
  /** @type {string | null} */
  #cursor = null;
  /** @type {AbortController | null} */
  #loading = null;
  #rows = h("tbody");
  #status = h("p", { class: "view-status", role: "status" });
  #empty = h("p", { class: "empty", hidden: true });
  #more = h("button", { type: "button", class: "button", hidden: true });
  #editor = new AdminRoomEditor();

  /** @param {AdminContext} ctx */
  configure(ctx) {
    this.#ctx = ctx;
    const { i18n } = ctx;
    this.#editor.configure(ctx);
    this.#more.textContent = i18n.t("audit.loadMore");
    this.#more.addEventListener("click", () => void this.#load(false));
    this.#empty.textContent = i18n.t("adminRooms.empty");
    const table = h("table", { class: "rooms-table" }, [
      h("caption", { class: "visually-hidden", text: i18n.t("adminRooms.heading") }),
      h("thead", {}, [
        h("tr", {}, [
          h("th", { scope: "col", text: i18n.t("adminRooms.room") }),
          h("th", { scope: "col", text: i18n.t("rooms.members") }),
          h("th", { scope: "col", text: i18n.t("adminRooms.lastActivity") }),
          h("th", { scope: "col", text: i18n.t("adminRooms.actions") }),
        ]),
      ]),
      this.#rows,
    ]);
    this.addEventListener("room-changed", (e) => {
      const room = /** @type {CustomEvent<Room>} */ (e).detail;
      const old = this.#rows.querySelector(`tr[data-room-id="${CSS.escape(room.id)}"]`);
      if (old) old.replaceWith(this.#row(ctx, room));
    });
    this.addEventListener("room-archived", (e) => {
      const id = /** @type {CustomEvent<string>} */ (e).detail;
      this.#rows.querySelector(`tr[data-room-id="${CSS.escape(id)}"]`)?.remove();
      this.#empty.hidden = this.#rows.childElementCount > 0;
      this.#status.textContent = ctx.i18n.t("adminRooms.count", { count: this.#rows.childElementCount });
    });
    this.addEventListener("room-editor-closed", (e) => {
      const id = /** @type {CustomEvent<string | null>} */ (e).detail;
      const row = id ? this.#rows.querySelector(`tr[data-room-id="${CSS.escape(id)}"] button`) : null;
      // The room's (redrawn) button, or — the room is gone — the list's status line.
      if (row instanceof HTMLElement) row.focus();
      else this.#status.focus();
    });
    this.#status.tabIndex = -1;
    this.replaceChildren(
      h("h2", { class: "view-title", text: i18n.t("adminRooms.heading") }),
      this.#status,
      h("div", { class: "table-wrap" }, [table]),
      this.#empty,
      h("div", { class: "more" }, [this.#more]),
      this.#editor,
    );
  }

  disconnectedCallback() {
    this.#loading?.abort();
  }

  load() {
    return this.#load(true);
  }

  /** @param {boolean} fresh */
  async #load(fresh) {
    const ctx = this.#ctx;
    if (!ctx) return;
    this.#loading?.abort();
    const loading = new AbortController();
    this.#loading = loading;
    this.setAttribute("aria-busy", "true");
    this.#more.disabled = true;
    this.#status.textContent = ctx.i18n.t("app.loading");
    try {
      const page = await ctx.client.listRooms({ scope: "account", limit: PAGE, cursor: fresh ? null : this.#cursor, signal: loading.signal });
      if (loading.signal.aborted) return;
      if (fresh) this.#rows.replaceChildren();
      for (const room of page.items) this.#rows.append(this.#row(ctx, room));
      this.#cursor = page.next_cursor;
      this.#more.hidden = page.next_cursor === null;
      this.#empty.hidden = this.#rows.childElementCount > 0;
      this.#status.textContent = ctx.i18n.t("adminRooms.count", { count: this.#rows.childElementCount });
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
   * @param {AdminContext} ctx
   * @param {Room} room
   */
  #row(ctx, room) {
    const { i18n } = ctx;
    const name = room.name ?? "";
    const open = h("button", { type: "button", class: "button", "aria-label": i18n.t("adminRooms.open", { room: name }), text: i18n.t("adminRooms.openShort") });
    open.addEventListener("click", () => void this.#editor.open(room));
    const last = room.last_message_at ?? null;
    /** @type {Node} */
    let lastCell;
    if (last) {
      let text = last;
      let iso = "";
      try {
        text = formatDateTime(last, { locale: i18n.locale, timeZone: ctx.timeZone });
        iso = isoString(last);
      } catch {
        // shown as the API wrote it
      }
      lastCell = h("time", { datetime: iso || false, text });
    } else {
      lastCell = document.createTextNode(i18n.t("adminRooms.noActivity"));
    }
    return h("tr", { "data-room-id": room.id }, [
      h("th", { scope: "row", class: "room-name", text: name }),
      h("td", { class: "num", text: typeof room.member_count === "number" ? i18n.number(room.member_count) : "—" }),
      h("td", {}, [lastCell]),
      h("td", {}, [open]),
    ]);
  }
}

customElements.define("admin-rooms", AdminRooms);
