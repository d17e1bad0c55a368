// The browser tests' harness: the real server (the debug `chat-server-min` binary, in dev
// mode, on 127.0.0.1 with a temporary database), Debian's Chromium driven by playwright-core
// (never a downloaded browser), instances mounted by the demo host page exactly as a host
// mounts them, axe-core checks, CSP violation capture and screenshots.

import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { AxeBuilder } from "@axe-core/playwright";

const HERE = dirname(fileURLToPath(import.meta.url));
/** The workspace root (web/tests/browser → ../../..). */
export const ROOT = join(HERE, "..", "..", "..");
export const SCREENSHOTS = join(ROOT, "target", "browser-screenshots");
export const ACCOUNT = 1;
const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

/**
 * @typedef {object} ChatServer
 * @property {string} origin e.g. "http://127.0.0.1:43121"
 * @property {number} port
 * @property {string} dbPath
 * @property {() => Promise<void>} stop kills the server (SIGTERM, then SIGKILL after 5 s)
 * @property {() => Promise<void>} restart starts it again on the same port and database
 * @property {(who: TokenRequest) => Promise<string>} token a user token from POST /dev/token
 * @property {(token: string, method: string, path: string, body?: unknown) => Promise<{status: number, json: any, headers: Headers}>} api
 *   a call to `/api/v1/accounts/1/chat{path}` (path starts with "/")
 * @property {() => string} output what the server printed so far (stdout and stderr)
 */

/**
 * @typedef {{userId: number, role?: "admin" | "supervisor" | "agent", name?: string, accountId?: number, ttlSecs?: number}} TokenRequest
 */

/** The server binary: `CHAT_SERVER_BIN`, or the workspace's debug build. */
function serverBinary() {
  const bin = process.env.CHAT_SERVER_BIN ?? join(ROOT, "target", "debug", "chat-server-min");
  if (!existsSync(bin)) throw new Error(`${bin} not found: run \`cargo build -p chat-server-min\` first`);
  return bin;
}

/**
 * Starts the server in dev mode on 127.0.0.1 (a free port) with a fresh database.
 *
 * @param {{env?: Record<string, string>, dev?: boolean, dbPath?: string}} [options]
 * @returns {Promise<ChatServer>}
 */
