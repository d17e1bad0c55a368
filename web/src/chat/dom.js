// Small safe DOM helpers for the chat's elements: text only through `textContent`, attributes
// through `setAttribute`, never HTML parsing (the CSP and the project's rules forbid it).

/**
 * @typedef {Record<string, string | number | boolean | null | undefined>} Attrs
 * `class` sets the class name; `text` sets textContent; booleans add/remove the attribute.
 */

/**
 * Creates an element.
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {(Node | string | null | undefined | false)[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, children = []) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return el;
}

/**
 * @param {Element} el
 * @param {Attrs} attrs
 */
export function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") el.textContent = value === null || value === undefined ? "" : String(value);
    else if (name === "class") el.setAttribute("class", String(value ?? ""));
    else if (value === false || value === null || value === undefined) el.removeAttribute(name);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
}

/** Removes every child. @param {Node} el */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
}

let nextId = 0;
/** A unique element id. @param {string} prefix */
export function uid(prefix) {
  nextId += 1;
  return `${prefix}-${nextId}`;
}

/**
 * Shows a modal `<dialog>`, and when it closes gives focus back to what had it (the browser
 * keeps focus inside a modal dialog while it is open).
 *
 * @param {HTMLDialogElement} dialog
 * @param {HTMLElement | null} [initialFocus]
 */
export function openModal(dialog, initialFocus = null) {
  const previous = /** @type {HTMLElement | null} */ (document.activeElement);
  if (!dialog.isConnected) document.body.append(dialog);
  dialog.addEventListener(
    "close",
    () => {
      dialog.remove();
      if (previous && previous.isConnected) previous.focus();
      else document.querySelector("chat-room-list")?.querySelector("button")?.focus();
    },
    { once: true },
  );
  // A modal dialog makes the rest of this document inert, but inside a frame Tab would still
  // leave for the host page: wrap it around the dialog's own controls.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const items = focusables(dialog);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    const at = document.activeElement;
    if (event.shiftKey && (at === first || !dialog.contains(at))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (at === last || !dialog.contains(at))) {
      event.preventDefault();
      first.focus();
    }
  });
  dialog.showModal();
  if (initialFocus) initialFocus.focus();
}

/**
 * The controls of a container that Tab reaches, in order.
 *
 * @param {HTMLElement} root
 * @returns {HTMLElement[]}
 */
export function focusables(root) {
  const selector = 'button, input, select, textarea, a[href], [tabindex]:not([tabindex="-1"])';
  return /** @type {HTMLElement[]} */ ([...root.querySelectorAll(selector)]).filter(
    (el) => !(/** @type {HTMLButtonElement} */ (el).disabled) && el.tabIndex >= 0 && el.getClientRects().length > 0,
  );
}
