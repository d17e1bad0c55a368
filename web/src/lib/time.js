// Dates and times in the user's IANA time zone with Intl.DateTimeFormat: day keys for
// separators and grouping, "Hoje"/"Ontem"/a date for day separators, times of messages,
// date-times of audit entries. The zone comes from the host (`timeZone` of the embed handshake);
// an unknown zone falls back to UTC instead of throwing.

/** @typedef {import("./i18n.js").I18n} I18n */

/** @type {Map<string, Intl.DateTimeFormat>} */
const formats = new Map();

/**
 * A cached formatter (constructing Intl objects is slow; a long history formats thousands of
 * times).
 *
 * @param {string} locale
 * @param {Intl.DateTimeFormatOptions} options
 */
function dateTimeFormat(locale, options) {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    formats.set(key, format);
  }
  return format;
}

/** @type {Map<string, boolean>} */
const validZones = new Map();

/**
 * `timeZone` when Intl knows it, else `"UTC"`.
 *
 * @param {string | null | undefined} timeZone
 * @returns {string}
 */
export function safeTimeZone(timeZone) {
  if (typeof timeZone !== "string" || timeZone === "") return "UTC";
  let ok = validZones.get(timeZone);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat("en", { timeZone });
      ok = true;
    } catch {
      ok = false;
    }
    validZones.set(timeZone, ok);
  }
  return ok ? timeZone : "UTC";
}

/**
 * A Date from an RFC 3339 string, a Date or epoch milliseconds.
 *
 * @param {string | number | Date} value
 * @returns {Date}
 * @throws {RangeError} when the value is not a valid time
 */
export function toDate(value) {
  const date = value instanceof Date ? new Date(value.getTime()) : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a valid time: ${String(value)}`);
  return date;
}

/**
 * The calendar day of an instant in a time zone, as `"YYYY-MM-DD"` (comparable as strings).
 *
 * @param {string | number | Date} value
 * @param {string} timeZone
 * @returns {string}
 */
export function dayKey(value, timeZone) {
  const parts = dateTimeFormat("en-US", {
    timeZone: safeTimeZone(timeZone),
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hourCycle: "h23",
  }).formatToParts(toDate(value));
  /** @param {string} type */
  const get = (type) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year").padStart(4, "0")}-${get("month")}-${get("day")}`;
}

/**
 * Whole calendar days from day key `a` to day key `b` (positive when `b` is later).
 *
 * @param {string} a
 * @param {string} b
 */
export function daysBetween(a, b) {
  return Math.round((keyToUtc(b) - keyToUtc(a)) / 86_400_000);
}

/** @param {string} key */
function keyToUtc(key) {
  const [y, m, d] = key.split("-").map(Number);
  return Date.UTC(y, m - 1, d);
}

/**
 * The zone's offset from UTC at an instant, in milliseconds (São Paulo: -3 h).
 *
 * @param {number} epochMs
 * @param {string} timeZone
 */
export function zoneOffsetMs(epochMs, timeZone) {
  const parts = dateTimeFormat("en-US", {
    timeZone: safeTimeZone(timeZone),
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(epochMs));
  /** @param {string} type */
  const n = (type) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(n("year"), n("month") - 1, n("day"), n("hour"), n("minute"), n("second"));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/**
 * The first instant of a calendar day in a zone, as RFC 3339 UTC — what a date picker's
 * "from" (inclusive) or the day after a "to" (exclusive) means for `GET /audit?from&to`.
 * Where a DST change skips midnight, the day starts at the first minute that exists.
 *
 * @param {string} key `"YYYY-MM-DD"`
 * @param {string} timeZone
 * @returns {string}
 * @throws {RangeError} when `key` is not a date
 */
export function startOfDay(key, timeZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(key);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [NaN, NaN, NaN];
  const guess = Date.UTC(y, mo - 1, d);
  if (!m || Number.isNaN(guess) || new Date(guess).getUTCDate() !== d) throw new RangeError(`not a day: ${key}`);
  let at = guess - zoneOffsetMs(guess, timeZone);
  at = guess - zoneOffsetMs(at, timeZone);
  // Midnight skipped by a DST change (or a first guess on the wrong side of one): step to
  // the first minute of that day.
  while (dayKey(at, timeZone) < key) at += 60_000;
  while (dayKey(at - 60_000, timeZone) === key) at -= 60_000;
  return new Date(at).toISOString();
}

/**
 * The day after a day key (`"2026-12-31"` → `"2027-01-01"`).
 *
 * @param {string} key
 */
export function nextDay(key) {
  const [y, m, d] = key.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10);
}

/**
 * The label of a day separator: "Hoje", "Ontem", else the date ("quarta-feira, 3 de dezembro";
 * the year only when it is not the current one), all in the user's zone.
 *
 * @param {string | number | Date} value an instant of that day
 * @param {{i18n: I18n, timeZone: string, now?: Date | number}} options
 * @returns {string}
 */
export function daySeparatorLabel(value, { i18n, timeZone, now = Date.now() }) {
  const zone = safeTimeZone(timeZone);
  const day = dayKey(value, zone);
  const today = dayKey(now, zone);
  const diff = daysBetween(day, today);
  if (diff === 0) return i18n.t("day.today");
  if (diff === 1) return i18n.t("day.yesterday");
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { timeZone: zone, weekday: "long", day: "numeric", month: "long" };
  if (day.slice(0, 4) !== today.slice(0, 4)) options.year = "numeric";
  return dateTimeFormat(i18n.locale, options).format(toDate(value));
}

/**
 * The time of a message ("14:05" in pt-BR, "2:05 PM" in en).
 *
 * @param {string | number | Date} value
 * @param {{locale: string, timeZone: string}} options
 */
export function formatTime(value, { locale, timeZone }) {
  return dateTimeFormat(locale, { timeZone: safeTimeZone(timeZone), hour: "numeric", minute: "2-digit" }).format(toDate(value));
}

/**
 * A full date and time (audit table, tooltips): "03/12/2026, 14:05:09".
 *
 * @param {string | number | Date} value
 * @param {{locale: string, timeZone: string}} options
 */
export function formatDateTime(value, { locale, timeZone }) {
  return dateTimeFormat(locale, { timeZone: safeTimeZone(timeZone), dateStyle: "short", timeStyle: "medium" }).format(toDate(value));
}

/**
 * A machine-readable instant for `<time datetime>`: the RFC 3339 string itself when valid.
 *
 * @param {string | number | Date} value
 */
export function isoString(value) {
  return toDate(value).toISOString();
}
