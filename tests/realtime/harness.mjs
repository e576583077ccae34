// Test harness for the real-time tests: real `boxoffice` server processes on 127.0.0.1,
// real PostgreSQL and Redis, and the official socket.io-client.
//
// Environment (set by scripts/test.sh):
//   BOXOFFICE_BIN            the server binary (default ../../target/debug/boxoffice)
//   BOXOFFICE_TEST_PG_URL    a PostgreSQL where tests may create databases
//   BOXOFFICE_TEST_REDIS_URL a Redis 7 the cluster tests share (each test uses its own prefix)

import { spawn, execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";

const here = path.dirname(fileURLToPath(import.meta.url));
export const BIN = process.env.BOXOFFICE_BIN ?? path.resolve(here, "../../target/debug/boxoffice");
export const PG_URL = process.env.BOXOFFICE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.BOXOFFICE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const SECRET = "realtime-test-secret-realtime-test-secret";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Tokens: HS256, as any issuer sharing JWT_SECRET may mint them.
// ---------------------------------------------------------------------------------------
const b64url = (buf) => Buffer.from(buf).toString("base64url");
export function jwt(claims, secret = SECRET) {
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const now = Math.floor(Date.now() / 1000);
  const body = b64url(JSON.stringify({ iat: now, exp: now + 3600, ...claims }));
  const sig = createHmac("sha256", secret).update(`${header}.${body}`).digest("base64url");
  return `${header}.${body}.${sig}`;
}
export const userToken = (id) => jwt({ sub: id, role: "user" });
export const adminToken = () => jwt({ sub: "admin", role: "admin" });

// ---------------------------------------------------------------------------------------
// Databases and servers
// ---------------------------------------------------------------------------------------
export function freshPostgres() {
  const name = `bo_test_${randomUUID().replaceAll("-", "")}`;
  try {
    execFileSync("psql", [PG_URL, "-q", "-c", `CREATE DATABASE ${name}`], { stdio: "pipe" });
  } catch (e) {
    throw new Error(`PostgreSQL is required at ${PG_URL} (run ./scripts/test.sh): ${e.stderr ?? e}`);
  }
  const base = PG_URL.split("?")[0];
  return base.slice(0, base.lastIndexOf("/")) + "/" + name;
}

export function freshSqlite() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bo-rt-"));
  return { url: `sqlite://${dir}/boxoffice.db`, dir };
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const started = new Set();
const killAll = () => {
  for (const s of started) s.proc.kill("SIGKILL");
};
// Never leave server processes behind, however this process ends.
process.on("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Starts one server process and waits until it answers. */
export async function startServer({ databaseUrl, redis, redisUrl = REDIS_URL, prefix, port, env = {} } = {}) {
  port = port ?? (await freePort());
  let dataDir;
  if (!databaseUrl) {
    const s = freshSqlite();
    databaseUrl = s.url;
    dataDir = s.dir;
  }
  const fullEnv = {
    ...process.env,
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    JWT_SECRET: SECRET,
    SEED_DEMO: "false",
    SWEEP_INTERVAL_MS: "200",
    RUST_LOG: process.env.RUST_LOG ?? "boxoffice=warn",
    ...(dataDir ? { DATA_DIR: dataDir } : {}),
    ...(redis ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
    ...env,
  };
  if (!redis) delete fullEnv.REDIS_URL;
  const proc = spawn(BIN, [], { env: fullEnv, stdio: ["ignore", "inherit", "inherit"] });
  const server = {
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    databaseUrl,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill(signal);
      await exited;
      started.delete(server);
    },
    cleanup() {
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  started.add(server);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode} during start`);
    try {
      const r = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error("server did not start within 60 s");
    await sleep(100);
  }
  return server;
}

/** Several instances over one PostgreSQL database and one Redis, with a private prefix. */
export async function startCluster(n, env = {}, redisUrl = REDIS_URL) {
  const databaseUrl = freshPostgres();
  const prefix = `bo-test-${randomUUID().slice(0, 8)}`;
  const servers = [];
  for (let i = 0; i < n; i++) {
    servers.push(await startServer({ databaseUrl, redis: true, redisUrl, prefix, env }));
  }
  return servers;
}

/** A private redis-server process (for tests that stop and restart it). */
export async function startRedis(port) {
  port = port ?? (await freePort());
  const dir = mkdtempSync(path.join(os.tmpdir(), "bo-redis-"));
  const proc = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGKILL");
      await exited;
      started.delete(redis);
    },
  };
  started.add(redis);
  const deadline = Date.now() + 10_000;
  while (!(await new Promise((res) => {
    const c = net.connect(port, "127.0.0.1", () => { c.end(); res(true); });
    c.on("error", () => res(false));
  }))) {
    if (Date.now() > deadline) throw new Error("redis-server did not start");
    await sleep(50);
  }
  return redis;
}

// ---------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------
export async function api(server, method, route, { token, body, headers: extra = {} } = {}) {
  const headers = { ...extra };
  if (!token && route === "/metrics") token = adminToken(); // /api/metrics is admin-only
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(`${server.url}/api${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    // A hung request is a failure with a name, not a test that never ends.
    signal: AbortSignal.timeout(30_000),
  }).catch((e) => {
    throw new Error(`${method} ${route} on :${server.port}: ${e.message}`);
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

export async function createEvent(server, { rows = 4, perRow = 10, ga = 100, holdSeconds = 60, ...extra } = {}) {
  const spec = {
    name: "Realtime test",
    venue: "Loopback Hall",
    startsAt: "2030-01-01T20:00:00Z",
    holdSeconds,
    ticketTypes: [
      { name: "Seat", price: 5000 },
      { name: "Standing", price: 2000, quantity: ga },
    ],
    seatMap: { sections: [{ name: "A", rows, seatsPerRow: perRow, ticketTypeIndex: 0 }] },
    ...extra,
  };
  const r = await api(server, "POST", "/admin/events", { token: adminToken(), body: spec });
  if (r.status !== 201) throw new Error(`create event: ${r.status} ${JSON.stringify(r.body)}`);
  const seats = (await api(server, "GET", `/events/${r.body.id}/seats`)).body.seats;
  return { event: r.body, seats };
}

/** Joins the event's waiting room; resolves to the join answer. */
export const join = (server, token, eventId) => api(server, "POST", "/queue/join", { token, body: { eventId } });

/** Holds seats the way a shopper does: join the waiting room (admitted at once while the
 *  event has room), then hold with the admission token. */
export async function hold(server, token, eventId, seatIds) {
  const j = await join(server, token, eventId);
  if (!j.body?.admissionToken) return { status: 403, body: j.body };
  return api(server, "POST", "/seats/reserve", {
    token,
    body: { eventId, seatIds },
    headers: { "x-admission-token": j.body.admissionToken },
  });
}

// ---------------------------------------------------------------------------------------
// Socket.IO clients
// ---------------------------------------------------------------------------------------
/** Connects and resolves once connected. Events named in `early` are listened for before
 *  the handshake (the server may emit them immediately on connect); `socket.early[name]` is
 *  a promise of the first such message. */
export function connect(server, token, opts = {}, early = []) {
  return new Promise((resolve, reject) => {
    const s = io(server.url, { auth: token === undefined ? {} : { token }, reconnection: false, ackTimeout: 15_000, ...opts });
    s.early = Object.fromEntries(early.map((name) => [name, once(s, name, 10_000)]));
    const timer = setTimeout(() => reject(new Error("connect timeout")), 15_000);
    s.once("connect", () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once("connect_error", (e) => {
      clearTimeout(timer);
      s.close();
      reject(e);
    });
  });
}

/** What a client believes about seats and stock, built the way the web app builds it:
 *  a snapshot, then pushes applied only when newer than what it holds. */
export class Mirror {
  constructor() {
    this.seats = new Map(); // id -> {status, version}
    this.stock = new Map(); // ticketTypeId -> {remainingQuantity, version}
    this.messages = { "seat:selected": 0, "seat:released": 0, "seat:sold": 0, "ticket:updated": 0 };
    this.stale = 0;
  }
  attach(socket) {
    const seat = (status) => (m) => {
      this.messages[status.event]++;
      m.seatIds.forEach((id, i) => this.applySeat(id, status.value, m.versions[i]));
    };
    socket.on("seat:selected", seat({ event: "seat:selected", value: "held" }));
    socket.on("seat:released", seat({ event: "seat:released", value: "available" }));
    socket.on("seat:sold", seat({ event: "seat:sold", value: "sold" }));
    socket.on("ticket:updated", (m) => {
      this.messages["ticket:updated"]++;
      for (const u of m.updates ?? [m]) this.applyStock(u.ticketTypeId, u.remainingQuantity, u.version);
    });
    return this;
  }
  applySnapshot(snap) {
    for (const s of snap.seats ?? []) this.applySeat(s.id, s.status, s.version);
    for (const t of snap.ticketTypes ?? []) this.applyStock(t.id, t.remainingQuantity, t.version);
  }
  applySeat(id, status, version) {
    const cur = this.seats.get(id);
    if (cur && cur.version >= version) {
      this.stale++;
      return;
    }
    this.seats.set(id, { status, version });
  }
  applyStock(id, remainingQuantity, version) {
    const cur = this.stock.get(id);
    if (cur && cur.version >= version) return;
    this.stock.set(id, { remainingQuantity, version });
  }
}

/** The server's truth, in Mirror's shape. */
export async function truth(server, eventId) {
  const seats = (await api(server, "GET", `/events/${eventId}/seats`)).body.seats;
  const event = (await api(server, "GET", `/events/${eventId}`)).body;
  return {
    seats: new Map(seats.map((s) => [s.id, { status: s.status, version: s.version }])),
    stock: new Map(event.ticketTypes.map((t) => [t.id, { remainingQuantity: t.remainingQuantity, version: t.version }])),
  };
}

/** Waits until `check()` is truthy, polling; fails with `what` after `ms`. */
export async function eventually(check, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

export function once(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event, (m) => {
      clearTimeout(timer);
      resolve(m);
    });
  });
}

export function mapsEqual(a, b) {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    if (JSON.stringify(v) !== JSON.stringify(b.get(k))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Edges: metrics, memory, and raw WebSocket frames for what no well-behaved client sends
// ---------------------------------------------------------------------------------------
/** The server's counters (GET /api/metrics, asked as an administrator). */
export async function metrics(server) {
  const r = await api(server, "GET", "/metrics", { token: adminToken() });
  if (r.status !== 200) throw new Error(`metrics: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Resident memory of a server process, in KiB (Linux /proc). */
export function rssKiB(server) {
  const status = readFileSync(`/proc/${server.proc.pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)[1]);
}

/** One client-to-server WebSocket frame (masked, as RFC 6455 requires of clients). With
 *  `announce`, the header claims that many payload bytes whatever `payload` holds. */
export function wsFrame(payload, { opcode = 0x1, fin = true, announce } = {}) {
  const data = Buffer.from(payload);
  const len = announce ?? data.length;
  let header;
  if (len < 126) {
    header = Buffer.alloc(2);
    header[1] = 0x80 | len;
  } else if (len < 65536) {
    header = Buffer.alloc(4);
    header[1] = 0x80 | 126;
    header.writeUInt16BE(len, 2);
  } else {
    header = Buffer.alloc(10);
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(len), 2);
  }
  header[0] = (fin ? 0x80 : 0) | opcode;
  const mask = randomBytes(4);
  for (let i = 0; i < data.length; i++) data[i] ^= mask[i % 4];
  return Buffer.concat([header, mask, data]);
}

/** A raw Engine.IO WebSocket connection (no Socket.IO connect, so never authenticated).
 *  Resolves once the server's open packet arrived; `closed` resolves when the server ends
 *  or resets the connection. */
export function rawWebSocket(server) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(server.port, "127.0.0.1");
    const key = randomBytes(16).toString("base64");
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const closed = new Promise((r) => {
      sock.once("close", () => r(true));
    });
    sock.on("error", () => {}); // a reset is how the server may close; `closed` reports it
    const timer = setTimeout(() => reject(new Error("no WebSocket open packet")), 15_000);
    sock.on("data", (chunk) => {
      if (upgraded) return;
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      if (!head.startsWith("HTTP/1.1 101")) {
        clearTimeout(timer);
        reject(new Error(`no upgrade: ${head.split("\r\n")[0]}`));
        return;
      }
      // The open packet ("0{...}") follows as the first text frame.
      if (buf.length > end + 4 + 2 && buf[end + 4] === 0x81) {
        upgraded = true;
        clearTimeout(timer);
        resolve({ sock, closed, send: (bytes) => new Promise((r) => sock.write(bytes, () => r())) });
      }
    });
    sock.write(
      `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
        `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}
