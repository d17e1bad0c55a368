// The history of one room as the client holds it: a contiguous window of messages (by `seq`,
// which counts 1, 2, 3… per room with no holes, deleted messages included) plus the
// optimistic messages being sent.
//
// - Pages from `GET …/messages` (`around`, `cursor` = `next_cursor` for older, `prev_cursor`
//   for newer) merge without duplicates, keyed by message id and ordered by `seq`, whatever
//   order they arrive in; a page that would leave a hole is refused, and pages requested
//   before a jump (`reset`) are ignored.
// - Live `message.created` events extend the window only while it holds the newest message.
//   Every message seen in an event or an ack is also remembered (the newest version of the
//   last 500), and re-applied after each page: a page fetched before an edit, a delete or a
//   new message but answered after its event would otherwise bring back the old text or
//   leave the new message out.
// - Edits and deletes replace a message only with a version at least as new (a deletion is
//   final; a later `edited_at` wins), so a late ack or an old page never brings back old text.
// - A message being sent is pending under its `client_id`; it is replaced by the server's
//   message exactly once, whether the ack or the `message.created` event comes first; a
//   failure leaves it failed, and a retry keeps the same `client_id` (the server answers a
//   repeated `client_id` with the original message, so nothing is stored twice).
// - The window is bounded (`maxMessages`, ~300): loading older pages drops the newest
//   messages and vice versa, keeping how to reload what was dropped (a cursor, or the
//   boundary message to load `around`). The page decides when to trim after live appends
//   (`trim`), because only it knows where the reader is.
//
// Pure state: no network, no DOM, no timers. The page asks `request()`/`reset()` what to load,
// calls the client with `request.query`, and hands the answer to `applyPage()`.

/** @typedef {import("../types.js").Message} Message */
/** @typedef {import("../types.js").MessagePage} MessagePage */
/** @typedef {import("../types.js").ChatEvent} ChatEvent */

/**
 * Where the next page on one side comes from: a server cursor, or the id of the boundary
 * message (after a trim) to load `around`.
 *
 * @typedef {{cursor: string} | {around: string}} Position
 */

/**
 * @typedef {object} PageRequest
 * @property {"older" | "newer" | "reset"} kind
 * @property {number} generation
 * @property {{cursor?: string, around?: string}} query what to pass to `client.listMessages`
 */

/**
 * @typedef {object} PendingMessage
 * @property {string} client_id
 * @property {string} room_id
 * @property {string} content
 * @property {number[]} mentions
 * @property {"sending" | "failed"} status
 * @property {string} created_at local time it was written (for display only)
 * @property {unknown} [error] the last failure
 */

export const DEFAULT_MAX_MESSAGES = 300;
/** How many messages from events and acks are remembered for pages that race them. */
export const RECENT_MESSAGES = 500;

/**
 * Whether `incoming` is at least as new as `existing` (same message id).
 *
 * @param {Message} incoming
 * @param {Message} existing
 */
export function isSameOrNewer(incoming, existing) {
  if (existing.deleted_at && !incoming.deleted_at) return false;
  if (incoming.deleted_at) return true;
  if (existing.edited_at && (!incoming.edited_at || incoming.edited_at < existing.edited_at)) return false;
  return true;
}

/**
 * Whether two copies of a message show the same thing (a duplicate event or page).
 *
 * @param {Message} a
 * @param {Message} b
 */
function sameVersion(a, b) {
  return a.seq === b.seq && a.content === b.content && a.edited_at === b.edited_at && a.deleted_at === b.deleted_at;
}

export class Timeline {
  /** @type {Map<string, Message>} */
  #byId = new Map();
  /** @type {Message[] | null} */
  #sorted = null;
  /** @type {Map<string, PendingMessage>} */
  #pending = new Map();
  /** The newest version of messages seen in events and acks, oldest first. @type {Map<string, Message>} */
  #recent = new Map();
  #loading = { older: false, newer: false, reset: false };

