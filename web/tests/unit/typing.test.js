import test from "node:test";
import assert from "node:assert/strict";
import { createTypingThrottle, TypingIndicators } from "../../src/lib/typing.js";

test("outgoing typing: one frame per room every 3 s, reset after sending", () => {
  let t = 1_000_000;
  const throttle = createTypingThrottle({ now: () => t });
  assert.equal(throttle.shouldSend("a"), true);
  t += 1000;
  assert.equal(throttle.shouldSend("a"), false);
  assert.equal(throttle.shouldSend("b"), true, "rooms are independent");
  t += 1999;
  assert.equal(throttle.shouldSend("a"), false);
  t += 1;
  assert.equal(throttle.shouldSend("a"), true);
  throttle.reset("a");
  assert.equal(throttle.shouldSend("a"), true);
  // A clock that jumps back does not silence typing for ever.
  t -= 60_000;
  assert.equal(throttle.shouldSend("a"), true);
});

/**
 * @param {number} user
 * @param {string} ts
 * @param {string} expires
 * @param {string} [room]
 */
const typing = (user, ts, expires, room = "r") => ({ type: "typing", account_id: 1, room_id: room, ts, data: { room_id: room, user_id: user, expires_at: expires } });

test("incoming: shown until expires_at, renewed by a newer event, ordered by who started first", () => {
  let t = 0;
  const ind = new TypingIndicators({ selfId: 7, now: () => t });
  assert.equal(ind.apply(typing(8, "2026-12-03T12:00:00.000Z", "2026-12-03T12:00:06.000Z")), true);
  t = 1000;
  assert.equal(ind.apply(typing(9, "2026-12-03T12:00:01.000Z", "2026-12-03T12:00:07.000Z")), true);
  assert.deepEqual(ind.typists("r"), [8, 9]);
  t = 3000;
  assert.equal(ind.apply(typing(8, "2026-12-03T12:00:03.000Z", "2026-12-03T12:00:09.000Z")), false, "a renewal, same set");
  assert.equal(ind.nextExpiryIn("r"), 4000);
  t = 7000;
  assert.deepEqual(ind.typists("r"), [8], "9 expired; 8 was renewed");
  t = 9000;
  assert.deepEqual(ind.typists("r"), []);
  assert.equal(ind.nextExpiryIn("r"), null);
});

test("a skewed browser clock does not matter: the duration comes from the server's times", () => {
  let t = Date.parse("2030-01-01T00:00:00.000Z"); // the browser is years ahead
  const ind = new TypingIndicators({ selfId: 7, now: () => t });
  ind.apply(typing(8, "2026-12-03T12:00:00.000Z", "2026-12-03T12:00:06.000Z"));
  assert.deepEqual(ind.typists("r"), [8]);
  t += 5999;
  assert.deepEqual(ind.typists("r"), [8]);
  t += 1;
  assert.deepEqual(ind.typists("r"), []);
});

test("own events, bad data and absurd durations", () => {
  let t = 0;
  const ind = new TypingIndicators({ selfId: 7, now: () => t });
  assert.equal(ind.apply(typing(7, "2026-12-03T12:00:00.000Z", "2026-12-03T12:00:06.000Z")), false);
  assert.equal(ind.apply(typing(8, "2026-12-03T12:00:06.000Z", "2026-12-03T12:00:00.000Z")), false, "already expired");
  assert.equal(ind.apply(typing(8, "2026-12-03T12:00:00.000Z", "garbage")), false);
  assert.equal(ind.apply(/** @type {any} */ ({ type: "typing", data: null })), false);
  assert.equal(ind.apply(/** @type {any} */ ({ type: "typing", data: { room_id: "r", user_id: "8" } })), false);
  ind.apply(typing(8, "2026-12-03T12:00:00.000Z", "2026-12-04T12:00:00.000Z"));
  t = 10_000;
  assert.deepEqual(ind.typists("r"), [], "capped at 10 s");
  ind.apply(typing(9, "", "2026-12-03T12:00:06.000Z"));
  assert.deepEqual(ind.typists("r"), [9], "no ts: the default 6 s");
});

test("the typist's message clears the indicator at once", () => {
  let t = 0;
  const ind = new TypingIndicators({ selfId: 7, now: () => t });
  ind.apply(typing(8, "2026-12-03T12:00:00.000Z", "2026-12-03T12:00:06.000Z", "r"));
  ind.apply(typing(8, "2026-12-03T12:00:00.000Z", "2026-12-03T12:00:06.000Z", "s"));
  assert.equal(ind.clear("r", 8), true);
  assert.equal(ind.clear("r", 8), false);
  assert.deepEqual(ind.typists("r"), []);
  assert.deepEqual(ind.typists("s"), [8]);
  assert.equal(ind.clear("nope", 8), false);
});
