/**
 * The chat's API client for browsers: REST calls with the contract's errors, realtime tickets,
 * and a WebSocket connection that resumes, backs off with jitter and says why it stopped.
 * The chat's own pages use it; a host that builds its own UI can use it as well (it is plain
 * ES2022, no dependencies).
 *
 * The token lives in memory only: `getToken()` is called (and awaited, so it may refresh) before
 * every request, and the token only ever travels in the `Authorization` header — never in a URL
 * (the WebSocket opens with a single-use ticket), never in cookies (`credentials: "omit"`).
 *
 * @example
 * import { createClient, ChatApiError } from "./client.js";
 *
 * const chat = createClient({
 *   baseUrl: "https://chat.example.com",      // "" or omitted: this page's origin
 *   accountId: 42,
 *   getToken: () => hub.currentChatToken(),   // may return a promise (refresh)
 * });
 *
 * // Realtime first, then the pages: events that race the pages are merged by the timeline.
 * const live = chat.realtime();               // or chat.connect(): created and started
 * live.on("status", (s) => statusLine.textContent = s.state === "reconnecting" ? "Reconectando…" : "");
 * live.on("message.created", (event) => timeline.applyEvent(event));
 * live.on("resync_required", () => reloadEverythingShown());   // refetch over REST
 * live.start();
 *
 * const { items: rooms } = await chat.listRooms();
 * const page = await chat.listMessages(rooms[0].id, { around: "first_unread", limit: 50 });
 * try {
 *   await chat.sendMessage(rooms[0].id, { content: "Olá!", clientId: crypto.randomUUID() });
 * } catch (e) {
 *   if (e instanceof ChatApiError && e.code === "rate_limited") retryIn(e.retryAfter);
 * }
 * live.typing(rooms[0].id);    // client frames: typing, presence, ping
 * live.close();                // status "stopped", reason "closed"
 *
 * Realtime status (`live.status`, and the `"status"` event): `connecting` → `open`;
 * on a drop `reconnecting` (with `reason`, `attempt` and `retryInMs`) → `open` again, resuming
 * with `since=<last event id>`; `stopped` with `fatal: true` when retrying cannot help
 * (`user_deactivated`, `entitlement_denied`, `unauthorized`, `account_mismatch`, `forbidden`),
 * or `fatal: false` after `close()`.
 *
 * @module client
 */

import { backoffDelay } from "./lib/backoff.js";

/** @typedef {import("./types.js").Room} Room */
/** @typedef {import("./types.js").Member} Member */
/** @typedef {import("./types.js").Message} Message */
/** @typedef {import("./types.js").MessagePage} MessagePage */
/** @typedef {import("./types.js").UnreadSummary} UnreadSummary */
/** @typedef {import("./types.js").ReadState} ReadState */
/** @typedef {import("./types.js").AuditEntry} AuditEntry */
/** @typedef {import("./types.js").DirectoryEntry} DirectoryEntry */
/** @typedef {import("./types.js").Notification} Notification */
/** @typedef {import("./types.js").PresenceEntry} PresenceEntry */
/** @typedef {import("./types.js").Stats} Stats */
/** @typedef {import("./types.js").Ticket} Ticket */
/** @typedef {import("./types.js").ChatEvent} ChatEvent */
/**
 * @template T
 * @typedef {import("./types.js").Page<T>} Page
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} [baseUrl] the chat server's origin (optionally with a path prefix); default: this page's origin
 * @property {number | string} accountId
 * @property {() => string | Promise<string>} getToken the user's current bearer token
 * @property {typeof fetch} [fetch] injectable for tests
 * @property {RealtimeOptions} [realtime] defaults for `connect()`
 */

/**
 * @typedef {object} RealtimeOptions
 * @property {number | null} [since] resume after this event id (default: live only)
 * @property {{baseMs?: number, capMs?: number}} [backoff] full-jitter backoff (500 ms, 30 s)
 * @property {number} [stableMs] a connection open this long resets the backoff (10 s)
 * @property {number} [openTimeoutMs] a socket not open after this long is abandoned and retried (15 s)
 * @property {() => number} [random] for the jitter (tests)
 * @property {() => number} [now] clock (tests)
 * @property {(fn: () => void, ms: number) => unknown} [setTimeout] timers (tests)
 * @property {(id: any) => void} [clearTimeout]
 * @property {WebSocketConstructor} [WebSocket] the WebSocket class (tests)
 */

