import test from "node:test";
import assert from "node:assert/strict";
import { checkDraft, messageLength, MAX_MESSAGE_LENGTH } from "../../src/lib/composer.js";
import { createI18n } from "../../src/lib/i18n.js";

test("length counts Unicode scalar values after trimming, like the server", () => {
  assert.equal(messageLength("  olá  "), 3);
  assert.equal(messageLength("👍"), 1, "one emoji is one scalar value, two UTF-16 units");
  assert.equal("👍".length, 2);
  assert.equal(messageLength("e\u0301"), 2, "a combining accent is its own scalar value");
  assert.equal(messageLength("\n\t "), 0);
});

test("drafts: empty, exactly at the limit, over it, with a NUL", () => {
  assert.deepEqual(checkDraft("   "), { ok: false, problem: "empty", length: 0, remaining: 4000, showCounter: false });
  const full = "👍".repeat(MAX_MESSAGE_LENGTH);
  assert.equal(checkDraft(full).ok, true, "4,000 emoji are 8,000 UTF-16 units but within the limit");
  assert.equal(checkDraft(full).remaining, 0);
  assert.equal(checkDraft(` ${full} `).ok, true, "surrounding spaces do not count");
  assert.deepEqual(checkDraft(full + "a"), { ok: false, problem: "too_long", length: 4001, remaining: -1, showCounter: true });
  assert.equal(checkDraft("a\u0000b").problem, "nul");
  assert.equal(checkDraft("x".repeat(3799)).showCounter, false);
  assert.equal(checkDraft("x".repeat(3800)).showCounter, true);
});

test("the counter's words", () => {
  const pt = createI18n({ locale: "pt-BR" });
  assert.equal(pt.t("composer.remaining", { count: checkDraft("x".repeat(3999)).remaining }), "1 caractere restante");
  assert.equal(pt.t("composer.remaining", { count: 0 }), "nenhum caractere restante");
  assert.equal(pt.t("composer.tooLong", { count: 12 }), "12 caracteres além do limite");
});
