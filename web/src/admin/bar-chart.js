// <admin-bar-chart>: a bar chart of counts per time bucket, drawn as inline SVG by this file
// alone (document.createElementNS; no library). One or more series side by side per bucket.
// Every bucket is one focusable image with its numbers in words (roving tabindex: Tab enters
// the chart once, ←/→/Home/End move), a tooltip follows the pointer and the focus, and a table
// of the same numbers is always in the DOM for screen readers (visually hidden until "Mostrar
// tabela" shows it to everyone).

import { bandLayout, barHeight, bucketLabel, countAxis, labelIndexes } from "../lib/chart-scale.js";
import { h, s, uid } from "./dom.js";

/** @typedef {import("../lib/i18n.js").I18n} I18n */

/**
 * @typedef {object} ChartData
 * @property {string} title
 * @property {"minute" | "hour" | "day"} bucket
 * @property {{label: string}[]} series
 * @property {{ts: string, values: number[]}[]} rows oldest first
 */

// Drawing units of the viewBox. The width follows the element's own width (redrawn when it
// changes by more than a little), so text keeps its size in a narrow side panel as on a wide
// screen instead of shrinking with the picture.
const DEFAULT_W = 720;
const MIN_W = 300;
const H = 220;
const M = { top: 12, right: 8, bottom: 26, left: 44 };
/** Room for one x-axis label, in drawing units. */
const X_LABEL_ROOM = 110;

export class AdminBarChart extends HTMLElement {
  /** @type {SVGGElement[]} */
  #buckets = [];
  #focused = 0;
  /** @type {HTMLDivElement | null} */
  #tip = null;
  /** @type {string[]} */
  #tipTexts = [];
  /** @type {{x: number, y: number}[]} */
  #tipAt = [];
  /** @type {[ChartData, {i18n: I18n, timeZone: string}] | null} */
  #last = null;
  #drawnWidth = 0;
  #tableShown = false;
  /** @type {ResizeObserver | null} */
  #resize = null;

  connectedCallback() {
    if (this.#resize || typeof ResizeObserver !== "function") return;
    this.#resize = new ResizeObserver(() => {
      const width = this.clientWidth;
      if (this.#last && width > 0 && Math.abs(Math.max(MIN_W, width) - this.#drawnWidth) > 24) this.render(...this.#last);
    });
    this.#resize.observe(this);
  }

  disconnectedCallback() {
    this.#resize?.disconnect();
    this.#resize = null;
  }

