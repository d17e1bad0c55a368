// What the page may read from its token without verifying it (the server verifies every
// request): who the user is, which account, which role — to draw only what the API would
// allow. Reading it never sends it anywhere.

/**
 * @typedef {object} TokenClaims
 * @property {number} userId `sub`
 * @property {number} accountId `account_id`
 * @property {"admin" | "supervisor" | "agent"} role
 * @property {string | null} name
 * @property {number | null} exp epoch seconds
 */

const ROLES = ["admin", "supervisor", "agent"];

/**
 * The claims of a JWT's payload, or null when it cannot be read or lacks a field the page
 * needs (`sub` a decimal user id, `account_id` a positive integer, a known `role`).
 *
 * @param {string} token
 * @returns {TokenClaims | null}
 */
export function tokenClaims(token) {
  if (typeof token !== "string" || token.length > 8192) return null;
  const parts = token.split(".");
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1])) return null;
  /** @type {any} */
  let payload;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), "="));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
  if (!payload || typeof payload !== "object") return null;
  const sub = typeof payload.sub === "string" && /^[1-9][0-9]{0,18}$/.test(payload.sub) ? Number(payload.sub) : NaN;
  const account = payload.account_id;
  if (!Number.isSafeInteger(sub) || !Number.isSafeInteger(account) || account <= 0) return null;
  if (!ROLES.includes(payload.role)) return null;
  return {
    userId: sub,
    accountId: account,
    role: payload.role,
    name: typeof payload.name === "string" && payload.name.trim() !== "" ? payload.name : null,
    exp: typeof payload.exp === "number" && Number.isFinite(payload.exp) ? payload.exp : null,
  };
}
