// Secure embedding in a real browser (issue 13, "Embedding"): a host page on an allowed origin
// (a second loopback port) mounts an instance that works; a host on an origin that is not
// allowed is refused by the browser (CSP frame-ancestors) and never gets a chat:ready; a
// chat:init from a wrong origin or a window that is not the parent is ignored; the token
// travels only in the Authorization header (never a URL, a cookie or web storage); a token
// refresh over the port carries the session across the first token's expiry.
//
// These checks watch the network and the handshake, not the chat's look, so they hold
// whatever the page's layout.

import test from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, startHost, collectCspViolations } from "./harness.js";

const API = "/api/v1/accounts/1/chat/";

/**
 * A host page of `host` mounting Alice's chat of `server`, whose tokens come from
 * `server.token` when `gate` (if any) lets them.
 *
 * @param {import("playwright-core").Browser} browser
 * @param {{origin: string}} host
 * @param {import("./harness.js").ChatServer} server
 * @param {{ttlSecs?: number, gate?: Promise<void>}} [opts]
 */
async function hostPage(browser, host, server, opts = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations = collectCspViolations(page);
  /** @type {string[]} */
  const tokens = [];
  /** @type {{url: string, method: string, authorization: string | undefined}[]} */
  const requests = [];
  /** @type {{url: string, status: number}[]} */
  const responses = [];
  page.on("request", (r) => requests.push({ url: r.url(), method: r.method(), authorization: r.headers().authorization }));
  page.on("response", (r) => responses.push({ url: r.url(), status: r.status() }));
  // WebSockets are not `request` events in Playwright: record their URLs the same way.
  page.on("websocket", (ws) => requests.push({ url: ws.url(), method: "WEBSOCKET", authorization: undefined }));
  await page.exposeFunction("hostGetToken", async () => {
    if (opts.gate) await opts.gate;
    // Only the first token is short-lived (the refresh test); later ones get the default 15 min.
    const ttlSecs = tokens.length === 0 ? opts.ttlSecs : undefined;
    const token = await server.token({ userId: 3, role: "agent", name: "Alice Agent", ttlSecs });
    tokens.push(token);
    return token;
  });
  await page.goto(`${host.origin}/?chat=${encodeURIComponent(server.origin)}`);
  return { context, page, violations, tokens, requests, responses };
}

/**
 * Waits until `predicate` holds (polling), or fails after `ms`.
 *
 * @param {() => boolean} predicate
 * @param {number} ms
 * @param {string} what
 */
async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("a host on an allowed origin mounts a working instance; the token stays in headers", async (t) => {
  const host = await startHost();
  const server = await startServer({ env: { CHAT_EMBED_ORIGINS: host.origin } });
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
    await host.close();
  });
  const h = await hostPage(browser, host, server);
  await until(() => h.tokens.length > 0, 10_000, "the host to be asked for a token (chat:ready)");
  const token = h.tokens[0];
  await until(
    () => h.requests.some((r) => r.url.includes(`${API}rooms`) && r.authorization === `Bearer ${token}`),
    10_000,
    "the frame to list rooms with the token",
  );
  await until(() => h.requests.some((r) => r.url.includes(`${API}ws?ticket=`)), 10_000, "the WebSocket");
  await h.page.waitForTimeout(500);
  for (const r of h.requests) {
    assert.ok(!r.url.includes(token), `token in a URL: ${r.url}`);
    if (r.authorization) assert.ok(r.url.startsWith(server.origin), `token sent elsewhere: ${r.url}`);
  }
  assert.deepEqual(await h.context.cookies(), [], "no cookies");
  const frame = h.page.frames().find((f) => f.url().startsWith(`${server.origin}/embed`));
  assert.ok(frame, "the chat frame");
  const storage = await frame.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]);
  assert.deepEqual(storage, [0, 0, ""], "nothing in web storage or cookies");
  assert.deepEqual(h.violations, [], "no CSP violation");
  assert.ok(!h.responses.some((r) => r.status === 401), "no request refused");
});

