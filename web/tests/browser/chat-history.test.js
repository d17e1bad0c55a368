// The history in a real browser: a room of 10,000 messages opens at the first unread under
// "Novas mensagens"; paging up keeps the message the reader looks at in place (measured with
// its bounding rect); the DOM stays bounded after 2,000 messages of scrolling; day separators
// and times follow the given time zone.

import test from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { startServer, launchBrowser, openInstance, screenshot } from "./harness.js";
import { ADA, ALICE, BOB, FAST_ENV, call, openRoom, seed } from "./chat-helpers.js";

/** @typedef {import("playwright-core").Frame} Frame */

/** Smallest and largest `seq` in the feed, and how many articles it holds. @param {Frame} frame */
const window_ = (frame) =>
  frame.$$eval("chat-history article[data-seq]", (els) => {
    const seqs = els.map((e) => Number(e.getAttribute("data-seq")));
    return { min: Math.min(...seqs), max: Math.max(...seqs), count: els.length, nodes: document.querySelector("chat-history [role=feed]")?.getElementsByTagName("*").length ?? 0 };
  });

/**
 * Scrolls the history to (near) its top and returns the first article then on screen with its
 * position — measured synchronously, before the older page can arrive.
 *
 * @param {Frame} frame
 */
const scrollTopAndMeasure = (frame) =>
  frame.evaluate(() => {
    const s = /** @type {HTMLElement} */ (document.querySelector("chat-history .history-scroller"));
    s.scrollTop = 0;
    const top = s.getBoundingClientRect().top;
    for (const a of s.querySelectorAll("article[data-seq]")) {
      const r = a.getBoundingClientRect();
      if (r.bottom > top) return { seq: Number(a.getAttribute("data-seq")), top: r.top };
    }
    return null;
  });

/** @param {Frame} frame @param {number} seq */
const topOf = (frame, seq) => frame.evaluate((n) => document.querySelector(`chat-history article[data-seq="${n}"]`)?.getBoundingClientRect().top ?? null, seq);

