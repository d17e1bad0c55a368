// The admin console (/embed/admin) in a real browser against the real server: what it shows
// is what the API says (audit rows, export files, statistics), its filters survive a reload,
// a supervisor gets no audit tab, room management from the console is audited, and the page
// passes axe (WCAG 2.2 A/AA) in light and dark with no CSP violation.

import test from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { axeCheck, embeddedFrame, launchBrowser, openHostInstance, openInstance, screenshot, startHost, startServer } from "./harness.js";

const ACCOUNT = 1;
const ZONE = "America/Sao_Paulo";
const BASE = `/api/v1/accounts/${ACCOUNT}/chat`;
const ADMIN = { userId: 1, role: /** @type {const} */ ("admin"), name: "Ada Admin" };
const SUPERVISOR = { userId: 2, role: /** @type {const} */ ("supervisor"), name: "Sam Supervisor" };

/**
 * A raw API call (the harness's `api` is not assumed to expose headers or bytes).
 *
 * @param {{origin: string}} server
 * @param {string} token
 * @param {string} method
 * @param {string} path under the account's chat root
 * @param {unknown} [body]
 */
async function call(server, token, method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`${server.origin}${BASE}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const text = new TextDecoder().decode(bytes);
  return { status: response.status, headers: response.headers, bytes, text, json: () => JSON.parse(text) };
}

/**
 * @param {{origin: string}} server
 * @param {string} token
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function ok(server, token, method, path, body) {
  const r = await call(server, token, method, path, body);
  assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${r.text}`);
  return r.text === "" ? null : r.json();
}

/** The calendar day of now in a zone, "YYYY-MM-DD". */
function today(timeZone = ZONE) {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
}

/**
 * The audit rows the page shows, once every actor has its name.
 *
 * @param {import("playwright-core").Frame} frame
 */
async function shownAudit(frame) {
  await frame.waitForFunction(() => {
    const view = document.querySelector("admin-audit");
    if (!view || view.hasAttribute("aria-busy")) return false;
    return [...document.querySelectorAll("admin-audit td.actor")].every((td) => !/\d$/.test(td.textContent ?? ""));
  });
  return frame.locator("admin-audit tr[data-audit-id]").evaluateAll((rows) =>
    rows.map((r) => ({
      id: r.getAttribute("data-audit-id"),
      action: r.querySelector(".action")?.getAttribute("data-action"),
      target: r.querySelector(".target-id")?.textContent,
      requestId: r.querySelector(".request-id")?.textContent,
      actor: r.querySelector(".actor")?.textContent,
      datetime: r.querySelector("time")?.getAttribute("datetime"),
      when: r.querySelector("time")?.textContent,
    })),
  );
}

/**
 * What the page should show for API entries.
 *
 * @param {{origin: string}} server
 * @param {string} token
 * @param {any[]} items
 */
async function expectedAudit(server, token, items) {
  const when = new Intl.DateTimeFormat("pt-BR", { timeZone: ZONE, dateStyle: "short", timeStyle: "medium" });
  /** @type {Map<number, string>} */
  const names = new Map();
  const out = [];
  for (const e of items) {
    let actor = "Serviço da plataforma";
    if (e.actor_id !== null) {
      if (!names.has(e.actor_id)) names.set(e.actor_id, (await ok(server, token, "GET", `/users/${e.actor_id}`)).name);
      actor = /** @type {string} */ (names.get(e.actor_id));
    }
    out.push({
      id: e.id,
      action: e.action,
      target: e.target_id,
      requestId: e.metadata?.request_id ?? "",
      actor,
      datetime: new Date(e.created_at).toISOString(),
      when: when.format(new Date(e.created_at)),
    });
  }
  return out;
}

/**
 * The numbers of a chart's table: [{ts, values}].
 *
 * @param {import("playwright-core").Frame} frame
 * @param {string} chart
 */
function chartTable(frame, chart) {
  return frame.locator(`admin-bar-chart[data-chart="${chart}"] tbody tr`).evaluateAll((rows) =>
    rows.map((r) => ({ ts: r.getAttribute("data-ts"), values: [...r.querySelectorAll("td")].map((td) => Number(td.getAttribute("data-value"))) })),
  );
}

