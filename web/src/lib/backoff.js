// Reconnection delays: exponential backoff with "full jitter".
//
// The n-th retry (0-based) waits a uniformly random time in [0, min(cap, base * 2^n)). Full
// jitter spreads the clients of a restarted server over the whole window instead of bringing
// them back in synchronised waves, which is what matters when a whole account reconnects at once
// (close code 1001, `going_away`).

/**
 * @typedef {object} BackoffOptions
 * @property {number} [baseMs] the ceiling of the first retry (default 500 ms)
 * @property {number} [capMs] the largest ceiling (default 30 s)
 * @property {() => number} [random] a source of numbers in [0, 1) (default `Math.random`; tests inject theirs)
 */

export const DEFAULT_BASE_MS = 500;
export const DEFAULT_CAP_MS = 30_000;

/**
 * The ceiling of the window of retry `attempt`: `min(cap, base * 2^attempt)`.
 * A negative, fractional or non-finite attempt counts as the nearest valid one (0 for garbage).
 *
 * @param {number} attempt
 * @param {BackoffOptions} [options]
 * @returns {number}
 */
export function backoffCeiling(attempt, options = {}) {
  const base = positiveOr(options.baseMs, DEFAULT_BASE_MS);
  const cap = Math.max(base, positiveOr(options.capMs, DEFAULT_CAP_MS));
  const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
  // 2 ** 1100 is Infinity, and min(cap, Infinity) is cap: no overflow to worry about.
  return Math.min(cap, base * 2 ** n);
}

/**
 * The delay before retry `attempt` (0-based), in whole milliseconds, in [0, ceiling).
 *
 * @param {number} attempt
 * @param {BackoffOptions} [options]
 * @returns {number}
 */
export function backoffDelay(attempt, options = {}) {
  const ceiling = backoffCeiling(attempt, options);
  const random = options.random ?? Math.random;
  let r = Number(random());
  // A broken source (NaN, negative, ≥ 1) must not produce a negative or unbounded delay.
  if (!Number.isFinite(r) || r < 0) r = 0;
  if (r >= 1) r = 1 - Number.EPSILON;
  return Math.floor(r * ceiling);
}

/**
 * A retry counter: `next()` gives the next delay and counts the attempt, `reset()` starts over
 * (after a connection proved stable).
 *
 * @param {BackoffOptions} [options]
 */
export function createBackoff(options = {}) {
  let attempt = 0;
  return {
    /** @returns {number} the delay before the next retry, in ms */
    next() {
      const delay = backoffDelay(attempt, options);
      attempt += 1;
      return delay;
    },
    reset() {
      attempt = 0;
    },
    /** how many retries were counted since the last reset */
    get attempt() {
      return attempt;
    },
  };
}

/**
 * @param {number | undefined} value
 * @param {number} fallback
 */
function positiveOr(value, fallback) {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : fallback;
}
