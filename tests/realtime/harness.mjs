// Test harness for the real-time tests: real `boxoffice` server processes on 127.0.0.1,
// real PostgreSQL and Redis, and the official socket.io-client.
//
// Environment (set by scripts/test.sh):
//   BOXOFFICE_BIN            the server binary (default ../../target/debug/boxoffice)
//   BOXOFFICE_TEST_PG_URL    a PostgreSQL where tests may create databases
//   BOXOFFICE_TEST_REDIS_URL a Redis 7 the cluster tests share (each test uses its own prefix)

import { spawn, execFileSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
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
export function freshPostgres(pgUrl = PG_URL) {
  const name = `bo_test_${randomUUID().replaceAll("-", "")}`;
  try {
    execFileSync("psql", [pgUrl, "-q", "-c", `CREATE DATABASE ${name}`], { stdio: "pipe" });
  } catch (e) {
    throw new Error(`PostgreSQL is required at ${pgUrl} (run ./scripts/test.sh): ${e.stderr ?? e}`);
  }
  const base = pgUrl.split("?")[0];
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
  // nginx gets SIGTERM: its master then stops its workers (a SIGKILLed master leaves them).
  for (const s of started) s.proc.kill(s.killSignal ?? "SIGKILL");
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
    // A stop (SIGTERM) drains: keep it short unless a test asks for the drain itself.
    DRAIN_SECONDS: "1",
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

/** Several instances over one PostgreSQL database and one Redis, with a private prefix.
 *  `pgUrl`: the PostgreSQL server to create that database on (a private one from
 *  `startPostgres` for tests that stop it). */
export async function startCluster(n, env = {}, redisUrl = REDIS_URL, { pgUrl = PG_URL } = {}) {
  const databaseUrl = freshPostgres(pgUrl);
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

/** A real nginx in front of `instances` (servers or ports), configured from
 *  deploy/nginx.conf.template exactly as scripts/cluster.sh does, on a free port with its
 *  own run directory. Resolves once it proxies `/api/health`.
 *
 *  The template balances with ip_hash (first three octets of IPv4): every request from
 *  127.0.0.1 reaches the same instance. `lb.from(i)` is a client view whose requests (REST
 *  through `api`, sockets through `connect`) come from 127.0.i.1, so tests can spread
 *  clients over the instances the way different networks would be. */
export async function startNginx(instances) {
  const bin = process.env.NGINX_BIN ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].find(existsSync) ?? "nginx";
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "bo-nginx-"));
  chmodSync(dir, 0o755); // nginx's workers may run as another user (root starts them as nobody)
  const addrs = instances.map((s) => `127.0.0.1:${typeof s === "number" ? s : s.port}`);
  const template = readFileSync(path.resolve(here, "../../deploy/nginx.conf.template"), "utf8");
  const conf = template
    .split("\n")
    .flatMap((line) => (line.includes("__UPSTREAMS__") ? addrs.map((a) => line.replaceAll("__UPSTREAMS__", a)) : [line]))
    .join("\n")
    .replaceAll("__RUN_DIR__", dir)
    .replaceAll("__LISTEN__", `127.0.0.1:${port}`);
  writeFileSync(path.join(dir, "nginx.conf"), conf);
  const args = ["-e", path.join(dir, "nginx-error.log"), "-c", path.join(dir, "nginx.conf"), "-p", dir];
  const proc = spawn(bin, args, { stdio: ["ignore", "inherit", "inherit"] });
  const spawned = new Promise((resolve, reject) => {
    proc.once("spawn", resolve);
    proc.once("error", (e) => reject(new Error(`nginx (${bin}) did not start: ${e.message}; install it (apt-get install nginx)`)));
  });
  await spawned;
  const url = `http://127.0.0.1:${port}`;
  const views = new Map();
  const lb = {
    port,
    url,
    proc,
    dir,
    killSignal: "SIGTERM",
    /** The error log: which instances nginx found dead or refusing, and when. */
    errorLog: () => readFileSync(path.join(dir, "nginx-error.log"), "utf8"),
    from(i) {
      if (!views.has(i)) {
        const agent = new http.Agent({ keepAlive: true, localAddress: `127.0.${i}.1` });
        views.set(i, { port, url, agent, localAddress: `127.0.${i}.1` });
      }
      return views.get(i);
    },
    async stop() {
      for (const v of views.values()) v.agent.destroy();
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        proc.kill("SIGTERM");
        await exited;
      }
      started.delete(lb);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  started.add(lb);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) {
      let log = "";
      try {
        log = lb.errorLog();
      } catch {}
      throw new Error(`nginx exited with ${proc.exitCode} during start: ${log}`);
    }
    try {
      const r = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error("nginx did not proxy /api/health within 15 s");
    await sleep(50);
  }
  return lb;
}

