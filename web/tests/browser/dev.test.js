// The demo host (`/dev`) and `/embed.js` in a real browser: the page mounts its instances
// through the host helper, under its CSP with no violation, accessible, and no token ever
// travels in a URL.

import test from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, collectCspViolations, axeCheck, screenshot } from "./harness.js";

test("the demo host mounts Alice and Bob through /embed.js", async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  const violations = collectCspViolations(page);
  /** @type {string[]} */
  const urls = [];
  page.on("request", (req) => urls.push(req.url()));
  await page.goto(`${server.origin}/dev`);
  const frames = page.locator("iframe.chat-embed-frame");
  await frames.first().waitFor();
  assert.equal(await frames.count(), 2);
  for (let i = 0; i < 2; i++) {
    assert.equal(await frames.nth(i).getAttribute("src"), `${server.origin}/embed`);
    assert.match(String(await frames.nth(i).getAttribute("title")), /^Chat — (Alice|Bob) Agent$/);
  }
  const titles = await page.locator(".hub-who").allTextContents();
  assert.deepEqual(titles, ["Alice Agent", "Bob Agent"]);
  // Both tokens were fetched by the host; none of them appears in any URL.
  await page.waitForTimeout(500);
  assert.ok(urls.some((u) => u.endsWith("/dev/token")));
  for (const url of urls) assert.ok(!/eyJ[A-Za-z0-9_-]{10,}/.test(url), `a token in a URL: ${url}`);
  assert.deepEqual(violations, []);
  await axeCheck(page, { label: "/dev (host page)", exclude: "iframe" });
  await screenshot(page, "dev-agents");
  await context.close();
});

test("a solo instance of the admin console is mounted for /dev?user=1&as=admin", async (t) => {
  const server = await startServer();
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await server.stop();
  });
  const page = await browser.newPage();
  const violations = collectCspViolations(page);
  await page.goto(`${server.origin}/dev?user=1&as=admin`);
  const frame = page.locator("iframe.chat-embed-frame");
  await frame.waitFor();
  assert.equal(await frame.getAttribute("src"), `${server.origin}/embed/admin`);
  assert.equal(await page.locator("iframe").count(), 1);
  assert.deepEqual(violations, []);
});
