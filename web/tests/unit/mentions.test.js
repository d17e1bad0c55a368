import test from "node:test";
import assert from "node:assert/strict";
import { fold, findMentionQuery, filterMembers, insertMention, extractMentions } from "../../src/lib/mentions.js";

const members = [
  { user_id: 1, name: "Maria João Silva" },
  { user_id: 2, name: "Ana" },
  { user_id: 3, name: "Ana Paula" },
  { user_id: 4, name: "Bruno Álvares" },
  { user_id: 5, name: "Álvaro Souza" },
  { user_id: 6, name: "Joana" },
];

test("fold drops accents and case", () => {
  assert.equal(fold("JOÃO Ágil Çedilha"), "joao agil cedilha");
  // Precomposed and decomposed forms fold to the same text.
  assert.equal(fold("Jo\u00e3o"), fold("Joa\u0303o"));
});

test("the query at the caret", () => {
  assert.deepEqual(findMentionQuery("oi @an", 6), { start: 3, end: 6, query: "an" });
  assert.deepEqual(findMentionQuery("@", 1), { start: 0, end: 1, query: "" });
  assert.deepEqual(findMentionQuery("(@jo) tudo", 4), { start: 1, end: 4, query: "jo" });
  assert.equal(findMentionQuery("oi @ana paula", 13), null, "a space ends the query");
  assert.equal(findMentionQuery("ana@example.com", 9), null, "an e-mail is not a mention");
  assert.equal(findMentionQuery("no at sign", 5), null);
  assert.equal(findMentionQuery("@" + "x".repeat(60), 61), null, "too long");
  assert.equal(findMentionQuery("oi @an", 99), null);
  assert.equal(findMentionQuery("oi @an", -1), null);
  assert.equal(findMentionQuery(/** @type {any} */ (null), 0), null);
  // The caret in the middle of a word: the query is what precedes the caret.
  assert.deepEqual(findMentionQuery("@bruno", 3), { start: 0, end: 3, query: "br" });
});

test("filtering is accent- and case-insensitive, by the start of any word, best first", () => {
  /** @param {string} q */
  const names = (q) => filterMembers(members, q).map((m) => m.name);
  assert.deepEqual(names("joao"), ["Maria João Silva"]);
  assert.deepEqual(names("JOÃO"), ["Maria João Silva"]);
  assert.deepEqual(names("jo"), ["Joana", "Maria João Silva"]);
  assert.deepEqual(names("alv"), ["Álvaro Souza", "Bruno Álvares"]);
  assert.deepEqual(names("ana"), ["Ana", "Ana Paula"]);
  assert.deepEqual(names("ilva"), [], "not the middle of a word");
  assert.deepEqual(names("").length, 6);
  assert.deepEqual(filterMembers(members, "", { limit: 2 }).map((m) => m.user_id), [5, 2], "Álvaro sorts with the a");
  assert.deepEqual(filterMembers(members, "ana", { excludeIds: [2] }).map((m) => m.user_id), [3]);
  assert.deepEqual(filterMembers(/** @type {any} */ ([null, { user_id: 9 }, ...members]), "bru").map((m) => m.user_id), [4]);
});

test("inserting a mention replaces the query and puts the caret after it", () => {
  const q = findMentionQuery("oi @an tudo bem?", 6);
  assert.ok(q);
  assert.deepEqual(insertMention("oi @an tudo bem?", q, members[2]), { text: "oi @Ana Paula tudo bem?", caret: 14 });
  const q2 = findMentionQuery("@", 1);
  assert.ok(q2);
  assert.deepEqual(insertMention("@", q2, members[1]), { text: "@Ana ", caret: 5 });
});

test("extracting mentions: longest name first, word boundaries, order of appearance, no duplicates", () => {
  assert.deepEqual(extractMentions("@Ana Paula e @Ana, vejam com @Maria João Silva. @Ana de novo", members), [3, 2, 1]);
  assert.deepEqual(extractMentions("@Anabela não é ninguém", members), []);
  assert.deepEqual(extractMentions("email@Ana", members), []);
  assert.deepEqual(extractMentions("nada aqui", members), []);
  assert.deepEqual(extractMentions("@Ana", [{ user_id: 1, name: "" }, ...members]), [2]);
});
