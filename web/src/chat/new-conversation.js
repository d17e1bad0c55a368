// "Nova conversa" (pick a colleague, open the DM) and "Nova sala" (admins and supervisors:
// a name and members), each a modal `<dialog>` that keeps and restores focus.

import { h, openModal, uid } from "./dom.js";
import "./user-picker.js";

/** @typedef {import("./store.js").ChatStore} ChatStore */
/** @typedef {import("./user-picker.js").ChatUserPicker} ChatUserPicker */

/**
 * @param {string} title
 * @param {string} closeText
 */
function shell(title, closeText) {
  const titleId = uid("dialog-title");
  const close = h("button", { type: "button", class: "button secondary", "data-action": "close", text: closeText });
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId }, [h("h2", { id: titleId, text: title })]);
  close.addEventListener("click", () => dialog.close());
  return { dialog, close };
}

/** @param {ChatStore} store */
export function newDmDialog(store) {
  const { t } = store.i18n;
  const { dialog, close } = shell(t("rooms.newDm"), t("dialog.close"));
  const picker = /** @type {ChatUserPicker} */ (document.createElement("chat-user-picker"));
  dialog.append(picker, h("div", { class: "dialog-buttons" }, [close]));
  picker.setup(store, { label: t("rooms.newDm.search"), actionText: t("rooms.newDm.start"), exclude: [store.selfId] });
  picker.addEventListener("pick", (e) => {
    const user = /** @type {CustomEvent} */ (e).detail;
    dialog.close();
    void store.openDm(user.user_id);
  });
  openModal(dialog);
  picker.focus();
}

/** @param {ChatStore} store */
export function newRoomDialog(store) {
  const { t } = store.i18n;
  const { dialog, close } = shell(t("rooms.newRoom"), t("dialog.cancel"));
  const nameId = uid("room-name");
  const name = h("input", { id: nameId, type: "text", maxlength: 80, required: true, autocomplete: "off" });
  /** @type {Map<number, string>} */
  const chosen = new Map();
  const chosenList = h("ul", { class: "chosen-members", "aria-label": t("rooms.newRoom.selected") });
  const picker = /** @type {ChatUserPicker} */ (document.createElement("chat-user-picker"));
  const create = h("button", { type: "button", class: "button primary", "data-action": "create", text: t("rooms.newRoom.create") });
  const error = h("p", { class: "form-error", role: "alert" });
  const renderChosen = () => {
    chosenList.replaceChildren(
      ...[...chosen].map(([id, n]) => {
        const remove = h("button", { type: "button", class: "button small", text: t("rooms.newRoom.unselect", { name: n }) });
        remove.addEventListener("click", () => {
          chosen.delete(id);
          renderChosen();
          picker.focus();
        });
        return h("li", {}, [remove]);
      }),
    );
  };
  dialog.append(
    h("div", { class: "field" }, [h("label", { for: nameId, text: t("rooms.newRoom.name") }), name]),
    h("fieldset", { class: "field" }, [h("legend", { text: t("rooms.newRoom.members") }), chosenList, picker]),
    error,
    h("div", { class: "dialog-buttons" }, [close, create]),
  );
  picker.setup(store, { label: t("rooms.newDm.search"), actionText: t("rooms.newRoom.add"), exclude: [store.selfId] });
  picker.addEventListener("pick", (e) => {
    const user = /** @type {CustomEvent} */ (e).detail;
    chosen.set(user.user_id, user.name);
    renderChosen();
  });
  create.addEventListener("click", async () => {
    const value = name.value.trim();
    if (value === "") {
      error.textContent = t("error.validation_failed");
      name.focus();
      return;
    }
    create.disabled = true;
    const ok = await store.createRoom(value, [...chosen.keys()]);
    create.disabled = false;
    if (ok) dialog.close();
  });
  openModal(dialog, name);
}
