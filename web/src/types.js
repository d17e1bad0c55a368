// Shapes of the API resources (chat-api-v1.md, "Shapes" and the v1.1 additions), as JSDoc types
// for the other modules. This module has no code; import the types with
// `/** @typedef {import("./types.js").Message} Message */`.

/** @typedef {"admin" | "supervisor" | "agent"} AccountRole */
/** @typedef {"owner" | "moderator" | "member"} MemberRole */
/** @typedef {"online" | "away" | "offline"} PresenceStatus */

/**
 * @typedef {object} Member
 * @property {number} user_id
 * @property {MemberRole} role
 * @property {string | null} last_read_at
 * @property {number} [last_read_seq]
 * @property {string} [joined_at]
 */

/**
 * @typedef {object} Room
 * @property {string} id
 * @property {number} account_id
 * @property {"dm" | "room"} type
 * @property {string | null} name null for DMs
 * @property {number} created_by
 * @property {string} created_at
 * @property {string} updated_at
 * @property {string | null} [last_message_at]
 * @property {number} [last_seq] seq of the newest message, 0 when empty
 * @property {number} [unread_count]
 * @property {number} [mention_count]
 * @property {number} [member_count] `scope=account` lists
 * @property {Member[]} [members] `GET /rooms/{id}` and `room.created`
 */

/**
 * @typedef {object} Message
 * @property {string} id
 * @property {string} room_id
 * @property {number} account_id
 * @property {number} sender_id
 * @property {string | null} content null once deleted
 * @property {"text" | "system" | "mention"} message_type
 * @property {number[]} mentions
 * @property {string | null} client_id
 * @property {number} seq per-room counter, 1, 2, 3… in commit order
 * @property {string} created_at
 * @property {string | null} edited_at
 * @property {string | null} deleted_at
 */

/**
 * @template T
 * @typedef {object} Page
 * @property {T[]} items
 * @property {string | null} next_cursor
 */

/**
 * A page of messages, newest first. `next_cursor` pages older, `prev_cursor` (v1.1) newer;
 * `anchor_id` is set on `around=` pages.
 *
 * @typedef {object} MessagePage
 * @property {Message[]} items
 * @property {string | null} next_cursor
 * @property {string | null} [prev_cursor]
 * @property {string | null} [anchor_id]
 */

/**
 * @typedef {object} RoomUnread
 * @property {string} room_id
 * @property {number} unread_count
 * @property {number} mention_count
 */

/**
 * @typedef {object} UnreadSummary
 * @property {number} total
 * @property {RoomUnread[]} rooms
 */

/**
 * `POST /rooms/{id}/read` answers with this, and `read.updated` carries it.
 *
 * @typedef {object} ReadState
 * @property {string} room_id
 * @property {string | null} last_read_at
 * @property {number} [last_read_seq]
 * @property {number} unread_count
 * @property {number} [mention_count]
 */

/**
 * @typedef {object} AuditEntry
 * @property {string} id
 * @property {number} account_id
 * @property {number | null} actor_id null for the service API (v1.1)
 * @property {string} action
 * @property {string} target_id
 * @property {Record<string, unknown>} metadata
 * @property {string} created_at
 */

/**
 * @typedef {object} DirectoryEntry
 * @property {number} user_id
 * @property {string} name
 * @property {AccountRole} role
 * @property {boolean} active
 * @property {string | null} last_seen_at
 */

/**
 * @typedef {object} Notification
 * @property {string} id
 * @property {number} [user_id]
 * @property {"mention" | "dm"} kind
 * @property {string} room_id
 * @property {string} message_id
 * @property {string} created_at
 * @property {string | null} read_at
 */

/**
 * @typedef {object} PresenceEntry
 * @property {number} user_id
 * @property {PresenceStatus} status
 * @property {string} last_seen_at
 */

/**
 * @typedef {object} StatsBucket
 * @property {string} ts
 * @property {number} messages
 * @property {number} active_senders
 * @property {number} rooms_created
 */

/**
 * @typedef {object} Stats
 * @property {"hour" | "day" | "month"} range
 * @property {"minute" | "hour" | "day"} bucket
 * @property {string} from
 * @property {string} to
 * @property {StatsBucket[]} series
 * @property {{rooms: number, dms: number, users: number, users_active_24h: number, messages_24h: number}} totals
 */

/**
 * @typedef {object} Ticket
 * @property {string} ticket
 * @property {string} expires_at
 */

/**
 * One realtime event (both transports). `id` is absent on ephemeral events (`typing`,
 * `presence.changed`, `resync_required`).
 *
 * @typedef {object} ChatEvent
 * @property {number} [id]
 * @property {string} type
 * @property {number} account_id
 * @property {string | null} room_id
 * @property {string} ts
 * @property {any} data
 */

export {};
