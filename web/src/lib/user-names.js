// Names of users by id for tables that hold ids (audit actors, room members): one
// `GET /users/{id}` per id however many rows show it, concurrent asks shared, and what a
// directory search already returned remembered. An id the directory does not know (404) is
// remembered as unknown; any other failure is not cached, so a later view asks again.

/** @typedef {import("../types.js").DirectoryEntry} DirectoryEntry */

/**
 * @typedef {object} UserNames
 * @property {(userId: number) => Promise<string | null>} name the name, or null when unknown
 * @property {(userId: number) => string | null | undefined} peek what is known now (undefined: not asked yet)
 * @property {(entries: readonly DirectoryEntry[]) => void} remember names a search returned
 */

/**
 * @param {{getUser: (userId: number) => Promise<DirectoryEntry>}} client
 * @returns {UserNames}
 */
export function createUserNames(client) {
  /** @type {Map<number, string | null>} */
  const known = new Map();
  /** @type {Map<number, Promise<string | null>>} */
  const pending = new Map();

  /** @param {number} userId */
  const name = (userId) => {
    if (known.has(userId)) return Promise.resolve(/** @type {string | null} */ (known.get(userId)));
    const asked = pending.get(userId);
    if (asked) return asked;
    const p = client.getUser(userId).then(
      (entry) => {
        const n = entry && typeof entry.name === "string" && entry.name !== "" ? entry.name : null;
        known.set(userId, n);
        return n;
      },
      (error) => {
        if (error && typeof error === "object" && "status" in error && error.status === 404) {
          known.set(userId, null);
          return null;
        }
        throw error;
      },
    );
    const settled = p.finally(() => pending.delete(userId));
    pending.set(userId, settled);
    return settled;
  };

  return {
    name,
    peek: (userId) => known.get(userId),
    remember(entries) {
      for (const e of entries) if (typeof e.user_id === "number" && typeof e.name === "string") known.set(e.user_id, e.name);
    },
  };
}
