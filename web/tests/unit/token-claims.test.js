import test from "node:test";
import assert from "node:assert/strict";
import { tokenClaims } from "../../src/lib/token-claims.js";

/** @param {unknown} payload */
const jwt = (payload) => {
  const bytes = new TextEncoder().encode(JSON.stringify(payload));
  const b64 = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `eyJhbGciOiJIUzI1NiJ9.${b64}.c2ln`;
};

test("claims of a user token, names in any script", () => {
  assert.deepEqual(tokenClaims(jwt({ sub: "12", account_id: 1, role: "supervisor", name: "João Ñandú", exp: 1800000000 })), {
    userId: 12,
    accountId: 1,
    role: "supervisor",
    name: "João Ñandú",
    exp: 1800000000,
  });
  assert.deepEqual(tokenClaims(jwt({ sub: "1", account_id: 7, role: "admin" })), { userId: 1, accountId: 7, role: "admin", name: null, exp: null });
});

test("unreadable or incomplete tokens give null, never a throw", () => {
  for (const bad of [
    "",
    "abc",
    "a.b",
    "a.%%%.c",
    "a.bm90IGpzb24.c",
    jwt(null),
    jwt({ sub: 12, account_id: 1, role: "admin" }),
    jwt({ sub: "0", account_id: 1, role: "admin" }),
    jwt({ sub: "12", account_id: "1", role: "admin" }),
    jwt({ sub: "12", account_id: 1, role: "root" }),
    jwt({ sub: "12", account_id: -1, role: "admin" }),
  ]) {
    assert.equal(tokenClaims(bad), null, bad);
  }
  assert.equal(tokenClaims(/** @type {any} */ (undefined)), null);
});
