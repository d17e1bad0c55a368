import test from "node:test";
import assert from "node:assert/strict";
import { createI18n } from "../../src/lib/i18n.js";
import { dayKey, daysBetween, daySeparatorLabel, formatTime, formatDateTime, safeTimeZone, toDate } from "../../src/lib/time.js";

const pt = createI18n({ locale: "pt-BR" });
const en = createI18n({ locale: "en" });
const SP = "America/Sao_Paulo"; // UTC-3, no DST since 2019
const TOKYO = "Asia/Tokyo"; // UTC+9

test("day keys are the calendar day in the given zone", () => {
  // 02:30 UTC on 3 Dec is still 2 Dec in São Paulo, already 3 Dec in Tokyo.
  assert.equal(dayKey("2026-12-03T02:30:00.000Z", SP), "2026-12-02");
  assert.equal(dayKey("2026-12-03T02:30:00.000Z", TOKYO), "2026-12-03");
  assert.equal(dayKey("2026-12-03T02:30:00.000Z", "UTC"), "2026-12-03");
  assert.equal(dayKey("2026-12-31T23:59:59.999Z", TOKYO), "2027-01-01");
});

test("days between keys, across months, years and leap days", () => {
  assert.equal(daysBetween("2026-12-02", "2026-12-03"), 1);
  assert.equal(daysBetween("2026-12-31", "2027-01-01"), 1);
  assert.equal(daysBetween("2028-02-28", "2028-03-01"), 2);
  assert.equal(daysBetween("2026-12-03", "2026-12-01"), -2);
});

test("separator labels: Hoje, Ontem, then dates, in the user's zone", () => {
  const now = Date.parse("2026-12-03T12:00:00.000Z"); // 09:00 in São Paulo
  assert.equal(daySeparatorLabel("2026-12-03T10:00:00.000Z", { i18n: pt, timeZone: SP, now }), "Hoje");
  // 01:00 UTC on the 3rd is 22:00 on the 2nd in São Paulo: yesterday there, today in UTC.
  assert.equal(daySeparatorLabel("2026-12-03T01:00:00.000Z", { i18n: pt, timeZone: SP, now }), "Ontem");
  assert.equal(daySeparatorLabel("2026-12-03T01:00:00.000Z", { i18n: pt, timeZone: "UTC", now }), "Hoje");
  assert.equal(daySeparatorLabel("2026-12-02T12:00:00.000Z", { i18n: en, timeZone: SP, now }), "Yesterday");
  const older = daySeparatorLabel("2026-11-28T12:00:00.000Z", { i18n: pt, timeZone: SP, now });
  assert.match(older, /28 de novembro/);
  assert.doesNotMatch(older, /2026/);
  const lastYear = daySeparatorLabel("2025-11-28T12:00:00.000Z", { i18n: pt, timeZone: SP, now });
  assert.match(lastYear, /28 de novembro de 2025/);
  assert.match(daySeparatorLabel("2026-11-28T12:00:00.000Z", { i18n: en, timeZone: SP, now }), /November 28/);
});

test("times in the zone and the locale's clock", () => {
  const at = "2026-12-03T17:05:00.000Z";
  assert.equal(formatTime(at, { locale: "pt-BR", timeZone: SP }), "14:05");
  assert.equal(formatTime(at, { locale: "en", timeZone: SP }).replace(/\s/g, " "), "2:05 PM");
  assert.match(formatDateTime(at, { locale: "pt-BR", timeZone: SP }), /^03\/12\/2026,? 14:05:00$/);
});

test("unknown zones fall back to UTC; invalid times throw a RangeError", () => {
  assert.equal(safeTimeZone("Mars/Olympus_Mons"), "UTC");
  assert.equal(safeTimeZone(""), "UTC");
  assert.equal(safeTimeZone(undefined), "UTC");
  assert.equal(safeTimeZone(SP), SP);
  assert.equal(dayKey("2026-12-03T02:30:00.000Z", "Not/AZone"), "2026-12-03");
  assert.throws(() => dayKey("yesterday-ish", SP), RangeError);
  assert.throws(() => toDate(NaN), RangeError);
  assert.equal(toDate(0).toISOString(), "1970-01-01T00:00:00.000Z");
});

test("the first instant of a day in a zone, for the audit's date range", async () => {
  const { startOfDay, nextDay, zoneOffsetMs } = await import("../../src/lib/time.js");
  assert.equal(zoneOffsetMs(Date.parse("2026-12-03T12:00:00Z"), SP), -3 * 3600_000);
  assert.equal(zoneOffsetMs(Date.parse("2026-12-03T12:00:00Z"), TOKYO), 9 * 3600_000);
  assert.equal(startOfDay("2026-12-03", SP), "2026-12-03T03:00:00.000Z");
  assert.equal(startOfDay("2026-12-03", TOKYO), "2026-12-02T15:00:00.000Z");
  assert.equal(startOfDay("2026-12-03", "UTC"), "2026-12-03T00:00:00.000Z");
  // Brazil's last DST (2018): clocks jumped from 00:00 to 01:00 on 4 November, so that day
  // began at 01:00 local (03:00 UTC); it ended on 17 February 2019 (midnight happened twice).
  assert.equal(startOfDay("2018-11-04", SP), "2018-11-04T03:00:00.000Z");
  assert.equal(startOfDay("2019-02-17", SP), "2019-02-17T03:00:00.000Z");
  assert.equal(startOfDay("2019-02-16", SP), "2019-02-16T02:00:00.000Z");
  // New York: DST starts at 02:00, midnight is never skipped.
  assert.equal(startOfDay("2026-03-08", "America/New_York"), "2026-03-08T05:00:00.000Z");
  assert.equal(startOfDay("2026-03-09", "America/New_York"), "2026-03-09T04:00:00.000Z");
  assert.equal(nextDay("2026-12-31"), "2027-01-01");
  assert.equal(nextDay("2028-02-28"), "2028-02-29");
  assert.throws(() => startOfDay("2026-02-30", SP), RangeError);
  assert.throws(() => startOfDay("yesterday", SP), RangeError);
  // Every day of two years in São Paulo: the instant is that day and the minute before is not.
  for (let t = Date.parse("2018-01-01T12:00:00Z"); t < Date.parse("2020-01-01T00:00:00Z"); t += 86_400_000) {
    const key = dayKey(t, SP);
    const start = Date.parse(startOfDay(key, SP));
    assert.equal(dayKey(start, SP), key);
    assert.notEqual(dayKey(start - 60_000, SP), key);
  }
});
