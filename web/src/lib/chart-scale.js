// The arithmetic of the admin console's charts, without the DOM: a value axis of whole counts
// with "nice" ticks, the bands of a bar chart, which buckets get an axis label, and the words
// of a `/stats` bucket. The chart element (`admin/bar-chart.js`) only draws what this says.

import { safeTimeZone, toDate } from "./time.js";

/**
 * The value axis of a chart of counts: a top at or above `max` on a 1–2–5 step, at most
 * `maxTicks` intervals, whole-number ticks only (half a message means nothing). An all-zero
 * series still gets an axis (0..1) so the chart does not collapse.
 *
 * @param {number} max the largest value shown (negative and non-finite count as 0)
 * @param {number} [maxTicks] the most intervals wanted (≥ 1)
 * @returns {{top: number, step: number, ticks: number[]}}
 */
export function countAxis(max, maxTicks = 4) {
  const want = Math.max(1, Math.floor(maxTicks));
  const m = Number.isFinite(max) && max > 0 ? Math.ceil(max) : 0;
  if (m === 0) return { top: 1, step: 1, ticks: [0, 1] };
  const raw = m / want;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  let step = magnitude;
  for (const factor of [1, 2, 5, 10]) {
    step = factor * magnitude;
    if (step >= raw) break;
  }
  step = Math.max(1, Math.round(step));
  const top = Math.ceil(m / step) * step;
  /** @type {number[]} */
  const ticks = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  return { top, step, ticks };
}

/**
 * Equal bands across a width, one per bucket, each holding `groups` bars side by side with a
 * gap between bands (a fraction of the band).
 *
 * @param {number} count buckets
 * @param {number} width drawing width
 * @param {{groups?: number, gap?: number}} [o]
 * @returns {{band: number, bar: number, bandX: (i: number) => number, barX: (i: number, g: number) => number}}
 */
export function bandLayout(count, width, { groups = 1, gap = 0.2 } = {}) {
  const n = Math.max(1, count);
  const band = width / n;
  const inner = band * (1 - Math.min(Math.max(gap, 0), 0.9));
  const bar = inner / Math.max(1, groups);
  const pad = (band - inner) / 2;
  return {
    band,
    bar,
    bandX: (i) => i * band,
    barX: (i, g) => i * band + pad + g * bar,
  };
}

/**
 * The height in drawing units of a value on an axis whose top is `top` and drawing height
 * `height`; a non-zero value gets at least one unit so it stays visible.
 *
 * @param {number} value
 * @param {number} top
 * @param {number} height
 */
export function barHeight(value, top, height) {
  if (!(value > 0) || !(top > 0)) return 0;
  return Math.max(1, (Math.min(value, top) / top) * height);
}

/**
 * Which buckets carry an axis label: at most `maxLabels`, evenly spaced, always the last one
 * (the current bucket is the one people look for).
 *
 * @param {number} count
 * @param {number} maxLabels
 * @returns {number[]} ascending indexes
 */
export function labelIndexes(count, maxLabels) {
  if (count <= 0 || maxLabels <= 0) return [];
  if (count <= maxLabels) return [...Array(count).keys()];
  const every = Math.ceil(count / maxLabels);
  /** @type {number[]} */
  const out = [];
  for (let i = count - 1; i >= 0; i -= every) out.push(i);
  return out.reverse();
}

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map();

/**
 * @param {string} locale
 * @param {Intl.DateTimeFormatOptions} options
 */
function format(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formats.set(key, f);
  }
  return f;
}

/**
 * The words of a `/stats` bucket. Minute and hour buckets are instants, shown in the user's
 * zone ("14:05"). Day buckets are UTC calendar days (the API counts by UTC day), so they are
 * named in UTC: the bucket of 3 December is "3 dez." everywhere, never "2 dez., 21:00".
 *
 * @param {string} ts the bucket's start (RFC 3339)
 * @param {"minute" | "hour" | "day"} bucket
 * @param {{locale: string, timeZone: string, long?: boolean}} o `long`: for tables and
 *   tooltips ("quarta-feira, 3 de dezembro de 2026"); short: for an axis ("3 dez.")
 * @returns {string}
 */
export function bucketLabel(ts, bucket, { locale, timeZone, long = false }) {
  const at = toDate(ts);
  if (bucket === "day") {
    const options = /** @type {Intl.DateTimeFormatOptions} */ (
      long ? { timeZone: "UTC", dateStyle: "full" } : { timeZone: "UTC", day: "numeric", month: "short" }
    );
    return format(locale, options).format(at);
  }
  const zone = safeTimeZone(timeZone);
  const options = /** @type {Intl.DateTimeFormatOptions} */ (
    long ? { timeZone: zone, dateStyle: "short", timeStyle: "short" } : { timeZone: zone, hour: "2-digit", minute: "2-digit" }
  );
  return format(locale, options).format(at);
}
