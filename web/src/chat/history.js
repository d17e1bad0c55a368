// <chat-history>: the open room's messages as a `feed` of `article`s, newest at the bottom.
//
// - Opens at the first unread message under a "Novas mensagens" line (or at the bottom when
//   nothing is unread; around the message of a notification).
// - Scrolling near the top loads older pages; what the reader looks at stays in place (the
//   first visible article's offset is measured before and restored after each render — the
//   browser's own scroll anchoring is turned off in CSS so the two do not fight).
// - The DOM holds what the timeline holds (about 300 messages): older pages drop the newest
//   messages and the other way round, so it stays bounded however far one scrolls.
// - Live messages stick to the bottom when the reader is there; otherwise they add up in an
//   "N novas mensagens" button.
// - Keyboard (the feed pattern): one article is in the tab order; ↑/↓, PageUp/PageDown,
//   Home/End move between articles; an article's actions (edit, delete, retry) are reachable
//   with Tab from it.

import { h, clear } from "./dom.js";
import { buildRows } from "../lib/grouping.js";
import { dayKey, daySeparatorLabel, formatTime, isoString } from "../lib/time.js";
import { canDeleteMessage, canEditMessage } from "../lib/permissions.js";
import { mentionSegments } from "./text.js";

/** @typedef {import("./store.js").ChatStore} ChatStore */
/** @typedef {import("../types.js").Message} Message */
/** @typedef {import("../lib/timeline.js").PendingMessage} PendingMessage */

/** Load another page when the reader is this close to an edge (px). */
const EDGE_PX = 400;
/** "At the bottom" tolerance (px). */
const BOTTOM_PX = 48;

export class ChatHistory extends HTMLElement {
  /** @type {ChatStore | null} */
  store = null;
  #scroller = h("div", { class: "history-scroller" });
  #top = h("p", { class: "history-top" });
  #feed = h("div", { role: "feed", class: "feed" });
  #empty = h("p", { class: "history-empty" });
  #newButton = h("button", { type: "button", class: "new-messages", hidden: true });
  /** @type {Map<string, {el: HTMLElement, version: string}>} */
  #rendered = new Map();
  #newCount = 0;
  /** The article in the tab order. @type {string | null} */
  #focusKey = null;
  #built = false;
  #pendingOpen = false;
  #loading = false;

