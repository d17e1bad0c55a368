// <chat-composer>: Enter sends, Shift+Enter breaks the line, ↑ in an empty composer edits
// one's last message, Esc cancels (the mention list first, then an edit). `@` opens a list of
// the room's members: the textarea keeps its textbox role (ARIA in HTML allows no other role
// on a textarea) and drives a listbox through aria-autocomplete, aria-controls and
// aria-activedescendant — the combobox interaction without the role. A counter appears near
// the 4,000 limit; typing is sent at most every 3 s. Disabled, with the reason, when the
// user may not send in the room.

import { h, uid } from "./dom.js";
import { checkDraft } from "../lib/composer.js";
import { filterMembers, findMentionQuery, insertMention } from "../lib/mentions.js";

/** @typedef {import("./store.js").ChatStore} ChatStore */
/** @typedef {import("../lib/mentions.js").MentionCandidate} MentionCandidate */

export class ChatComposer extends HTMLElement {
  /** @type {ChatStore | null} */
  store = null;
  #textareaId = uid("composer");
  #listId = uid("mentions");
  #counterId = uid("counter");
  #label = h("label", { class: "visually-hidden", for: this.#textareaId });
  #textarea = h("textarea", { id: this.#textareaId, rows: 2, "aria-autocomplete": "list", "aria-controls": this.#listId, "aria-describedby": this.#counterId });
  #list = h("ul", { role: "listbox", id: this.#listId, class: "mention-list", hidden: true });
  #counter = h("span", { id: this.#counterId, class: "counter" });
  #send = h("button", { type: "button", class: "button primary", "data-action": "send" });
  #cancel = h("button", { type: "button", class: "button secondary", hidden: true });
  #banner = h("p", { class: "editing-banner", hidden: true });
  #reason = h("p", { class: "composer-disabled", hidden: true });
  #built = false;
  /** @type {{messageId: string, draft: string} | null} */
  #editing = null;
  /** @type {MentionCandidate[]} */
  #options = [];
  #active = 0;
  /** Drafts by room, kept when switching rooms. @type {Map<string, string>} */
  #drafts = new Map();
  /** @type {string | null} */
  #roomId = null;

  /** @param {ChatStore} store */
  attach(store) {
    this.store = store;
    store.addEventListener("rooms", () => this.render());
    store.addEventListener("timeline", (e) => {
      if (/** @type {CustomEvent} */ (e).detail?.reason === "open") this.render();
    });
    this.render();
  }

