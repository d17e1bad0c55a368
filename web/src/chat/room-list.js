// <chat-room-list>: the rooms by latest activity with unread and mention badges (bold when
// unread), a presence dot with a text alternative for a DM's peer, a filter box, "Nova
// conversa" and "Nova sala" (admins and supervisors). Roving focus: one room button is in the
// tab order; ↑/↓/Home/End move between rooms, Enter or Space opens one.

import { h, clear } from "./dom.js";
import { canCreateRoom } from "../lib/permissions.js";
import { matchesFilter } from "../lib/rooms.js";

/** @typedef {import("./store.js").ChatStore} ChatStore */

export class ChatRoomList extends HTMLElement {
  /** @type {ChatStore | null} */
  store = null;
  /** The room whose button is in the tab order. @type {string | null} */
  #focusId = null;
  #built = false;
  #filter = /** @type {HTMLInputElement} */ (document.createElement("input"));
  #list = /** @type {HTMLUListElement} */ (document.createElement("ul"));
  #empty = /** @type {HTMLParagraphElement} */ (document.createElement("p"));
  #heading = /** @type {HTMLHeadingElement} */ (document.createElement("h2"));
  #filterLabel = /** @type {HTMLLabelElement} */ (document.createElement("label"));
  #newDm = /** @type {HTMLButtonElement} */ (document.createElement("button"));
  #newRoom = /** @type {HTMLButtonElement} */ (document.createElement("button"));

  /** @param {ChatStore} store */
  attach(store) {
    this.store = store;
    for (const type of ["rooms", "unread", "presence"]) store.addEventListener(type, () => this.render());
    this.render();
  }

