import test from "node:test";
import assert from "node:assert/strict";
import { bandLayout, barHeight, bucketLabel, countAxis, labelIndexes } from "../../src/lib/chart-scale.js";

test("count axis: whole 1-2-5 steps, a top at or above the max, at most the asked intervals", () => {
  assert.deepEqual(countAxis(0), { top: 1, step: 1, ticks: [0, 1] });
  assert.deepEqual(countAxis(-5), { top: 1, step: 1, ticks: [0, 1] });
  assert.deepEqual(countAxis(Number.NaN), { top: 1, step: 1, ticks: [0, 1] });
  assert.deepEqual(countAxis(1), { top: 1, step: 1, ticks: [0, 1] });
  assert.deepEqual(countAxis(3), { top: 3, step: 1, ticks: [0, 1, 2, 3] });
  assert.deepEqual(countAxis(7), { top: 8, step: 2, ticks: [0, 2, 4, 6, 8] });
  assert.deepEqual(countAxis(10), { top: 10, step: 5, ticks: [0, 5, 10] });
  assert.deepEqual(countAxis(97), { top: 100, step: 50, ticks: [0, 50, 100] });
  assert.deepEqual(countAxis(2.2), { top: 3, step: 1, ticks: [0, 1, 2, 3] });
  for (let max = 1; max < 5000; max += 7) {
    for (const want of [1, 3, 4, 6]) {
      const { top, step, ticks } = countAxis(max, want);
      assert.ok(top >= max, `top ${top} < ${max}`);
      assert.ok(Number.isInteger(step) && step >= 1);
      assert.ok(ticks.length - 1 <= Math.max(want, Math.ceil(max / step)), `${max}/${want}`);
      assert.ok(ticks.length - 1 <= 2 * want + 1, `too many ticks for ${max}/${want}: ${ticks.length}`);
      assert.equal(ticks.at(-1), top);
      assert.ok(top - step < max, `top ${top} leaves a whole empty step above ${max}`);
    }
  }
});

test("bands split the width; grouped bars sit inside their band", () => {
  const l = bandLayout(10, 500, { groups: 2, gap: 0.2 });
  assert.equal(l.band, 50);
  assert.equal(l.bar, 20);
  assert.equal(l.bandX(3), 150);
  assert.equal(l.barX(3, 0), 155);
  assert.equal(l.barX(3, 1), 175);
  assert.ok(l.barX(9, 1) + l.bar <= 500);
  const one = bandLayout(0, 100);
  assert.equal(one.band, 100, "no bucket: one band, no division by zero");
});

test("bar heights: proportional, clamped, a non-zero value stays visible", () => {
  assert.equal(barHeight(0, 10, 100), 0);
  assert.equal(barHeight(5, 10, 100), 50);
  assert.equal(barHeight(20, 10, 100), 100);
  assert.equal(barHeight(1, 100000, 100), 1);
  assert.equal(barHeight(3, 0, 100), 0);
});

test("axis labels: evenly spaced, never more than asked, the last bucket always labelled", () => {
  assert.deepEqual(labelIndexes(5, 10), [0, 1, 2, 3, 4]);
  assert.deepEqual(labelIndexes(0, 10), []);
  assert.deepEqual(labelIndexes(60, 6), [9, 19, 29, 39, 49, 59]);
  for (let n = 1; n < 200; n++) {
    for (const max of [1, 4, 7]) {
      const idx = labelIndexes(n, max);
      assert.ok(idx.length <= max, `${n}/${max}`);
      assert.equal(idx.at(-1), n - 1);
      assert.deepEqual(idx, [...idx].sort((a, b) => a - b));
    }
  }
});

test("bucket words: minutes in the user's zone, days as the UTC day the API counted", () => {
  const opts = { locale: "pt-BR", timeZone: "America/Sao_Paulo" };
  assert.equal(bucketLabel("2026-12-03T14:05:00.000Z", "minute", opts), "11:05");
  assert.equal(bucketLabel("2026-12-03T00:00:00.000Z", "day", opts), "3 de dez.");
  assert.match(bucketLabel("2026-12-03T00:00:00.000Z", "day", { ...opts, long: true }), /3 de dezembro de 2026/);
  assert.equal(bucketLabel("2026-12-03T00:00:00.000Z", "day", { locale: "en", timeZone: "Pacific/Auckland" }), "Dec 3");
  assert.equal(bucketLabel("2026-12-03T14:05:00.000Z", "minute", { locale: "en", timeZone: "Not/AZone" }), "02:05 PM");
  assert.throws(() => bucketLabel("yesterday", "minute", opts), RangeError);
});