test("a host on an origin that is not allowed is refused by the browser", async (t) => {
  const host = await startHost();
  const server = await startServer({ env: { CHAT_EMBED_ORIGINS: "https://hub.example" } });
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
    await host.close();
  });
  const h = await hostPage(browser, host, server);
  await until(() => h.violations.some((v) => v.includes("frame-ancestors")), 10_000, "the frame-ancestors refusal");
  await h.page.waitForTimeout(1000);
  assert.equal(h.tokens.length, 0, "no chat:ready reached the host: it never handed out a token");
  assert.ok(!h.requests.some((r) => r.url.includes(API)), "no API call");
});

test("chat:init from a sibling frame of another origin, or to a page without a parent, is ignored", async (t) => {
  const host = await startHost();
  const attacker = await startHost();
  const server = await startServer({ env: { CHAT_EMBED_ORIGINS: host.origin } });
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
    await host.close();
    await attacker.close();
  });
  /** @type {() => void} */
  let release = () => {};
  const gate = new Promise((resolve) => {
    release = () => resolve(undefined);
  });
  const h = await hostPage(browser, host, server, { gate });
  // The real host holds its token back while a sibling frame of another origin posts
  // chat:init (with a port and a token) to the chat frame every 100 ms.
  await h.page.evaluate((src) => {
    const f = document.createElement("iframe");
    f.src = src;
    f.title = "attacker";
    document.body.append(f);
  }, `${attacker.origin}/attacker`);
  await h.page.waitForTimeout(1500);
  assert.ok(!h.requests.some((r) => r.url.includes(API)), "the forged init made the frame call the API");
  release();
  await until(() => h.tokens.length > 0, 10_000, "the real token");
  const token = h.tokens[0];
  await until(() => h.requests.some((r) => r.authorization === `Bearer ${token}`), 10_000, "the real session");
  assert.ok(
    h.requests.every((r) => !r.authorization || r.authorization === `Bearer ${token}`),
    "only the host's token is ever used",
  );

  // The chat page opened directly (no parent, no opener) ignores an init posted to itself.
  const page = await browser.newPage();
  /** @type {string[]} */
  const apiCalls = [];
  page.on("request", (r) => {
    if (r.url().includes(API)) apiCalls.push(r.url());
  });
  await page.goto(`${server.origin}/embed`);
  const fresh = await server.token({ userId: 3, role: "agent" });
  await page.evaluate((tok) => window.postMessage({ type: "chat:init", v: 1, token: tok, accountId: 1 }, "*"), fresh);
  await page.waitForTimeout(1000);
  assert.deepEqual(apiCalls, [], "an init from the page itself was accepted");
});

test("a token refreshed over the port carries the session past the first token's expiry", async (t) => {
  const host = await startHost();
  // No clock-skew allowance, so the first token is refused from its `exp` on.
  const server = await startServer({ env: { CHAT_EMBED_ORIGINS: host.origin, CHAT_JWT_LEEWAY_SECS: "0" } });
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
    await host.close();
  });
  const ttlSecs = 64;
  const started = Date.now();
  const h = await hostPage(browser, host, server, { ttlSecs });
  await until(() => h.tokens.length >= 1, 10_000, "the first token");
  // chat:token-expiring comes ~60 s before exp: ~4 s in.
  await until(() => h.tokens.length >= 2, 20_000, "chat:token-expiring and a second token");
  const second = h.tokens[1];
  // Past the first token's exp, the realtime connection (bound to the token that opened it)
  // ends and reopens with a ticket taken with the new token.
  const expiry = started + ttlSecs * 1000;
  await until(() => Date.now() > expiry + 2000, (ttlSecs + 10) * 1000, "the first token's expiry");
  await until(
    () => h.requests.some((r) => r.url.includes(`${API}realtime/ticket`) && r.authorization === `Bearer ${second}`),
    30_000,
    "a ticket taken with the refreshed token",
  );
  const refused = h.responses.filter((r) => r.status === 401);
  assert.deepEqual(refused, [], "nothing refused across the expiry");
});
