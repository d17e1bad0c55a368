// The chat page's state: one small store fed by REST pages and live events, that the custom
// elements read and listen to. It owns no DOM (it can run under node for tests) and talks to
// the server only through `ChatClient` / `RealtimeConnection`.
//
// Events it dispatches (CustomEvent, `detail` in brackets):
//   "rooms"          the room list, names or members changed
//   "timeline"       the open room's history changed [{reason: "open" | "older" | "newer" | "live" | "pending"}]
//   "typing"         who is typing in the open room changed
//   "presence"       someone's presence changed
//   "unread"         badges changed [{total, mentions}]
//   "status"         the realtime connection's status [ConnectionStatus]
//   "notifications"  the notification list changed
//   "arrival"        a message from someone else arrived in the open room [Message]
//   "notify"         a mention or DM for the host's toast [{kind, room_id, message_id, title, body}]
//   "ended"          the session is over (token refused) [{code}]
//   "problem"        an action failed, say so [{message}]

import { ChatApiError, isSessionFatal, newClientId } from "../client.js";
import { Timeline } from "../lib/timeline.js";
import { UnreadState } from "../lib/unread.js";
import { TypingIndicators, createTypingThrottle } from "../lib/typing.js";
import { extractMentions } from "../lib/mentions.js";
import { dmPeer, sortRooms } from "../lib/rooms.js";

/** @typedef {import("../client.js").ChatClient} ChatClient */
/** @typedef {import("../client.js").RealtimeConnection} RealtimeConnection */
/** @typedef {import("../client.js").ConnectionStatus} ConnectionStatus */
/** @typedef {import("../types.js").Room} Room */
/** @typedef {import("../types.js").Member} Member */
/** @typedef {import("../types.js").Message} Message */
/** @typedef {import("../types.js").ChatEvent} ChatEvent */
/** @typedef {import("../types.js").DirectoryEntry} DirectoryEntry */
/** @typedef {import("../types.js").Notification} Notification */
/** @typedef {import("../lib/i18n.js").I18n} I18n */

/**
 * @typedef {object} RoomEntry
 * @property {Room} room
 * @property {Member[] | null} members null until fetched
 */

/** How many messages a page asks for. */
export const PAGE_SIZE = 50;
/** Most rooms and users loaded at start (pages of 100). */
const MAX_LIST_PAGES = 10;

export class ChatStore extends EventTarget {
  /** @type {Map<string, RoomEntry>} */
  rooms = new Map();
  /** @type {Map<number, DirectoryEntry>} */
  users = new Map();
  /** @type {Map<number, "online" | "away" | "offline">} */
  presence = new Map();
  /** @type {Notification[]} */
  notifications = [];
  /** @type {Timeline | null} */
  timeline = null;
  /** @type {string | null} */
  currentRoomId = null;
  /** The reader's `last_read_seq` when the room was opened: where "Novas mensagens" goes. @type {number | null} */
  unreadLine = null;
  /** The message the open room was opened around (a notification), else null. @type {string | null} */
  openedAround = null;
  /** @type {ConnectionStatus} */
  status = { state: "connecting", reason: null, fatal: false, attempt: 0, retryInMs: null };
  /** Set once the token was refused: nothing more is sent. @type {string | null} */
  ended = null;

  /** @type {Set<number>} */
  #userRequests = new Set();
  /** Messages seen live, for notification texts. @type {Map<string, Message>} */
  #recent = new Map();
  /** @type {Map<string, number>} */
  #markedSeq = new Map();
  #typingThrottle = createTypingThrottle();
  /** Counts presence.changed events; and when each user's last one came. */
  #presenceClock = 0;
  /** @type {Map<number, number>} */
  #presenceSeen = new Map();
  /** @type {ReturnType<typeof setTimeout> | null} */
  #typingTimer = null;
  #openGeneration = 0;

