import test from "node:test";
import assert from "node:assert/strict";
import { IDLE_MS, PresenceTracker } from "../../src/lib/presence.js";

test("away after 5 minutes idle, online again on activity; only changes are sent", () => {
  let now = 1_000_000;
  const p = new PresenceTracker({ now: () => now });
  assert.equal(p.activity(), null, "starts online: nothing to send");
  now += IDLE_MS - 1;
  assert.equal(p.tick(), null);
  assert.equal(p.idleIn(), 1);
  now += 1;
  assert.equal(p.tick(), "away");
  assert.equal(p.tick(), null, "sent once");
  assert.equal(p.idleIn(), 0);
  assert.equal(p.activity(), "online");
  assert.equal(p.activity(), null);
});

test("hidden is away whatever the activity; visible again is online", () => {
  let now = 0;
  const p = new PresenceTracker({ now: () => now });
  assert.equal(p.visibility(true), "away");
  now += 10;
  assert.equal(p.activity(), null, "activity while hidden does not bring it back");
  assert.equal(p.visibility(false), "online");
  assert.equal(p.visibility(false), null);
});
