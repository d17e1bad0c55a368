// The audit export's choices, without the DOM: which CSV delimiter a person most likely wants,
// and the options `client.exportAudit` takes for a format.

/**
 * The CSV delimiter a spreadsheet in this locale opens correctly by default. Where the
 * decimal separator is a comma (pt-BR, de, fr…), spreadsheets split CSV on semicolons, so a
 * comma-separated file lands in one column; elsewhere the comma is the norm.
 *
 * @param {string} locale
 * @returns {"comma" | "semicolon"}
 */
export function defaultDelimiter(locale) {
  let decimal = ".";
  try {
    decimal = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === "decimal")?.value ?? ".";
  } catch {
    // An unknown locale: the comma, as RFC 4180 has it.
  }
  return decimal === "," ? "semicolon" : "comma";
}

/**
 * @param {unknown} value
 * @returns {value is "csv" | "jsonl"}
 */
export function isExportFormat(value) {
  return value === "csv" || value === "jsonl";
}

/**
 * The export options for a format and delimiter picked in the page; the delimiter only for
 * CSV, and only one the API knows (anything else falls back to the locale's default).
 *
 * @param {unknown} format
 * @param {unknown} delimiter
 * @param {string} locale
 * @returns {{format: "csv" | "jsonl", delimiter?: "comma" | "semicolon"}}
 */
export function exportChoice(format, delimiter, locale) {
  if (format === "jsonl") return { format: "jsonl" };
  const d = delimiter === "comma" || delimiter === "semicolon" ? delimiter : defaultDelimiter(locale);
  return { format: "csv", delimiter: d };
}
