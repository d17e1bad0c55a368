// <chat-app>: the page's frame — header (notifications, connection line), the room list, the
// open room (name, menu, history, typing line, composer) and the one polite live region that
// announces arrivals from others. It wires keyboard shortcuts (Alt+↑/↓ change room), the
// dialogs, read marking on focus/visibility and the session's end.

import { h, clear } from "./dom.js";
import { roomMenu } from "../lib/permissions.js";
import { adjacentRoom } from "../lib/rooms.js";
import { confirmDialog } from "./confirm-dialog.js";
import { newDmDialog, newRoomDialog } from "./new-conversation.js";
import { roomSettingsDialog } from "./room-settings.js";
import { notificationsDialog } from "./notifications.js";
import "./room-list.js";
import "./history.js";
import "./composer.js";

/** @typedef {import("./store.js").ChatStore} ChatStore */
/** @typedef {import("./room-list.js").ChatRoomList} ChatRoomList */
/** @typedef {import("./history.js").ChatHistory} ChatHistory */
/** @typedef {import("./composer.js").ChatComposer} ChatComposer */

export class ChatApp extends HTMLElement {
  /** @type {ChatStore | null} */
  store = null;
  #title = h("h1", { class: "visually-hidden" });
  #status = h("p", { class: "connection-status", hidden: true });
  #retryNow = h("button", { type: "button", class: "button small", hidden: true });
  #notifButton = h("button", { type: "button", class: "button secondary notifications-button", "data-action": "notifications" });
  #roomList = /** @type {ChatRoomList} */ (document.createElement("chat-room-list"));
  #roomTitle = h("h2", { class: "room-title", id: "room-title" });
  #roomPresence = h("span", { class: "room-presence" });
  #menuButton = h("button", { type: "button", class: "button secondary", "data-action": "room-menu", hidden: true });
  #history = /** @type {ChatHistory} */ (document.createElement("chat-history"));
  #typing = h("p", { class: "typing-line" });
  #composer = /** @type {ChatComposer} */ (document.createElement("chat-composer"));
  #announcer = h("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "false" });
  #problem = h("p", { class: "problem", role: "alert", hidden: true });
  /** @type {ReturnType<typeof setTimeout> | null} */
  #problemTimer = null;