/**
 * The part of the WebSocket API the connection uses (a fake implements just this).
 *
 * @typedef {object} SocketLike
 * @property {number} readyState
 * @property {(data: string) => void} send
 * @property {(code?: number, reason?: string) => void} close
 * @property {((ev: any) => void) | null} onopen
 * @property {((ev: {data: unknown}) => void) | null} onmessage
 * @property {((ev: {code: number, reason: string}) => void) | null} onclose
 * @property {((ev: any) => void) | null} onerror
 */
/** @typedef {new (url: string) => SocketLike} WebSocketConstructor */

/**
 * @typedef {object} ConnectionStatus
 * @property {"connecting" | "open" | "reconnecting" | "stopped"} state
 * @property {string | null} reason why it is not open (a close reason or an error code)
 * @property {boolean} fatal `stopped` for good: retrying cannot help
 * @property {number} attempt reconnection attempts since the last stable connection
 * @property {number | null} retryInMs `reconnecting`: the wait before the next attempt
 */

/** An error of the API, from the contract's JSON error body (or from the status alone). */
export class ChatApiError extends Error {
  /**
   * @param {object} init
   * @param {number} init.status HTTP status; 0 when no answer came (network)
   * @param {string} init.code the contract's snake_case code (`rate_limited`, `network_error`, …)
   * @param {string} init.message
   * @param {string | null} [init.requestId] `request_id` / `X-Request-Id`, for support
   * @param {{field: string, message: string}[]} [init.details] `validation_failed`: the fields
   * @param {number | null} [init.retryAfter] `Retry-After` in seconds (429, 503)
   * @param {unknown} [init.cause]
   */
  constructor({ status, code, message, requestId = null, details = [], retryAfter = null, cause }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ChatApiError";
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

/** Codes for answers without a usable JSON body (a proxy's HTML page, an empty 502). */
const CODE_BY_STATUS = /** @type {Record<number, string>} */ ({
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "payload_too_large",
  422: "validation_failed",
  426: "upgrade_required",
  429: "rate_limited",
  503: "overloaded",
});

/** @param {number} status */
function codeForStatus(status) {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "internal" : `http_${status}`);
}

/**
 * `Retry-After` in whole seconds: delta-seconds, or an HTTP date (seconds from now, ≥ 0).
 *
 * @param {string | null | undefined} value
 * @param {number} [now]
 * @returns {number | null}
 */
export function parseRetryAfter(value, now = Date.now()) {
  if (typeof value !== "string" || value.trim() === "") return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v);
  // An HTTP date names a weekday and a month; Date.parse alone would take "-1" for a year.
  if (!/[A-Za-z]{3}/.test(v)) return null;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The error of a non-2xx answer.
 *
 * @param {Response} response
 * @returns {Promise<ChatApiError>}
 */
export async function errorFromResponse(response) {
  let text = "";
  try {
    text = await response.text();
  } catch {
    // A body that cannot be read: the status says enough.
  }
  /** @type {any} */
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const e = body && typeof body === "object" && body.error && typeof body.error === "object" ? body.error : null;
  const status = response.status;
  return new ChatApiError({
    status,
    code: e && typeof e.code === "string" && e.code !== "" ? e.code : codeForStatus(status),
    message: e && typeof e.message === "string" ? e.message : response.statusText || `HTTP ${status}`,
    requestId: (e && typeof e.request_id === "string" ? e.request_id : null) ?? response.headers.get("X-Request-Id"),
    details: e && Array.isArray(e.details) ? e.details : [],
    retryAfter: parseRetryAfter(response.headers.get("Retry-After")),
  });
}

/**
 * Whether an error means the session is over: the token is refused (401), the user was
 * deactivated, or the token belongs to another account. Nothing is retried with that token.
 * (Other 403s — `forbidden`, `entitlement_denied` for a plan limit — refuse one action only.)
 *
 * @param {unknown} error
 */
export function isSessionFatal(error) {
  return (
    error instanceof ChatApiError &&
    (error.status === 401 || (error.status === 403 && (error.code === "user_deactivated" || error.code === "account_mismatch")))
  );
}

/** A fresh idempotency key for a message (`client_id`: 1–128 printable ASCII). */
export function newClientId() {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * @typedef {Record<string, string | number | boolean | Date | null | undefined>} Query
 */

/**
 * @param {string | number} id
 */
const seg = (id) => encodeURIComponent(String(id));

/**
 * @param {Date | string | null | undefined} value
 */
const instant = (value) => (value instanceof Date ? value.toISOString() : value);

/**
 * @typedef {object} AuditFilters
 * @property {string} [action]
 * @property {number | string} [actorId]
 * @property {string} [targetId]
 * @property {Date | string} [from] inclusive (RFC 3339)
 * @property {Date | string} [to] exclusive
 */

/**
 * @typedef {AuditFilters & {format?: "csv" | "jsonl", delimiter?: "comma" | "semicolon"}} AuditExportOptions
 */

/**
 * The query of `/audit/export` (the delimiter only for CSV).
 *
 * @param {AuditExportOptions} o
 * @returns {Query}
 */
function exportQuery({ format = "csv", delimiter, action, actorId, targetId, from, to }) {
  return {
    format,
    delimiter: format === "csv" ? delimiter : undefined,
    action,
    actor_id: actorId,
    target_id: targetId,
    from,
    to,
  };
}

/**
 * @param {ClientOptions} options
 * @returns {ChatClient}
 */
export function createClient(options) {
  return new ChatClient(options);
}

export class ChatClient {
  #root;
  #getToken;
  #fetch;
  #realtimeDefaults;

  /** @param {ClientOptions} options */
  constructor({ baseUrl, accountId, getToken, fetch: fetchFn, realtime = {} }) {
    if (!/^[1-9][0-9]*$/.test(String(accountId))) throw new TypeError("accountId must be a positive integer");
    if (typeof getToken !== "function") throw new TypeError("getToken must be a function");
    const origin = baseUrl || globalThis.location?.origin;
    if (!origin) throw new TypeError("baseUrl is required outside a browser");
    const root = new URL(origin, globalThis.location?.href);
    root.pathname = `${root.pathname.replace(/\/+$/, "")}/api/v1/accounts/${accountId}/chat`;
    root.search = "";
    root.hash = "";
    this.#root = root.href;
    this.accountId = Number(accountId);
    this.#getToken = getToken;
    const f = fetchFn ?? globalThis.fetch;
    if (typeof f !== "function") throw new TypeError("no fetch available");
    this.#fetch = fetchFn ?? f.bind(globalThis);
    this.#realtimeDefaults = realtime;
  }

  /**
   * The absolute URL of an API path (under `/api/v1/accounts/{id}/chat`), without credentials.
   *
   * @param {string} path
   * @param {Query} [query]
   */
  url(path, query = {}) {
    const url = new URL(this.#root + path);
    for (const [key, raw] of Object.entries(query)) {
      const value = instant(/** @type {any} */ (raw));
      if (value === undefined || value === null || value === "") continue;
      url.searchParams.set(key, String(value));
    }
    return url.href;
  }

  /**
   * One API call. Resolves with the parsed JSON body (undefined for 204), rejects with a
   * `ChatApiError` (or the `AbortError` of `signal`).
   *
   * @param {string} method
   * @param {string} path
   * @param {{query?: Query, body?: unknown, signal?: AbortSignal, raw?: boolean}} [init]
   * @returns {Promise<any>}
   */
  async request(method, path, { query, body, signal, raw = false } = {}) {
    const url = this.url(path, query);
    /** @type {unknown} */
    let token;
    try {
      token = await this.#getToken();
    } catch (cause) {
      throw new ChatApiError({ status: 0, code: "token_unavailable", message: "the host could not provide a token", cause });
    }
    if (typeof token !== "string" || token === "") {
      throw new ChatApiError({ status: 0, code: "unauthorized", message: "no token to send" });
    }
    /** @type {Record<string, string>} */
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    /** @type {RequestInit} */
    const init = { method, headers, credentials: "omit", cache: "no-store", signal };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    /** @type {Response} */
    let response;
    try {
      response = await this.#fetch(url, init);
    } catch (cause) {
      if (signal?.aborted || (cause instanceof Error && cause.name === "AbortError")) throw cause;
      throw new ChatApiError({ status: 0, code: "network_error", message: "the server could not be reached", cause });
    }
    if (!response.ok) throw await errorFromResponse(response);
    if (raw) return response;
    if (response.status === 204) return undefined;
    const text = await response.text();
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new ChatApiError({
        status: response.status,
        code: "invalid_response",
        message: "the server's answer is not JSON",
        requestId: response.headers.get("X-Request-Id"),
        cause,
      });
    }
  }

  // ---- rooms ------------------------------------------------------------------------------

  /**
   * The caller's rooms (`scope: "member"`, default), or every live team room of the account
   * (`scope: "account"`, admins and supervisors).
   *
   * @param {{limit?: number, cursor?: string | null, scope?: "member" | "account", signal?: AbortSignal}} [o]
   * @returns {Promise<Page<Room>>}
   */
  listRooms({ limit, cursor, scope, signal } = {}) {
    return this.request("GET", "/rooms", { query: { limit, cursor, scope }, signal });
  }

  /**
   * A team room (admins, supervisors); the caller is its owner.
   *
   * @param {{name: string, memberIds?: number[]}} room
   * @returns {Promise<Room>}
   */
  createRoom({ name, memberIds = [] }) {
    return this.request("POST", "/rooms", { body: { type: "room", name, member_ids: memberIds } });
  }

  /**
   * The DM with a colleague: created (201) or the existing one (200).
   *
   * @param {number} userId
   * @returns {Promise<Room>}
   */
  openDm(userId) {
    return this.request("POST", "/rooms", { body: { type: "dm", member_ids: [userId] } });
  }

  /**
   * @param {string} roomId
   * @param {{signal?: AbortSignal}} [o]
   * @returns {Promise<Room>} with `members`
   */
  getRoom(roomId, { signal } = {}) {
    return this.request("GET", `/rooms/${seg(roomId)}`, { signal });
  }

  /**
   * @param {string} roomId
   * @param {string} name
   * @returns {Promise<Room>}
   */
  renameRoom(roomId, name) {
    return this.request("PATCH", `/rooms/${seg(roomId)}`, { body: { name } });
  }

  /**
   * Archives a room (admins, supervisors): gone from lists, no new messages.
   *
   * @param {string} roomId
   * @returns {Promise<void>}
   */
  archiveRoom(roomId) {
    return this.request("DELETE", `/rooms/${seg(roomId)}`);
  }

  /**
   * @param {string} roomId
   * @param {number[]} userIds
   * @param {"owner" | "moderator" | "member"} [role]
   * @returns {Promise<Page<Member>>} the room's full member list
   */
  addMembers(roomId, userIds, role) {
    /** @type {{user_ids: number[], role?: string}} */
    const body = { user_ids: userIds };
    if (role) body.role = role;
    return this.request("POST", `/rooms/${seg(roomId)}/members`, { body });
  }

  /**
   * Removes a member; with the caller's own id, leaves the room.
   *
   * @param {string} roomId
   * @param {number} userId
   * @returns {Promise<void>}
   */
  removeMember(roomId, userId) {
    return this.request("DELETE", `/rooms/${seg(roomId)}/members/${seg(userId)}`);
  }

  // ---- messages ---------------------------------------------------------------------------

  /**
   * A page of messages, newest first: the newest page, `cursor` (a `next_cursor` pages older,
   * a `prev_cursor` newer), or `around` a message id or `"first_unread"`.
   *
   * @param {string} roomId
   * @param {{limit?: number, cursor?: string | null, around?: string | null, signal?: AbortSignal}} [o]
   * @returns {Promise<MessagePage>}
   */
  listMessages(roomId, { limit, cursor, around, signal } = {}) {
    return this.request("GET", `/rooms/${seg(roomId)}/messages`, { query: { limit, cursor, around }, signal });
  }

  /**
   * Sends a message. Pass the same `clientId` when retrying: the server answers a repeated one
   * with the original message and stores nothing new.
   *
   * @param {string} roomId
   * @param {{content: string, clientId?: string, mentions?: number[], messageType?: "text" | "mention"}} message
   * @returns {Promise<Message>}
   */
  sendMessage(roomId, { content, clientId = newClientId(), mentions, messageType }) {
    /** @type {Record<string, unknown>} */
    const body = { content, client_id: clientId };
    if (mentions && mentions.length > 0) body.mentions = mentions;
    if (messageType) body.message_type = messageType;
    return this.request("POST", `/rooms/${seg(roomId)}/messages`, { body });
  }

  /**
   * @param {string} messageId
   * @param {string} content
   * @returns {Promise<Message>}
   */
  editMessage(messageId, content) {
    return this.request("PATCH", `/messages/${seg(messageId)}`, { body: { content } });
  }

  /**
   * @param {string} messageId
   * @returns {Promise<void>}
   */
  deleteMessage(messageId) {
    return this.request("DELETE", `/messages/${seg(messageId)}`);
  }

  /**
   * Marks the room read up to a message, or up to the newest.
   *
   * @param {string} roomId
   * @param {string | null} [messageId]
   * @returns {Promise<ReadState>}
   */
  markRead(roomId, messageId) {
    return this.request("POST", `/rooms/${seg(roomId)}/read`, { body: messageId ? { message_id: messageId } : {} });
  }

  /**
   * @param {{signal?: AbortSignal}} [o]
   * @returns {Promise<UnreadSummary>}
   */
  unread({ signal } = {}) {
    return this.request("GET", "/unread", { signal });
  }

  // ---- audit ------------------------------------------------------------------------------

  /**
   * Audit entries, newest first (admins).
   *
   * @param {AuditFilters & {limit?: number, cursor?: string | null, signal?: AbortSignal}} [o]
   * @returns {Promise<Page<AuditEntry>>}
   */
  listAudit({ action, actorId, targetId, from, to, limit, cursor, signal } = {}) {
    return this.request("GET", "/audit", {
      query: { action, actor_id: actorId, target_id: targetId, from, to, limit, cursor },
      signal,
    });
  }

  /**
   * The URL of `GET /audit/export` for these filters. It carries no credentials: fetch it with
   * `exportAudit` (which sends the token in the header), or through a host's own proxy.
   *
   * @param {AuditExportOptions} [o]
   */
  auditExportUrl(o = {}) {
    return this.url("/audit/export", exportQuery(o));
  }

  /**
   * Starts the export (every matching entry, oldest first) and resolves with the streamed
   * response and its file name (from `Content-Disposition`); read `response.body` as it
   * arrives, or `await response.blob()`. A second export while one runs: `rate_limited`.
   *
   * @param {AuditExportOptions & {signal?: AbortSignal}} [o]
   * @returns {Promise<{response: Response, filename: string}>}
   */
  async exportAudit(o = {}) {
    /** @type {Response} */
    const response = await this.request("GET", "/audit/export", { query: exportQuery(o), signal: o.signal, raw: true });
    const filename = filenameFromDisposition(response.headers.get("Content-Disposition")) ?? `audit-${this.accountId}.${o.format ?? "csv"}`;
    return { response, filename };
  }

  // ---- directory, stats, notifications, presence --------------------------------------------

  /**
   * The account's directory, sorted by name; `q` matches the start of any word of the name,
   * accent- and case-insensitive.
   *
   * @param {{q?: string, limit?: number, cursor?: string | null, includeInactive?: boolean, signal?: AbortSignal}} [o]
   * @returns {Promise<Page<DirectoryEntry>>}
   */
  listUsers({ q, limit, cursor, includeInactive, signal } = {}) {
    return this.request("GET", "/users", {
      query: { q, limit, cursor, include_inactive: includeInactive ? true : undefined },
      signal,
    });
  }

  /**
   * @param {number} userId
   * @param {{signal?: AbortSignal}} [o]
   * @returns {Promise<DirectoryEntry>}
   */
  getUser(userId, { signal } = {}) {
    return this.request("GET", `/users/${seg(userId)}`, { signal });
  }

  /**
   * @param {"hour" | "day" | "month"} [range]
   * @param {{signal?: AbortSignal}} [o]
   * @returns {Promise<Stats>}
   */
  stats(range = "hour", { signal } = {}) {
    return this.request("GET", "/stats", { query: { range }, signal });
  }

  /**
   * @param {{unreadOnly?: boolean, limit?: number, cursor?: string | null, signal?: AbortSignal}} [o]
   * @returns {Promise<Page<Notification>>}
   */
  listNotifications({ unreadOnly, limit, cursor, signal } = {}) {
    return this.request("GET", "/notifications", {
      query: { unread_only: unreadOnly ? true : undefined, limit, cursor },
      signal,
    });
  }

  /**
   * Marks notifications read: some by id, or `"all"`.
   *
   * @param {string[] | "all"} which
   * @returns {Promise<{updated: number}>}
   */
  markNotificationsRead(which) {
    return this.request("POST", "/notifications/read", { body: which === "all" ? { all: true } : { ids: which } });
  }

  /**
   * @param {{signal?: AbortSignal}} [o]
   * @returns {Promise<Page<PresenceEntry>>}
   */
  presence({ signal } = {}) {
    return this.request("GET", "/presence", { signal });
  }

  // ---- realtime ---------------------------------------------------------------------------

  /**
   * A single-use ticket (30 s) for `/ws` or `/events`.
   *
   * @returns {Promise<Ticket>}
   */
  realtimeTicket() {
    return this.request("POST", "/realtime/ticket");
  }

  /**
   * The WebSocket URL for a ticket (never a token) and a resume point.
   *
   * @param {string} ticket
   * @param {number | null} [since]
   */
  websocketUrl(ticket, since) {
    const url = new URL(this.url("/ws", { ticket, since: since ?? undefined }));
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  /**
   * The realtime connection, not started yet: attach listeners, then `start()`.
   *
   * @param {RealtimeOptions} [options]
   * @returns {RealtimeConnection}
   */
  realtime(options = {}) {
    return new RealtimeConnection(this, { ...this.#realtimeDefaults, ...options });
  }

  /**
   * Opens the realtime connection (and keeps it open until `close()` or a fatal close).
   * Listeners attached afterwards see the next status change; `status` says the current one.
   *
   * @param {RealtimeOptions} [options]
   * @returns {RealtimeConnection}
   */
  connect(options = {}) {
    const connection = this.realtime(options);
    connection.start();
    return connection;
  }
}

/**
 * The file name of a `Content-Disposition: attachment; filename="…"` (or `filename*=UTF-8''…`).
 *
 * @param {string | null} header
 * @returns {string | null}
 */
export function filenameFromDisposition(header) {
  if (!header) return null;
  const star = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (star) {
    try {
      return sanitizeFilename(decodeURIComponent(star[1].trim()));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(header);
  if (!plain) return null;
  return sanitizeFilename((plain[1] ?? plain[2]).replace(/\\(.)/g, "$1"));
}

/** @param {string} name */
function sanitizeFilename(name) {
  const clean = name.replace(/[/\\\u0000-\u001f]/g, "_").trim();
  return clean === "" ? null : clean;
}

/** Close codes of REALTIME.md and what they are called in statuses. */
export const CLOSE_REASONS = Object.freeze(
  /** @type {Record<number, string>} */ ({
    1000: "normal",
    1001: "going_away",
    1002: "protocol_error",
    1006: "connection_lost",
    1009: "message_too_big",
    1011: "internal",
    4000: "keepalive_timeout",
    4001: "token_expired",
    4003: "user_deactivated",
    4004: "entitlement_denied",
    4008: "slow_consumer",
  }),
);

/** Close codes after which reconnecting cannot help: stop and say why. */
export const FATAL_CLOSE_CODES = Object.freeze([4003, 4004]);

const SOCKET_OPEN = 1;

/**
 * The realtime connection: a WebSocket that reconnects (new ticket each time, `since` = the
 * highest event id seen, full-jitter backoff), drops duplicate events, and reports its status.
 *
 * Events: each event type (`message.created`, …, `resync_required`) with the event object;
 * `"event"` for every event; `"status"` with a `ConnectionStatus`; `"pong"`; `"frame_error"`
 * (the server refused a client frame; the connection stays open). Listeners get the payload
 * itself: `on(type, fn)` returns a function that removes the listener. It is also an
 * `EventTarget` whose `CustomEvent`s carry the payload in `detail`.
 */
export class RealtimeConnection extends EventTarget {
  #client;
  #WebSocket;
  #setTimeout;
  #clearTimeout;
  #random;
  #now;
  #backoff;
  #stableMs;
  #openTimeoutMs;
  /** @type {unknown} */
  #openTimer = null;
  /** @type {SocketLike | null} */
  #ws = null;
  /** @type {unknown} */
  #timer = null;
  #attempt = 0;
  #run = 0;
  #stopped = true;
  #everOpened = false;
  /** @type {number | null} */
  #openedAt = null;
  /** @type {number | null} */
  #lastEventId;
  /** @type {"online" | "away"} */
  #presence = "online";
  /** @type {ConnectionStatus} */
  #status = { state: "stopped", reason: null, fatal: false, attempt: 0, retryInMs: null };

  /**
   * @param {ChatClient} client
   * @param {RealtimeOptions} [options]
   */
  constructor(client, options = {}) {
    super();
    this.#client = client;
    const WS = options.WebSocket ?? /** @type {WebSocketConstructor | undefined} */ (/** @type {any} */ (globalThis).WebSocket);
    if (!WS) throw new TypeError("no WebSocket available");
    this.#WebSocket = WS;
    this.#setTimeout = options.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
    this.#clearTimeout = options.clearTimeout ?? ((id) => globalThis.clearTimeout(id));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
    this.#backoff = options.backoff ?? {};
    this.#stableMs = options.stableMs ?? 10_000;
    this.#openTimeoutMs = options.openTimeoutMs ?? 15_000;
    this.#lastEventId = typeof options.since === "number" && options.since >= 0 ? options.since : null;
  }

  /** The current status (a copy). @returns {ConnectionStatus} */
  get status() {
    return { ...this.#status };
  }

  /** The highest event id received: where a new connection resumes. */
  get lastEventId() {
    return this.#lastEventId;
  }

  /**
   * Listens to an event type (see the class comment); returns the function that stops it.
   *
   * @param {string} type
   * @param {(payload: any) => void} fn
   * @returns {() => void}
   */
  on(type, fn) {
    /** @param {Event} event */
    const listener = (event) => {
      try {
        fn(/** @type {CustomEvent} */ (event).detail);
      } catch (error) {
        // One broken listener must not stop the others nor the connection.
        if (typeof globalThis.reportError === "function") globalThis.reportError(error);
        else console.error(error);
      }
    };
    this.addEventListener(type, listener);
    return () => this.removeEventListener(type, listener);
  }

  /** Connects (again, after `close()` or a fatal stop). */
  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#attempt = 0;
    void this.#connect();
  }

  /** Closes for good (code 1000); status `stopped`, reason `closed`. */
  close() {
    this.#halt("closed", false);
  }

  /** Skips the wait before the next attempt (the browser came back online, the tab woke up). */
  reconnectNow() {
    if (this.#stopped || this.#timer === null) return;
    this.#clearTimeout(this.#timer);
    this.#timer = null;
    void this.#connect();
  }

  /**
   * Sends a client frame; false when the socket is not open (frames are not queued: typing and
   * presence are only worth sending now).
   *
   * @param {{type: "typing", room_id: string} | {type: "presence", status: "online" | "away"} | {type: "ping"}} frame
   */
  send(frame) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== SOCKET_OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  /** @param {string} roomId */
  typing(roomId) {
    return this.send({ type: "typing", room_id: roomId });
  }

  /**
   * Sets the user's presence on this connection; remembered and sent again after a reconnect
   * (a new connection starts online).
   *
   * @param {"online" | "away"} status
   */
  setPresence(status) {
    if (status !== "online" && status !== "away") throw new RangeError(`presence must be online or away, not ${status}`);
    this.#presence = status;
    return this.send({ type: "presence", status });
  }

  ping() {
    return this.send({ type: "ping" });
  }

  // ---- internals --------------------------------------------------------------------------

  async #connect() {
    const run = ++this.#run;
    if (this.#status.state !== "reconnecting") this.#setStatus({ state: "connecting", reason: null, retryInMs: null });
    /** @type {Ticket} */
    let ticket;
    try {
      ticket = await this.#client.realtimeTicket();
    } catch (error) {
      if (run !== this.#run || this.#stopped) return;
      // Any 403 on a ticket is final too: `entitlement_denied` there means the chat is disabled.
      if (error instanceof ChatApiError && (isSessionFatal(error) || error.status === 403)) {
        this.#halt(error.code, true);
        return;
      }
      const code = error instanceof ChatApiError ? error.code : "network_error";
      const retryAfter = error instanceof ChatApiError && error.retryAfter ? error.retryAfter * 1000 : 0;
      this.#schedule(code, retryAfter);
      return;
    }
    if (run !== this.#run || this.#stopped) return;
    /** @type {SocketLike} */
    let ws;
    try {
      ws = new this.#WebSocket(this.#client.websocketUrl(ticket.ticket, this.#lastEventId));
    } catch {
      this.#schedule("socket_error", 0);
      return;
    }
    this.#ws = ws;
    this.#openTimer = this.#setTimeout(() => {
      this.#openTimer = null;
      if (this.#ws !== ws || ws.readyState === SOCKET_OPEN) return;
      // A handshake that hangs (a proxy, a sleeping network) would hold the ticket's slot
      // and the status for minutes: give up on it and try again.
      this.#ws = null;
      try {
        ws.close();
      } catch {
        // never opened
      }
      this.#schedule("open_timeout", 0);
    }, this.#openTimeoutMs);
    ws.onopen = () => {
      if (this.#ws !== ws) return;
      this.#clearOpenTimer();
      this.#openedAt = this.#now();
      const resumed = this.#everOpened;
      this.#everOpened = true;
      this.#setStatus({ state: "open", reason: null, retryInMs: null });
      if (this.#presence === "away") this.send({ type: "presence", status: "away" });
      if (resumed && this.#lastEventId === null) {
        // Nothing to resume from (no event seen, or reset by a resync): what changed while we
        // were away cannot be replayed, so the page must refetch.
        this.#emitEvent({ type: "resync_required", account_id: this.#client.accountId, room_id: null, ts: new Date(this.#now()).toISOString(), data: { since: null, oldest_available: null } });
      }
    };
    ws.onmessage = (message) => {
      if (this.#ws !== ws) return;
      this.#onFrame(message.data);
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#clearOpenTimer();
      this.#ws = null;
      this.#onClose(event.code, event.reason);
    };
    ws.onerror = () => {
      // A close event always follows; nothing to do here.
    };
  }

  #clearOpenTimer() {
    if (this.#openTimer === null) return;
    this.#clearTimeout(this.#openTimer);
    this.#openTimer = null;
  }

  /** @param {unknown} data */
  #onFrame(data) {
    if (typeof data !== "string") return;
    /** @type {any} */
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!frame || typeof frame !== "object" || typeof frame.type !== "string") return;
    if (frame.type === "pong") {
      this.#emit("pong", frame);
      return;
    }
    if (frame.type === "error") {
      this.#emit("frame_error", frame);
      return;
    }
    if (typeof frame.id === "number") {
      // Ids only grow: anything at or below the last one was already delivered.
      if (this.#lastEventId !== null && frame.id <= this.#lastEventId) return;
      this.#lastEventId = frame.id;
    }
    if (frame.type === "resync_required") {
      // The asked `since` cannot be served (too old, or from another database): ids start
      // over from the next live event.
      this.#lastEventId = null;
    }
    this.#emitEvent(/** @type {ChatEvent} */ (frame));
  }

  /** @param {ChatEvent} event */
  #emitEvent(event) {
    this.#emit(event.type, event);
    this.#emit("event", event);
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #onClose(code, reason) {
    const name = CLOSE_REASONS[code] ?? reasonName(reason) ?? `close_${code}`;
    if (FATAL_CLOSE_CODES.includes(code)) {
      this.#halt(name, true);
      return;
    }
    if (this.#openedAt !== null && this.#now() - this.#openedAt >= this.#stableMs) this.#attempt = 0;
    this.#openedAt = null;
    this.#schedule(name, 0);
  }

  /**
   * @param {string} reason
   * @param {number} minDelayMs e.g. `Retry-After`
   */
  #schedule(reason, minDelayMs) {
    const delay = Math.max(backoffDelay(this.#attempt, { ...this.#backoff, random: this.#random }), minDelayMs);
    this.#attempt += 1;
    this.#setStatus({ state: "reconnecting", reason, retryInMs: delay });
    this.#timer = this.#setTimeout(() => {
      this.#timer = null;
      if (!this.#stopped) void this.#connect();
    }, delay);
  }

  /**
   * @param {string} reason
   * @param {boolean} fatal
   */
  #halt(reason, fatal) {
    this.#stopped = true;
    this.#run += 1;
    if (this.#timer !== null) {
      this.#clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#clearOpenTimer();
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      try {
        ws.close(1000, "client closing");
      } catch {
        // already closed
      }
    }
    this.#setStatus({ state: "stopped", reason, fatal, retryInMs: null });
  }

  /** @param {Partial<ConnectionStatus> & {state: ConnectionStatus["state"]}} change */
  #setStatus(change) {
    this.#status = { ...this.#status, fatal: false, ...change, attempt: this.#attempt };
    this.#emit("status", this.status);
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * The code name of a close reason `"<code>: <text>"` (REALTIME.md).
 *
 * @param {string} reason
 */
function reasonName(reason) {
  const m = /^([a-z_]+):/.exec(typeof reason === "string" ? reason : "");
  return m ? m[1] : null;
}
