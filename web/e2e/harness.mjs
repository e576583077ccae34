// Browser-test harness: a real server process (SQLite in a temp dir, the built web app),
// Debian's Chromium driven by playwright-core, and helpers to act as two people. A server
// runs embedded (the line in its own memory) unless asked for its own private Redis.

import { execFile, execFileSync, spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before } from "node:test";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
export const BIN = process.env.BOXOFFICE_BIN ?? path.join(root, "target/debug/boxoffice");
export const WEB_DIR = path.join(root, "web/dist");
export const SHOTS = path.join(root, "docs/screenshots");
const SECRET = "browser-test-secret-browser-test-secret-00";
mkdirSync(SHOTS, { recursive: true });

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function adminToken() {
  const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const h = b({ alg: "HS256", typ: "JWT" });
  const p = b({ sub: "e2e-admin", role: "admin", iat: now, exp: now + 3600 });
  return `${h}.${p}.${createHmac("sha256", SECRET).update(`${h}.${p}`).digest("base64url")}`;
}

const running = new Set();
const killAll = () => running.forEach((p) => p.kill("SIGKILL"));
process.on("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { killAll(); process.exit(130); });

/**
 * A private redis-server on a free port (never the shared one: tests may FLUSHALL it), with
 * no persistence, in its own temp dir. Killed with the test process at the latest.
 */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "bo-e2e-redis-"));
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  running.add(proc);
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Runs `redis-cli -p <port> ...args` (bounded to 5 s) and resolves to its output. */
    cli: (...args) => new Promise((resolve, reject) =>
      execFile("redis-cli", ["-p", String(port), ...args], { timeout: 5000 }, (e, out) => (e ? reject(e) : resolve(out.trim())))),
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGKILL");
        await Promise.race([exited, sleep(5000)]);
      }
      running.delete(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode} during start`);
    const up = await new Promise((res) => {
      const c = net.connect(port, "127.0.0.1", () => { c.end(); res(true); });
      c.on("error", () => res(false));
    });
    if (up) return redis;
    if (Date.now() > deadline) {
      await redis.stop();
      throw new Error("redis-server did not start within 10 s");
    }
    await sleep(50);
  }
}

const PG_URL = process.env.BOXOFFICE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A fresh PostgreSQL database of its own (`bo_test_<uuid>`, so test.sh's sweep drops
 *  leftovers) for servers that share one; `drop()` removes it. */
export function freshPostgres(pgUrl = PG_URL) {
  const name = `bo_test_${randomUUID().replaceAll("-", "")}`;
  try {
    execFileSync("psql", [pgUrl, "-q", "-c", `CREATE DATABASE ${name}`], { stdio: "pipe" });
  } catch (e) {
    throw new Error(`PostgreSQL is required at ${pgUrl} (run ./scripts/test.sh): ${e.stderr ?? e}`);
  }
  const base = pgUrl.split("?")[0];
  return {
    url: base.slice(0, base.lastIndexOf("/")) + "/" + name,
    drop: () => {
      try {
        execFileSync("psql", [pgUrl, "-q", "-c", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`], { stdio: "pipe" });
      } catch { /* the sweep of test.sh drops it next time */ }
    },
  };
}

/** A server on `port` over the data in `dir`; restartable on the same port and data.
 *  `env`: extra environment for the server (e.g. `{ BOT_CHECK: "pow" }`).
 *  `redis: true`: the line in a private redis-server of its own (`server.redis`, kept
 *  across restarts, stopped by `cleanup`) instead of the server's memory; or a redis from
 *  `startRedis()` that several servers share (with one `redisPrefix`; not stopped by
 *  `cleanup`). `databaseUrl`: a database instead of the SQLite file in `dir` (PostgreSQL from
 *  `freshPostgres()`, for several instances over one database). */