test("a room of 10,000 messages: first unread, anchored paging, bounded DOM", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const room = await call(server, ADA, "POST", "/rooms", { type: "room", name: "Grande", member_ids: [ALICE.userId, BOB.userId] });
    const started = Date.now();
    await seed(server, ALICE, room.id, 10_000, (i) => `mensagem ${i + 1}`);
    console.log(`seeded 10,000 messages in ${Date.now() - started} ms`);
    // Bob has read up to seq 9,000.
    let page = await call(server, BOB, "GET", `/rooms/${room.id}/messages?limit=100`);
    while (!page.items.some((/** @type {any} */ m) => m.seq === 9000)) page = await call(server, BOB, "GET", `/rooms/${room.id}/messages?limit=100&cursor=${encodeURIComponent(page.next_cursor)}`);
    const read = page.items.find((/** @type {any} */ m) => m.seq === 9000);
    await call(server, BOB, "POST", `/rooms/${room.id}/read`, { message_id: read.id });

    const { page: host, frame } = await openInstance(browser, server, { ...BOB, locale: "pt-BR", timeZone: "America/Sao_Paulo" });
    await frame.waitForSelector("chat-room-list button[data-room-id]");
    await openRoom(frame, "Grande");

    // Opens at the first unread: the line, then seq 9,001, both on screen.
    const opening = await frame.evaluate(() => {
      const s = /** @type {HTMLElement} */ (document.querySelector("chat-history .history-scroller"));
      const line = document.querySelector("chat-history .unread-line");
      const next = line?.nextElementSibling?.tagName === "ARTICLE" ? line.nextElementSibling : line?.nextElementSibling?.nextElementSibling;
      const box = s.getBoundingClientRect();
      const visible = (/** @type {Element | null | undefined} */ el) => {
        const r = el?.getBoundingClientRect();
        return Boolean(r && r.top >= box.top - 1 && r.bottom <= box.bottom + 1);
      };
      return { text: line?.textContent, nextSeq: Number(next?.getAttribute("data-seq")), lineVisible: visible(line), nextVisible: visible(next) };
    });
    assert.equal(opening.text, "Novas mensagens");
    assert.equal(opening.nextSeq, 9001);
    assert.ok(opening.lineVisible && opening.nextVisible, "the line and the first unread are on screen");
    await screenshot(host, "history-first-unread");

    // Paging up keeps the visible message in place.
    let shifts = 0;
    for (let i = 0; i < 3; i += 1) {
      const before = await window_(frame);
      const anchor = await scrollTopAndMeasure(frame);
      assert.ok(anchor);
      await frame.waitForFunction((min) => {
        const seqs = [...document.querySelectorAll("chat-history article[data-seq]")].map((e) => Number(e.getAttribute("data-seq")));
        return Math.min(...seqs) < min;
      }, before.min);
      await frame.waitForTimeout(50);
      const after = await topOf(frame, anchor.seq);
      assert.ok(after !== null, "the anchor is still in the DOM");
      assert.ok(Math.abs(after - anchor.top) <= 2, `message ${anchor.seq} moved by ${after - anchor.top}px while paging up`);
      shifts += 1;
    }
    assert.equal(shifts, 3);

    // 2,000 messages further up, the DOM is still bounded.
    const start = await window_(frame);
    let most = start.count;
    let mostNodes = start.nodes;
    for (let guard = 0; guard < 200; guard += 1) {
      const now = await window_(frame);
      most = Math.max(most, now.count);
      mostNodes = Math.max(mostNodes, now.nodes);
      if (now.min <= start.min - 2000) break;
      await scrollTopAndMeasure(frame);
      await frame.waitForFunction((min) => {
        const seqs = [...document.querySelectorAll("chat-history article[data-seq]")].map((e) => Number(e.getAttribute("data-seq")));
        return Math.min(...seqs) < min;
      }, now.min);
    }
    const end = await window_(frame);
    assert.ok(end.min <= start.min - 2000, `scrolled from ${start.min} to ${end.min}`);
    assert.ok(most <= 300, `at most 300 articles in the DOM (saw ${most})`);
    assert.ok(mostNodes <= 300 * 12, `feed nodes bounded (saw ${mostNodes})`);
    console.log(`articles at most ${most}, feed nodes at most ${mostNodes}`);
    await screenshot(host, "history-scrolled-up");

    // Far up, new messages from others add up in the button; it brings the newest back.
    for (const i of [1, 2]) await call(server, ALICE, "POST", `/rooms/${room.id}/messages`, { content: `nova ${i}`, client_id: `late-${i}` });
    const button = frame.locator("chat-history .new-messages");
    await frame.waitForSelector('chat-history .new-messages:has-text("2 novas mensagens")', { timeout: 3000 });
    await button.click();
    await frame.waitForSelector('chat-history article[data-seq="10002"]');
    const last = await window_(frame);
    assert.equal(last.max, 10002);
    assert.ok(last.count <= 300);
    assert.equal(await button.isVisible(), false, "the button goes once the newest are on screen");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("day separators and times in the host's time zone", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const zone = "Asia/Tokyo";
    const room = await call(server, ADA, "POST", "/rooms", { type: "room", name: "Dias", member_ids: [ALICE.userId] });
    for (const [i, content] of ["três dias atrás", "ontem", "hoje cedo", "agora"].entries()) {
      await call(server, ADA, "POST", `/rooms/${room.id}/messages`, { content, client_id: `day-${i}` });
    }
    // Move the first three back in time (the API cannot): 72 h ago, 24 h ago, and 00:30 today in
    // Tokyo — which is still "yesterday" in UTC, so only a zone-aware page calls it today.
    const now = Date.now();
    const tokyoToday = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(now);
    const early = Date.parse(`${tokyoToday}T00:30:00+09:00`);
    const times = [now - 72 * 3600_000, now - 24 * 3600_000, Math.min(early, now - 1000)];
    await server.stop();
    const hex = room.id.replace(/-/g, "");
    const script = `import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\n${times.map((t, i) => `c.execute("UPDATE internal_chat_messages SET created_at=? WHERE room_id=x'${hex}' AND seq=?", (${Math.round(t)}, ${i + 1}))`).join("\n")}\nc.commit()`;
    execFileSync("python3", ["-c", script, server.dbPath]);
    await server.restart();

    const { page, frame } = await openInstance(browser, server, { ...ALICE, locale: "pt-BR", timeZone: zone });
    await frame.waitForSelector("chat-room-list button[data-room-id]");
    await openRoom(frame, "Dias");
    await frame.waitForSelector('chat-history article:has-text("agora")');
    const rows = await frame.$$eval("chat-history [role=feed] > *", (els) => els.map((e) => (e.classList.contains("day-separator") ? `day:${e.textContent}` : e.classList.contains("unread-line") ? "unread" : (e.querySelector(".message-text")?.textContent ?? ""))));
    const dateLabel = new Intl.DateTimeFormat("pt-BR", { timeZone: zone, weekday: "long", day: "numeric", month: "long" }).format(times[0]);
    const sameDayAsNow = new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(times[2]) === tokyoToday;
    // Alice has read nothing: "Novas mensagens" comes before the first message.
    assert.deepEqual(rows, [`day:${dateLabel}`, "unread", "três dias atrás", "day:Ontem", "ontem", ...(sameDayAsNow ? ["day:Hoje"] : []), "hoje cedo", ...(sameDayAsNow ? [] : ["day:Hoje"]), "agora"]);
    // Times are Tokyo's.
    const shown = await frame.$eval('chat-history article:has-text("ontem") time', (t) => t.textContent);
    assert.equal(shown, new Intl.DateTimeFormat("pt-BR", { timeZone: zone, hour: "numeric", minute: "2-digit" }).format(times[1]));
    await screenshot(page, "history-day-separators");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("live messages keep the DOM bounded, at the bottom and scrolled up", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const dm = (await call(server, ALICE, "GET", "/rooms")).items.find((/** @type {any} */ r) => r.type === "dm").id;
    const { page, frame } = await openInstance(browser, server, { ...BOB, locale: "pt-BR", timeZone: "America/Sao_Paulo" });
    await frame.waitForSelector("chat-room-list button[data-room-id]");
    await openRoom(frame, "Alice Agent");
    await frame.evaluate(() => {
      const s = /** @type {HTMLElement} */ (document.querySelector("chat-history .history-scroller"));
      s.scrollTop = s.scrollHeight;
    });
    /** @param {number} seq */
    const lastSeqShown = (seq) => frame.waitForFunction((n) => Boolean(document.querySelector(`chat-history article[data-seq="${n}"]`)), seq, { timeout: 20_000 });

    // At the bottom: 1,000 arrive; the newest is shown, the oldest went.
    await seed(server, ALICE, dm, 1000, (i) => `ao vivo ${i}`);
    const lastSeq = () => call(server, ALICE, "GET", `/rooms/${dm}/messages?limit=1`).then((p) => p.items[0].seq);
    await lastSeqShown(await lastSeq());
    const atBottom = await window_(frame);
    assert.ok(atBottom.count <= 300, `${atBottom.count} articles at the bottom`);
    assert.equal(atBottom.max, await lastSeq());

    // Scrolled up: 500 more; the reader's place holds, the DOM stays bounded, the button counts.
    const anchor = await frame.evaluate(() => {
      const s = /** @type {HTMLElement} */ (document.querySelector("chat-history .history-scroller"));
      s.scrollTop = Math.floor(s.scrollHeight / 2);
      const top = s.getBoundingClientRect().top;
      for (const a of s.querySelectorAll("article[data-seq]")) {
        const r = a.getBoundingClientRect();
        if (r.bottom > top) return { seq: Number(a.getAttribute("data-seq")), top: r.top };
      }
      return null;
    });
    assert.ok(anchor);
    await seed(server, ALICE, dm, 500, (i) => `mais ${i}`);
    await frame.waitForSelector('chat-history .new-messages:has-text("500 novas mensagens")', { timeout: 20_000 });
    const up = await window_(frame);
    assert.ok(up.count <= 300, `${up.count} articles scrolled up`);
    const now = await topOf(frame, anchor.seq);
    assert.ok(now !== null && Math.abs(now - anchor.top) <= 2, "the reader's place held");
    await screenshot(page, "history-live-scrolled-up");
    await frame.click("chat-history .new-messages");
    await lastSeqShown(await lastSeq());
    assert.ok((await window_(frame)).count <= 300);
  } finally {
    await browser.close();
    await server.stop();
  }
});