  /**
   * @param {object} o
   * @param {ChatClient} o.client
   * @param {RealtimeConnection | null} o.live
   * @param {number} o.selfId
   * @param {string} o.accountRole
   * @param {string | null} o.selfName
   * @param {I18n} o.i18n
   * @param {string} o.timeZone
   */
  constructor({ client, live, selfId, accountRole, selfName, i18n, timeZone }) {
    super();
    this.client = client;
    this.live = live;
    this.selfId = selfId;
    this.accountRole = accountRole;
    this.i18n = i18n;
    this.timeZone = timeZone;
    this.unread = new UnreadState({ selfId });
    this.typingState = new TypingIndicators({ selfId });
    if (selfName) this.users.set(selfId, { user_id: selfId, name: selfName, role: /** @type {any} */ (accountRole), active: true, last_seen_at: null });
  }

  // ---- reading ------------------------------------------------------------------------------

  /** @param {number} userId */
  nameOf(userId) {
    const known = this.users.get(userId);
    if (known) return known.name;
    this.#fetchUser(userId);
    return this.i18n.t("message.unknownUser", { id: userId });
  }

  /** @param {RoomEntry | undefined} entry */
  roomName(entry) {
    if (!entry) return "";
    if (entry.room.type === "room") return entry.room.name ?? "";
    const peer = dmPeer({ members: entry.members ?? undefined }, this.selfId);
    return peer === null ? this.i18n.t("app.loading") : this.nameOf(peer);
  }

  /** The rooms as the list shows them. @returns {RoomEntry[]} */
  sortedRooms() {
    return sortRooms([...this.rooms.values()].map((e) => ({ ...e, id: e.room.id, last_message_at: e.room.last_message_at, created_at: e.room.created_at })), (e) =>
      this.roomName(e),
    ).map((e) => /** @type {RoomEntry} */ (this.rooms.get(e.id)));
  }

  /** @returns {RoomEntry | undefined} */
  get current() {
    return this.currentRoomId ? this.rooms.get(this.currentRoomId) : undefined;
  }

  /** The reader's role in the open room (null: not a member or unknown). */
  get roomRole() {
    const me = this.current?.members?.find((m) => m.user_id === this.selfId);
    return me ? me.role : null;
  }

  /** Members of the open room with names (mentions). */
  memberCandidates() {
    return (this.current?.members ?? []).map((m) => ({ user_id: m.user_id, name: this.nameOf(m.user_id) }));
  }

  /** A message the page has seen (the open room's window, or a live event). @param {string} id */
  knownMessage(id) {
    return this.timeline?.get(id) ?? this.#recent.get(id);
  }

  /** The DM peer of a room, or null. @param {RoomEntry} entry */
  peerOf(entry) {
    return entry.room.type === "dm" ? dmPeer({ members: entry.members ?? undefined }, this.selfId) : null;
  }

  // ---- start and resync ---------------------------------------------------------------------