/** One HTTP request through `agent` (so from its local address); resolves like fetch's
 *  essentials: {status, text}. */
function requestVia(agent, url, { method, headers, body, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("The operation was aborted due to timeout")));
    req.on("error", reject);
    req.end(body);
  });
}

/** A private PostgreSQL server (for tests that stop and restart it): initdb into a temporary
 *  directory, run as the `postgres` user when this process is root (initdb refuses root), on
 *  a free port, fsync off. Never the shared server. `stop(mode)` is `pg_ctl stop -m mode`
 *  (fast: what a service restart does), `start()` brings it back on the same port and data. */
export async function startPostgres() {
  const initdb = process.env.PG_BIN
    ? path.join(process.env.PG_BIN, "initdb")
    : execFileSync("sh", ["-c", "ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1"]).toString().trim();
  if (!initdb || !existsSync(initdb)) throw new Error("no initdb found under /usr/lib/postgresql/*/bin (apt-get install postgresql)");
  const bin = path.dirname(initdb);
  const asPg = process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  const run = (cmd, args) => {
    const [exe, ...rest] = [...asPg, path.join(bin, cmd), ...args];
    return execFileSync(exe, rest, { stdio: "pipe" });
  };
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "bo-pg-"));
  if (asPg.length) execFileSync("chown", ["postgres", dir]);
  const data = path.join(dir, "data");
  run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  let running = false;
  const pg = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    start() {
      run("pg_ctl", ["-D", data, "-l", path.join(dir, "pg.log"), "-w", "-o", options, "start"]);
      running = true;
    },
    stop(mode = "fast") {
      if (!running) return;
      run("pg_ctl", ["-D", data, "-m", mode, "-w", "stop"]);
      running = false;
    },
    // The exit handler's kill: pg_ctl runs the server as a daemon, not as our child.
    proc: {
      kill() {
        try {
          pg.stop("immediate");
        } catch {}
        rmSync(dir, { recursive: true, force: true });
      },
    },
  };
  started.add(pg);
  pg.start();
  return pg;
}

/** Runs every statement of scripts/fuzz/invariants.sql against a PostgreSQL database;
 *  resolves to the violated ones as [{sql, count}] (empty when all hold). */
export function invariantViolations(databaseUrl) {
  const text = readFileSync(path.resolve(here, "../../scripts/fuzz/invariants.sql"), "utf8");
  const statements = text
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join("\n")
    .split(";")
    .map((st) => st.trim())
    .filter(Boolean);
  const violated = [];
  for (const sql of statements) {
    const count = Number(execFileSync("psql", [databaseUrl, "-Atqc", sql]).toString().trim());
    if (count !== 0) violated.push({ sql, count });
  }
  return violated;
}

/** The instance nginx's ip_hash sends 127.0.X.1 to while all are up, as an index into the
 *  upstream list (ngx_http_upstream_ip_hash_module: a hash of the first three octets, equal
 *  weights). Tests use it to spread clients over instances. */
export function ipHashIndex(x, n) {
  let hash = 89;
  for (const octet of [127, 0, x]) hash = (hash * 113 + octet) % 6271;
  return hash % n;
}

/** `perInstance` client addresses for each of `n` instances behind `lb`, in address order:
 *  `{x, instance, via}`, where `via` sends requests from 127.0.X.1 through the balancer. */
export function spreadClients(lb, n, perInstance) {
  const views = [];
  for (let x = 1; views.length < n * perInstance; x++) {
    const instance = ipHashIndex(x, n);
    if (views.filter((v) => v.instance === instance).length < perInstance) views.push({ x, instance, via: lb.from(x) });
  }
  return views;
}