  #build() {
    this.#built = true;
    const row = h("div", { class: "composer-row" }, [this.#textarea, h("div", { class: "composer-buttons" }, [this.#cancel, this.#send])]);
    this.append(this.#banner, this.#label, this.#list, row, this.#counter, this.#reason);
    this.#textarea.addEventListener("keydown", (e) => this.#onKey(e));
    this.#textarea.addEventListener("input", () => this.#onInput());
    this.#textarea.addEventListener("click", () => this.#updateMentions());
    this.#textarea.addEventListener("blur", () => setTimeout(() => this.#closeMentions(), 150));
    this.#send.addEventListener("click", () => this.#submit());
    this.#cancel.addEventListener("click", () => this.cancelEdit());
    this.#list.addEventListener("mousedown", (e) => e.preventDefault());
    this.#list.addEventListener("click", (e) => {
      const li = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (e.target).closest("li[data-index]"));
      if (li) this.#choose(Number(li.dataset.index));
    });
  }

  render() {
    const store = this.store;
    if (!store) return;
    if (!this.#built) this.#build();
    const { t } = store.i18n;
    if (this.#roomId !== store.currentRoomId) {
      if (this.#roomId !== null && !this.#editing) this.#drafts.set(this.#roomId, this.#textarea.value);
      this.#editing = null;
      this.#roomId = store.currentRoomId;
      this.#textarea.value = (this.#roomId && this.#drafts.get(this.#roomId)) || "";
      this.#closeMentions();
    }
    this.#label.textContent = t("composer.label", { room: store.roomName(store.current) });
    this.#textarea.placeholder = t("composer.placeholder");
    this.#list.setAttribute("aria-label", t("composer.mentions.label"));
    this.#cancel.textContent = t("composer.cancel");
    this.#banner.textContent = t("composer.editing");
    const entry = store.current;
    const notMember = Boolean(entry?.members) && store.roomRole === null;
    const disabled = !entry || notMember || Boolean(store.ended);
    this.#textarea.disabled = disabled;
    this.#reason.hidden = !notMember;
    this.#reason.textContent = notMember ? t("composer.disabled.notMember") : "";
    this.#updateState();
  }

  #updateState() {
    const store = this.store;
    if (!store) return;
    const { t } = store.i18n;
    const check = checkDraft(this.#textarea.value);
    this.#send.textContent = this.#editing ? t("composer.save") : t("composer.send");
    this.#send.disabled = this.#textarea.disabled || !check.ok;
    this.#cancel.hidden = !this.#editing;
    this.#banner.hidden = !this.#editing;
    this.#counter.hidden = !check.showCounter;
    this.#counter.classList.toggle("over", check.remaining < 0);
    this.#counter.textContent = check.remaining < 0 ? t("composer.tooLong", { count: -check.remaining }) : t("composer.remaining", { count: check.remaining });
  }

  #onInput() {
    this.#updateState();
    this.#updateMentions();
    if (this.#textarea.value.trim() !== "" && !this.#editing) this.store?.typing();
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    const open = !this.#list.hidden;
    if (open && (e.key === "ArrowDown" || e.key === "ArrowUp")) {
      e.preventDefault();
      this.#active = (this.#active + (e.key === "ArrowDown" ? 1 : -1) + this.#options.length) % Math.max(1, this.#options.length);
      this.#renderOptions();
      return;
    }
    if (open && (e.key === "Enter" || e.key === "Tab") && this.#options.length > 0 && !e.shiftKey) {
      e.preventDefault();
      this.#choose(this.#active);
      return;
    }
    if (e.key === "Escape") {
      if (open) {
        e.preventDefault();
        this.#closeMentions();
      } else if (this.#editing) {
        e.preventDefault();
        this.cancelEdit();
      }
      return;
    }
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.#submit();
      return;
    }
    if (e.key === "ArrowUp" && this.#textarea.value === "" && !this.#editing) {
      const last = this.store?.timeline?.lastOwnMessage();
      if (last) {
        e.preventDefault();
        this.startEdit(last.id);
      }
    }
  }

  #submit() {
    const store = this.store;
    if (!store || this.#textarea.disabled) return;
    const text = this.#textarea.value;
    if (!checkDraft(text).ok) return;
    if (this.#editing) {
      const { messageId, draft } = this.#editing;
      void store.edit(messageId, text).then((ok) => {
        if (ok && this.#editing?.messageId === messageId) {
          this.#editing = null;
          this.#textarea.value = draft;
          this.#updateState();
        }
      });
      return;
    }
    store.send(text);
    this.#textarea.value = "";
    if (this.#roomId) this.#drafts.delete(this.#roomId);
    this.#closeMentions();
    this.#updateState();
  }

  /** Puts a message of the reader's in the composer to edit it. @param {string} messageId */
  startEdit(messageId) {
    const message = this.store?.timeline?.get(messageId);
    if (!message || message.content === null) return;
    this.#editing = { messageId, draft: this.#editing ? this.#editing.draft : this.#textarea.value };
    this.#textarea.value = message.content;
    this.#updateState();
    this.focus();
    this.#textarea.setSelectionRange(this.#textarea.value.length, this.#textarea.value.length);
  }

  cancelEdit() {
    if (!this.#editing) return;
    this.#textarea.value = this.#editing.draft;
    this.#editing = null;
    this.#updateState();
    this.focus();
  }

  /** @param {FocusOptions} [options] */
  focus(options) {
    this.#textarea.focus(options);
  }

  // ---- mentions -------------------------------------------------------------------------------

  #updateMentions() {
    const store = this.store;
    if (!store) return;
    const query = findMentionQuery(this.#textarea.value, this.#textarea.selectionStart ?? 0);
    if (!query) return this.#closeMentions();
    this.#options = filterMembers(store.memberCandidates(), query.query, { excludeIds: [store.selfId], locale: store.i18n.locale });
    this.#active = 0;
    this.#renderOptions();
  }

  #renderOptions() {
    const store = this.store;
    if (!store) return;
    this.#list.replaceChildren();
    if (this.#options.length === 0) {
      this.#list.append(h("li", { role: "option", "aria-disabled": "true", "aria-selected": "false", id: `${this.#listId}-none`, text: store.i18n.t("composer.mentions.empty") }));
      this.#textarea.removeAttribute("aria-activedescendant");
    }
    this.#options.forEach((m, i) => {
      const id = `${this.#listId}-${i}`;
      this.#list.append(h("li", { role: "option", id, "data-index": i, "aria-selected": i === this.#active ? "true" : "false", class: i === this.#active ? "active" : "", text: m.name }));
      if (i === this.#active) this.#textarea.setAttribute("aria-activedescendant", id);
    });
    this.#list.hidden = false;
  }

  #closeMentions() {
    this.#list.hidden = true;
    this.#options = [];
    this.#textarea.removeAttribute("aria-activedescendant");
  }

  /** @param {number} index */
  #choose(index) {
    const member = this.#options[index];
    const query = findMentionQuery(this.#textarea.value, this.#textarea.selectionStart ?? 0);
    if (!member || !query) return this.#closeMentions();
    const { text, caret } = insertMention(this.#textarea.value, query, member);
    this.#textarea.value = text;
    this.#textarea.setSelectionRange(caret, caret);
    this.#closeMentions();
    this.#updateState();
    this.#textarea.focus();
  }
}

customElements.define("chat-composer", ChatComposer);