  /**
   * @param {object} options
   * @param {string} options.roomId
   * @param {number} options.selfId the reader's user id (pending messages are theirs)
   * @param {number} [options.maxMessages] the bound of the window (300)
   */
  constructor({ roomId, selfId, maxMessages = DEFAULT_MAX_MESSAGES }) {
    this.roomId = roomId;
    this.selfId = selfId;
    this.maxMessages = Math.max(1, Math.floor(maxMessages));
    /** Whether a first page was applied. */
    this.loaded = false;
    /** How to load older messages; null when the room's first message is in the window. @type {Position | null} */
    this.older = null;
    /** How to load newer messages; null when the newest message is in the window (live). @type {Position | null} */
    this.newer = null;
    /** The message the last `around` page was centred on (`anchor_id`). @type {string | null} */
    this.anchorId = null;
    /** Set when a live event showed a hole; the page should `reset("latest")`. */
    this.needsReload = false;
    /** Bumped by each reset: answers to older requests are ignored. */
    this.generation = 0;
  }

  // ---- reading -------------------------------------------------------------------------

  /** The messages of the window, oldest first. @returns {readonly Message[]} */
  items() {
    if (!this.#sorted) this.#sorted = [...this.#byId.values()].sort((a, b) => a.seq - b.seq);
    return this.#sorted;
  }

  /** @param {string} id */
  get(id) {
    return this.#byId.get(id);
  }

  get size() {
    return this.#byId.size;
  }

  /** The window holds the room's newest message: live messages append. */
  get atLatest() {
    return this.loaded && this.newer === null;
  }

  /** The window holds the room's first message. */
  get atStart() {
    return this.loaded && this.older === null;
  }

  /** Messages being sent or that failed, in the order they were written. @returns {PendingMessage[]} */
  pending() {
    return [...this.#pending.values()];
  }

  /** The reader's newest message that is not deleted (↑ in an empty composer edits it). */
  lastOwnMessage() {
    const items = this.items();
    for (let i = items.length - 1; i >= 0; i -= 1) {
      const m = items[i];
      if (m.sender_id === this.selfId && !m.deleted_at && m.message_type !== "system") return m;
    }
    return undefined;
  }

  /** Whether a page load of that kind is in flight. @param {"older" | "newer" | "reset"} kind */
  isLoading(kind) {
    return this.#loading[kind];
  }

  // ---- loading pages -------------------------------------------------------------------

  /**
   * Starts over on a new window: the newest page, the first unread, or around a message
   * (a notification, a search hit). Pages requested before are ignored when they arrive.
   *
   * @param {"latest" | "first_unread" | {around: string}} target
   * @returns {PageRequest}
   */
  reset(target) {
    this.generation += 1;
    this.#loading = { older: false, newer: false, reset: true };
    this.needsReload = false;
    /** @type {PageRequest["query"]} */
    const query = target === "latest" ? {} : target === "first_unread" ? { around: "first_unread" } : { around: target.around };
    return { kind: "reset", generation: this.generation, query };
  }

  /**
   * After `resync_required`: reload what is shown — the newest page when the window is live,
   * else around the message the window was opened on (or its middle).
   *
   * @returns {PageRequest}
   */
  resync() {
    if (!this.loaded || this.atLatest || this.size === 0) return this.reset("latest");
    const items = this.items();
    const anchor = this.anchorId && this.#byId.has(this.anchorId) ? this.anchorId : items[Math.floor(items.length / 2)].id;
    return this.reset({ around: anchor });
  }

  /**
   * The request for the next page on one side, or null when there is none (start or end
   * reached, not loaded yet, or one already in flight).
   *
   * @param {"older" | "newer"} side
   * @returns {PageRequest | null}
   */
  request(side) {
    if (!this.loaded || this.#loading.reset || this.#loading[side]) return null;
    const position = side === "older" ? this.older : this.newer;
    if (!position) return null;
    this.#loading[side] = true;
    const query = "cursor" in position ? { cursor: position.cursor } : { around: position.around };
    return { kind: side, generation: this.generation, query };
  }

  /**
   * The request failed: another may be made.
   *
   * @param {PageRequest} request
   */
  fail(request) {
    if (request.generation === this.generation) this.#loading[request.kind] = false;
  }

  /**
   * Merges the answer to `request`. Returns false when it was ignored (a request from before a
   * reset, or a page that does not touch the window and so would leave a hole).
   *
   * @param {PageRequest} request
   * @param {MessagePage} page
   * @returns {boolean}
   */
  applyPage(request, page) {
    if (request.generation !== this.generation) return false;
    this.#loading[request.kind] = false;
    const items = (Array.isArray(page.items) ? page.items : []).filter((m) => m && m.room_id === this.roomId);
    const nextCursor = page.next_cursor ?? null;
    const prevCursor = page.prev_cursor;

    if (request.kind === "reset") {
      this.#byId.clear();
      this.#changed();
      for (const m of items) this.#put(m);
      this.older = nextCursor ? { cursor: nextCursor } : null;
      // A v1 server has no prev_cursor: its pages are the newest.
      this.newer = prevCursor ? { cursor: prevCursor } : null;
      this.anchorId = page.anchor_id ?? null;
      this.loaded = true;
      this.#reconcile();
      this.#trimTo(request.query.around ? "both" : "older");
      return true;
    }

    if (items.length === 0) {
      if (request.kind === "older") this.older = nextCursor ? { cursor: nextCursor } : null;
      else if (prevCursor !== undefined) this.newer = prevCursor ? { cursor: prevCursor } : null;
      this.#reconcile();
      return true;
    }
    let pageMin = Infinity;
    let pageMax = -Infinity;
    for (const m of items) {
      pageMin = Math.min(pageMin, m.seq);
      pageMax = Math.max(pageMax, m.seq);
    }
    const current = this.items();
    if (current.length > 0) {
      const min = current[0].seq;
      const max = current[current.length - 1].seq;
      if (pageMin > max + 1 || pageMax < min - 1) return false;
      for (const m of items) this.#put(m);
      if (pageMin <= min) this.older = nextCursor ? { cursor: nextCursor } : null;
      if (pageMax >= max && prevCursor !== undefined) this.newer = prevCursor ? { cursor: prevCursor } : null;
    } else {
      for (const m of items) this.#put(m);
      this.older = nextCursor ? { cursor: nextCursor } : null;
      if (prevCursor !== undefined) this.newer = prevCursor ? { cursor: prevCursor } : null;
    }
    this.#reconcile();
    this.#trimTo(request.kind === "older" ? "newer" : "older");
    return true;
  }

  /**
   * Re-applies remembered messages after a page: newer versions of what the window holds,
   * then, when the window is live, the messages after its newest one.
   */
  #reconcile() {
    for (const m of this.#recent.values()) if (this.#byId.has(m.id)) this.#put(m);
    if (!this.atLatest) return;
    const items = this.items();
    let max = items.length > 0 ? items[items.length - 1].seq : null;
    const later = [...this.#recent.values()]
      .filter((m) => !this.#byId.has(m.id) && (max === null || m.seq > max))
      .sort((a, b) => a.seq - b.seq);
    for (const m of later) {
      if (max !== null && m.seq > max + 1) {
        this.needsReload = true;
        return;
      }
      this.#put(m);
      max = m.seq;
    }
  }

  /**
   * Drops messages beyond `maxMessages` from one side (the side away from the reader),
   * keeping how to load them again. Returns how many were dropped.
   *
   * @param {"older" | "newer"} side the side to drop from
   * @returns {number}
   */
  trim(side) {
    return this.#trimTo(side);
  }

  /** @param {"older" | "newer" | "both"} side */
  #trimTo(side) {
    const items = this.items();
    const excess = items.length - this.maxMessages;
    if (excess <= 0) return 0;
    let from = 0;
    let to = items.length;
    if (side === "older") from = excess;
    else if (side === "newer") to = items.length - excess;
    else {
      // Around an anchor: keep it in the middle of what stays.
      const anchorIndex = Math.max(0, items.findIndex((m) => m.id === this.anchorId));
      from = Math.min(Math.max(0, anchorIndex - Math.floor(this.maxMessages / 2)), excess);
      to = from + this.maxMessages;
    }
    for (let i = 0; i < from; i += 1) this.#byId.delete(items[i].id);
    for (let i = to; i < items.length; i += 1) this.#byId.delete(items[i].id);
    if (from > 0) this.older = { around: items[from].id };
    if (to < items.length) this.newer = { around: items[to - 1].id };
    this.#changed();
    return items.length - (to - from);
  }

  // ---- live events, acks, pending --------------------------------------------------------

  /**
   * Applies a realtime event of this room (`message.created`, `message.updated`,
   * `message.deleted`); others are ignored. Returns whether what is shown changed.
   *
   * @param {ChatEvent} event
   * @returns {boolean}
   */
  applyEvent(event) {
    if (!event || event.room_id !== this.roomId) return false;
    const message = /** @type {Message | undefined} */ (event.data);
    if (!message || typeof message !== "object" || message.room_id !== this.roomId) return false;
    switch (event.type) {
      case "message.created":
        return this.#accept(message, true);
      case "message.updated":
      case "message.deleted":
        return this.#accept(message, false);
      default:
        return false;
    }
  }

  /**
   * The server's answer to a send (201, or 200 for a repeated `client_id`), or to an edit.
   *
   * @param {Message} message
   * @returns {boolean}
   */
  applyAck(message) {
    if (!message || message.room_id !== this.roomId) return false;
    return this.#accept(message, true);
  }

  /**
   * Shows a message being sent. Returns null when that `client_id` is already pending or was
   * already confirmed (a double click must not send twice).
   *
   * @param {{clientId: string, content: string, mentions?: number[], createdAt?: string}} draft
   * @returns {PendingMessage | null}
   */
  addPending({ clientId, content, mentions = [], createdAt = new Date().toISOString() }) {
    if (this.#pending.has(clientId)) return null;
    for (const m of this.#byId.values()) if (m.client_id === clientId && m.sender_id === this.selfId) return null;
    /** @type {PendingMessage} */
    const pending = { client_id: clientId, room_id: this.roomId, content, mentions: [...mentions], status: "sending", created_at: createdAt };
    this.#pending.set(clientId, pending);
    return pending;
  }

  /**
   * The send failed ("Não enviada — Tentar novamente"). No-op when the message was
   * confirmed meanwhile (its event came although the answer was lost).
   *
   * @param {string} clientId
   * @param {unknown} [error]
   */
  markFailed(clientId, error) {
    const pending = this.#pending.get(clientId);
    if (!pending) return false;
    pending.status = "failed";
    pending.error = error;
    return true;
  }

  /**
   * A retry: the same `client_id` is sending again. Returns the pending message to resend,
   * or null when there is nothing to retry.
   *
   * @param {string} clientId
   * @returns {PendingMessage | null}
   */
  retry(clientId) {
    const pending = this.#pending.get(clientId);
    if (!pending || pending.status !== "failed") return null;
    pending.status = "sending";
    delete pending.error;
    return pending;
  }

  /** The reader gave up on a failed message. @param {string} clientId */
  discard(clientId) {
    return this.#pending.delete(clientId);
  }

  /**
   * @param {Message} message
   * @param {boolean} isNew
   */
  #accept(message, isNew) {
    const settled = isNew && this.#settlePending(message);
    this.#remember(message);
    // While the first page or a jump is in flight, the window is about to be replaced: what it
    // holds is still updated, but nothing is added (the page reconciles the rest).
    if (!this.loaded || this.#loading.reset) return (this.#byId.has(message.id) && this.#put(message)) || settled;
    return this.#receive(message, isNew) || settled;
  }

  /**
   * Keeps the newest version of a message seen in an event or an ack.
   *
   * @param {Message} message
   */
  #remember(message) {
    const known = this.#recent.get(message.id);
    if (known && !isSameOrNewer(message, known)) return;
    this.#recent.delete(message.id);
    this.#recent.set(message.id, message);
    if (this.#recent.size > RECENT_MESSAGES) {
      const oldest = this.#recent.keys().next();
      if (!oldest.done) this.#recent.delete(oldest.value);
    }
  }

  /**
   * Removes the pending message this one confirms; true when there was one.
   *
   * @param {Message} message
   */
  #settlePending(message) {
    return Boolean(message.client_id && message.sender_id === this.selfId && this.#pending.delete(message.client_id));
  }

  /**
   * @param {Message} message
   * @param {boolean} isNew whether it may be added (created/ack) or only replace (update/delete)
   * @returns {boolean}
   */
  #receive(message, isNew) {
    if (this.#byId.has(message.id)) return this.#put(message);
    if (!isNew || !this.atLatest) return false;
    const items = this.items();
    const max = items.length > 0 ? items[items.length - 1].seq : null;
    if (max !== null && message.seq > max + 1) {
      // A hole between the window and this message: never show a history with a gap.
      this.needsReload = true;
      return false;
    }
    if (max !== null && message.seq < items[0].seq) return false;
    return this.#put(message);
  }

  /**
   * Stores a message if it is new or at least as new as the one held.
   *
   * @param {Message} message
   */
  #put(message) {
    const existing = this.#byId.get(message.id);
    if (existing && (!isSameOrNewer(message, existing) || sameVersion(message, existing))) {
      this.#settlePending(message);
      return false;
    }
    this.#byId.set(message.id, message);
    this.#settlePending(message);
    this.#changed();
    return true;
  }

  #changed() {
    this.#sorted = null;
  }
}