test("the admin console against the real server", async (t) => {
  // A host on another origin (allowed to frame the console), and enough writes for two audit
  // pages without meeting the default rate limits.
  const host = await startHost();
  const server = await startServer({
    env: {
      CHAT_EMBED_ORIGINS: host.origin,
      CHAT_RATE_USER_PER_SEC: "200",
      CHAT_RATE_USER_BURST: "200",
      CHAT_RATE_ACCOUNT_PER_SEC: "400",
      CHAT_RATE_ACCOUNT_BURST: "400",
    },
  });
  const browser = await launchBrowser();
  /** @type {string[]} */
  const cspSeen = [];
  try {
    const admin = await server.token(ADMIN);
    const supervisor = await server.token(SUPERVISOR);
    const alice = await server.token({ userId: 3, role: "agent", name: "Alice Agent" });
    // Something to audit: a room made by the admin, a member added with a role, a message.
    const room = await ok(server, admin, "POST", "/rooms", { type: "room", name: "Suporte N1", member_ids: [3] });
    await ok(server, admin, "POST", `/rooms/${room.id}/members`, { user_ids: [4], role: "moderator" });
    await ok(server, alice, "POST", `/rooms/${room.id}/messages`, { content: "Olá, time" });
    // More than one page of the audit table (50 rows): renames of another room.
    const busy = await ok(server, admin, "POST", "/rooms", { type: "room", name: "Escalonamento", member_ids: [] });
    for (let i = 1; i <= 50; i++) await ok(server, admin, "PATCH", `/rooms/${busy.id}`, { name: `Escalonamento ${i}` });

    const { context, page, frame, cspViolations: csp } = await openInstance(browser, server, { ...ADMIN, view: "admin", locale: "pt-BR", timeZone: ZONE });

    await t.test("the audit table shows GET /audit: order, actor names, actions, targets, request ids, times in the user's zone", async () => {
      const shown = await shownAudit(frame);
      const api = await ok(server, admin, "GET", "/audit?limit=50");
      assert.equal(api.items.length, 50);
      assert.ok(api.next_cursor, "a second page exists");
      assert.deepEqual(shown, await expectedAudit(server, admin, api.items));
      // "Carregar mais" appends the next page, then disappears at the end.
      const second = await ok(server, admin, "GET", `/audit?limit=50&cursor=${encodeURIComponent(api.next_cursor)}`);
      await frame.getByRole("button", { name: "Carregar mais" }).click();
      await frame.waitForFunction((n) => document.querySelectorAll("admin-audit tr[data-audit-id]").length === n, 50 + second.items.length);
      assert.deepEqual(await shownAudit(frame), await expectedAudit(server, admin, [...api.items, ...second.items]));
      assert.equal(second.next_cursor, null);
      assert.equal(await frame.getByRole("button", { name: "Carregar mais" }).isVisible(), false);
      const actions = await frame.locator("admin-audit td.action").allTextContents();
      assert.ok(actions.includes("Membro adicionado") && actions.includes("Sala criada"), `actions in words: ${actions.join(", ")}`);
      // Metadata on demand: a disclosure that shows the entry's JSON.
      const first = frame.locator("admin-audit tr[data-audit-id] button[aria-expanded]").first();
      await first.click();
      assert.equal(await first.getAttribute("aria-expanded"), "true");
      const json = await frame.locator("admin-audit tr.audit-details:not([hidden]) pre").first().textContent();
      assert.deepEqual(JSON.parse(json ?? "null"), api.items[0].metadata);
      await screenshot(page, "admin-audit");
    });

    const day = today();
    let filtered = /** @type {any[]} */ ([]);
    await t.test("filters go in the page URL, select what the API selects, and survive a reload", async () => {
      await frame.selectOption("admin-audit select[name=action]", "member.added");
      const actor = frame.getByRole("combobox", { name: "Autor" });
      await actor.fill("ada");
      await frame.getByRole("option", { name: /Ada Admin/ }).waitFor();
      await actor.press("ArrowDown");
      await actor.press("Enter");
      assert.equal(await actor.inputValue(), "Ada Admin");
      await frame.fill("admin-audit input[name=from]", day);
      await frame.fill("admin-audit input[name=to]", day);
      await frame.getByRole("button", { name: "Filtrar" }).click();
      await frame.waitForURL(/action=member\.added/);
      const url = new URL(frame.url());
      assert.equal(url.search, `?tab=audit&action=member.added&actor=1&from=${day}&to=${day}`);
      assert.ok(!frame.url().includes(admin), "the token is never in the URL");

      const from = new Date(`${day}T00:00:00-03:00`).toISOString();
      const to = new Date(new Date(`${day}T00:00:00-03:00`).getTime() + 86_400_000).toISOString();
      const api = await ok(server, admin, "GET", `/audit?action=member.added&actor_id=1&from=${from}&to=${to}&limit=50`);
      filtered = api.items;
      assert.ok(filtered.length >= 2, "the member.added entries of the seed");
      const expected = await expectedAudit(server, admin, filtered);
      assert.deepEqual(await shownAudit(frame), expected);

      // A reload of the frame (the host answers its new chat:init): the URL brings the view back.
      await frame.goto(url.href);
      await frame.waitForSelector("admin-audit tr[data-audit-id]");
      assert.equal(new URL(frame.url()).search, url.search);
      assert.deepEqual(await shownAudit(frame), expected);
      assert.equal(await frame.inputValue("admin-audit select[name=action]"), "member.added");
      assert.equal(await frame.inputValue("admin-audit input[name=from]"), day);
      assert.equal(await frame.inputValue("admin-audit input[name=to]"), day);
      await frame.waitForFunction(() => document.querySelector("admin-audit [role=combobox]") instanceof HTMLInputElement && /** @type {HTMLInputElement} */ (document.querySelector("admin-audit [role=combobox]")).value === "Ada Admin");
    });

    await t.test("export: the downloaded file is byte for byte the API's export of the same filter (CSV ; and JSONL)", async () => {
      const from = new Date(`${day}T00:00:00-03:00`).toISOString();
      const to = new Date(new Date(`${day}T00:00:00-03:00`).getTime() + 86_400_000).toISOString();
      for (const [format, delimiter] of /** @type {const} */ ([["csv", "semicolon"], ["csv", "comma"], ["jsonl", null]])) {
        await frame.selectOption("admin-audit select[name=format]", format);
        if (delimiter) await frame.selectOption("admin-audit select[name=delimiter]", delimiter);
        const [download] = await Promise.all([page.waitForEvent("download"), frame.getByRole("button", { name: "Exportar filtro atual" }).click()]);
        const path = await download.path();
        const got = new Uint8Array(await readFile(path));
        const query = `format=${format}${delimiter ? `&delimiter=${delimiter}` : ""}&action=member.added&actor_id=1&from=${from}&to=${to}`;
        const api = await call(server, admin, "GET", `/audit/export?${query}`);
        assert.equal(api.status, 200, api.text);
        assert.deepEqual(got, api.bytes, `${format} ${delimiter ?? ""}: the file equals the API's export`);
        // The server's file name (its `to` part is the moment of the export, so the two
        // exports differ there): the page saves under the name the server gave.
        const disposition = api.headers.get("Content-Disposition") ?? "";
        const apiName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? "";
        const shape = (/** @type {string} */ name) => name.replace(/-[0-9TZ.]+(\.[a-z]+)$/, "-…$1");
        assert.match(download.suggestedFilename(), new RegExp(`^audit-${ACCOUNT}-.+\\.${format}$`));
        assert.equal(shape(download.suggestedFilename()), shape(apiName), `${download.suggestedFilename()} vs ${apiName}`);
        const lines = new TextDecoder().decode(got).trim().split("\n");
        assert.equal(lines.length, filtered.length + (format === "csv" ? 1 : 0), "one line per entry (and the header)");
      }
      const exported = await ok(server, admin, "GET", "/audit?action=audit.exported&limit=10");
      assert.equal(exported.items.length, 6, "every export is audited (three from the page, three from the test)");
    });

    await t.test("activity: the charts' tables hold /stats' numbers; totals; tooltip and keyboard", async () => {
      await frame.getByRole("tab", { name: "Atividade" }).click();
      await frame.waitForSelector('admin-bar-chart[data-chart="rooms-per-day"] tbody tr');
      const before = { hour: await ok(server, admin, "GET", "/stats?range=hour"), month: await ok(server, admin, "GET", "/stats?range=month") };
      const shown = {
        perMinute: await chartTable(frame, "messages-per-minute"),
        perDay: await chartTable(frame, "messages-per-day"),
        rooms: await chartTable(frame, "rooms-per-day"),
      };
      const after = { hour: await ok(server, admin, "GET", "/stats?range=hour"), month: await ok(server, admin, "GET", "/stats?range=month") };
      /** @param {{hour: any, month: any}} s */
      const expected = (s) => ({
        perMinute: s.hour.series.map((/** @type {any} */ b) => ({ ts: b.ts, values: [b.messages] })),
        perDay: s.month.series.map((/** @type {any} */ b) => ({ ts: b.ts, values: [b.messages, b.active_senders] })),
        rooms: s.month.series.map((/** @type {any} */ b) => ({ ts: b.ts, values: [b.rooms_created] })),
      });
      // A minute may turn between the page's request and ours: the page matches one of them.
      const matches = [before, after].some((s) => {
        try {
          assert.deepEqual(shown, expected(s));
          return true;
        } catch {
          return false;
        }
      });
      if (!matches) assert.deepEqual(shown, expected(after));
      assert.equal(shown.perMinute.length, 60);
      assert.equal(shown.perDay.length, 30);
      assert.ok(shown.perMinute.reduce((n, r) => n + r.values[0], 0) >= 1, "the seed's message is in the last hour");
      const totals = await frame.locator("admin-activity .total").evaluateAll((els) =>
        Object.fromEntries(els.map((el) => [el.getAttribute("data-total") ?? "", el.querySelector("dd")?.textContent ?? ""])),
      );
      for (const key of ["rooms", "dms", "users", "users_active_24h", "messages_24h"]) {
        assert.equal(Number(totals[key].replace(/\D/g, "")), after.month.totals[key], `total ${key}`);
      }
      // Keyboard: the last bucket takes the focus; ← moves; the tooltip says what the label says.
      const buckets = frame.locator('admin-bar-chart[data-chart="messages-per-minute"] .chart-bucket');
      await buckets.last().focus();
      await page.keyboard.press("ArrowLeft");
      const focused = buckets.nth(58);
      assert.equal(await focused.getAttribute("tabindex"), "0");
      assert.equal(await buckets.last().getAttribute("tabindex"), "-1");
      const tip = frame.locator('admin-bar-chart[data-chart="messages-per-minute"] .chart-tooltip');
      assert.equal(await tip.isVisible(), true);
      assert.equal(await tip.textContent(), await focused.getAttribute("aria-label"));
      await screenshot(page, "admin-activity");
    });

    await t.test("axe: no WCAG 2.2 A/AA violation on each tab and the dialogs, light and dark", async () => {
      for (const scheme of /** @type {const} */ (["light", "dark"])) {
        await page.emulateMedia({ colorScheme: scheme });
        for (const tab of ["Auditoria", "Atividade", "Salas"]) {
          await frame.getByRole("tab", { name: tab }).click();
          await frame.waitForFunction(() => !document.querySelector("[role=tabpanel]:not([hidden]) [aria-busy]"));
          await axeCheck(page);
          await screenshot(page, `admin-${tab.toLowerCase()}-${scheme}`);
        }
        await frame.getByRole("button", { name: "Abrir General" }).click();
        await frame.locator("dialog.room-editor[open] tbody tr").first().waitFor();
        await axeCheck(page);
        await screenshot(page, `admin-room-dialog-${scheme}`);
        await page.keyboard.press("Escape");
        await frame.locator("dialog.room-editor[open]").waitFor({ state: "detached" }).catch(() => {});
        assert.equal(await frame.locator("dialog.room-editor[open]").count(), 0, "Esc closes the dialog");
        assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute("aria-label")), "Abrir General", "focus goes back");
      }
      await page.emulateMedia({ colorScheme: "light" });
    });

    cspSeen.push(...csp);
    await context.close();

    await t.test("a supervisor sees Atividade and Salas, no audit tab, and the API refuses the audit anyway", async () => {
      const sup = await openInstance(browser, server, { ...SUPERVISOR, view: "admin", locale: "pt-BR", timeZone: ZONE });
      const supCsp = sup.cspViolations;
      await sup.frame.locator("[role=tab]").first().waitFor();
      assert.deepEqual(await sup.frame.locator("[role=tab]").allTextContents(), ["Atividade", "Salas"]);
      assert.equal(await sup.frame.locator("admin-audit").count(), 0);
      // Keyboard: → moves to the next tab and opens it; Home goes back.
      await sup.frame.getByRole("tab", { name: "Atividade" }).focus();
      await sup.page.keyboard.press("ArrowRight");
      assert.equal(await sup.frame.evaluate(() => document.activeElement?.getAttribute("aria-selected") === "true" && document.activeElement.textContent), "Salas");
      assert.ok(await sup.frame.locator("#panel-rooms").isVisible());
      await sup.page.keyboard.press("Home");
      assert.equal(await sup.frame.evaluate(() => document.activeElement?.textContent), "Atividade");
      // Even asked for by URL, the audit tab does not open.
      await sup.frame.goto(`${server.origin}/embed/admin?tab=audit&action=room.created`);
      await sup.frame.locator("[role=tab][aria-selected=true]").waitFor();
      assert.equal(await sup.frame.locator("[role=tab][aria-selected=true]").textContent(), "Atividade");
      assert.equal(await sup.frame.locator("admin-audit").count(), 0);
      const refused = await call(server, supervisor, "GET", "/audit");
      assert.equal(refused.status, 403);
      assert.equal(refused.json().error.code, "forbidden");
      await screenshot(sup.page, "admin-supervisor");
      cspSeen.push(...supCsp);
      await sup.context.close();
    });

    await t.test("a supervisor manages a room they are not in: rename, members, archive — each audited", async () => {
      const sup = await openInstance(browser, server, { ...SUPERVISOR, view: "admin", locale: "pt-BR", timeZone: ZONE });
      const supCsp = sup.cspViolations;
      const f = sup.frame;
      await f.getByRole("tab", { name: "Salas" }).click();
      await f.getByRole("button", { name: "Abrir Suporte N1" }).click();
      const dialog = f.locator("dialog.room-editor[open]");
      await dialog.locator('tbody tr[data-user-id="3"]').waitFor();
      assert.deepEqual((await dialog.locator("tbody tr").allTextContents()).length, 3, "owner, Alice, Bob");

      await dialog.getByLabel("Nome da sala").fill("Suporte Nível 1");
      await dialog.getByRole("button", { name: "Renomear" }).click();
      await dialog.getByText("Sala renomeada para Suporte Nível 1.").waitFor();
      // Closed and opened again: the focus finds the redrawn row's button.
      await sup.page.keyboard.press("Escape");
      await f.waitForFunction(() => !document.querySelector("dialog.room-editor[open]"));
      await f.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Abrir Suporte Nível 1");
      await sup.page.keyboard.press("Enter");
      await dialog.locator('tbody tr[data-user-id="3"]').waitFor();

      await dialog.getByRole("button", { name: "Remover Alice Agent" }).click();
      await dialog.locator('tbody tr[data-user-id="3"]').waitFor({ state: "detached" });

      const picker = dialog.getByRole("combobox", { name: "Adicionar pessoa" });
      await picker.fill("ali");
      await f.getByRole("option", { name: /Alice Agent/ }).click();
      await dialog.getByLabel("Papel").selectOption("moderator");
      await dialog.getByRole("button", { name: "Adicionar membros" }).click();
      await dialog.locator('tbody tr[data-user-id="3"]').waitFor();
      assert.match((await dialog.locator('tbody tr[data-user-id="3"]').textContent()) ?? "", /Moderador/);

      const detail = await ok(server, admin, "GET", `/rooms/${room.id}`);
      assert.equal(detail.name, "Suporte Nível 1");
      assert.deepEqual(
        detail.members.map((/** @type {any} */ m) => [m.user_id, m.role]).sort(),
        [[1, "owner"], [3, "moderator"], [4, "moderator"]],
      );

      await dialog.getByRole("button", { name: "Arquivar" }).click();
      const confirm = f.locator("dialog.confirm[open]");
      await confirm.waitFor();
      await axeCheck(sup.page);
      assert.equal(await f.evaluate(() => document.activeElement?.textContent), "Cancelar", "the safe answer has the focus");
      await confirm.getByRole("button", { name: "Arquivar" }).click();
      await f.locator(`tr[data-room-id="${room.id}"]`).waitFor({ state: "detached" });
      // The focus lands on the list's status line, not on the page's body.
      await f.waitForFunction(() => document.activeElement?.getAttribute("role") === "status");
      assert.equal((await call(server, admin, "GET", `/rooms/${room.id}`)).status, 404, "archived");
      const listed = await ok(server, supervisor, "GET", "/rooms?scope=account");
      assert.ok(!listed.items.some((/** @type {any} */ r) => r.id === room.id));

      const audit = await ok(server, admin, "GET", `/audit?actor_id=2&limit=50`);
      /** @param {string} action @param {string} target */
      const has = (action, target) => audit.items.some((/** @type {any} */ e) => e.action === action && e.target_id === target);
      assert.ok(has("room.updated", room.id), "rename audited");
      assert.ok(has("member.removed", "3"), "removal audited");
      assert.ok(has("member.added", "3"), "addition audited");
      assert.ok(has("room.deleted", room.id), "archive audited");
      await screenshot(sup.page, "admin-rooms-after-archive");
      cspSeen.push(...supCsp);
      await sup.context.close();
    });

    await t.test("an agent gets a sentence, no tab, and the API refuses them the console's data", async () => {
      const agent = await openInstance(browser, server, { userId: 4, role: "agent", name: "Bob Agent", view: "admin", locale: "pt-BR", timeZone: ZONE });
      await agent.frame.getByText("A administração do chat é para administradores e supervisores.").waitFor();
      assert.equal(await agent.frame.locator("[role=tab]").count(), 0);
      const bob = await server.token({ userId: 4, role: "agent", name: "Bob Agent" });
      for (const path of ["/audit", "/stats?range=hour", "/rooms?scope=account"]) {
        const r = await call(server, bob, "GET", path);
        assert.equal(r.status, 403, `${path}: ${r.status}`);
      }
      await axeCheck(agent.page);
      cspSeen.push(...agent.cspViolations);
      await agent.context.close();
    });

    await t.test("English and another zone: the host's locale and time zone drive words, times and the CSV delimiter", async () => {
      const en = await openInstance(browser, server, { ...ADMIN, view: "admin", locale: "en", timeZone: "Asia/Tokyo" });
      await en.frame.locator("admin-audit tr[data-audit-id]").first().waitFor();
      assert.deepEqual(await en.frame.locator("[role=tab]").allTextContents(), ["Audit", "Activity", "Rooms"]);
      assert.equal(await en.frame.evaluate(() => document.documentElement.lang), "en");
      assert.equal(await en.frame.inputValue("admin-audit select[name=delimiter]"), "comma", "en spreadsheets split on commas");
      const first = await ok(server, admin, "GET", "/audit?limit=1");
      const when = new Intl.DateTimeFormat("en", { timeZone: "Asia/Tokyo", dateStyle: "short", timeStyle: "medium" }).format(new Date(first.items[0].created_at));
      assert.equal(await en.frame.locator("admin-audit tr[data-audit-id] time").first().textContent(), when);
      cspSeen.push(...en.cspViolations);
      await en.context.close();
    });

    await t.test("a host on another origin mounts the console through /embed.js; chat:locale redraws it in another language", async () => {
      const hosted = await openHostInstance(browser, host, server, { ...ADMIN, view: "admin" });
      const f = await embeddedFrame(hosted.page);
      assert.equal(new URL(f.url()).pathname, "/embed/admin");
      await f.locator("admin-audit tr[data-audit-id]").first().waitFor();
      // This host names no locale: the browser's language (en-US here) is used.
      assert.deepEqual(await f.locator("[role=tab]").allTextContents(), ["Audit", "Activity", "Rooms"]);
      assert.equal(await f.evaluate(() => document.documentElement.lang), "en");
      await hosted.page.evaluate(() => /** @type {any} */ (window).chatInstance.setLocale({ locale: "pt-BR", timeZone: "UTC" }));
      await f.getByRole("tab", { name: "Auditoria" }).waitFor();
      assert.deepEqual(await f.locator("[role=tab]").allTextContents(), ["Auditoria", "Atividade", "Salas"]);
      assert.equal(await f.evaluate(() => document.documentElement.lang), "pt-BR");
      assert.ok(hosted.tokens.length >= 1 && hosted.tokens.every((tok) => !f.url().includes(tok)), "no token in the frame's URL");
      cspSeen.push(...hosted.cspViolations);
      await hosted.context.close();
    });

    await t.test("a token the API refuses ends the session: a clear message, chat:error to the host, no more calls", async () => {
      // A host page on the server's own origin (allowed in dev mode), served by the test: it
      // mounts the console with a token of account 2 for account 1, which the API refuses.
      const foreign = await server.token({ ...ADMIN, accountId: 2 });
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.route(`${server.origin}/test-host`, (route) =>
        route.fulfill({
          contentType: "text/html; charset=utf-8",
          body: `<!doctype html><html lang="en"><head><title>Test host</title></head><body>
<iframe id="f" title="Chat admin" src="/embed/admin"></iframe><script>
window.portMessages = [];
addEventListener("message", (e) => {
  if (!e.data || e.data.type !== "chat:ready") return;
  const ch = new MessageChannel();
  ch.port1.onmessage = (m) => window.portMessages.push(m.data);
  document.getElementById("f").contentWindow.postMessage({ type: "chat:init", v: 1, token: ${JSON.stringify(foreign)}, locale: "pt-BR", timeZone: "UTC", accountId: 1 }, location.origin, [ch.port2]);
});
</script></body></html>`,
        }),
      );
      /** @type {string[]} */
      const calls = [];
      page.on("request", (r) => {
        if (r.url().includes("/api/")) calls.push(r.url());
      });
      await page.goto(`${server.origin}/test-host`);
      const frame = page.frameLocator("#f");
      await frame.getByRole("alert").waitFor();
      assert.equal(await frame.getByRole("alert").textContent(), "Esta sessão pertence a outra conta.");
      await page.waitForFunction(() => /** @type {any} */ (window).portMessages.length > 0);
      const made = calls.length;
      await page.waitForTimeout(1000);
      assert.deepEqual(await page.evaluate(() => /** @type {any} */ (window).portMessages), [{ type: "chat:error", code: "account_mismatch" }]);
      assert.equal(calls.length, made, "nothing is retried with a refused token");
      assert.ok(calls.every((u) => !u.includes(foreign)), "the token is never in a URL");
      await context.close();
    });

    await t.test("the rooms list pages with 'Carregar mais' and shows what GET /rooms?scope=account lists", async () => {
      for (let i = 1; i <= 50; i++) await ok(server, admin, "POST", "/rooms", { type: "room", name: `Fila ${i}`, member_ids: [] });
      /** @type {any[]} */
      const all = [];
      /** @type {string | null} */
      let cursor = null;
      do {
        const page = await ok(server, supervisor, "GET", `/rooms?scope=account&limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        all.push(...page.items);
        cursor = page.next_cursor;
      } while (cursor);
      assert.ok(all.length > 50);
      const sup = await openInstance(browser, server, { ...SUPERVISOR, view: "admin", locale: "pt-BR", timeZone: ZONE });
      await sup.frame.getByRole("tab", { name: "Salas" }).click();
      await sup.frame.getByRole("button", { name: "Carregar mais" }).click();
      await sup.frame.waitForFunction((n) => document.querySelectorAll("admin-rooms tr[data-room-id]").length === n, all.length);
      const rows = await sup.frame.locator("admin-rooms tr[data-room-id]").evaluateAll((trs) =>
        trs.map((tr) => ({ id: tr.getAttribute("data-room-id"), name: tr.querySelector(".room-name")?.textContent, members: tr.querySelector(".num")?.textContent })),
      );
      assert.deepEqual(
        rows,
        all.map((r) => ({ id: r.id, name: r.name, members: String(r.member_count) })),
      );
      assert.equal(await sup.frame.getByRole("button", { name: "Carregar mais" }).isVisible(), false);
      cspSeen.push(...sup.cspViolations);
      await sup.context.close();
    });

    await t.test("zero CSP violations on every page opened", () => {
      assert.deepEqual(cspSeen, []);
    });
  } finally {
    await browser.close();
    await server.stop();
    await host.close();
  }
});