  /** Loads everything the page shows; opens the first room (or `roomId`). @param {string | null} [roomId] */
  async start(roomId = null) {
    await Promise.all([this.#loadUsers(), this.loadRooms(), this.#loadPresence(), this.loadNotifications()]);
    const first = roomId && this.rooms.has(roomId) ? roomId : (this.sortedRooms()[0]?.room.id ?? null);
    if (first) await this.openRoom(first);
  }

  /** After `resync_required`: reload what is shown. */
  async resync() {
    await Promise.all([this.loadRooms(), this.#loadPresence(), this.loadNotifications()]);
    const timeline = this.timeline;
    if (!timeline) return;
    if (!this.rooms.has(timeline.roomId)) {
      await this.#openFallback();
      return;
    }
    await this.#loadPage(timeline, timeline.resync(), "open");
  }

  async loadRooms() {
    /** @type {Room[]} */
    const all = [];
    /** @type {string | null} */
    let cursor = null;
    for (let i = 0; i < MAX_LIST_PAGES; i += 1) {
      const page = await this.#call(() => this.client.listRooms({ limit: 100, cursor }));
      all.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    const next = new Map();
    for (const room of all) next.set(room.id, { room, members: this.rooms.get(room.id)?.members ?? null });
    this.rooms = next;
    this.unread.setRooms(all);
    this.#emit("rooms");
    this.#emitUnread();
    // DMs are named after the peer: their members are needed at once.
    await Promise.all(all.filter((r) => r.type === "dm" && !next.get(r.id)?.members).map((r) => this.#loadMembers(r.id)));
  }

  async #loadUsers() {
    /** @type {string | null} */
    let cursor = null;
    for (let i = 0; i < MAX_LIST_PAGES; i += 1) {
      const page = await this.#call(() => this.client.listUsers({ limit: 100, cursor }));
      for (const u of page.items) this.users.set(u.user_id, u);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    this.#emit("rooms");
  }

  async #loadPresence() {
    const asked = this.#presenceClock;
    const page = await this.#call(() => this.client.presence());
    // A presence.changed that came while the list was on its way is newer than the list.
    for (const p of page.items) if ((this.#presenceSeen.get(p.user_id) ?? -1) < asked) this.presence.set(p.user_id, p.status);
    this.#emit("presence");
  }

  async loadNotifications() {
    const page = await this.#call(() => this.client.listNotifications({ limit: 50 }));
    this.notifications = page.items;
    this.#emit("notifications");
  }

  /** @param {string} roomId */
  async #loadMembers(roomId) {
    try {
      const room = await this.#call(() => this.client.getRoom(roomId));
      const entry = this.rooms.get(roomId);
      if (entry) {
        entry.members = room.members ?? [];
        entry.room = { ...entry.room, name: room.name };
        this.#emit("rooms");
      }
      return room;
    } catch (error) {
      if (error instanceof ChatApiError && error.status === 404) {
        this.rooms.delete(roomId);
        this.#emit("rooms");
      }
      throw error;
    }
  }

  /** @param {number} userId */
  #fetchUser(userId) {
    if (this.#userRequests.has(userId) || this.ended) return;
    this.#userRequests.add(userId);
    this.client
      .getUser(userId)
      .then((u) => {
        this.users.set(u.user_id, u);
        this.#emit("rooms");
        this.#emit("timeline", { reason: "names" });
      })
      .catch(() => {});
  }

  // ---- the open room ------------------------------------------------------------------------

  /**
   * Opens a room at its first unread message, or around a message (a notification).
   *
   * @param {string} roomId
   * @param {{around?: string}} [o]
   */
  async openRoom(roomId, { around } = {}) {
    const generation = ++this.#openGeneration;
    const timeline = new Timeline({ roomId, selfId: this.selfId });
    this.timeline = timeline;
    this.currentRoomId = roomId;
    this.unreadLine = null;
    this.openedAround = around ?? null;
    this.#emit("rooms");
    this.#emit("typing");
    this.#emit("timeline", { reason: "open" });
    /** @type {Room | null} */
    let detail = null;
    try {
      detail = await this.#loadMembers(roomId);
    } catch {
      if (generation !== this.#openGeneration) return;
    }
    if (generation !== this.#openGeneration) return;
    const me = detail?.members?.find((m) => m.user_id === this.selfId);
    this.unreadLine = typeof me?.last_read_seq === "number" ? me.last_read_seq : null;
    await this.#loadPage(timeline, timeline.reset(around ? { around } : "first_unread"), "open");
  }

  /**
   * The host asked for a room (`chat:open`): open it, fetching it first when the list does not
   * have it yet (the reader was just added); a room the reader cannot see is ignored.
   *
   * @param {string} roomId
   */
  async openFromHost(roomId) {
    if (!this.rooms.has(roomId)) await this.#learnRoom(roomId);
    if (this.rooms.has(roomId)) await this.openRoom(roomId);
  }

  /** @param {"older" | "newer"} side */
  async loadMore(side) {
    const timeline = this.timeline;
    if (!timeline) return false;
    const request = timeline.request(side);
    if (!request) return false;
    await this.#loadPage(timeline, request, side);
    return true;
  }

  /** Back to the newest messages (the "N novas mensagens" button when the window is not live). */
  async jumpToLatest() {
    const timeline = this.timeline;
    if (!timeline || timeline.atLatest) return;
    await this.#loadPage(timeline, timeline.reset("latest"), "open");
  }

  /**
   * @param {Timeline} timeline
   * @param {import("../lib/timeline.js").PageRequest} request
   * @param {"open" | "older" | "newer"} reason
   */
  async #loadPage(timeline, request, reason) {
    try {
      const page = await this.#call(() => this.client.listMessages(timeline.roomId, { ...request.query, limit: PAGE_SIZE }));
      if (timeline !== this.timeline) return;
      if (timeline.applyPage(request, page)) this.#emit("timeline", { reason });
      if (timeline.needsReload) await this.#loadPage(timeline, timeline.reset("latest"), "open");
    } catch (error) {
      timeline.fail(request);
      if (timeline === this.timeline && !this.ended) this.#problem(error);
    }
  }

  // ---- sending, editing, deleting -------------------------------------------------------------

  /**
   * Sends a message optimistically: shown at once as pending, replaced by the server's
   * message (ack or event, once); on failure it stays with "Tentar novamente".
   *
   * @param {string} text
   */
  send(text) {
    const timeline = this.timeline;
    if (!timeline || this.ended) return;
    const mentions = extractMentions(text, this.memberCandidates()).filter((id) => id !== this.selfId);
    const pending = timeline.addPending({ clientId: newClientId(), content: text.trim(), mentions });
    if (!pending) return;
    this.#typingThrottle.reset(timeline.roomId);
    this.#emit("timeline", { reason: "pending" });
    void this.#deliver(timeline, pending);
  }

  /** @param {string} clientId */
  retry(clientId) {
    const timeline = this.timeline;
    const pending = timeline?.retry(clientId);
    if (!timeline || !pending) return;
    this.#emit("timeline", { reason: "pending" });
    void this.#deliver(timeline, pending);
  }

  /** @param {string} clientId */
  discard(clientId) {
    if (this.timeline?.discard(clientId)) this.#emit("timeline", { reason: "pending" });
  }

  /**
   * @param {Timeline} timeline
   * @param {import("../lib/timeline.js").PendingMessage} pending
   */
  async #deliver(timeline, pending) {
    try {
      const message = await this.#call(() =>
        this.client.sendMessage(timeline.roomId, {
          content: pending.content,
          clientId: pending.client_id,
          mentions: pending.mentions,
          messageType: pending.mentions.length > 0 ? "mention" : undefined,
        }),
      );
      const changed = timeline.applyAck(message);
      this.#touchRoom(message);
      if (changed && timeline === this.timeline) this.#emit("timeline", { reason: "live" });
    } catch (error) {
      if (timeline.markFailed(pending.client_id, error) && timeline === this.timeline) this.#emit("timeline", { reason: "pending" });
    }
  }

  /**
   * @param {string} messageId
   * @param {string} text
   */
  async edit(messageId, text) {
    const timeline = this.timeline;
    try {
      const message = await this.#call(() => this.client.editMessage(messageId, text.trim()));
      if (timeline?.applyAck(message) && timeline === this.timeline) this.#emit("timeline", { reason: "live" });
      return true;
    } catch (error) {
      this.#problem(error);
      return false;
    }
  }

  /** @param {string} messageId */
  async remove(messageId) {
    const timeline = this.timeline;
    try {
      await this.#call(() => this.client.deleteMessage(messageId));
      const known = timeline?.get(messageId);
      // Shown at once; the message.deleted event brings the server's copy.
      if (known && timeline?.applyAck({ ...known, content: null, deleted_at: new Date().toISOString() })) this.#emit("timeline", { reason: "live" });
      return true;
    } catch (error) {
      this.#problem(error);
      return false;
    }
  }

  /** A keystroke in the composer: a `typing` frame at most every 3 s. */
  typing() {
    const roomId = this.currentRoomId;
    if (roomId && this.live && this.#typingThrottle.shouldSend(roomId)) this.live.typing(roomId);
  }

  // ---- reading state ------------------------------------------------------------------------

  /**
   * The page says the newest message is on screen and the page is visible and focused: mark
   * the room read up to it, once per message.
   */
  async markRead() {
    const timeline = this.timeline;
    if (!timeline || !timeline.atLatest || this.ended) return;
    const items = timeline.items();
    const newest = items[items.length - 1];
    if (!newest) return;
    const roomId = timeline.roomId;
    if ((this.#markedSeq.get(roomId) ?? -1) >= newest.seq) return;
    // Nothing unread (the reader's own messages mark the room read for them): no request.
    if (this.unread.room(roomId).unread === 0) {
      this.#markedSeq.set(roomId, newest.seq);
      return;
    }
    this.#markedSeq.set(roomId, newest.seq);
    if (this.unread.markReadLocally(roomId, newest.seq)) this.#emitUnread();
    try {
      const state = await this.#call(() => this.client.markRead(roomId, newest.id));
      if (this.unread.applyReadState(state)) this.#emitUnread();
    } catch {
      this.#markedSeq.delete(roomId);
    }
  }

  async markAllNotificationsRead() {
    try {
      await this.#call(() => this.client.markNotificationsRead("all"));
      const now = new Date().toISOString();
      this.notifications = this.notifications.map((n) => (n.read_at ? n : { ...n, read_at: now }));
      this.#emit("notifications");
    } catch (error) {
      this.#problem(error);
    }
  }

  /** @param {Notification} notification */
  async openNotification(notification) {
    if (!notification.read_at) {
      this.notifications = this.notifications.map((n) => (n.id === notification.id ? { ...n, read_at: new Date().toISOString() } : n));
      this.#emit("notifications");
      this.#call(() => this.client.markNotificationsRead([notification.id])).catch(() => {});
    }
    if (this.rooms.has(notification.room_id)) await this.openRoom(notification.room_id, { around: notification.message_id });
  }

  // ---- rooms --------------------------------------------------------------------------------

  /** @param {number} userId */
  async openDm(userId) {
    try {
      const room = await this.#call(() => this.client.openDm(userId));
      this.#addRoom(room);
      await this.openRoom(room.id);
      return true;
    } catch (error) {
      this.#problem(error);
      return false;
    }
  }

  /**
   * @param {string} name
   * @param {number[]} memberIds
   */
  async createRoom(name, memberIds) {
    try {
      const room = await this.#call(() => this.client.createRoom({ name, memberIds }));
      this.#addRoom(room);
      await this.openRoom(room.id);
      return true;
    } catch (error) {
      this.#problem(error);
      return false;
    }
  }

  /**
   * @param {string} roomId
   * @param {string} name
   */
  async renameRoom(roomId, name) {
    return this.#roomAction(async () => {
      const room = await this.client.renameRoom(roomId, name);
      const entry = this.rooms.get(roomId);
      if (entry) entry.room = { ...entry.room, name: room.name };
    });
  }

  /**
   * @param {string} roomId
   * @param {number[]} userIds
   * @param {"owner" | "moderator" | "member"} role
   */
  async addMembers(roomId, userIds, role) {
    return this.#roomAction(async () => {
      const page = await this.client.addMembers(roomId, userIds, role);
      const entry = this.rooms.get(roomId);
      if (entry) entry.members = page.items;
    });
  }

  /**
   * @param {string} roomId
   * @param {number} userId
   */
  async removeMember(roomId, userId) {
    return this.#roomAction(async () => {
      await this.client.removeMember(roomId, userId);
      if (userId === this.selfId) return this.#dropRoom(roomId);
      const entry = this.rooms.get(roomId);
      if (entry?.members) entry.members = entry.members.filter((m) => m.user_id !== userId);
    });
  }

  /** @param {string} roomId */
  async archiveRoom(roomId) {
    return this.#roomAction(async () => {
      await this.client.archiveRoom(roomId);
      await this.#dropRoom(roomId);
    });
  }

  /** @param {() => Promise<unknown>} action */
  async #roomAction(action) {
    try {
      await this.#call(action);
      this.#emit("rooms");
      return true;
    } catch (error) {
      this.#problem(error);
      return false;
    }
  }

