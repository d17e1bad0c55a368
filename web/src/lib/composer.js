// The composer's rules, as the server applies them: content is 1–4,000 Unicode scalar values
// after trimming, with no NUL. JavaScript's `length` counts UTF-16 code units (an emoji is
// 2), so the counter counts code points instead, like the server does.

export const MAX_MESSAGE_LENGTH = 4000;
/** The counter shows once this few characters are left. */
export const COUNTER_THRESHOLD = 200;

/**
 * Unicode scalar values of the trimmed text (what the server limits).
 *
 * @param {string} text
 */
export function messageLength(text) {
  let n = 0;
  for (const _ of String(text).trim()) n += 1;
  return n;
}

/**
 * @typedef {object} DraftCheck
 * @property {boolean} ok whether it may be sent
 * @property {"empty" | "too_long" | "nul" | null} problem
 * @property {number} length scalar values after trimming
 * @property {number} remaining `MAX_MESSAGE_LENGTH - length` (negative when over)
 * @property {boolean} showCounter near or over the limit
 */

/**
 * Checks a draft before sending (the send button's state and the counter).
 *
 * @param {string} text
 * @param {{max?: number, threshold?: number}} [options]
 * @returns {DraftCheck}
 */
export function checkDraft(text, { max = MAX_MESSAGE_LENGTH, threshold = COUNTER_THRESHOLD } = {}) {
  const length = messageLength(text);
  const remaining = max - length;
  /** @type {DraftCheck["problem"]} */
  let problem = null;
  if (String(text).includes("\u0000")) problem = "nul";
  else if (length === 0) problem = "empty";
  else if (remaining < 0) problem = "too_long";
  return { ok: problem === null, problem, length, remaining, showCounter: remaining <= threshold };
}
