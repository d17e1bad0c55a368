// <admin-user-picker>: pick a colleague from the account's directory (`GET /users?q=`), as an
// ARIA 1.2 combobox: a text input that controls a listbox, ↓/↑ move through the options
// (aria-activedescendant keeps the focus in the input), Enter picks, Esc closes the list (a
// second Esc clears the input). Typing after a pick clears the pick. Fires `user-change` with
// `detail: {userId, name} | null` when the pick changes.

import { h, uid } from "./dom.js";

/** @typedef {import("./context.js").AdminContext} AdminContext */
/** @typedef {import("../types.js").DirectoryEntry} DirectoryEntry */
/** @typedef {{userId: number, name: string}} PickedUser */

const SEARCH_DELAY_MS = 200;
const RESULTS = 8;

export class AdminUserPicker extends HTMLElement {
  /** @type {AdminContext | null} */
  #ctx = null;
  /** @type {PickedUser | null} */
  #value = null;
  /** @type {DirectoryEntry[]} */
  #options = [];
  #active = -1;
  /** @type {ReturnType<typeof setTimeout> | null} */
  #timer = null;
  /** @type {AbortController | null} */
  #search = null;
  #input = h("input", { type: "text", role: "combobox", autocomplete: "off", "aria-autocomplete": "list", "aria-expanded": "false", spellcheck: "false" });
  #list = h("ul", { role: "listbox", class: "picker-list", hidden: true });
  #label = h("label");
  /** @type {() => readonly number[]} */
  #exclude = () => [];

  /**
   * @param {{ctx: AdminContext, label: string, exclude?: () => readonly number[]}} o
   *   `exclude`: ids not to offer (e.g. a room's members)
   */
  configure({ ctx, label, exclude }) {
    this.#ctx = ctx;
    this.#exclude = exclude ?? (() => []);
    const inputId = uid("picker-input");
    const listId = uid("picker-list");
    this.#input.id = inputId;
    this.#list.id = listId;
    this.#input.setAttribute("aria-controls", listId);
    this.#list.setAttribute("aria-label", label);
    this.#label.htmlFor = inputId;
    this.#label.textContent = label;
    this.classList.add("picker");
    this.replaceChildren(this.#label, h("div", { class: "picker-box" }, [this.#input, this.#list]));
    this.#input.addEventListener("input", () => this.#onInput());
    this.#input.addEventListener("keydown", (e) => this.#onKey(e));
    this.#input.addEventListener("blur", () => this.#close());
    // A click on an option must not blur the input first (that would close the list).
    this.#list.addEventListener("mousedown", (e) => e.preventDefault());
    this.#list.addEventListener("click", (e) => {
      const li = /** @type {Element} */ (e.target).closest("[role=option]");
      const index = li ? Number(li.getAttribute("data-index")) : -1;
      if (index >= 0) this.#pick(index);
    });
  }

  /** The picked user, or null. */
  get value() {
    return this.#value;
  }

  /** Shows a pick without searching (e.g. the actor of a filter restored from the URL). */
  set value(user) {
    this.#value = user;
    this.#input.value = user ? user.name : "";
  }

  get input() {
    return this.#input;
  }

  disconnectedCallback() {
    this.#cancel();
  }

  #cancel() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#search?.abort();
    this.#search = null;
  }

  #onInput() {
    if (this.#value) {
      this.#value = null;
      this.#emit();
    }
    this.#cancel();
    const q = this.#input.value.trim();
    if (q === "") {
      this.#close();
      return;
    }
    this.#timer = setTimeout(() => void this.#run(q.slice(0, 80)), SEARCH_DELAY_MS);
  }

  /** @param {string} q */
  async #run(q) {
    const ctx = this.#ctx;
    if (!ctx) return;
    const search = new AbortController();
    this.#search = search;
    try {
      const page = await ctx.client.listUsers({ q, limit: RESULTS, signal: search.signal });
      if (search.signal.aborted) return;
      ctx.names.remember(page.items);
      const skip = new Set(this.#exclude());
      this.#show(page.items.filter((u) => !skip.has(u.user_id)));
    } catch (error) {
      if (search.signal.aborted) return;
      ctx.onError(error);
      this.#close();
    }
  }

  /** @param {DirectoryEntry[]} users */
  #show(users) {
    const ctx = this.#ctx;
    if (!ctx) return;
    this.#options = users;
    this.#active = -1;
    this.#input.removeAttribute("aria-activedescendant");
    const base = this.#list.id;
    if (users.length === 0) {
      this.#list.replaceChildren(h("li", { role: "option", "aria-disabled": "true", "aria-selected": "false", class: "picker-empty", text: ctx.i18n.t("picker.empty") }));
    } else {
      this.#list.replaceChildren(
        ...users.map((u, i) =>
          h("li", { role: "option", id: `${base}-${i}`, "data-index": i, "aria-selected": "false" }, [
            h("span", { class: "picker-name", text: u.name }),
            h("span", { class: "picker-role", text: ctx.i18n.t(`accountRole.${u.role}`) }),
          ]),
        ),
      );
    }
    this.#list.hidden = false;
    this.#input.setAttribute("aria-expanded", "true");
  }

  #close() {
    this.#list.hidden = true;
    this.#input.setAttribute("aria-expanded", "false");
    this.#input.removeAttribute("aria-activedescendant");
    this.#active = -1;
  }

  /** @param {number} index */
  #highlight(index) {
    const items = this.#list.querySelectorAll("[role=option][id]");
    items.forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    this.#active = index;
    const li = items[index];
    if (li) {
      this.#input.setAttribute("aria-activedescendant", li.id);
      li.scrollIntoView({ block: "nearest" });
    }
  }

  /** @param {number} index */
  #pick(index) {
    const u = this.#options[index];
    if (!u) return;
    this.#value = { userId: u.user_id, name: u.name };
    this.#input.value = u.name;
    this.#close();
    this.#emit();
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    const open = !this.#list.hidden && this.#options.length > 0;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!open) return;
      e.preventDefault();
      const n = this.#options.length;
      const next = e.key === "ArrowDown" ? (this.#active + 1) % n : (this.#active - 1 + n) % n;
      this.#highlight(next);
    } else if (e.key === "Enter") {
      if (open && this.#active >= 0) {
        e.preventDefault();
        this.#pick(this.#active);
      }
    } else if (e.key === "Escape") {
      if (!this.#list.hidden) {
        e.preventDefault();
        e.stopPropagation();
        this.#close();
      } else if (this.#input.value !== "") {
        e.preventDefault();
        e.stopPropagation();
        this.value = null;
        this.#emit();
      }
    }
  }

  #emit() {
    this.dispatchEvent(new CustomEvent("user-change", { detail: this.#value, bubbles: true }));
  }
}

customElements.define("admin-user-picker", AdminUserPicker);