  /** @param {Room} room */
  #addRoom(room) {
    const existing = this.rooms.get(room.id);
    this.rooms.set(room.id, { room: { ...existing?.room, ...room }, members: room.members ?? existing?.members ?? null });
    this.#emit("rooms");
  }

  /** @param {string} roomId */
  async #dropRoom(roomId) {
    if (!this.rooms.delete(roomId)) return;
    this.#emit("rooms");
    if (this.currentRoomId === roomId) await this.#openFallback();
  }

  async #openFallback() {
    const next = this.sortedRooms()[0];
    if (next) await this.openRoom(next.room.id);
    else {
      this.timeline = null;
      this.currentRoomId = null;
      this.#emit("timeline", { reason: "open" });
    }
  }

  /** @param {Message} message */
  #touchRoom(message) {
    const entry = this.rooms.get(message.room_id);
    if (!entry) return;
    if ((entry.room.last_seq ?? 0) < message.seq) {
      entry.room = { ...entry.room, last_seq: message.seq, last_message_at: message.created_at };
      this.#emit("rooms");
    }
  }

  // ---- live events --------------------------------------------------------------------------

  /** @param {ChatEvent} event */
  handleEvent(event) {
    if (this.ended || !event || typeof event.type !== "string") return;
    const data = event.data;
    switch (event.type) {
      case "message.created": {
        /** @type {Message} */
        const message = data;
        const fresh = !this.#recent.has(message.id);
        this.#recent.set(message.id, message);
        if (this.#recent.size > 200) this.#recent.delete(/** @type {string} */ (this.#recent.keys().next().value));
        if (this.typingState.clear(message.room_id, message.sender_id) && message.room_id === this.currentRoomId) this.#emit("typing");
        if (!this.rooms.has(message.room_id)) void this.#learnRoom(message.room_id);
        this.#touchRoom(message);
        if (this.unread.applyEvent(event)) this.#emitUnread();
        if (this.timeline?.applyEvent(event)) this.#emit("timeline", { reason: "live" });
        // Announced and counted ("N novas mensagens") even when the reader is far up in the
        // history and the window does not hold the newest messages.
        if (fresh && message.room_id === this.currentRoomId && message.sender_id !== this.selfId && message.message_type !== "system") this.#emit("arrival", message);
        if (this.timeline?.needsReload) void this.#loadPage(this.timeline, this.timeline.reset("latest"), "open");
        break;
      }
      case "message.updated":
      case "message.deleted":
        if (this.timeline?.applyEvent(event)) this.#emit("timeline", { reason: "live" });
        break;
      case "room.created":
        this.#addRoom(data);
        break;
      case "room.updated": {
        const entry = this.rooms.get(data?.id);
        if (entry) {
          entry.room = { ...entry.room, name: data.name, updated_at: data.updated_at };
          this.#emit("rooms");
        }
        break;
      }
      case "room.deleted":
        if (this.unread.applyEvent(event)) this.#emitUnread();
        void this.#dropRoom(data?.id ?? event.room_id);
        break;
      case "member.added": {
        const roomId = data?.room_id ?? event.room_id;
        const entry = this.rooms.get(roomId);
        if (!entry) void this.#learnRoom(roomId);
        else if (entry.members && data?.member) {
          entry.members = [...entry.members.filter((m) => m.user_id !== data.member.user_id), data.member];
          this.#emit("rooms");
        }
        break;
      }
      case "member.removed": {
        const roomId = data?.room_id ?? event.room_id;
        if (this.unread.applyEvent(event)) this.#emitUnread();
        if (data?.user_id === this.selfId) void this.#dropRoom(roomId);
        else {
          const entry = this.rooms.get(roomId);
          if (entry?.members) {
            entry.members = entry.members.filter((m) => m.user_id !== data?.user_id);
            this.#emit("rooms");
          }
        }
        break;
      }
      case "read.updated":
        if (this.unread.applyEvent(event)) this.#emitUnread();
        break;
      case "notification.created":
        this.#notificationCreated(data);
        break;
      case "presence.changed":
        if (typeof data?.user_id === "number") {
          this.#presenceSeen.set(data.user_id, this.#presenceClock);
          this.#presenceClock += 1;
          this.presence.set(data.user_id, data.status);
          this.#emit("presence");
        }
        break;
      case "typing":
        if (this.typingState.apply(event) && data?.room_id === this.currentRoomId) {
          this.#emit("typing");
          this.#scheduleTypingExpiry();
        }
        break;
      case "resync_required":
        void this.resync().catch(() => {});
        break;
      default:
        break;
    }
  }

  /** @param {ConnectionStatus} status */
  setStatus(status) {
    this.status = status;
    this.#emit("status", status);
    if (status.state === "stopped" && status.fatal) this.end(status.reason ?? "unauthorized");
  }

  /** A room we did not know (added to it, a DM started by someone): fetch and list it. @param {string} roomId */
  async #learnRoom(roomId) {
    if (!roomId || this.rooms.has(roomId)) return;
    try {
      const room = await this.#call(() => this.client.getRoom(roomId));
      const summary = await this.#call(() => this.client.unread());
      this.#addRoom(room);
      this.unread.setSummary(summary);
      this.#emitUnread();
    } catch {
      // Not a member after all (removed meanwhile): nothing to show.
    }
  }

  /** @param {Notification} n */
  #notificationCreated(n) {
    if (!n || typeof n.id !== "string" || this.notifications.some((x) => x.id === n.id)) return;
    this.notifications = [n, ...this.notifications];
    this.#emit("notifications");
    const message = this.#recent.get(n.message_id);
    const sender = message ? this.nameOf(message.sender_id) : "";
    const room = this.roomName(this.rooms.get(n.room_id));
    const title = n.kind === "mention" ? this.i18n.t("notifications.mention", { name: sender, room }) : this.i18n.t("notifications.dm", { name: sender });
    this.#emit("notify", { kind: n.kind, room_id: n.room_id, message_id: n.message_id, title, body: message?.content ?? "" });
  }

  #scheduleTypingExpiry() {
    if (this.#typingTimer !== null) clearTimeout(this.#typingTimer);
    const roomId = this.currentRoomId;
    const wait = roomId ? this.typingState.nextExpiryIn(roomId) : null;
    if (wait === null) return;
    this.#typingTimer = setTimeout(() => {
      this.#typingTimer = null;
      this.#emit("typing");
      this.#scheduleTypingExpiry();
    }, wait + 20);
  }

  // ---- the session --------------------------------------------------------------------------

  /**
   * The token was refused (401, `user_deactivated`, …): stop everything, say so, retry nothing.
   *
   * @param {string} code
   */
  end(code) {
    if (this.ended) return;
    this.ended = code;
    this.live?.close();
    this.#emit("ended", { code });
  }

  /**
   * Runs a request; a refused token ends the session.
   *
   * @template T
   * @param {() => Promise<T>} fn
   * @returns {Promise<T>}
   */
  async #call(fn) {
    if (this.ended) throw new ChatApiError({ status: 401, code: this.ended, message: "session ended" });
    try {
      return await fn();
    } catch (error) {
      if (isSessionFatal(error)) this.end(/** @type {ChatApiError} */ (error).code);
      throw error;
    }
  }

  /** @param {unknown} error */
  #problem(error) {
    if (this.ended) return;
    const e = error instanceof ChatApiError ? error : null;
    this.#emit("problem", { message: this.i18n.errorMessage(e) });
  }

  #emitUnread() {
    this.#emit("unread", this.unread.totals());
  }

  /**
   * @param {string} type
   * @param {unknown} [detail]
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