export class Server {
  constructor(env = {}, { redis = false, redisPrefix, databaseUrl } = {}) {
    this.dir = mkdtempSync(path.join(os.tmpdir(), "bo-e2e-"));
    this.port = null;
    this.env = env;
    this.withRedis = redis === true;
    this.redis = typeof redis === "object" && redis ? redis : null;
    this.sharedRedis = this.redis !== null;
    this.redisPrefix = redisPrefix ?? `bo-e2e-${randomUUID().slice(0, 8)}`;
    this.databaseUrl = databaseUrl ?? null;
  }
  get url() {
    return `http://127.0.0.1:${this.port}`;
  }
  async start() {
    this.port ??= await freePort();
    // Whatever Redis the test environment points at is not for this server.
    const inherited = { ...process.env };
    delete inherited.REDIS_URL;
    delete inherited.REDIS_HOST;
    delete inherited.REDIS_PORT;
    if (this.withRedis) this.redis ??= await startRedis();
    const env = {
        ...inherited,
        HOST: "127.0.0.1",
        PORT: String(this.port),
        DATABASE_URL: this.databaseUrl ?? `sqlite://${this.dir}/boxoffice.db`,
        DATA_DIR: this.dir,
        WEB_DIR,
        JWT_SECRET: SECRET,
        SEED_DEMO: "false",
        RUST_LOG: "boxoffice=warn",
        // stop() is SIGTERM, which drains: spread the sockets over one second, not ten.
        DRAIN_SECONDS: "1",
        ...(this.redis ? { REDIS_URL: this.redis.url, REDIS_PREFIX: this.redisPrefix } : {}),
        ...this.env,
    };
    this.proc = spawn(BIN, [], { env, stdio: ["ignore", "inherit", "inherit"] });
    running.add(this.proc);
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(1000) })).ok) return this;
      } catch {}
      if (Date.now() > deadline) throw new Error("server did not start");
      await sleep(100);
    }
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const exited = new Promise((r) => this.proc.once("exit", r));
    this.proc.kill("SIGTERM");
    await Promise.race([exited, sleep(5000).then(() => this.proc.kill("SIGKILL"))]);
    running.delete(this.proc);
  }
  async cleanup() {
    if (!this.sharedRedis) await this.redis?.stop();
    this.redis = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
  async api(method, route, body, token = adminToken(), timeoutMs = 10_000) {
    const r = await fetch(`${this.url}/api${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }
  /** An event shaped like the demo: three priced sections and two general-admission types. */
  async createEvent(extra = {}) {
    const r = await this.api("POST", "/admin/events", {
      name: "The Midnight Orchestra",
      venue: "Riverside Hall",
      startsAt: "2030-03-14T20:00:00Z",
      holdSeconds: 600,
      ticketTypes: [
        { name: "Stalls", price: 9500 },
        { name: "Circle", price: 6500 },
        { name: "Standing", price: 3500, quantity: 200 },
      ],
      seatMap: {
        sections: [
          { name: "Stalls", rows: 6, seatsPerRow: 14, ticketTypeIndex: 0 },
          { name: "Circle", rows: 4, seatsPerRow: 12, ticketTypeIndex: 1 },
        ],
      },
      ...extra,
    });
    if (r.status !== 201) throw new Error(`create event: ${JSON.stringify(r.body)}`);
    return r.body;
  }
}

/** Console messages and page errors, from every page of every launched browser, that
 * mention the Content-Security-Policy: the app must run under its CSP with none. */
export const cspViolations = [];

export async function launch() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    ],
  });
  // Every context (hence every page) reports CSP trouble into cspViolations.
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (...args) => {
    const context = await newContext(...args);
    const csp = (text) => /content.security.policy/i.test(text);
    const note = (page, text) => csp(text) && cspViolations.push(`${page.url()}: ${text}`);
    await context.addInitScript(() =>
      document.addEventListener("securitypolicyviolation", (e) =>
        console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`)));
    context.on("page", (page) => {
      page.on("console", (m) => note(page, m.text()));
      page.on("pageerror", (e) => note(page, String(e?.message ?? e)));
    });
    return context;
  };
  return browser;
}

/** A person: a fresh browser context, signed in as a guest. */
export async function person(browser, server, viewport = { width: 1100, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(server.url);
  await page.getByTestId("guest").click();
  await page.getByTestId("events").waitFor();
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** The colour the seat map's canvas shows at the middle of a seat (its DOM button or image):
 *  [r, g, b]. The map draws on a canvas; this is what a person would see there. */
export async function seatColour(page, seat) {
  const box = await seat.boundingBox();
  if (!box) throw new Error("the seat is not on screen");
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  return page.getByTestId("seatmap").locator("canvas").evaluate((c, { x, y }) => {
    const r = c.getBoundingClientRect();
    const k = c.width / r.width;
    const d = c.getContext("2d").getImageData(Math.round((x - r.left) * k), Math.round((y - r.top) * k), 1, 1).data;
    return [d[0], d[1], d[2]];
  }, at);
}

/** A screenshot of one part of a page (a locator), as `shot` names it. */
export async function shotOf(locator, name) {
  await locator.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

/** The remaining count shown for a ticket type on the event page. */
export async function remaining(page, typeName) {
  return Number(await page.getByTestId(`type-${typeName}`).getByTestId("remaining").textContent());
}

/** Waits (bounded) until `check()` is true. */
export async function within(ms, check, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await sleep(25);
  }
}

/**
 * One server (with `env`) and one browser for a test file: started before its first test,
 * stopped after its last. Read them as `ctx.server` and `ctx.browser`. `options`: as for
 * `Server` (`{ redis: true }` for a private redis-server, `ctx.server.redis`).
 */
export function serverAndBrowser(env = {}, options = {}) {
  const ctx = { server: null, browser: null };
  before(async () => {
    ctx.server = new Server(env, options);
    await ctx.server.start();
    ctx.browser = await launch();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.stop();
    await ctx.server?.cleanup();
  });
  return ctx;
}