  /** @param {ChatStore} store */
  attach(store) {
    this.store = store;
    clear(this);
    const main = h("main", { class: "room-view", "aria-labelledby": "room-title" }, [
      h("div", { class: "room-header" }, [h("div", { class: "room-heading" }, [this.#roomTitle, this.#roomPresence]), this.#menuButton]),
      this.#history,
      this.#typing,
      this.#problem,
      this.#composer,
    ]);
    const header = h("header", { class: "app-header" }, [this.#title, h("div", { class: "status-area" }, [this.#status, this.#retryNow]), this.#notifButton]);
    this.append(header, h("div", { class: "app-body" }, [this.#roomList, main]), this.#announcer);
    this.#roomList.attach(store);
    this.#history.attach(store);
    this.#composer.attach(store);

    for (const type of ["rooms", "presence", "timeline"]) store.addEventListener(type, () => this.#renderRoomHeader());
    store.addEventListener("typing", () => this.#renderTyping());
    store.addEventListener("timeline", () => this.#renderTyping());
    store.addEventListener("status", () => this.#renderStatus());
    store.addEventListener("notifications", () => this.#renderNotifButton());
    store.addEventListener("arrival", (e) => this.#announce(/** @type {CustomEvent} */ (e).detail));
    store.addEventListener("problem", (e) => this.#showProblem(/** @type {CustomEvent} */ (e).detail.message));
    store.addEventListener("ended", (e) => this.#ended(/** @type {CustomEvent} */ (e).detail.code));

    this.addEventListener("new-dm", () => newDmDialog(store));
    this.addEventListener("new-room", () => newRoomDialog(store));
    this.addEventListener("message-edit", (e) => this.#composer.startEdit(/** @type {CustomEvent} */ (e).detail.messageId));
    this.addEventListener("message-delete", (e) => void this.#confirmDelete(/** @type {CustomEvent} */ (e).detail.messageId));
    this.#menuButton.addEventListener("click", () => roomSettingsDialog(store));
    this.#notifButton.addEventListener("click", () => notificationsDialog(store));
    this.#retryNow.addEventListener("click", () => store.live?.reconnectNow());
    document.addEventListener("keydown", (e) => this.#onKey(e));
    for (const type of ["focus", "visibilitychange", "pointerdown", "keydown"]) {
      (type === "focus" ? window : document).addEventListener(type, () => setTimeout(() => this.#history.maybeMarkRead(), 0));
    }
    this.render();
  }

  /** Everything again (a new locale). */
  render() {
    const store = this.store;
    if (!store) return;
    this.#title.textContent = store.i18n.t("app.title");
    this.#retryNow.textContent = store.i18n.t("connection.retryNow");
    this.#roomList.render();
    this.#history.render("names");
    this.#composer.render();
    this.#renderRoomHeader();
    this.#renderTyping();
    this.#renderStatus();
    this.#renderNotifButton();
  }

  #renderRoomHeader() {
    const store = /** @type {ChatStore} */ (this.store);
    const { t } = store.i18n;
    const entry = store.current;
    const name = store.roomName(entry);
    this.#roomTitle.textContent = entry ? name : t("rooms.noneOpen");
    const peer = entry ? store.peerOf(entry) : null;
    if (peer !== null) {
      const status = store.presence.get(peer) ?? "offline";
      this.#roomPresence.replaceChildren(h("span", { class: `presence-dot ${status}`, "aria-hidden": "true" }), h("span", { text: t(`presence.${status}`) }));
    } else {
      this.#roomPresence.replaceChildren();
    }
    const menu = entry ? roomMenu(entry.room, { accountRole: store.accountRole, roomRole: store.roomRole }) : null;
    this.#menuButton.hidden = !menu || !(menu.rename || menu.members || menu.leave || menu.archive);
    this.#menuButton.textContent = t("rooms.menu", { room: name });
  }

  #renderTyping() {
    const store = /** @type {ChatStore} */ (this.store);
    const roomId = store.currentRoomId;
    const names = roomId ? store.typingState.typists(roomId).map((id) => store.nameOf(id)) : [];
    this.#typing.textContent = store.i18n.typing(names);
  }

  #renderStatus() {
    const store = /** @type {ChatStore} */ (this.store);
    const { t } = store.i18n;
    const s = store.status;
    let text = "";
    if (s.state === "connecting") text = t("connection.connecting");
    else if (s.state === "reconnecting") text = t("connection.reconnecting");
    else if (s.state === "stopped" && store.ended === null) text = t("connection.stopped");
    this.#status.textContent = text;
    this.#status.hidden = text === "";
    this.#status.dataset.state = s.state;
    this.#retryNow.hidden = s.state !== "reconnecting";
    this.#composer.render();
  }

  #renderNotifButton() {
    const store = /** @type {ChatStore} */ (this.store);
    const unread = store.notifications.filter((n) => !n.read_at).length;
    this.#notifButton.replaceChildren(
      h("span", { text: store.i18n.t("notifications.heading") }),
      unread > 0 ? h("span", { class: "badge mention", "aria-hidden": "true", text: store.i18n.number(unread) }) : "",
      h("span", { class: "visually-hidden", text: `, ${store.i18n.t("notifications.unread", { count: unread })}` }),
    );
  }

  /** @param {import("../types.js").Message} message */
  #announce(message) {
    const store = /** @type {ChatStore} */ (this.store);
    const text = store.i18n.t("message.announce", { name: store.nameOf(message.sender_id), text: message.content ?? "" });
    // A fresh node per arrival: screen readers announce additions to the region.
    this.#announcer.append(h("p", { text }));
    while (this.#announcer.childElementCount > 5) this.#announcer.firstElementChild?.remove();
  }

  /** @param {string} message */
  #showProblem(message) {
    this.#problem.textContent = message;
    this.#problem.hidden = false;
    if (this.#problemTimer !== null) clearTimeout(this.#problemTimer);
    this.#problemTimer = setTimeout(() => {
      this.#problem.hidden = true;
    }, 8000);
  }

  /** @param {string} messageId */
  async #confirmDelete(messageId) {
    const store = /** @type {ChatStore} */ (this.store);
    const { t } = store.i18n;
    // The article's actions show only while it has focus: keep them while the dialog is open so
    // that focus can come back to "Apagar" when it closes.
    const article = this.querySelector(`article[data-message-id="${CSS.escape(messageId)}"]`);
    article?.classList.add("keep-actions");
    const confirmed = await confirmDialog({ text: t("message.delete.confirm"), confirm: t("message.delete"), cancel: t("dialog.cancel") });
    article?.classList.remove("keep-actions");
    if (confirmed) await store.remove(messageId);
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    const store = this.store;
    if (!store || store.ended || !e.altKey || (e.key !== "ArrowUp" && e.key !== "ArrowDown")) return;
    if (document.querySelector("dialog[open]")) return;
    e.preventDefault();
    const ids = store.sortedRooms().map((r) => r.room.id);
    const next = adjacentRoom(ids, store.currentRoomId, e.key === "ArrowUp" ? -1 : 1);
    if (!next || next === store.currentRoomId) return;
    const inComposer = this.#composer.contains(document.activeElement);
    void store.openRoom(next).then(() => {
      if (inComposer) this.#composer.focus();
    });
    if (!inComposer) this.#roomList.focusCurrent();
  }

  /** @param {string} code */
  #ended(code) {
    const store = /** @type {ChatStore} */ (this.store);
    const { t } = store.i18n;
    const key = store.i18n.has(`session.ended.${code}`) ? `session.ended.${code}` : "session.ended.unauthorized";
    for (const dialog of document.querySelectorAll("dialog")) dialog.close();
    const heading = h("h1", { tabindex: -1, text: t("session.ended.heading") });
    this.replaceChildren(h("main", { class: "session-ended" }, [heading, h("p", { class: "session-ended-text", text: t(key) })]));
    heading.focus();
  }
}

customElements.define("chat-app", ChatApp);
