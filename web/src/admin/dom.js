// Small, safe DOM builders for the admin console's elements: text only ever goes in through
// `textContent`, attributes through `setAttribute` (never markup), and no
// inline style (the page's CSP has no 'unsafe-inline').

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * @typedef {Record<string, string | number | boolean | null | undefined>} Attrs
 * `text` sets textContent; `class` the class list; `false`/`null`/`undefined` leave an
 * attribute out, `true` sets it empty.
 */

/**
 * @param {Element} el
 * @param {Attrs} attrs
 */
function apply(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "text") el.textContent = String(value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
}

/**
 * An HTML element.
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {(Node | string | null | undefined | false)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  apply(el, attrs);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * An SVG element (`document.createElementNS`): geometry goes in attributes, not styles.
 *
 * @template {keyof SVGElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {(Node | null | undefined | false)[]} [children]
 * @returns {SVGElementTagNameMap[K]}
 */
export function s(tag, attrs = {}, children = []) {
  const el = /** @type {SVGElementTagNameMap[K]} */ (document.createElementNS(SVG_NS, tag));
  apply(el, attrs);
  for (const child of children) if (child) el.append(child);
  return el;
}

let counter = 0;

/**
 * A document-unique id for `aria-labelledby`, `for` and friends.
 *
 * @param {string} prefix
 */
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * Removes every child (the safe way to clear a node).
 *
 * @param {Element} el
 */
export function clear(el) {
  el.replaceChildren();
}