  /** @param {ChatStore} store */
  attach(store) {
    this.store = store;
    store.addEventListener("timeline", (e) => this.#onTimeline(/** @type {CustomEvent} */ (e).detail?.reason ?? "live"));
    store.addEventListener("arrival", () => {
      if (!this.#atBottom() || !store.timeline?.atLatest) {
        this.#newCount += 1;
        this.#renderNewButton();
      }
    });
    this.render("open");
  }

  #build() {
    this.#built = true;
    this.#scroller.append(this.#top, this.#feed, this.#empty);
    this.append(this.#scroller, this.#newButton);
    this.#scroller.addEventListener("scroll", () => this.#onScroll(), { passive: true });
    this.#feed.addEventListener("keydown", (e) => this.#onKey(e));
    this.#feed.addEventListener("focusin", (e) => {
      const article = /** @type {HTMLElement} */ (e.target).closest("article");
      if (article?.dataset.key) this.#setFocusKey(article.dataset.key);
    });
    this.#feed.addEventListener("click", (e) => this.#onClick(e));
    this.#newButton.addEventListener("click", () => void this.#jumpToNewest());
  }

  /** @param {string} reason */
  #onTimeline(reason) {
    if (reason === "open") {
      this.#newCount = 0;
      this.#focusKey = null;
      this.#pendingOpen = true;
    }
    this.render(reason);
  }

  /**
   * @param {string} reason
   */
  render(reason) {
    const store = this.store;
    if (!store) return;
    if (!this.#built) this.#build();
    const timeline = store.timeline;
    const { t } = store.i18n;
    const roomName = store.roomName(store.current);
    this.#feed.setAttribute("aria-label", t("history.label", { room: roomName }));
    this.#newButton.setAttribute("aria-label", t("history.jumpToNewest"));
    if (!timeline) {
      clear(this.#feed);
      this.#rendered.clear();
      this.#top.textContent = "";
      this.#empty.hidden = false;
      this.#empty.textContent = t("rooms.noneOpen");
      return;
    }
    this.#feed.setAttribute("aria-busy", timeline.loaded ? "false" : "true");

    const wasAtBottom = this.#atBottom();
    const anchor = reason === "open" ? null : this.#measureAnchor();

    // Keep the window bounded as live messages come: at the bottom the oldest go; a reader
    // further up keeps their place and the newest go instead (they add up in the
    // "N novas mensagens" button and load again on the way down).
    if (reason === "live") timeline.trim(wasAtBottom && timeline.atLatest ? "older" : "newer");

    const rows = buildRows(timeline.items(), { timeZone: store.timeZone, unreadAfterSeq: store.unreadLine, selfId: store.selfId });
    /** @type {HTMLElement[]} */
    const els = [];
    const seen = new Set();
    for (const row of rows) {
      let el;
      if (row.kind === "day") el = this.#keyed(row.key, daySeparatorLabel(row.at, { i18n: store.i18n, timeZone: store.timeZone }), () => this.#daySeparator(row.at));
      else if (row.kind === "unread") el = this.#keyed(row.key, t("history.newMessagesLine"), () => h("div", { class: "unread-line", "data-key": "unread" }, [h("span", { text: t("history.newMessagesLine") })]));
      else el = this.#keyed(row.key, this.#version(row.message, row.groupStart), () => this.#article(row.message, row.groupStart));
      seen.add(el.dataset.key);
      els.push(el);
    }
    for (const p of timeline.pending()) {
      const key = `pending:${p.client_id}`;
      els.push(this.#keyed(key, `${p.status}|${p.content}`, () => this.#pendingArticle(p)));
      seen.add(key);
    }
    for (const [key, { el }] of this.#rendered) {
      if (!seen.has(key)) {
        el.remove();
        this.#rendered.delete(key);
      }
    }
    // Put the elements in order, moving only those out of place.
    let cursor = this.#feed.firstElementChild;
    for (const el of els) {
      if (el === cursor) cursor = cursor.nextElementSibling;
      else this.#feed.insertBefore(el, cursor);
    }
    this.#updateTabStops();

    this.#empty.hidden = !(timeline.loaded && timeline.size === 0 && timeline.pending().length === 0);
    this.#empty.textContent = t("history.empty");
    this.#top.textContent = !timeline.loaded ? t("app.loading") : timeline.atStart ? (timeline.size > 0 ? t("history.start") : "") : t("history.loadingOlder");

    if (reason === "open" && this.#pendingOpen && timeline.loaded) {
      this.#pendingOpen = false;
      this.#scrollToOpening();
    } else if ((reason === "live" || reason === "pending") && wasAtBottom) {
      this.#scrollToBottom();
    } else if (anchor) {
      this.#restoreAnchor(anchor);
    }
    if (this.#atBottom() && timeline.atLatest) {
      this.#newCount = 0;
    }
    this.#renderNewButton();
    this.#afterLayout();
  }

  /**
   * The element for a row key, rebuilt only when its version changed.
   *
   * @param {string} key
   * @param {string} version
   * @param {() => HTMLElement} make
   */
  #keyed(key, version, make) {
    const known = this.#rendered.get(key);
    if (known && known.version === version) return known.el;
    const el = make();
    el.dataset.key = key;
    if (known) {
      const focused = known.el.contains(document.activeElement);
      known.el.replaceWith(el);
      if (focused) el.focus();
    }
    this.#rendered.set(key, { el, version });
    return el;
  }

  /**
   * @param {Message} m
   * @param {boolean} groupStart
   */
  #version(m, groupStart) {
    const store = /** @type {ChatStore} */ (this.store);
    return [m.seq, m.content, m.edited_at, m.deleted_at, groupStart, store.nameOf(m.sender_id), store.roomRole, store.i18n.locale].join("|");
  }

  /** @param {string} at */
  #daySeparator(at) {
    const store = /** @type {ChatStore} */ (this.store);
    return h("div", { class: "day-separator" }, [
      h("time", { datetime: dayKey(at, store.timeZone), text: daySeparatorLabel(at, { i18n: store.i18n, timeZone: store.timeZone }) }),
    ]);
  }

  /**
   * @param {Message} m
   * @param {boolean} groupStart
   */
  #article(m, groupStart) {
    const store = /** @type {ChatStore} */ (this.store);
    const { t } = store.i18n;
    const own = m.sender_id === store.selfId;
    const mentionsMe = Array.isArray(m.mentions) && m.mentions.includes(store.selfId);
    const classes = ["message"];
    if (groupStart) classes.push("group-start");
    if (own) classes.push("own");
    if (mentionsMe && !m.deleted_at) classes.push("mentions-me");
    if (m.deleted_at) classes.push("deleted");
    if (m.message_type === "system") classes.push("system");
    const sender = m.message_type === "system" ? t("message.system") : store.nameOf(m.sender_id);
    const time = formatTime(m.created_at, { locale: store.i18n.locale, timeZone: store.timeZone });
    const article = h("article", { class: classes.join(" "), tabindex: -1, "data-message-id": m.id, "data-seq": m.seq, "aria-label": `${sender}, ${time}` });
    article.append(
      h("header", { class: groupStart ? "message-meta" : "message-meta visually-hidden" }, [
        h("span", { class: "sender", text: sender }),
        " ",
        h("time", { datetime: isoString(m.created_at), text: time }),
      ]),
    );
    const body = h("p", { class: "message-text" });
    if (m.deleted_at || m.content === null) body.textContent = t("message.deleted");
    else for (const seg of mentionSegments(m.content, store.memberCandidates())) body.append(seg.mention ? h("span", { class: seg.self === store.selfId ? "mention self" : "mention", text: seg.text }) : seg.text);
    article.append(body);
    if (mentionsMe && !m.deleted_at) article.append(h("span", { class: "visually-hidden", text: t("message.mentionOfYou") }));
    if (m.edited_at && !m.deleted_at) body.append(" ", h("span", { class: "edited", text: t("message.edited") }));
    const actions = h("div", { class: "message-actions", role: "group", "aria-label": t("message.actions") });
    if (canEditMessage(m, store.selfId)) actions.append(h("button", { type: "button", class: "button small", "data-action": "edit", text: t("message.edit") }));
    if (canDeleteMessage(m, { selfId: store.selfId, accountRole: store.accountRole, roomRole: store.roomRole })) {
      actions.append(h("button", { type: "button", class: "button small danger", "data-action": "delete", text: t("message.delete") }));
    }
    if (actions.childElementCount > 0) article.append(actions);
    return article;
  }

  /** @param {PendingMessage} p */
  #pendingArticle(p) {
    const store = /** @type {ChatStore} */ (this.store);
    const { t } = store.i18n;
    const failed = p.status === "failed";
    const article = h("article", { class: `message own group-start ${failed ? "failed" : "pending"}`, tabindex: -1, "data-client-id": p.client_id, "aria-label": t("message.you") });
    article.append(h("header", { class: "message-meta" }, [h("span", { class: "sender", text: t("message.you") })]));
    article.append(h("p", { class: "message-text", text: p.content }));
    if (failed) {
      article.append(
        h("div", { class: "message-failed" }, [
          h("button", { type: "button", class: "button small danger", "data-action": "retry", text: t("message.failed") }),
          h("button", { type: "button", class: "button small", "data-action": "discard", text: t("message.discard") }),
        ]),
      );
    } else {
      article.append(h("p", { class: "message-status", text: t("message.pending") }));
    }
    return article;
  }

  /** @param {MouseEvent} e */
  #onClick(e) {
    const button = /** @type {HTMLElement} */ (e.target).closest("button[data-action]");
    const article = button?.closest("article");
    if (!button || !article || !this.store) return;
    const action = button.getAttribute("data-action");
    const messageId = article.dataset.messageId;
    const clientId = article.dataset.clientId;
    if (action === "retry" && clientId) this.store.retry(clientId);
    else if (action === "discard" && clientId) this.store.discard(clientId);
    else if ((action === "edit" || action === "delete") && messageId) {
      this.dispatchEvent(new CustomEvent(`message-${action}`, { bubbles: true, detail: { messageId } }));
    }
  }

  // ---- scrolling ------------------------------------------------------------------------------

  #atBottom() {
    const s = this.#scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight <= BOTTOM_PX;
  }

  #scrollToBottom() {
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
  }

  /** At the "Novas mensagens" line, else at the anchor (a notification's message), else the bottom. */
  #scrollToOpening() {
    const store = /** @type {ChatStore} */ (this.store);
    const line = /** @type {HTMLElement | null} */ (this.#feed.querySelector(".unread-line"));
    const anchorId = store.timeline?.anchorId;
    const anchorEl = anchorId ? /** @type {HTMLElement | null} */ (this.#feed.querySelector(`article[data-message-id="${CSS.escape(anchorId)}"]`)) : null;
    if (anchorEl && store.openedAround === anchorId) {
      this.#scroller.scrollTop = anchorEl.offsetTop - this.#scroller.offsetTop - this.#scroller.clientHeight / 3;
      anchorEl.classList.add("highlight");
    } else if (line) {
      this.#scroller.scrollTop = line.offsetTop - this.#scroller.offsetTop - 8;
    } else if (anchorEl && !store.timeline?.atLatest) {
      this.#scroller.scrollTop = anchorEl.offsetTop - this.#scroller.offsetTop - this.#scroller.clientHeight / 3;
      anchorEl.classList.add("highlight");
    } else {
      this.#scrollToBottom();
    }
  }

  /** The first article whose bottom is below the scroller's top, and its offset from there. */
  #measureAnchor() {
    const top = this.#scroller.getBoundingClientRect().top;
    for (const el of this.#feed.children) {
      const rect = el.getBoundingClientRect();
      if (rect.bottom > top && el instanceof HTMLElement && el.tagName === "ARTICLE" && el.dataset.key) return { key: el.dataset.key, offset: rect.top - top };
    }
    return null;
  }

  /**
   * Puts the anchor back where it was. By key: its element may have been rebuilt meanwhile (a
   * message that now continues the group of an older one loses its header).
   *
   * @param {{key: string, offset: number}} anchor
   */
  #restoreAnchor(anchor) {
    const el = this.#rendered.get(anchor.key)?.el;
    if (!el || !el.isConnected) return;
    const top = this.#scroller.getBoundingClientRect().top;
    const delta = el.getBoundingClientRect().top - top - anchor.offset;
    if (delta !== 0) this.#scroller.scrollTop += delta;
  }

  #onScroll() {
    if (this.#atBottom() && this.#newCount > 0 && this.store?.timeline?.atLatest) {
      this.#newCount = 0;
      this.#renderNewButton();
    }
    this.#afterLayout();
  }

  /** Pages to load near the edges; read marking at the bottom. */
  #afterLayout() {
    const store = this.store;
    const timeline = store?.timeline;
    if (!store || !timeline || !timeline.loaded || this.#loading) return;
    const s = this.#scroller;
    if (s.scrollTop < EDGE_PX && !timeline.atStart) void this.#load("older");
    else if (s.scrollHeight - s.scrollTop - s.clientHeight < EDGE_PX && !timeline.atLatest) void this.#load("newer");
    this.maybeMarkRead();
  }

  /** @param {"older" | "newer"} side */
  async #load(side) {
    this.#loading = true;
    try {
      await this.store?.loadMore(side);
    } finally {
      this.#loading = false;
    }
  }

  /** Marks the room read when its newest message is on screen and the page visible and focused. */
  maybeMarkRead() {
    const store = this.store;
    const timeline = store?.timeline;
    if (!store || !timeline?.atLatest || document.visibilityState !== "visible" || !document.hasFocus()) return;
    const items = timeline.items();
    const newest = items[items.length - 1];
    if (!newest) return;
    const el = this.#rendered.get(newest.id)?.el;
    if (!el) return;
    const rect = el.getBoundingClientRect();
    const box = this.#scroller.getBoundingClientRect();
    if (rect.top < box.bottom && rect.bottom > box.top) void store.markRead();
  }

  async #jumpToNewest() {
    const store = this.store;
    if (!store?.timeline) return;
    this.#newCount = 0;
    if (!store.timeline.atLatest) await store.jumpToLatest();
    this.#scrollToBottom();
    this.#renderNewButton();
    const last = /** @type {HTMLElement | null} */ (this.#feed.querySelector("article:last-of-type"));
    last?.focus();
  }

  #renderNewButton() {
    const store = this.store;
    if (!store) return;
    const show = this.#newCount > 0 || (store.timeline?.loaded === true && !store.timeline.atLatest && !this.#pendingOpen);
    this.#newButton.hidden = !show;
    this.#newButton.textContent = this.#newCount > 0 ? store.i18n.t("history.newMessagesButton", { count: this.#newCount }) : store.i18n.t("history.jumpToNewest");
  }

  // ---- keyboard -------------------------------------------------------------------------------

  #articles() {
    return /** @type {HTMLElement[]} */ ([...this.#feed.querySelectorAll("article")]);
  }

  /** @param {string} key */
  #setFocusKey(key) {
    if (this.#focusKey === key) return;
    this.#focusKey = key;
    this.#updateTabStops();
  }

  #updateTabStops() {
    const articles = this.#articles();
    if (articles.length === 0) return;
    let current = articles.find((a) => a.dataset.key === this.#focusKey);
    if (!current) current = articles[articles.length - 1];
    for (const a of articles) {
      const want = a === current ? "0" : "-1";
      if (a.getAttribute("tabindex") !== want) a.setAttribute("tabindex", want);
    }
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    const target = /** @type {HTMLElement} */ (e.target);
    if (target.tagName !== "ARTICLE") return;
    const articles = this.#articles();
    const at = articles.indexOf(target);
    let next = -1;
    if (e.key === "ArrowDown" || e.key === "PageDown") next = Math.min(articles.length - 1, at + (e.key === "PageDown" ? 5 : 1));
    else if (e.key === "ArrowUp" || e.key === "PageUp") next = Math.max(0, at - (e.key === "PageUp" ? 5 : 1));
    else if (e.key === "Home" && e.ctrlKey) next = 0;
    else if (e.key === "End" && e.ctrlKey) next = articles.length - 1;
    else return;
    e.preventDefault();
    const el = articles[next];
    if (!el) return;
    this.#setFocusKey(el.dataset.key ?? "");
    el.focus();
    el.scrollIntoView({ block: "nearest" });
  }

  /** Gives focus to the newest article (Esc from the composer's mention list, etc.). */
  focusNewest() {
    const articles = this.#articles();
    articles[articles.length - 1]?.focus();
  }
}

customElements.define("chat-history", ChatHistory);
