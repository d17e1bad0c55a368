import test from "node:test";
import assert from "node:assert/strict";
import { backoffCeiling, backoffDelay, createBackoff } from "../../src/lib/backoff.js";

test("the ceiling doubles from the base up to the cap", () => {
  const o = { baseMs: 100, capMs: 1000 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 60, 5000].map((n) => backoffCeiling(n, o)),
    [100, 200, 400, 800, 1000, 1000, 1000, 1000],
  );
});

test("full jitter: the delay is random() times the ceiling, floored", () => {
  const o = { baseMs: 100, capMs: 1000 };
  assert.equal(backoffDelay(0, { ...o, random: () => 0 }), 0);
  assert.equal(backoffDelay(0, { ...o, random: () => 0.5 }), 50);
  assert.equal(backoffDelay(3, { ...o, random: () => 0.25 }), 200);
  assert.equal(backoffDelay(10, { ...o, random: () => 0.999 }), 999);
});

test("bad attempts and bad random sources stay inside the window", () => {
  const o = { baseMs: 100, capMs: 1000 };
  for (const attempt of [-1, NaN, Infinity, -Infinity, 2.7]) {
    const d = backoffDelay(attempt, { ...o, random: () => 0.5 });
    assert.ok(d >= 0 && d < 1000, `attempt ${attempt} gave ${d}`);
  }
  assert.equal(backoffCeiling(2.7, o), 400);
  for (const r of [NaN, -3, 1, 7, Infinity]) {
    const d = backoffDelay(2, { ...o, random: () => r });
    assert.ok(d >= 0 && d < 400, `random ${r} gave ${d}`);
  }
});

test("bad options fall back to the defaults; a cap under the base is the base", () => {
  assert.equal(backoffCeiling(0, { baseMs: -5, capMs: 0 }), 500);
  assert.equal(backoffCeiling(20, {}), 30_000);
  assert.equal(backoffCeiling(3, { baseMs: 1000, capMs: 10 }), 1000);
});

test("createBackoff counts attempts and resets", () => {
  const b = createBackoff({ baseMs: 100, capMs: 1000, random: () => 0.5 });
  assert.deepEqual([b.next(), b.next(), b.next(), b.next(), b.next()], [50, 100, 200, 400, 500]);
  assert.equal(b.attempt, 5);
  b.reset();
  assert.equal(b.attempt, 0);
  assert.equal(b.next(), 50);
});

test("delays over many draws are spread over the whole window", () => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const delays = Array.from({ length: 2000 }, () => backoffDelay(4, { baseMs: 100, capMs: 10_000, random }));
  assert.ok(Math.min(...delays) < 100);
  assert.ok(Math.max(...delays) > 1500);
  assert.ok(delays.every((d) => d >= 0 && d < 1600));
});