export async function startServer(options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "chat-browser-"));
  const dbPath = options.dbPath ?? join(dir, "chat.db");
  const dev = options.dev ?? true;
  let log = "";
  /** @type {import("node:child_process").ChildProcess | null} */
  let child = null;
  let port = 0;

  /** @param {number} wanted */
  const launch = (wanted) =>
    new Promise((resolve, reject) => {
      const args = ["--addr", `127.0.0.1:${wanted}`, "--db", dbPath];
      if (dev) args.unshift("--dev");
      /** @type {Record<string, string | undefined>} */
      const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn", ...(options.env ?? {}) };
      if (dev) {
        delete env.CHAT_JWT_SECRET;
        delete env.CHAT_SERVICE_TOKEN;
      }
      const proc = spawn(serverBinary(), args, { env, stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30_000);
      /** @param {Buffer} chunk */
      const onData = (chunk) => {
        log += chunk.toString();
        const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(log) ?? /"addr":"127\.0\.0\.1:(\d+)"/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      proc.stdout?.on("data", onData);
      proc.stderr?.on("data", onData);
      proc.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited (${code}):\n${log}`));
      });
    });

  const waitHealthy = async () => {
    for (let i = 0; i < 100; i++) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server not healthy:\n${log}`);
  };

  const stop = async () => {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    const killer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  };

  port = /** @type {number} */ (await launch(0));
  await waitHealthy();
  const origin = `http://127.0.0.1:${port}`;

  /** @type {ChatServer} */
  const server = {
    origin,
    port,
    dbPath,
    stop,
    async restart() {
      await stop();
      log = "";
      // The port was ours a moment ago; retry briefly if the kernel has not released it.
      for (let attempt = 0; ; attempt++) {
        try {
          await launch(port);
          break;
        } catch (error) {
          if (attempt >= 20) throw error;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      await waitHealthy();
    },
    async token({ userId, role = "agent", name, accountId = ACCOUNT, ttlSecs }) {
      const body = { account_id: accountId, user_id: userId, role, name: name ?? `User ${userId}` };
      const res = await fetch(`${origin}/dev/token`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(ttlSecs ? { ...body, ttl_secs: ttlSecs } : body),
      });
      if (!res.ok) throw new Error(`POST /dev/token: ${res.status} ${await res.text()}`);
      return (await res.json()).token;
    },
    async api(token, method, path, body) {
      const res = await fetch(`${origin}/api/v1/accounts/${ACCOUNT}/chat${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = text;
      }
      return { status: res.status, json, headers: res.headers };
    },
    output: () => log,
  };
  process.once("exit", () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });
  return server;
}

/**
 * Debian's Chromium, headless, with the flags this machine needs (no background networking:
 * the machine has no network but loopback).
 *
 * @returns {Promise<import("playwright-core").Browser>}
 */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * @typedef {object} Instance
 * @property {import("playwright-core").BrowserContext} context
 * @property {import("playwright-core").Page} page the host page
 * @property {import("playwright-core").Frame} frame the embedded chat (or console)
 * @property {string[]} cspViolations CSP violations reported so far (host page and frame)
 */

/**
 * A new browser context whose page is the dev server's demo host mounting one instance for
 * one user through `/embed.js`, as a real host does.
 *
 * @param {import("playwright-core").Browser} browser
 * @param {ChatServer} server
 * @param {{userId: number, role?: string, name?: string, view?: "chat" | "admin", locale?: string, timeZone?: string,
 *   ttlSecs?: number, colorScheme?: "light" | "dark", viewport?: {width: number, height: number}}} who
 * @returns {Promise<Instance>}
 */
export async function openInstance(browser, server, who) {
  const context = await browser.newContext({
    timezoneId: who.timeZone,
    locale: who.locale,
    colorScheme: who.colorScheme ?? "light",
    viewport: who.viewport ?? { width: 1100, height: 800 },
  });
  const page = await context.newPage();
  const cspViolations = collectCspViolations(page);
  const q = new URLSearchParams({ user: String(who.userId), as: who.view ?? "chat" });
  if (who.role) q.set("role", who.role);
  if (who.name) q.set("name", who.name);
  if (who.locale) q.set("locale", who.locale);
  if (who.timeZone) q.set("tz", who.timeZone);
  if (who.ttlSecs) q.set("ttl", String(who.ttlSecs));
  await page.goto(`${server.origin}/dev?${q}`);
  const frame = await embeddedFrame(page);
  return { context, page, frame, cspViolations };
}

/**
 * The frame of the first `/embed…` iframe of a page, once it has loaded.
 *
 * @param {import("playwright-core").Page} page
 * @returns {Promise<import("playwright-core").Frame>}
 */
export async function embeddedFrame(page) {
  const handle = await page.waitForSelector("iframe.chat-embed-frame", { timeout: 10_000 });
  const frame = await handle.contentFrame();
  if (!frame) throw new Error("the chat iframe has no frame");
  await frame.waitForLoadState("domcontentloaded");
  return frame;
}

/**
 * Collects CSP violations of a page and its frames: Chromium reports each on the console
 * ("Refused to … because it violates the following Content Security Policy directive").
 *
 * @param {import("playwright-core").Page} page
 * @returns {string[]} a live list
 */
export function collectCspViolations(page) {
  /** @type {string[]} */
  const found = [];
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy/i.test(text)) found.push(text);
  });
  return found;
}

/**
 * Runs axe-core on a page (its frames included) for WCAG 2.x A and AA rules; throws with a
 * readable list when anything is found.
 *
 * @param {import("playwright-core").Page} page
 * @param {{tags?: string[], include?: string, exclude?: string, label?: string}} [options]
 */
export async function axeCheck(page, options = {}) {
  const tags = options.tags ?? ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];
  let builder = new AxeBuilder({ page }).withTags(tags);
  if (options.include) builder = builder.include(options.include);
  if (options.exclude) builder = builder.exclude(options.exclude);
  const result = await builder.analyze();
  if (result.violations.length > 0) {
    const lines = result.violations.map(
      (v) => `- ${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.slice(0, 5).map((n) => n.target.join(" ")).join("\n    ")}`,
    );
    throw new Error(`axe: ${result.violations.length} violation(s)${options.label ? ` on ${options.label}` : ""}:\n${lines.join("\n")}`);
  }
}

/**
 * Saves a PNG of the page under target/browser-screenshots/ for review.
 *
 * @param {import("playwright-core").Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
}

/**
 * A host page on another origin (a second loopback port): it imports `/embed.js` from the
 * chat server and mounts one instance, asking the test for tokens (`hostGetToken`, exposed by
 * {@link openHostInstance}). Its own origin goes in the chat server's CHAT_EMBED_ORIGINS when
 * it should be allowed.
 *
 * @returns {Promise<{origin: string, close: () => Promise<void>}>}
 */
export async function startHost() {
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://host");
    const chat = url.searchParams.get("chat") ?? "";
    const view = url.searchParams.get("view") === "admin" ? "admin" : "chat";
    if (url.pathname === "/attacker") {
      // A page of another origin, framed next to the chat by the host: it tries to speak the
      // host's part of the handshake to its sibling (the chat frame).
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Attacker</title></head><body><script>
const fake = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI2NiIsImFjY291bnRfaWQiOjEsInJvbGUiOiJhZG1pbiIsImV4cCI6NDEwMjQ0NDgwMH0.ZmFrZQ";
const ch = new MessageChannel();
setInterval(() => {
  for (let i = 0; i < parent.frames.length; i++) {
    try { parent.frames[i].postMessage({ type: "chat:init", v: 1, token: fake, accountId: 1 }, "*", i === 0 ? [ch.port2] : []); } catch {}
  }
}, 100);
</script></body></html>`);
      return;
    }
    if (url.pathname !== "/") {
      res.writeHead(404).end();
      return;
    }
    // The page's script is a module from the chat server plus a small module of our own; the
    // data it needs travels in data attributes (no inline script needed, but this host has no
    // CSP of its own anyway).
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title></head>
<body><main><h1>Host page</h1><div id="chat" data-chat="${encodeURI(chat)}" data-view="${view}"></div></main>
<script type="module">
import { mount } from ${JSON.stringify(`${chat}/embed.js`)};
const el = document.getElementById("chat");
window.hostEvents = [];
for (const t of ["chat-unread", "chat-notification", "chat-error"]) el.addEventListener(t, (e) => window.hostEvents.push({ type: t, detail: e.detail }));
window.chatInstance = mount(el, { chatOrigin: el.dataset.chat, accountId: 1, view: el.dataset.view, getToken: () => window.hostGetToken() });
</script></body></html>`);
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", () => resolve(undefined)));
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => http.close(() => resolve(undefined))),
  };
}

/**
 * A context whose page is the host of {@link startHost}, mounting one instance of `server`
 * for a user; tokens come from the dev server through `hostGetToken`.
 *
 * @param {import("playwright-core").Browser} browser
 * @param {{origin: string}} host
 * @param {ChatServer} server
 * @param {TokenRequest & {view?: "chat" | "admin"}} who
 */
export async function openHostInstance(browser, host, server, who) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cspViolations = collectCspViolations(page);
  /** @type {string[]} */
  const tokens = [];
  await page.exposeFunction("hostGetToken", async () => {
    const token = await server.token(who);
    tokens.push(token);
    return token;
  });
  await page.goto(`${host.origin}/?chat=${encodeURIComponent(server.origin)}&view=${who.view ?? "chat"}`);
  return { context, page, cspViolations, tokens };
}
