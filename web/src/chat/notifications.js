// The notifications panel: mentions and DMs, unread first, newest first within each, with
// "Marcar todas como lidas". A modal dialog opened from the header button; choosing one opens
// its room at that message.

import { h, openModal, uid } from "./dom.js";
import { formatDateTime } from "../lib/time.js";

/** @typedef {import("./store.js").ChatStore} ChatStore */
/** @typedef {import("../types.js").Notification} Notification */

/**
 * Unread first, then newest first (ids are time-ordered UUIDv7, `created_at` breaks ties).
 *
 * @param {readonly Notification[]} items
 */
export function orderNotifications(items) {
  return [...items].sort((a, b) => Number(Boolean(a.read_at)) - Number(Boolean(b.read_at)) || (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
}

/** @param {ChatStore} store */
export function notificationsDialog(store) {
  const { t } = store.i18n;
  const titleId = uid("dialog-title");
  const list = h("ul", { class: "notification-list" });
  const empty = h("p", { class: "notifications-empty", text: t("notifications.empty") });
  const markAll = h("button", { type: "button", class: "button primary", "data-action": "mark-all", text: t("notifications.markAllRead") });
  const close = h("button", { type: "button", class: "button secondary", "data-action": "close", text: t("dialog.close") });
  const summary = h("p", { class: "notifications-summary" });
  const dialog = h("dialog", { class: "dialog notifications", "aria-labelledby": titleId }, [
    h("h2", { id: titleId, text: t("notifications.heading") }),
    summary,
    list,
    empty,
    h("div", { class: "dialog-buttons" }, [markAll, close]),
  ]);
  const render = () => {
    const items = orderNotifications(store.notifications);
    const unread = items.filter((n) => !n.read_at).length;
    summary.textContent = t("notifications.unread", { count: unread });
    markAll.disabled = unread === 0;
    empty.hidden = items.length > 0;
    list.replaceChildren(
      ...items.map((n) => {
        const message = store.knownMessage(n.message_id);
        const room = store.roomName(store.rooms.get(n.room_id));
        // A DM is named after the peer, who sent it; a mention's sender is known only when
        // the page saw the message.
        let text;
        if (n.kind === "dm") text = t("notifications.dm", { name: message ? store.nameOf(message.sender_id) : room });
        else if (message) text = t("notifications.mention", { name: store.nameOf(message.sender_id), room });
        else text = t("notifications.mentionIn", { room });
        const button = h("button", { type: "button", class: `notification${n.read_at ? "" : " unread"}`, "data-notification-id": n.id }, [
          h("span", { class: "notification-text", text }),
          h("time", { datetime: n.created_at, text: formatDateTime(n.created_at, { locale: store.i18n.locale, timeZone: store.timeZone }) }),
        ]);
        button.addEventListener("click", () => {
          dialog.close();
          void store.openNotification(n);
        });
        return h("li", {}, [button]);
      }),
    );
  };
  const onChange = () => render();
  store.addEventListener("notifications", onChange);
  dialog.addEventListener("close", () => store.removeEventListener("notifications", onChange));
  markAll.addEventListener("click", () => void store.markAllNotificationsRead());
  close.addEventListener("click", () => dialog.close());
  render();
  openModal(dialog, /** @type {HTMLElement | null} */ (list.querySelector("button")) ?? close);
}
