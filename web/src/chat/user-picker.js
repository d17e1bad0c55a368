// <chat-user-picker>: search the account's directory (`GET /users?q=`) and pick colleagues.
// A labelled search box and a list of result buttons (Tab and ↓ reach them); picking one
// dispatches "pick" with the directory entry.

import { h, uid } from "./dom.js";

/** @typedef {import("../types.js").DirectoryEntry} DirectoryEntry */
/** @typedef {import("./store.js").ChatStore} ChatStore */

export class ChatUserPicker extends HTMLElement {
  /** @type {ChatStore | null} */
  store = null;
  /** Ids not to offer (the reader, members already in). @type {Set<number>} */
  exclude = new Set();
  /** Text of each result button; `{name}` is replaced. */
  actionText = "{name}";
  #inputId = uid("user-search");
  #input = h("input", { type: "search", id: this.#inputId, autocomplete: "off", class: "user-search" });
  #label = h("label", { for: this.#inputId });
  #list = h("ul", { class: "user-results" });
  #empty = h("p", { class: "user-results-empty", hidden: true });
  /** @type {ReturnType<typeof setTimeout> | null} */
  #timer = null;
  #generation = 0;

  /**
   * @param {ChatStore} store
   * @param {{label: string, actionText: string, exclude?: Iterable<number>}} o
   */
  setup(store, { label, actionText, exclude = [] }) {
    this.store = store;
    this.actionText = actionText;
    this.exclude = new Set(exclude);
    this.#label.textContent = label;
    this.#empty.textContent = store.i18n.t("rooms.newDm.empty");
    this.append(this.#label, this.#input, this.#list, this.#empty);
    this.#input.addEventListener("input", () => this.#schedule());
    this.#input.addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        /** @type {HTMLButtonElement | null} */ (this.#list.querySelector("button"))?.focus();
      } else if (e.key === "Enter") {
        e.preventDefault();
        /** @type {HTMLButtonElement | null} */ (this.#list.querySelector("button"))?.click();
      }
    });
    this.#list.addEventListener("keydown", (e) => {
      const buttons = /** @type {HTMLButtonElement[]} */ ([...this.#list.querySelectorAll("button")]);
      const at = buttons.indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
      if (e.key === "ArrowDown" && at < buttons.length - 1) buttons[at + 1].focus();
      else if (e.key === "ArrowUp") (at > 0 ? buttons[at - 1] : this.#input).focus();
      else return;
      e.preventDefault();
    });
    void this.#search();
  }

  /** @param {FocusOptions} [options] */
  focus(options) {
    this.#input.focus(options);
  }

  #schedule() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#search(), 200);
  }

  async #search() {
    const store = this.store;
    if (!store) return;
    const generation = ++this.#generation;
    const q = this.#input.value.trim();
    try {
      const page = await store.client.listUsers({ q: q === "" ? undefined : q.slice(0, 80), limit: 20 });
      if (generation !== this.#generation) return;
      for (const u of page.items) store.users.set(u.user_id, u);
      this.#show(page.items.filter((u) => !this.exclude.has(u.user_id) && u.active));
    } catch {
      if (generation === this.#generation) this.#show([]);
    }
  }

  /** @param {DirectoryEntry[]} users */
  #show(users) {
    this.#list.replaceChildren(
      ...users.map((u) => {
        const button = h("button", { type: "button", class: "user-result", "data-user-id": u.user_id, text: this.actionText.replace("{name}", u.name) });
        button.addEventListener("click", () => this.dispatchEvent(new CustomEvent("pick", { detail: u })));
        return h("li", {}, [button]);
      }),
    );
    this.#empty.hidden = users.length > 0;
  }
}

customElements.define("chat-user-picker", ChatUserPicker);
