// A confirmation as a modal `<dialog>` (delete a message, leave or archive a room): the
// browser keeps focus inside while it is open, Esc cancels, and focus goes back to what had it.

import { h, openModal, uid } from "./dom.js";

/**
 * @param {{text: string, confirm: string, cancel: string, danger?: boolean}} o
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ text, confirm, cancel, danger = true }) {
  return new Promise((resolve) => {
    const textId = uid("confirm-text");
    const yes = h("button", { type: "button", class: `button ${danger ? "danger" : "primary"}`, "data-action": "confirm", text: confirm });
    const no = h("button", { type: "button", class: "button secondary", "data-action": "cancel", text: cancel });
    const dialog = h("dialog", { class: "dialog confirm-dialog", "aria-describedby": textId, "aria-label": confirm }, [
      h("p", { id: textId, text }),
      h("div", { class: "dialog-buttons" }, [no, yes]),
    ]);
    let answer = false;
    yes.addEventListener("click", () => {
      answer = true;
      dialog.close();
    });
    no.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => resolve(answer), { once: true });
    openModal(dialog, no);
  });
}
