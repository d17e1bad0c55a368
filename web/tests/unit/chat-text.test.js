import test from "node:test";
import assert from "node:assert/strict";
import { mentionSegments } from "../../src/chat/text.js";

const members = [
  { user_id: 1, name: "Ana" },
  { user_id: 2, name: "Ana Paula" },
  { user_id: 3, name: "Bruno" },
];

test("mentions of members are cut out, longest name first", () => {
  assert.deepEqual(mentionSegments("oi @Ana Paula e @Bruno!", members), [
    { text: "oi ", mention: false },
    { text: "@Ana Paula", mention: true, self: 2 },
    { text: " e ", mention: false },
    { text: "@Bruno", mention: true, self: 3 },
    { text: "!", mention: false },
  ]);
  assert.deepEqual(mentionSegments("@Ana", members), [{ text: "@Ana", mention: true, self: 1 }]);
});

test("no mention inside words, of non-members, or of a name prefix", () => {
  assert.deepEqual(mentionSegments("ana@Ana.com", members), [{ text: "ana@Ana.com", mention: false }]);
  assert.deepEqual(mentionSegments("@Anabela", members), [{ text: "@Anabela", mention: false }]);
  assert.deepEqual(mentionSegments("@Carla oi", members), [{ text: "@Carla oi", mention: false }]);
  assert.deepEqual(mentionSegments("", members), []);
  assert.deepEqual(mentionSegments("<b>@Bruno</b>", members), [
    { text: "<b>", mention: false },
    { text: "@Bruno", mention: true, self: 3 },
    { text: "</b>", mention: false },
  ]);
});
