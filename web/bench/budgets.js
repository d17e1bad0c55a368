// The web client's budgets (issue 13), measured in Debian's Chromium against the real server —
// a benchmark, not a test: it prints figures and writes them to target/web-budgets.json; the
// performance doc keeps them with their setup. One command: `npm run bench:budgets` (after
// `cargo build -p chat-server-min`; `--release` binary via CHAT_SERVER_BIN for release figures).
//
//   first load of /embed   bytes transferred (gzip) and uncompressed, every file of the frame
//   init → room list       from the host handing over the token to the first room on screen
//   open a 10,000-message room   from the click to the feed showing messages
//   live delivery          API send → the article in the other user's frame, 200 messages
//   JS heap, DOM nodes     in the frame after 5,000 live messages; DOM while scrolling through
//
// Quick mode (`BUDGETS_QUICK=1`): tiny sizes, so CI keeps it from rotting (figures meaningless).

import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { startServer, launchBrowser, startHost, ROOT } from "../tests/browser/harness.js";

const QUICK = process.env.BUDGETS_QUICK === "1";
const HISTORY = QUICK ? 300 : 10_000;
const LIVE = QUICK ? 20 : 200;
const HEAP_MESSAGES = QUICK ? 100 : 5_000;

/** @param {number[]} xs @param {number} q */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/**
 * Sends `n` messages (8 at a time) as `token` into `room`.
 *
 * @param {import("../tests/browser/harness.js").ChatServer} server
 * @param {string} token @param {string} room @param {number} n @param {string} tag
 */
