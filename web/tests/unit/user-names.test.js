import test from "node:test";
import assert from "node:assert/strict";
import { createUserNames } from "../../src/lib/user-names.js";

/** @param {Record<number, string>} names */
function fakeClient(names) {
  const calls = /** @type {number[]} */ ([]);
  let failNext = false;
  return {
    calls,
    failOnce() {
      failNext = true;
    },
    /** @param {number} id */
    async getUser(id) {
      calls.push(id);
      await Promise.resolve();
      if (failNext) {
        failNext = false;
        throw Object.assign(new Error("network"), { status: 0 });
      }
      if (!(id in names)) throw Object.assign(new Error("not found"), { status: 404 });
      return { user_id: id, name: names[id], role: /** @type {const} */ ("agent"), active: true, last_seen_at: null };
    },
  };
}

test("one request per id, shared by concurrent asks, then from memory", async () => {
  const client = fakeClient({ 1: "Ada", 2: "Sam" });
  const names = createUserNames(client);
  const got = await Promise.all([names.name(1), names.name(1), names.name(2), names.name(1)]);
  assert.deepEqual(got, ["Ada", "Ada", "Sam", "Ada"]);
  assert.deepEqual(await names.name(1), "Ada");
  assert.deepEqual(client.calls, [1, 2]);
  assert.equal(names.peek(2), "Sam");
  assert.equal(names.peek(3), undefined);
});

test("unknown ids are remembered as unknown; other failures are asked again", async () => {
  const client = fakeClient({ 1: "Ada" });
  const names = createUserNames(client);
  assert.equal(await names.name(9), null);
  assert.equal(await names.name(9), null);
  assert.deepEqual(client.calls, [9]);
  client.failOnce();
  await assert.rejects(names.name(1));
  assert.equal(await names.name(1), "Ada");
  assert.deepEqual(client.calls, [9, 1, 1]);
});

test("names a search returned need no request", async () => {
  const client = fakeClient({});
  const names = createUserNames(client);
  names.remember([{ user_id: 4, name: "Bob", role: "agent", active: true, last_seen_at: null }]);
  assert.equal(await names.name(4), "Bob");
  assert.deepEqual(client.calls, []);
});
