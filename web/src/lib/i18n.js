// Strings, plurals and lists by locale. Every user-visible string comes from a catalogue
// (`src/i18n/<locale>.js`); plurals go through `Intl.PluralRules` (with an explicit `zero`
// form used for exactly 0, so "Nenhuma mensagem não lida" is written out), lists through
// `Intl.ListFormat`, numbers through `Intl.NumberFormat`. pt-BR is the default, en the second.

import ptBR from "../i18n/pt-BR.js";
import en from "../i18n/en.js";

/**
 * Plural forms by `Intl.PluralRules` category; `zero` (when present) wins for a count of 0
 * whatever the locale's rules say (pt counts 0 as "one").
 *
 * @typedef {{zero?: string, one?: string, two?: string, few?: string, many?: string, other: string}} PluralMessage
 */
/** @typedef {Record<string, string | PluralMessage>} Catalogue */
/** @typedef {Record<string, string | number>} Params */

export const DEFAULT_LOCALE = "pt-BR";

/** @type {Readonly<Record<string, Catalogue>>} */
export const CATALOGUES = Object.freeze({ "pt-BR": ptBR, en });

/**
 * The supported locale for a requested one (`"pt"`, `"pt-PT"`, `"pt-BR"` → pt-BR; `"en-GB"` →
 * en), trying each of a list in order (e.g. `navigator.languages`); pt-BR when none fits.
 *
 * @param {string | readonly string[] | null | undefined} requested
 * @param {Readonly<Record<string, Catalogue>>} [catalogues]
 * @returns {string}
 */
export function resolveLocale(requested, catalogues = CATALOGUES) {
  const wanted = typeof requested === "string" ? [requested] : Array.isArray(requested) ? requested : [];
  const supported = Object.keys(catalogues);
  for (const raw of wanted) {
    if (typeof raw !== "string" || raw.trim() === "") continue;
    const tag = raw.trim().replace(/_/g, "-").toLowerCase();
    const exact = supported.find((s) => s.toLowerCase() === tag);
    if (exact) return exact;
    const language = tag.split("-")[0];
    const sameLanguage = supported.find((s) => s.toLowerCase().split("-")[0] === language);
    if (sameLanguage) return sameLanguage;
  }
  return DEFAULT_LOCALE in catalogues ? DEFAULT_LOCALE : supported[0];
}

/**
 * @typedef {object} I18n
 * @property {string} locale the resolved locale
 * @property {(key: string, params?: Params) => string} t the string for `key`; a plural entry takes `params.count`
 * @property {(key: string) => boolean} has whether the locale (or the fallback) has `key`
 * @property {(items: readonly string[], type?: "conjunction" | "disjunction" | "unit") => string} list
 * @property {(n: number) => string} number
 * @property {(names: readonly string[]) => string} typing "Ana está digitando…", "" for nobody
 * @property {(action: string) => string} auditAction an audit action in words (the code itself when unknown)
 * @property {(error: {code?: string, retryAfter?: number | null} | null | undefined) => string} errorMessage
 */

/** How many names the typing line spells out before "several people". */
const TYPING_MAX_NAMES = 3;

/**
 * @param {{locale?: string | readonly string[] | null, catalogues?: Readonly<Record<string, Catalogue>>}} [options]
 * @returns {I18n}
 */
export function createI18n(options = {}) {
  const catalogues = options.catalogues ?? CATALOGUES;
  const locale = resolveLocale(options.locale, catalogues);
  const primary = catalogues[locale] ?? {};
  const fallback = catalogues[DEFAULT_LOCALE] ?? {};
  const pluralRules = new Intl.PluralRules(locale);
  const numberFormat = new Intl.NumberFormat(locale);
  /** @type {Map<string, Intl.ListFormat>} */
  const listFormats = new Map();

  /** @param {string} key */
  const lookup = (key) => (Object.hasOwn(primary, key) ? primary[key] : Object.hasOwn(fallback, key) ? fallback[key] : undefined);

  /** @type {I18n["t"]} */
  const t = (key, params = {}) => {
    const entry = lookup(key);
    if (entry === undefined) return key;
    let text;
    if (typeof entry === "string") {
      text = entry;
    } else {
      const count = Number(params.count);
      if (!Number.isFinite(count)) {
        text = entry.other;
      } else if (count === 0 && entry.zero !== undefined) {
        text = entry.zero;
      } else {
        const category = pluralRules.select(count);
        text = entry[category] ?? entry.other;
      }
    }
    return interpolate(text, params, numberFormat);
  };

  /** @type {I18n["list"]} */
  const list = (items, type = "conjunction") => {
    let format = listFormats.get(type);
    if (!format) {
      format = new Intl.ListFormat(locale, { style: "long", type });
      listFormats.set(type, format);
    }
    return format.format(items.map(String));
  };

  return {
    locale,
    t,
    has: (key) => lookup(key) !== undefined,
    list,
    number: (n) => numberFormat.format(n),
    typing(names) {
      const unique = [...new Set(names.filter((n) => typeof n === "string" && n.trim() !== ""))];
      if (unique.length === 0) return "";
      if (unique.length > TYPING_MAX_NAMES) return t("typing.several");
      return t("typing", { count: unique.length, names: list(unique) });
    },
    auditAction(action) {
      const key = `audit.action.${action}`;
      return lookup(key) === undefined ? String(action) : t(key);
    },
    errorMessage(error) {
      const code = error && typeof error.code === "string" ? error.code : "unknown";
      const key = lookup(`error.${code}`) === undefined ? "error.unknown" : `error.${code}`;
      const seconds = error && typeof error.retryAfter === "number" && error.retryAfter > 0 ? error.retryAfter : 1;
      return t(key, { count: seconds });
    },
  };
}

/**
 * Replaces `{name}` with `params.name`; numbers are formatted for the locale. Unknown
 * placeholders stay as they are (a visible bug, never a crash).
 *
 * @param {string} text
 * @param {Params} params
 * @param {Intl.NumberFormat} numberFormat
 */
function interpolate(text, params, numberFormat) {
  return text.replace(/\{([A-Za-z0-9_]+)\}/g, (whole, name) => {
    if (!Object.hasOwn(params, name)) return whole;
    const value = params[name];
    return typeof value === "number" ? numberFormat.format(value) : String(value);
  });
}
