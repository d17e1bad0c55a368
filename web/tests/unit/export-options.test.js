import test from "node:test";
import assert from "node:assert/strict";
import { defaultDelimiter, exportChoice } from "../../src/lib/export-options.js";

test("the CSV delimiter follows the locale's decimal separator", () => {
  assert.equal(defaultDelimiter("pt-BR"), "semicolon");
  assert.equal(defaultDelimiter("de-DE"), "semicolon");
  assert.equal(defaultDelimiter("en"), "comma");
  assert.equal(defaultDelimiter("en-US"), "comma");
  assert.equal(defaultDelimiter("not a locale!"), "comma");
});

test("export choices: the delimiter only for CSV, unknown values fall back", () => {
  assert.deepEqual(exportChoice("jsonl", "semicolon", "pt-BR"), { format: "jsonl" });
  assert.deepEqual(exportChoice("csv", "comma", "pt-BR"), { format: "csv", delimiter: "comma" });
  assert.deepEqual(exportChoice("csv", "tab", "pt-BR"), { format: "csv", delimiter: "semicolon" });
  assert.deepEqual(exportChoice("xlsx", undefined, "en"), { format: "csv", delimiter: "comma" });
});