  /**
   * Draws (again) the chart and its table.
   *
   * @param {ChartData} data
   * @param {{i18n: I18n, timeZone: string}} o
   */
  render(data, { i18n, timeZone }) {
    this.#last = [data, { i18n, timeZone }];
    const W = this.clientWidth > 0 ? Math.max(MIN_W, Math.round(this.clientWidth)) : DEFAULT_W;
    this.#drawnWidth = W;
    const hadFocus = this.contains(document.activeElement) ? this.#focused : null;
    const locale = i18n.locale;
    const titleId = uid("chart-title");
    const tableId = uid("chart-table");
    const labelOf = (/** @type {string} */ ts, long = false) => bucketLabel(ts, data.bucket, { locale, timeZone, long });
    const max = Math.max(0, ...data.rows.flatMap((r) => r.values));
    const axis = countAxis(max, 4);
    const plotW = W - M.left - M.right;
    const plotH = H - M.top - M.bottom;
    const layout = bandLayout(data.rows.length, plotW, { groups: data.series.length, gap: data.rows.length > 40 ? 0.15 : 0.25 });
    const y = (/** @type {number} */ v) => M.top + plotH - (v / axis.top) * plotH;

    const grid = s("g", { class: "chart-grid", "aria-hidden": "true" });
    for (const tick of axis.ticks) {
      grid.append(
        s("line", { x1: M.left, x2: W - M.right, y1: y(tick), y2: y(tick), class: tick === 0 ? "chart-baseline" : "chart-gridline" }),
        s("text", { x: M.left - 6, y: y(tick), class: "chart-tick", "text-anchor": "end", "dominant-baseline": "middle", text: i18n.number(tick) }),
      );
    }
    const xLabels = s("g", { class: "chart-x", "aria-hidden": "true" });
    for (const i of labelIndexes(data.rows.length, Math.max(2, Math.floor((W - M.left - M.right) / X_LABEL_ROOM)))) {
      xLabels.append(
        s("text", { x: M.left + layout.bandX(i) + layout.band / 2, y: H - 8, class: "chart-tick", "text-anchor": "middle", text: labelOf(data.rows[i].ts) }),
      );
    }

    this.#buckets = [];
    this.#tipTexts = [];
    this.#tipAt = [];
    const bars = s("g", { class: "chart-bars" });
    data.rows.forEach((row, i) => {
      const words = `${labelOf(row.ts, true)} — ${data.series.map((se, g) => `${se.label}: ${i18n.number(row.values[g] ?? 0)}`).join(", ")}`;
      const bucket = s("g", { class: "chart-bucket", role: "img", "aria-label": words, tabindex: -1, "data-index": i });
      bucket.append(s("rect", { class: "chart-hit", x: M.left + layout.bandX(i), y: M.top, width: layout.band, height: plotH }));
      let top = M.top + plotH;
      row.values.forEach((v, g) => {
        const bh = barHeight(v, axis.top, plotH);
        top = Math.min(top, M.top + plotH - bh);
        bucket.append(s("rect", { class: `chart-bar series-${g}`, x: M.left + layout.barX(i, g), y: M.top + plotH - bh, width: Math.max(1, layout.bar - 1), height: bh }));
      });
      bucket.addEventListener("pointerenter", () => this.#showTip(i));
      bucket.addEventListener("pointerleave", () => this.#hideTip());
      bucket.addEventListener("focus", () => {
        this.#rove(i);
        this.#showTip(i);
      });
      bucket.addEventListener("blur", () => this.#hideTip());
      bars.append(bucket);
      this.#buckets.push(bucket);
      this.#tipTexts.push(words);
      this.#tipAt.push({ x: (M.left + layout.bandX(i) + layout.band / 2) / W, y: top / H });
    });
    this.#focused = hadFocus !== null && hadFocus < data.rows.length ? hadFocus : Math.max(0, data.rows.length - 1);
    this.#buckets[this.#focused]?.setAttribute("tabindex", "0");
    bars.addEventListener("keydown", (e) => this.#onKey(e));

    const svg = s("svg", { class: "chart-svg", viewBox: `0 0 ${W} ${H}`, role: "group", "aria-labelledby": titleId }, [grid, bars, xLabels]);
    this.#tip = h("div", { class: "chart-tooltip", "aria-hidden": "true", hidden: true });

    const legend =
      data.series.length > 1
        ? h(
            "ul",
            { class: "chart-legend", "aria-hidden": "true" },
            data.series.map((se, g) => h("li", {}, [h("span", { class: `chart-swatch series-${g}` }), se.label])),
          )
        : null;

    const table = h("table", { id: tableId, class: this.#tableShown ? "chart-table" : "chart-table visually-hidden" }, [
      h("caption", { text: data.title }),
      h("thead", {}, [h("tr", {}, [h("th", { scope: "col", text: i18n.t(data.bucket === "day" ? "stats.day" : "stats.time") }), ...data.series.map((se) => h("th", { scope: "col", text: se.label }))])]),
      h(
        "tbody",
        {},
        data.rows.map((row) =>
          h("tr", { "data-ts": row.ts }, [
            h("th", { scope: "row", text: labelOf(row.ts, true) }),
            ...data.series.map((_, g) => h("td", { "data-value": row.values[g] ?? 0, text: i18n.number(row.values[g] ?? 0) })),
          ]),
        ),
      ),
    ]);
    const toggle = h("button", { type: "button", class: "button link chart-toggle", "aria-pressed": String(this.#tableShown), "aria-controls": tableId, text: i18n.t("stats.showTable") });
    toggle.addEventListener("click", () => {
      this.#tableShown = !this.#tableShown;
      toggle.setAttribute("aria-pressed", String(this.#tableShown));
      table.classList.toggle("visually-hidden", !this.#tableShown);
    });

    this.classList.add("chart");
    this.replaceChildren(
      h("h3", { id: titleId, class: "chart-title", text: data.title }),
      legend ?? "",
      h("div", { class: "chart-plot" }, [svg, this.#tip]),
      toggle,
      table,
    );
    if (hadFocus !== null) this.#buckets[this.#focused]?.focus();
  }

  /** @param {number} i */
  #rove(i) {
    if (this.#focused === i) return;
    this.#buckets[this.#focused]?.setAttribute("tabindex", "-1");
    this.#focused = i;
    this.#buckets[i]?.setAttribute("tabindex", "0");
  }

  /** @param {KeyboardEvent} e */
  #onKey(e) {
    const n = this.#buckets.length;
    if (n === 0) return;
    /** @type {Record<string, number>} */
    const moves = { ArrowRight: this.#focused + 1, ArrowLeft: this.#focused - 1, Home: 0, End: n - 1 };
    if (!(e.key in moves)) {
      if (e.key === "Escape") this.#hideTip();
      return;
    }
    e.preventDefault();
    const next = Math.min(n - 1, Math.max(0, moves[e.key]));
    this.#rove(next);
    this.#buckets[next].focus();
  }

  /** @param {number} i */
  #showTip(i) {
    const tip = this.#tip;
    const at = this.#tipAt[i];
    if (!tip || !at) return;
    tip.textContent = this.#tipTexts[i];
    // Geometry only (CSSOM writes are allowed by the CSP; the rules live in admin.css).
    tip.style.setProperty("--tip-x", `${(at.x * 100).toFixed(2)}%`);
    tip.style.setProperty("--tip-y", `${(at.y * 100).toFixed(2)}%`);
    // Near an edge the tooltip grows inwards instead of being cut off.
    tip.classList.toggle("tip-start", at.x < 0.2);
    tip.classList.toggle("tip-end", at.x > 0.8);
    tip.hidden = false;
  }

  #hideTip() {
    if (this.#tip) this.#tip.hidden = true;
  }
}

customElements.define("admin-bar-chart", AdminBarChart);
