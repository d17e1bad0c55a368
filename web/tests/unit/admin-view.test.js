import test from "node:test";
import assert from "node:assert/strict";
import { pickTab, viewFromQuery, viewToQuery, visibleTabs } from "../../src/lib/admin-view.js";

test("tabs by role: admins all, supervisors no audit, agents none", () => {
  assert.deepEqual(visibleTabs("admin"), ["audit", "activity", "rooms"]);
  assert.deepEqual(visibleTabs("supervisor"), ["activity", "rooms"]);
  assert.deepEqual(visibleTabs("agent"), []);
  assert.deepEqual(visibleTabs(undefined), []);
  assert.deepEqual(visibleTabs("Admin"), []);
});

test("the tab asked for only when the role sees it", () => {
  assert.equal(pickTab("audit", visibleTabs("supervisor")), "activity");
  assert.equal(pickTab("rooms", visibleTabs("supervisor")), "rooms");
  assert.equal(pickTab(null, visibleTabs("admin")), "audit");
  assert.equal(pickTab("audit", []), null);
});

test("the page URL keeps the tab and, on the audit tab, its filters; nothing else", () => {
  const state = viewFromQuery("?tab=audit&actor=3&action=room.created&from=2026-12-01&token=abc");
  assert.deepEqual(state, { tab: "audit", filters: { action: "room.created", actorId: 3, from: "2026-12-01" } });
  assert.equal(viewToQuery(state), "?tab=audit&action=room.created&actor=3&from=2026-12-01");
  assert.deepEqual(viewFromQuery(viewToQuery(state)), state);
  assert.equal(viewToQuery({ tab: "rooms", filters: { actorId: 3 } }), "?tab=rooms");
  assert.equal(viewToQuery({ tab: null, filters: {} }), "");
  assert.deepEqual(viewFromQuery("?tab=settings"), { tab: null, filters: {} });
});