async function seed(server, token, room, n, tag) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const r = await server.api(token, "POST", `/rooms/${room}/messages`, { content: `${tag} ${i}`, client_id: `${tag}-${i}` });
      if (r.status !== 201) throw new Error(`seed: ${r.status} ${JSON.stringify(r.json)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function main() {
  const host = await startHost();
  const server = await startServer({
    env: {
      CHAT_EMBED_ORIGINS: host.origin,
      CHAT_RATE_USER_PER_SEC: "100000",
      CHAT_RATE_USER_BURST: "100000",
      CHAT_RATE_ACCOUNT_PER_SEC: "100000",
      CHAT_RATE_ACCOUNT_BURST: "100000",
    },
  });
  const browser = await launchBrowser();
  /** @type {Record<string, number | string>} */
  const out = { quick: QUICK ? "yes" : "no", chromium: browser.version() };
  try {
    const alice = await server.token({ userId: 3, role: "agent", name: "Alice Agent", ttlSecs: 3600 });
    const bob = await server.token({ userId: 4, role: "agent", name: "Bob Agent", ttlSecs: 3600 });
    const admin = await server.token({ userId: 1, role: "admin", name: "Ada Admin", ttlSecs: 3600 });
    // A room of HISTORY messages, all unread for Alice (she opens it at the first unread).
    const big = await server.api(admin, "POST", "/rooms", { type: "room", name: "Big history", member_ids: [3, 4] });
    const bigId = big.json.id;
    await seed(server, bob, bigId, HISTORY, "history");
    const dm = (await server.api(alice, "POST", "/rooms", { type: "dm", member_ids: [4] })).json.id;

    // 1. First load and init → room list, through a host page on another origin.
    const context = await browser.newContext();
    const page = await context.newPage();
    /** @type {Promise<number>[]} */
    const sizes = [];
    /** @type {string[]} */
    const urls = [];
    page.on("requestfinished", (req) => {
      const url = req.url();
      if (!url.startsWith(server.origin) || url.includes("/api/")) return;
      urls.push(url);
      sizes.push(req.sizes().then((s) => s.responseBodySize + s.responseHeadersSize));
    });
    let initAt = 0;
    await page.exposeFunction("hostGetToken", async () => {
      initAt = performance.now();
      return alice;
    });
    await page.goto(`${host.origin}/?chat=${encodeURIComponent(server.origin)}`);
    const frame = await (await page.waitForSelector("iframe")).contentFrame();
    if (!frame) throw new Error("no frame");
    await frame.waitForSelector("chat-room-list button[data-room-id]", { timeout: 15_000 });
    out.init_to_room_list_ms = Math.round(performance.now() - initAt);
    await page.waitForLoadState("networkidle");
    const transferred = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
    let uncompressed = 0;
    let gzipBodies = 0;
    for (const url of new Set(urls)) {
      const res = await fetch(url, { headers: { "accept-encoding": "identity" } });
      uncompressed += (await res.arrayBuffer()).byteLength;
      // The body bytes alone as sent with gzip (Content-Length of the compressed answer).
      const z = await fetch(url, { headers: { "accept-encoding": "gzip" } });
      gzipBodies += Number(z.headers.get("content-length") ?? 0);
      await z.arrayBuffer();
    }
    out.first_load_gzip_bodies_kib = +(gzipBodies / 1024).toFixed(1);
    out.first_load_files = new Set(urls).size;
    out.first_load_transferred_kib = +(transferred / 1024).toFixed(1);
    out.first_load_uncompressed_kib = +(uncompressed / 1024).toFixed(1);

    // 2. Open the big room (first unread: its oldest message) — click to messages on screen.
    const t0 = performance.now();
    await frame.click(`chat-room-list button[data-room-id="${bigId}"]`);
    await frame.waitForSelector(`chat-history article[data-message-id]`, { timeout: 15_000 });
    await frame.waitForFunction(() => document.querySelector('chat-history [role="feed"]')?.getAttribute("aria-busy") !== "true");
    out.open_room_ms = Math.round(performance.now() - t0);
    out.open_room_messages = HISTORY;

    // 3. DOM bounded while scrolling: the room opened at its first unread (its oldest message),
    // so page down through the history towards its newest message.
    let maxArticles = 0;
    for (let i = 0; i < (QUICK ? 5 : 60); i++) {
      await frame.evaluate(() => {
        const s = document.querySelector("chat-history .history-scroller");
        if (s) s.scrollTop = s.scrollHeight;
      });
      await frame.waitForTimeout(120);
      maxArticles = Math.max(maxArticles, await frame.locator("chat-history article").count());
    }
    out.scroll_max_articles = maxArticles;

    // 4. Live delivery: Alice sends (API) into the DM, Bob's frame shows it.
    const bobPage = await (await browser.newContext()).newPage();
    await bobPage.exposeFunction("hostGetToken", async () => bob);
    await bobPage.goto(`${host.origin}/?chat=${encodeURIComponent(server.origin)}`);
    const bobFrame = await (await bobPage.waitForSelector("iframe")).contentFrame();
    if (!bobFrame) throw new Error("no frame");
    await bobFrame.click(`chat-room-list button[data-room-id="${dm}"]`, { timeout: 15_000 });
    await bobFrame.waitForSelector("chat-history [role=feed]");
    await bobFrame.evaluate(() => {
      /** @type {Record<string, number>} */
      const seen = {};
      Object.assign(window, { __seen: seen });
      new MutationObserver(() => {
        for (const a of document.querySelectorAll("chat-history article[data-message-id]")) {
          const text = a.querySelector(".message-text")?.textContent ?? "";
          const m = /^live (\d+)$/.exec(text.trim());
          if (m && !(m[1] in seen)) seen[m[1]] = performance.timeOrigin + performance.now();
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    /** @type {number[]} */
    const delays = [];
    for (let i = 0; i < LIVE; i++) {
      const sentAt = performance.timeOrigin + performance.now();
      await server.api(alice, "POST", `/rooms/${dm}/messages`, { content: `live ${i}`, client_id: `live-${i}` });
      await bobFrame.waitForFunction((k) => k in /** @type {any} */ (window).__seen, String(i), { timeout: 10_000 });
      const at = await bobFrame.evaluate((k) => /** @type {any} */ (window).__seen[k], String(i));
      delays.push(at - sentAt);
    }
    out.live_p50_ms = +quantile(delays, 0.5).toFixed(1);
    out.live_p99_ms = +quantile(delays, 0.99).toFixed(1);
    out.live_messages = LIVE;

    // 5. Heap and DOM after many live messages in the open room.
    await seed(server, alice, dm, HEAP_MESSAGES, "heap");
    await bobFrame.waitForTimeout(1500);
    const cdp = await bobPage.context().newCDPSession(bobPage);
    await cdp.send("HeapProfiler.collectGarbage");
    const heap = await bobFrame.evaluate(() => /** @type {any} */ (performance).memory?.usedJSHeapSize ?? -1);
    out.heap_after_live_mib = +(heap / 1048576).toFixed(1);
    out.heap_live_messages = HEAP_MESSAGES;
    out.dom_nodes_after_live = await bobFrame.evaluate(() => document.getElementsByTagName("*").length);
    out.articles_after_live = await bobFrame.locator("chat-history article").count();
  } finally {
    await browser.close();
    await server.stop();
    await host.close();
  }
  mkdirSync(join(ROOT, "target"), { recursive: true });
  writeFileSync(join(ROOT, "target", "web-budgets.json"), `${JSON.stringify(out, null, 2)}\n`);
  for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(30)} ${v}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
