// Mentions in the composer: the `@` query at the caret, the room's members that match it
// (accent- and case-insensitive: "joao" and "JOÃO" find "Maria João Silva", by the start of
// any word of the name, as the directory's `q` does), inserting the chosen name, and the ids
// of the members a text mentions (the send body's `mentions`).

/**
 * @typedef {object} MentionCandidate
 * @property {number} user_id
 * @property {string} name
 */

/**
 * @typedef {object} MentionQuery
 * @property {number} start index of the `@`
 * @property {number} end the caret
 * @property {string} query what follows the `@` up to the caret
 */

const MAX_QUERY = 40;

/**
 * Folds accents and case: "João" → "joao". (NFD splits letters from their combining marks,
 * which are then dropped.)
 *
 * @param {string} text
 */
export function fold(text) {
  return String(text).normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
}

/**
 * The `@` query being typed at `caret`, or null. The `@` must start the text or follow a space
 * or an opening bracket (so "ana@example.com" is not a mention); the query has no spaces and
 * at most 40 characters.
 *
 * @param {string} text
 * @param {number} caret
 * @returns {MentionQuery | null}
 */
export function findMentionQuery(text, caret) {
  if (typeof text !== "string" || !Number.isInteger(caret) || caret < 0 || caret > text.length) return null;
  for (let i = caret - 1; i >= 0 && caret - i <= MAX_QUERY + 1; i -= 1) {
    const ch = text[i];
    if (ch === "@") {
      const before = i === 0 ? "" : text[i - 1];
      if (before !== "" && !/[\s([{"'«“]/u.test(before)) return null;
      return { start: i, end: caret, query: text.slice(i + 1, caret) };
    }
    if (/\s/u.test(ch)) return null;
  }
  return null;
}

/**
 * The members that match `query`, best first: the name starting with it, then a later word
 * starting with it, then alphabetical (by the locale's collation, accent-insensitive).
 *
 * @template {MentionCandidate} T
 * @param {readonly T[]} members
 * @param {string} query
 * @param {{limit?: number, excludeIds?: readonly number[], locale?: string}} [options]
 * @returns {T[]}
 */
export function filterMembers(members, query, { limit = 8, excludeIds = [], locale = "pt-BR" } = {}) {
  const q = fold(query).trim();
  const collator = new Intl.Collator(locale, { sensitivity: "base" });
  /** @type {{member: T, rank: number}[]} */
  const hits = [];
  for (const member of members) {
    if (!member || typeof member.name !== "string" || excludeIds.includes(member.user_id)) continue;
    const name = fold(member.name);
    let rank = -1;
    if (q === "" || name.startsWith(q)) rank = 0;
    else if (name.split(/[\s\-_.]+/u).some((word) => word.startsWith(q))) rank = 1;
    if (rank >= 0) hits.push({ member, rank });
  }
  hits.sort((a, b) => a.rank - b.rank || collator.compare(a.member.name, b.member.name) || a.member.user_id - b.member.user_id);
  return hits.slice(0, Math.max(0, limit)).map((h) => h.member);
}

/**
 * Replaces the query with `@Name ` and gives the new text and caret.
 *
 * @param {string} text
 * @param {MentionQuery} query
 * @param {MentionCandidate} member
 * @returns {{text: string, caret: number}}
 */
export function insertMention(text, query, member) {
  const inserted = `@${member.name} `;
  const after = text.slice(query.end).replace(/^ /, "");
  return { text: text.slice(0, query.start) + inserted + after, caret: query.start + inserted.length };
}

/**
 * The ids of the members whose `@Name` appears in `text` (longest names first, so "@Ana Paula"
 * is not also "@Ana"), in order of first appearance, without duplicates.
 *
 * @param {string} text
 * @param {readonly MentionCandidate[]} members
 * @returns {number[]}
 */
export function extractMentions(text, members) {
  const sorted = [...members].filter((m) => m && typeof m.name === "string" && m.name.trim() !== "").sort((a, b) => b.name.length - a.name.length);
  /** @type {{at: number, id: number}[]} */
  const found = [];
  const taken = new Array(text.length).fill(false);
  for (const member of sorted) {
    const needle = `@${member.name}`;
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
      const endsWord = at + needle.length === text.length || !/[\p{L}\p{N}_]/u.test(text[at + needle.length]);
      const startsWord = at === 0 || !/[\p{L}\p{N}_]/u.test(text[at - 1]);
      if (!endsWord || !startsWord || taken[at]) continue;
      for (let i = at; i < at + needle.length; i += 1) taken[i] = true;
      found.push({ at, id: member.user_id });
    }
  }
  found.sort((a, b) => a.at - b.at);
  return [...new Set(found.map((f) => f.id))];
}