  #build() {
    this.#built = true;
    const nav = h("nav", { class: "room-nav", "aria-labelledby": "rooms-heading" });
    this.#heading.id = "rooms-heading";
    this.#heading.className = "room-nav-heading";
    this.#filter.type = "search";
    this.#filter.id = "room-filter";
    this.#filter.className = "room-filter";
    this.#filter.autocomplete = "off";
    this.#filterLabel.htmlFor = "room-filter";
    this.#filterLabel.className = "visually-hidden";
    this.#filter.addEventListener("input", () => this.render());
    this.#filter.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        this.#buttons()[0]?.focus();
      }
    });
    this.#newDm.type = "button";
    this.#newDm.className = "button secondary";
    this.#newDm.dataset.action = "new-dm";
    this.#newRoom.type = "button";
    this.#newRoom.className = "button secondary";
    this.#newRoom.dataset.action = "new-room";
    this.#newDm.addEventListener("click", () => this.dispatchEvent(new CustomEvent("new-dm", { bubbles: true })));
    this.#newRoom.addEventListener("click", () => this.dispatchEvent(new CustomEvent("new-room", { bubbles: true })));
    this.#list.className = "room-list";
    this.#list.addEventListener("keydown", (e) => this.#onKey(e));
    this.#list.addEventListener("click", (e) => {
      const button = /** @type {HTMLElement} */ (e.target).closest("button[data-room-id]");
      const id = button?.getAttribute("data-room-id");
      if (id) {
        this.#focusId = id;
        void this.store?.openRoom(id);
      }
    });
    this.#empty.className = "room-list-empty";
    const actions = h("div", { class: "room-nav-actions" }, [this.#newDm, this.#newRoom]);
    nav.append(this.#heading, actions, this.#filterLabel, this.#filter, this.#list, this.#empty);
    this.append(nav);
  }

  render() {
    const store = this.store;
    if (!store) return;
    if (!this.#built) this.#build();
    const { t } = store.i18n;
    this.#heading.textContent = t("rooms.heading");
    this.#filterLabel.textContent = t("rooms.filter");
    this.#filter.placeholder = t("rooms.filter");
    this.#newDm.textContent = t("rooms.newDm");
    this.#newRoom.textContent = t("rooms.newRoom");
    this.#newRoom.hidden = !canCreateRoom(store.accountRole);
    this.#list.setAttribute("aria-label", t("rooms.list"));

    const hadFocus = this.#list.contains(document.activeElement);
    const rooms = store.sortedRooms().filter((e) => matchesFilter(store.roomName(e), this.#filter.value));
    const ids = rooms.map((e) => e.room.id);
    if (!this.#focusId || !ids.includes(this.#focusId)) this.#focusId = store.currentRoomId && ids.includes(store.currentRoomId) ? store.currentRoomId : (ids[0] ?? null);
    clear(this.#list);
    for (const entry of rooms) this.#list.append(this.#item(entry));
    this.#empty.hidden = rooms.length > 0;
    this.#empty.textContent = store.rooms.size === 0 ? t("rooms.empty") : t("rooms.filter.empty");
    if (hadFocus) this.#button(this.#focusId)?.focus();
  }

  /** @param {import("./store.js").RoomEntry} entry */
  #item(entry) {
    const store = /** @type {ChatStore} */ (this.store);
    const { t } = store.i18n;
    const id = entry.room.id;
    const badge = store.unread.room(id);
    const name = store.roomName(entry);
    const button = h("button", {
      type: "button",
      class: `room${badge.unread > 0 ? " unread" : ""}`,
      "data-room-id": id,
      "data-room-name": name,
      "aria-current": store.currentRoomId === id ? "page" : null,
      tabindex: id === this.#focusId ? 0 : -1,
    });
    const peer = store.peerOf(entry);
    if (peer !== null) {
      const status = store.presence.get(peer) ?? "offline";
      button.append(h("span", { class: `presence-dot ${status}`, "aria-hidden": "true" }));
      button.append(h("span", { class: "room-name", text: name }));
      button.append(h("span", { class: "visually-hidden", text: `, ${t(`presence.${status}`)}` }));
    } else {
      button.append(h("span", { class: "room-icon", "aria-hidden": "true", text: "#" }));
      button.append(h("span", { class: "room-name", text: name }));
    }
    if (badge.unread > 0 || badge.mentions > 0) {
      const badges = h("span", { class: "badges" });
      if (badge.mentions > 0) badges.append(h("span", { class: "badge mention", "aria-hidden": "true", text: `@${store.i18n.number(badge.mentions)}` }));
      if (badge.unread > 0) badges.append(h("span", { class: "badge", "aria-hidden": "true", text: store.i18n.number(badge.unread) }));
      const said = [t("rooms.unread", { count: badge.unread })];
      if (badge.mentions > 0) said.push(t("rooms.mentions", { count: badge.mentions }));
      badges.append(h("span", { class: "visually-hidden", text: `, ${store.i18n.list(said)}` }));
      button.append(badges);
    }
    return h("li", {}, [button]);
  }

  #buttons() {
    return /** @type {HTMLButtonElement[]} */ ([...this.#list.querySelectorAll("button[data-room-id]")]);
  }

  /** @param {string | null} id */
  #button(id) {
    return this.#buttons().find((b) => b.dataset.roomId === id) ?? null;
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    if (e.altKey) return; // Alt+↑/↓ changes room (the app handles it)
    const buttons = this.#buttons();
    const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    if (at === -1) return;
    let next = -1;
    if (e.key === "ArrowDown") next = Math.min(buttons.length - 1, at + 1);
    else if (e.key === "ArrowUp") next = Math.max(0, at - 1);
    else if (e.key === "Home") next = 0;
    else if (e.key === "End") next = buttons.length - 1;
    else return;
    e.preventDefault();
    for (const b of buttons) b.tabIndex = -1;
    const target = buttons[next];
    target.tabIndex = 0;
    this.#focusId = target.dataset.roomId ?? null;
    target.focus();
  }

  /** Focuses the open room's button (after Alt+↑/↓, when closing a dialog). */
  focusCurrent() {
    this.#focusId = this.store?.currentRoomId ?? this.#focusId;
    this.render();
    this.#button(this.#focusId)?.focus();
  }
}

customElements.define("chat-room-list", ChatRoomList);