// ---------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------
/** As [`api`], for tests that count what clients saw: a request that fails to connect or is
 *  cut answers `status: 0` with the error's message as its code, instead of throwing; every
 *  answer carries `startedAt` and `endedAt` (ms since the epoch). */
export async function apiOutcome(server, method, route, opts) {
  const startedAt = Date.now();
  let r;
  try {
    r = await api(server, method, route, opts);
  } catch (e) {
    r = { status: 0, body: { error: { code: e.message.slice(0, 80) } } };
  }
  return { ...r, startedAt, endedAt: Date.now() };
}

/** "op status code" for counting outcomes by kind. */
export const outcomeKey = (op, r) => `${op} ${r.status}${r.body?.error?.code ? ` ${r.body.error.code}` : ""}`;

export async function api(server, method, route, { token, body, headers: extra = {} } = {}) {
  const headers = { ...extra };
  if (!token && route === "/metrics") token = adminToken(); // /api/metrics is admin-only
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  // A hung request is a failure with a name, not a test that never ends.
  const r = await (server.agent
    ? requestVia(server.agent, `${server.url}/api${route}`, { ...init, timeoutMs: 30_000 })
    : fetch(`${server.url}/api${route}`, { ...init, signal: AbortSignal.timeout(30_000) }).then(async (res) => ({ status: res.status, text: await res.text() }))
  ).catch((e) => {
    throw new Error(`${method} ${route} on :${server.port}: ${e.message}`);
  });
  const text = r.text;
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a load balancer's own error page (nginx's 502), kept for the message.
    parsed = { nonJson: text.slice(0, 200) };
  }
  return { status: r.status, body: parsed };
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
    // A view from `startNginx(...).from(i)` carries the agent its requests go through.
    const via = server.agent ? { agent: server.agent } : {};
    const s = io(server.url, { auth: token === undefined ? {} : { token }, reconnection: false, ackTimeout: 15_000, ...via, ...opts });
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

// ---------------------------------------------------------------------------------------
// Draining instances
// ---------------------------------------------------------------------------------------
/** What the web app does (web/src/lib/serverMoves.ts), for a test client made by `connect`
 *  (which turns socket.io-client's own reconnection off): after `server:draining
 *  {reconnectInMs}` come back after that delay (leaving first if still connected), after an
 *  unannounced server disconnect or a lost connection after 0.5–1.5 s, and retry a refused
 *  handshake every 250 ms. `socket.moves` records each move: `{drainingAt, reconnectInMs,
 *  disconnectedAt, reason, connectedAt}` (Date.now() times). Returns a function that stops. */
export function reconnectOnDrain(socket, { unannouncedMs = 1000, retryMs = 250 } = {}) {
  socket.moves = [];
  let move = null;
  let timer = null;
  let stopped = false;
  const current = () => (move ??= {});
  const schedule = (ms) => {
    clearTimeout(timer);
    timer = setTimeout(comeBack, ms);
  };
  const comeBack = () => {
    timer = null;
    if (stopped) return;
    if (socket.connected) {
      Object.assign(current(), { disconnectedAt: Date.now(), reason: "left as asked" });
      socket.disconnect();
    }
    socket.connect();
  };
  const onDraining = (m) => {
    const ms = Math.min(Math.max(Number(m?.reconnectInMs) || 0, 0), 60_000);
    Object.assign(current(), { drainingAt: Date.now(), reconnectInMs: ms });
    schedule(ms);
  };
  const onDisconnect = (reason) => {
    if (stopped || reason === "io client disconnect") return; // the test's, or our own leaving
    Object.assign(current(), { disconnectedAt: Date.now(), reason });
    if (timer === null) schedule(unannouncedMs * (0.5 + Math.random()));
  };
  const onConnectError = () => {
    if (!stopped && move && timer === null) schedule(retryMs);
  };
  const onConnect = () => {
    if (!move) return;
    move.connectedAt = Date.now();
    socket.moves.push(move);
    move = null;
  };
  socket.on("server:draining", onDraining);
  socket.on("disconnect", onDisconnect);
  socket.on("connect_error", onConnectError);
  socket.on("connect", onConnect);
  return () => {
    stopped = true;
    clearTimeout(timer);
    socket.off("server:draining", onDraining);
    socket.off("disconnect", onDisconnect);
    socket.off("connect_error", onConnectError);
    socket.off("connect", onConnect);
  };
}
