import test from "node:test";
import assert from "node:assert/strict";
import { activityOf, adjacentRoom, dmPeer, matchesFilter, sortRooms } from "../../src/lib/rooms.js";

test("rooms sort by latest activity (message, else creation), then name, then id", () => {
  const rooms = [
    { id: "a", name: "Zeta", last_message_at: null, created_at: "2026-01-01T10:00:00.000Z" },
    { id: "b", name: "Alfa", last_message_at: "2026-01-02T10:00:00.000Z", created_at: "2026-01-01T00:00:00.000Z" },
    { id: "c", name: "Beta", last_message_at: "2026-01-01T10:00:00.000Z", created_at: "2026-01-01T00:00:00.000Z" },
    { id: "d", name: "Alfa", last_message_at: "2026-01-01T10:00:00.000Z", created_at: "2026-01-01T00:00:00.000Z" },
    { id: "e", name: "Old", last_message_at: "garbage", created_at: "also garbage" },
  ];
  assert.deepEqual(sortRooms(rooms, (r) => r.name).map((r) => r.id), ["b", "d", "c", "a", "e"]);
  assert.equal(activityOf(rooms[4]), 0);
  assert.deepEqual(rooms.map((r) => r.id), ["a", "b", "c", "d", "e"], "input untouched");
});

test("the filter matches the start of any word, accent- and case-insensitively", () => {
  assert.equal(matchesFilter("Maria João Silva", "joao"), true);
  assert.equal(matchesFilter("Maria João Silva", "JOÃ"), true);
  assert.equal(matchesFilter("Maria João Silva", "ilva"), false);
  assert.equal(matchesFilter("suporte-nível-2", "niv"), true);
  assert.equal(matchesFilter("General", ""), true);
  assert.equal(matchesFilter("General", "   "), true);
  assert.equal(matchesFilter("General", "x"), false);
});

test("a DM's peer is the other member", () => {
  assert.equal(dmPeer({ members: [{ user_id: 3 }, { user_id: 4 }] }, 3), 4);
  assert.equal(dmPeer({ members: [{ user_id: 3 }] }, 3), null);
  assert.equal(dmPeer({}, 3), null);
});

test("Alt+arrows walk the list and wrap; an unknown current starts at an end", () => {
  const ids = ["a", "b", "c"];
  assert.equal(adjacentRoom(ids, "a", 1), "b");
  assert.equal(adjacentRoom(ids, "c", 1), "a");
  assert.equal(adjacentRoom(ids, "a", -1), "c");
  assert.equal(adjacentRoom(ids, null, 1), "a");
  assert.equal(adjacentRoom(ids, "zz", -1), "c");
  assert.equal(adjacentRoom([], "a", 1), null);
});
