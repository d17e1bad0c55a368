// The chat page (/embed) in a real browser against the real server: two users live, a failed
// send and its retry across a restart, reconnect without loss, permissions in the UI, a
// keyboard-only walk, axe-core in light and dark with the dialogs open, and no CSP violation.

import test from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, openInstance, axeCheck, collectCspViolations, screenshot } from "./harness.js";
import { ADA, ALICE, BOB, FAST_ENV, allMessages, call, feedTexts, openRoom, roomByName, until } from "./chat-helpers.js";

/** @typedef {import("playwright-core").Frame} Frame */

/** The product's first language, in the zone of its first users. */
const PT = { locale: "pt-BR", timeZone: "America/Sao_Paulo" };

/** @param {Frame} frame */
const active = (frame) => frame.evaluate(() => {
  const el = document.activeElement;
  return el ? { tag: el.tagName, room: el.getAttribute("data-room-id"), action: el.getAttribute("data-action"), text: el.textContent ?? "" } : null;
});

test("two users: live delivery under 1 s, typing, presence, badges, one reconciled message", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const alice = await openInstance(browser, server, { ...ALICE, ...PT });
    const bob = await openInstance(browser, server, { ...BOB, ...PT });
    const csp = [collectCspViolations(alice.page), collectCspViolations(bob.page)];
    await openRoom(alice.frame, "General");
    await openRoom(bob.frame, "General");

    // Presence: Alice sees Bob online in her DM entry (text alternative of the dot).
    await until(async () => (await alice.frame.textContent('chat-room-list button[data-room-name="Bob Agent"]'))?.includes("Online"), 5000, "Bob online");

    // Typing, both ways through the real server.
    await bob.frame.click("chat-composer textarea");
    await bob.page.keyboard.type("já vou");
    await alice.frame.waitForSelector('.typing-line:has-text("Bob Agent está digitando…")', { timeout: 3000 });
    await bob.frame.fill("chat-composer textarea", "");

    // Alice sends; Bob sees it within a second.
    const text = `olá ${Date.now()}`;
    await alice.frame.click("chat-composer textarea");
    await alice.page.keyboard.type(text);
    const sentAt = Date.now();
    await alice.page.keyboard.press("Enter");
    await bob.frame.waitForSelector(`[role=feed] article:has-text("${text}")`, { timeout: 1000 });
    const latency = Date.now() - sentAt;
    assert.ok(latency < 1000, `delivered in ${latency} ms`);
    // Bob's live region announces it; Alice's does not announce her own message.
    await until(async () => (await bob.frame.textContent('[aria-live="polite"]'))?.includes(text), 2000, "announcement");
    assert.ok(!(await alice.frame.textContent('[aria-live="polite"]'))?.includes(text));

    // The optimistic copy was replaced exactly once: one article, nothing pending.
    await alice.frame.waitForSelector("[role=feed] article.pending", { state: "detached", timeout: 3000 });
    assert.equal((await feedTexts(alice.frame)).filter((t) => t === text).length, 1);
    assert.equal(await alice.frame.locator("[role=feed] article.failed").count(), 0);
    const general = await roomByName(server, "General");
    assert.equal((await allMessages(server, ADA, general)).filter((m) => m.content === text).length, 1);

    // Badges: Bob writes in the DM while Alice is in General.
    await bob.frame.click('chat-room-list button[data-room-name="Alice Agent"]');
    await bob.frame.waitForSelector('#room-title:text-is("Alice Agent")');
    await bob.frame.click("chat-composer textarea");
    await bob.page.keyboard.type("pode ver o ticket?");
    await bob.page.keyboard.press("Enter");
    const dmButton = alice.frame.locator('chat-room-list button[data-room-name="Bob Agent"]');
    await until(async () => (await dmButton.getAttribute("class"))?.includes("unread"), 2000, "unread badge");
    assert.match((await dmButton.textContent()) ?? "", /1 mensagem não lida/);
    // The host heard of it over the port: chat:notification (a DM) and chat:unread.
    await alice.page.waitForSelector('.hub-toast:has-text("Mensagem direta de Bob Agent: pode ver o ticket?")', { timeout: 2000 });
    await until(async () => Number(await alice.page.textContent(".hub-badge")) >= 1, 2000, "the host's unread badge");
    await dmButton.click();
    await alice.frame.waitForSelector('[role=feed] article:has-text("pode ver o ticket?")');
    await until(async () => !(await dmButton.getAttribute("class"))?.includes("unread"), 3000, "badge cleared when read");
    const unread = await call(server, ALICE, "GET", "/unread");
    assert.equal(unread.rooms.find((/** @type {any} */ r) => r.room_id !== general)?.unread_count ?? 0, 0);

    await screenshot(alice.page, "chat-alice");
    await screenshot(bob.page, "chat-bob");
    for (const list of csp) assert.deepEqual(list, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("a send that fails while the server is down shows the retry; the retry after restart stores one message", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const alice = await openInstance(browser, server, { ...ALICE, ...PT });
    await openRoom(alice.frame, "General");
    await server.stop();
    const text = `enviada depois ${Date.now()}`;
    await alice.frame.click("chat-composer textarea");
    await alice.page.keyboard.type(text);
    await alice.page.keyboard.press("Enter");
    const retry = alice.frame.locator('[role=feed] article.failed button[data-action="retry"]');
    await retry.waitFor({ timeout: 10_000 });
    assert.equal(await retry.textContent(), "Não enviada — Tentar novamente");
    await screenshot(alice.page, "chat-failed-send");
    await server.restart();
    await retry.click();
    await alice.frame.waitForSelector("[role=feed] article.failed, [role=feed] article.pending", { state: "detached", timeout: 10_000 });
    await alice.frame.waitForSelector(`[role=feed] article[data-message-id]:has-text("${text}")`);
    // A second click on an old retry cannot resend: the message is confirmed.
    const general = await roomByName(server, "General");
    const stored = (await allMessages(server, ADA, general)).filter((m) => m.content === text);
    assert.equal(stored.length, 1, "exactly one message stored");
    assert.equal((await feedTexts(alice.frame)).filter((t) => t === text).length, 1);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("reconnect across a restart: messages sent meanwhile appear once each, in order", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const alice = await openInstance(browser, server, { ...ALICE, ...PT });
    await openRoom(alice.frame, "General");
    const general = await roomByName(server, "General");
    await call(server, BOB, "POST", `/rooms/${general}/messages`, { content: "antes 1", client_id: "before-1" });
    await alice.frame.waitForSelector('[role=feed] article:has-text("antes 1")');
    await server.stop();
    await alice.frame.waitForSelector('.connection-status:has-text("Reconectando…")', { timeout: 10_000 });
    await screenshot(alice.page, "chat-reconnecting");
    await server.restart();
    const sent = [];
    for (let i = 1; i <= 5; i += 1) {
      const content = `durante ${i}`;
      sent.push(content);
      await call(server, BOB, "POST", `/rooms/${general}/messages`, { content, client_id: `during-${i}` });
    }
    await until(async () => (await feedTexts(alice.frame)).includes("durante 5"), 40_000, "the messages after the restart");
    await alice.frame.waitForSelector(".connection-status", { state: "hidden", timeout: 10_000 });
    await call(server, BOB, "POST", `/rooms/${general}/messages`, { content: "depois", client_id: "after-1" });
    await until(async () => (await feedTexts(alice.frame)).includes("depois"), 5000, "live again");
    const texts = await feedTexts(alice.frame);
    const shown = texts.filter((t) => t.startsWith("durante ") || t === "antes 1" || t === "depois");
    assert.deepEqual(shown, ["antes 1", ...sent, "depois"], "each once, in order");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("permissions in the UI match the API: agents get no Nova sala; menus by role", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const room = await call(server, ADA, "POST", "/rooms", { type: "room", name: "Moderada", member_ids: [ALICE.userId] });
    await call(server, ADA, "POST", `/rooms/${room.id}/members`, { user_ids: [BOB.userId], role: "moderator" });

    const alice = await openInstance(browser, server, { ...ALICE, ...PT });
    await alice.frame.waitForSelector("chat-room-list button[data-room-id]");
    assert.equal(await alice.frame.isVisible('button[data-action="new-room"]'), false, "an agent sees no Nova sala");
    assert.equal(await alice.frame.isVisible('button[data-action="new-dm"]'), true);
    // The API refuses anyway.
    const refused = await server.api(await server.token(ALICE), "POST", "/rooms", { type: "room", name: "x" });
    assert.equal(refused.status, 403);
    await openRoom(alice.frame, "Moderada");
    await alice.frame.click('button[data-action="room-menu"]');
    assert.equal(await alice.frame.locator('dialog[open] button[data-action="leave"]').count(), 1);
    assert.equal(await alice.frame.locator('dialog[open] button[data-action="rename"]').count(), 0);
    assert.equal(await alice.frame.locator('dialog[open] button[data-action="archive"]').count(), 0);
    await alice.page.keyboard.press("Escape");

    const bob = await openInstance(browser, server, { ...BOB, ...PT });
    await bob.frame.waitForSelector("chat-room-list button[data-room-id]");
    await openRoom(bob.frame, "Moderada");
    await bob.frame.click('button[data-action="room-menu"]');
    assert.equal(await bob.frame.locator('dialog[open] button[data-action="rename"]').count(), 1, "a moderator renames");
    assert.equal(await bob.frame.locator("dialog[open] .member-list li").count(), 3, "and manages members");
    assert.equal(await bob.frame.locator('dialog[open] button[data-action="archive"]').count(), 0, "but does not archive");
    await screenshot(bob.page, "chat-room-menu-moderator");

    const ada = await openInstance(browser, server, { ...ADA, ...PT });
    await ada.frame.waitForSelector("chat-room-list button[data-room-id]");
    assert.equal(await ada.frame.isVisible('button[data-action="new-room"]'), true, "an admin sees Nova sala");
    await openRoom(ada.frame, "Moderada");
    await ada.frame.click('button[data-action="room-menu"]');
    assert.equal(await ada.frame.locator('dialog[open] button[data-action="archive"]').count(), 1);
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("presence: away while the page is hidden, online again when it is back", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const alice = await openInstance(browser, server, { ...ALICE, ...PT });
    const bob = await openInstance(browser, server, { ...BOB, ...PT });
    await bob.frame.waitForSelector("chat-room-list button[data-room-id]");
    const entry = bob.frame.locator('chat-room-list button[data-room-name="Alice Agent"]');
    await until(async () => (await entry.textContent())?.includes("Online"), 5000, "Alice online");
    /** @param {boolean} hidden */
    const setHidden = (hidden) =>
      alice.frame.evaluate((h) => {
        Object.defineProperty(document, "hidden", { value: h, configurable: true });
        Object.defineProperty(document, "visibilityState", { value: h ? "hidden" : "visible", configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
      }, hidden);
    await setHidden(true);
    await until(async () => (await entry.textContent())?.includes("Ausente"), 5000, "Alice away");
    assert.match((await entry.locator(".presence-dot").getAttribute("class")) ?? "", /away/);
    await setHidden(false);
    await until(async () => (await entry.textContent())?.includes("Online"), 5000, "Alice online again");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("notifications: a mention opens its room at the message; Marcar todas como lidas", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const general = await roomByName(server, "General");
    // Enough history that the mention is not simply at the bottom.
    for (let i = 0; i < 80; i += 1) await call(server, BOB, "POST", `/rooms/${general}/messages`, { content: `antes ${i}`, client_id: `n-before-${i}` });
    const mention = await call(server, BOB, "POST", `/rooms/${general}/messages`, { content: "@Alice Agent veja isto", client_id: "n-mention", mentions: [ALICE.userId], message_type: "mention" });
    for (let i = 0; i < 80; i += 1) await call(server, BOB, "POST", `/rooms/${general}/messages`, { content: `depois ${i}`, client_id: `n-after-${i}` });
    await call(server, BOB, "POST", `/rooms/${(await call(server, ALICE, "GET", "/rooms")).items.find((/** @type {any} */ r) => r.type === "dm").id}/messages`, { content: "mensagem direta", client_id: "n-dm" });

    const { page, frame } = await openInstance(browser, server, { ...ALICE, ...PT });
    await openRoom(frame, "Bob Agent");
    await frame.click('button[data-action="notifications"]');
    const items = frame.locator("dialog[open] .notification");
    await until(async () => (await items.count()) >= 2, 3000, "two notifications");
    const texts = await items.allTextContents();
    assert.ok(texts.some((t) => t.includes("mencionou você em General") || t.includes("mencionado em General")), texts.join(" | "));
    await screenshot(page, "chat-notifications-open");
    await frame.click(`dialog[open] .notification:has-text("General")`);
    await frame.waitForSelector('#room-title:text-is("General")');
    const target = frame.locator(`chat-history article[data-message-id="${mention.id}"]`);
    await target.waitFor();
    assert.match((await target.getAttribute("class")) ?? "", /highlight/);
    assert.match((await target.getAttribute("class")) ?? "", /mentions-me/);
    const visible = await target.evaluate((el) => {
      const box = /** @type {HTMLElement} */ (el.closest(".history-scroller")).getBoundingClientRect();
      const r = el.getBoundingClientRect();
      return r.top >= box.top && r.bottom <= box.bottom;
    });
    assert.ok(visible, "the mentioned message is on screen");
    await frame.click('button[data-action="notifications"]');
    await frame.click('dialog[open] button[data-action="mark-all"]');
    await frame.waitForSelector('dialog[open] button[data-action="mark-all"]:disabled');
    const left = await call(server, ALICE, "GET", "/notifications?unread_only=true");
    assert.equal(left.items.length, 0, "every notification read on the server");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("keyboard only: change room, send, edit with ↑, cancel with Esc, delete with a confirmation", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const alice = await openInstance(browser, server, { ...ALICE, ...PT });
    const { page, frame } = alice;
    await frame.waitForSelector('[role=feed][aria-busy="false"]', { state: "attached" });
    // Tab from the host page into the frame until a room button has focus.
    for (let i = 0; i < 12 && !(await active(frame))?.room; i += 1) await page.keyboard.press("Tab");
    const first = await active(frame);
    assert.ok(first?.room, "a room button is reachable with Tab");
    // Roving focus: ↓ moves to the next room, Enter opens it.
    await page.keyboard.press("ArrowDown");
    const second = await active(frame);
    assert.ok(second?.room && second.room !== first.room, "↓ moves focus to the next room");
    await page.keyboard.press("Enter");
    await until(async () => (await frame.getAttribute(`button[data-room-id="${second.room}"]`, "aria-current")) === "page", 3000, "room opened");
    // Tab on to the composer.
    for (let i = 0; i < 8 && (await active(frame))?.tag !== "TEXTAREA"; i += 1) await page.keyboard.press("Tab");
    assert.equal((await active(frame))?.tag, "TEXTAREA");
    await page.keyboard.type("pelo teclado");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("segunda linha");
    await page.keyboard.press("Enter");
    await frame.waitForSelector('[role=feed] article[data-message-id]:has-text("segunda linha")');
    assert.ok((await feedTexts(frame)).includes("pelo teclado\nsegunda linha"), "Shift+Enter breaks the line");
    // ↑ in the empty composer edits the last own message; Esc cancels.
    await page.keyboard.press("ArrowUp");
    await frame.waitForSelector(".editing-banner", { state: "visible" });
    await page.keyboard.press("Escape");
    await frame.waitForSelector(".editing-banner", { state: "hidden" });
    assert.equal(await frame.inputValue("chat-composer textarea"), "");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("editada pelo teclado");
    await page.keyboard.press("Enter");
    await frame.waitForSelector('[role=feed] article:has-text("editada pelo teclado") .edited');
    // Into the feed: Shift+Tab reaches the newest article; Tab its Editar, then Apagar.
    for (let i = 0; i < 6 && (await active(frame))?.tag !== "ARTICLE"; i += 1) await page.keyboard.press("Shift+Tab");
    assert.equal((await active(frame))?.tag, "ARTICLE");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert.equal((await active(frame))?.action, "delete");
    await page.keyboard.press("Enter");
    await frame.waitForSelector("dialog[open]");
    assert.equal((await active(frame))?.action, "cancel", "the dialog opens on Cancelar");
    // Focus stays in the dialog.
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    assert.equal(await frame.evaluate(() => Boolean(document.activeElement?.closest("dialog"))), true, "focus trapped in the dialog");
    await page.keyboard.press("Escape");
    await frame.waitForSelector("dialog", { state: "detached" });
    assert.equal((await active(frame))?.action, "delete", "focus restored to Apagar");
    await page.keyboard.press("Enter");
    await frame.waitForSelector("dialog[open]");
    await page.keyboard.press("Tab");
    assert.equal((await active(frame))?.action, "confirm");
    await page.keyboard.press("Enter");
    await frame.waitForSelector('[role=feed] article.deleted:has-text("Mensagem apagada")');
    // Alt+↑ changes room from anywhere.
    const before = await frame.textContent("#room-title");
    await frame.focus("chat-composer textarea");
    await page.keyboard.press("Alt+ArrowUp");
    await until(async () => (await frame.textContent("#room-title")) !== before, 3000, "Alt+↑ changed room");
    await screenshot(page, "chat-keyboard");
  } finally {
    await browser.close();
    await server.stop();
  }
});

test("accessibility: no WCAG 2.2 A/AA violation on the chat and its dialogs, light and dark; no CSP violation", async () => {
  const server = await startServer({ env: FAST_ENV });
  const browser = await launchBrowser();
  try {
    const general = await roomByName(server, "General");
    await call(server, BOB, "POST", `/rooms/${general}/messages`, { content: "@Ada Admin olhe isto", client_id: "a11y-1", mentions: [ADA.userId], message_type: "mention" });
    for (const colorScheme of /** @type {const} */ (["light", "dark"])) {
      const { page, frame, context } = await openInstance(browser, server, { ...ADA, ...PT });
      const csp = collectCspViolations(page);
      await page.emulateMedia({ colorScheme });
      await openRoom(frame, "General");
      await axeCheck(page);
      await screenshot(page, `chat-${colorScheme}`);
      for (const [button, name] of [
        ['button[data-action="room-menu"]', "room-menu"],
        ['button[data-action="new-room"]', "new-room"],
        ['button[data-action="new-dm"]', "new-dm"],
        ['button[data-action="notifications"]', "notifications"],
      ]) {
        await frame.click(button);
        await frame.waitForSelector("dialog[open]");
        await frame.waitForTimeout(300);
        await axeCheck(page);
        await screenshot(page, `chat-${name}-${colorScheme}`);
        await page.keyboard.press("Escape");
        await frame.waitForSelector("dialog", { state: "detached" });
      }
      // The delete confirmation and the mention list.
      await frame.hover("[role=feed] article.own:last-of-type, [role=feed] article:last-of-type");
      await frame.click('[role=feed] article:last-of-type button[data-action="delete"]');
      await frame.waitForSelector("dialog[open]");
      await axeCheck(page);
      await page.keyboard.press("Escape");
      await frame.click("chat-composer textarea");
      await page.keyboard.type("@");
      await frame.waitForSelector(".mention-list:not([hidden])");
      await axeCheck(page);
      await screenshot(page, `chat-mentions-${colorScheme}`);
      assert.deepEqual(csp, [], "no CSP violation");
      await context.close();
    }
  } finally {
    await browser.close();
    await server.stop();
  }
});
