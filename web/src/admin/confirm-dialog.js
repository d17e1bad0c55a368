// <admin-confirm>: a modal yes/no question (archiving a room). A native <dialog> opened with
// showModal(): the rest of the page is inert, so focus stays inside; Esc answers "no"; focus
// goes back to where it was. The safe answer (Cancel) has the focus first.

import { h, uid } from "./dom.js";

export class AdminConfirm extends HTMLElement {
  #dialog = h("dialog", { class: "confirm" });

  connectedCallback() {
    if (!this.#dialog.isConnected) this.append(this.#dialog);
  }

  /**
   * Asks; resolves true when confirmed.
   *
   * @param {{message: string, confirm: string, cancel: string, danger?: boolean}} o
   * @returns {Promise<boolean>}
   */
  ask({ message, confirm, cancel, danger = false }) {
    const dialog = this.#dialog;
    if (!dialog.isConnected) this.append(dialog);
    const returnTo = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const textId = uid("confirm-text");
    const yes = h("button", { type: "button", class: danger ? "button danger" : "button primary", text: confirm });
    const no = h("button", { type: "button", class: "button", text: cancel });
    dialog.setAttribute("aria-labelledby", textId);
    dialog.replaceChildren(h("p", { id: textId, text: message }), h("div", { class: "dialog-actions" }, [no, yes]));
    return new Promise((resolve) => {
      /** @param {boolean} answer */
      const done = (answer) => {
        dialog.removeEventListener("close", onClose);
        if (dialog.open) dialog.close();
        returnTo?.focus();
        resolve(answer);
      };
      const onClose = () => done(false);
      yes.addEventListener("click", () => done(true));
      no.addEventListener("click", () => done(false));
      dialog.addEventListener("close", onClose);
      dialog.showModal();
      no.focus();
    });
  }
}

customElements.define("admin-confirm", AdminConfirm);
