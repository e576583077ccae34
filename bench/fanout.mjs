// Fan-out benchmark: server CPU per delivered push and memory per idle connection.
//
//   node bench/fanout.mjs [--clients 5000] [--instances 2] [--purchases 40] [--burst 2000]
//
// Starts `--instances` release servers on 127.0.0.1 sharing the local Redis and a fresh
// PostgreSQL database, connects `--clients` official socket.io-client sockets (WebSocket)
// spread across them, all in one event room, then:
//   1. spaced purchases (one hold every 250 ms, so no batching): server CPU (utime+stime of
//      all instances, from /proc) divided by pushes delivered to clients;
//   2. a burst of holds as fast as possible: CPU per delivered change (a change is one seat
//      reaching one client). Holds are sent from a worker thread, so the buyers are not
//      slowed by the event loop that receives every client's pushes;
//   3. RSS of the instances before and after connecting the clients: KiB per connection.
// Everything runs on this machine; numbers are for comparing, on the same machine.

import { spawn, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { io } from "socket.io-client";
import { freePort, jwt as signed, rssKiB, sleep } from "./common.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CLIENTS = arg("clients", 5000);
const INSTANCES = arg("instances", 2);
const PURCHASES = arg("purchases", 40);
const BURST = arg("burst", 2000);
const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.BOXOFFICE_BIN ?? path.resolve(here, "../target/release/boxoffice");
const PG = process.env.BOXOFFICE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS = process.env.BOXOFFICE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const SECRET = "bench-secret-bench-secret-bench-secret-0000";
const CLK = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

const jwt = (claims) => signed(SECRET, claims);
function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return Number(f[11]) + Number(f[12]); // utime + stime
}
async function api(url, method, route, token, body) {
  const r = await fetch(`${url}/api${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

const db = `bo_bench_${randomUUID().slice(0, 8)}`;
execFileSync("psql", [PG, "-qc", `CREATE DATABASE ${db}`]);
const dbUrl = PG.slice(0, PG.lastIndexOf("/")) + "/" + db;
const prefix = `bo-bench-${randomUUID().slice(0, 8)}`;
const servers = [];
for (let i = 0; i < INSTANCES; i++) {
  const port = await freePort();
  const proc = spawn(BIN, [], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: String(port), DATABASE_URL: dbUrl, REDIS_URL: REDIS, REDIS_PREFIX: prefix, JWT_SECRET: SECRET, SEED_DEMO: "false", SHOP_RATE_PER_USER: "0", MAX_SOCKETS_PER_USER: "0", RUST_LOG: "warn" },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {}
    await sleep(100);
  }
  servers.push({ url, proc });
}
const stopAll = () => servers.forEach((s) => s.proc.kill("SIGKILL"));
process.on("exit", stopAll);

const admin = jwt({ sub: "bench-admin", role: "admin" });
const ev = await api(servers[0].url, "POST", "/admin/events", admin, {
  name: "Fan-out bench", startsAt: "2030-01-01T20:00:00Z", capacity: 1000000,
  ticketTypes: [{ name: "Seat", price: 1000 }],
  seatMap: { sections: [{ name: "A", rows: 50, seatsPerRow: 50, ticketTypeIndex: 0 }] },
});
const eventId = ev.body.id;
const seats = (await api(servers[0].url, "GET", `/events/${eventId}/seats`)).body.seats.map((s) => s.id);

const rssBefore = servers.map((s) => rssKiB(s.proc.pid));
let delivered = 0; // push messages received by clients
let seatChanges = 0; // seat ids received by clients
const sockets = [];
const token = jwt({ sub: "bench-watcher", role: "user" });
const t0 = Date.now();
for (let i = 0; i < CLIENTS; i += 200) {
  await Promise.all(
    Array.from({ length: Math.min(200, CLIENTS - i) }, (_, j) =>
      new Promise((resolve, reject) => {
        const s = io(servers[(i + j) % INSTANCES].url, { auth: { token }, transports: ["websocket"], reconnection: false });
        s.on("connect", resolve);
        s.on("connect_error", reject);
        s.on("seat:selected", (m) => {
          delivered++;
          seatChanges += m.seatIds.length;
        });
        s.on("ticket:updated", () => delivered++);
        sockets.push(s);
      }),
    ),
  );
}
await sleep(2000);
const rssAfter = servers.map((s) => rssKiB(s.proc.pid));
const perConn = rssAfter.reduce((a, b, i) => a + b - rssBefore[i], 0) / CLIENTS;
console.log(`connected ${CLIENTS} clients across ${INSTANCES} instances in ${Date.now() - t0} ms`);
console.log(`memory: ${perConn.toFixed(1)} KiB RSS per idle connection`);
const t1 = Date.now();
for (let i = 0; i < sockets.length; i += 200) {
  await Promise.all(sockets.slice(i, i + 200).map((s) => s.emitWithAck("join:event", { eventId, seats: false })));
}
await sleep(1000);
const rssJoined = servers.map((s) => rssKiB(s.proc.pid));
console.log(
  `joined the room (stock-only snapshot; seat map over REST) in ${Date.now() - t1} ms; ` +
    `RSS then ${(rssJoined.reduce((a, b, i) => a + b - rssBefore[i], 0) / CLIENTS).toFixed(1)} KiB per connection`,
);

// The buyer, in its own thread: spaced holds on the first instance, or a burst of 50 at a time
// across all instances. Posts back how many were refused.
const HOLDER = `
const { parentPort, workerData: d } = require("node:worker_threads");
(async () => {
  let refused = 0;
  const hold = async (url, seat) => {
    const r = await fetch(url + "/api/seats/reserve", {
      method: "POST",
      headers: { authorization: "Bearer " + d.buyer, "content-type": "application/json", "x-admission-token": d.admission },
      body: JSON.stringify({ eventId: d.eventId, seatIds: [seat] }),
    });
    await r.arrayBuffer();
    if (r.status !== 201 && r.status !== 200) refused++;
  };
  if (d.spacingMs > 0) {
    for (const seat of d.holds) {
      await hold(d.urls[0], seat);
      await new Promise((r) => setTimeout(r, d.spacingMs));
    }
  } else {
    for (let i = 0; i < d.holds.length; i += 50) {
      await Promise.all(d.holds.slice(i, i + 50).map((seat, j) => hold(d.urls[(i + j) % d.urls.length], seat)));
    }
  }
  parentPort.postMessage(refused);
})();
`;

async function phase(name, holds, spacingMs) {
  delivered = 0;
  seatChanges = 0;
  const buyer = jwt({ sub: `bench-buyer-${name}`, role: "user" });
  // Holding needs an admission; the event's capacity is huge, so joining admits at once.
  const joined = await api(servers[0].url, "POST", "/queue/join", buyer, { eventId });
  const admission = joined.body?.admissionToken;
  if (!admission) throw new Error(`buyer not admitted: ${JSON.stringify(joined)}`);
  const cpu0 = servers.map((s) => cpuTicks(s.proc.pid));
  const start = Date.now();
  const refused = await new Promise((resolve, reject) => {
    const w = new Worker(HOLDER, {
      eval: true,
      workerData: { urls: servers.map((s) => s.url), buyer, admission, eventId, holds, spacingMs },
    });
    w.on("message", resolve);
    w.on("error", reject);
  });
  if (refused > 0) throw new Error(`${refused} of ${holds.length} holds were refused`);
  const expect = holds.length * CLIENTS;
  const deadline = Date.now() + 60000;
  while (seatChanges < expect && Date.now() < deadline) await sleep(50);
  await sleep(500);
  const cpu = servers.reduce((a, s, i) => a + cpuTicks(s.proc.pid) - cpu0[i], 0) / CLK;
  const secs = (Date.now() - start) / 1000;
  const m = await Promise.all(servers.map((s) => api(s.url, "GET", "/metrics", admin)));
  const sum = (k) => m.reduce((a, r) => a + (r.body?.[k] ?? 0), 0);
  const drops = `drops: socket queue full ${sum("socketQueueFull")}, Redis adapter ${sum("redisDropped")}`;
  console.log(
    `${name}: ${holds.length} holds in ${secs.toFixed(1)} s; clients got ${delivered} push messages carrying ${seatChanges}/${expect} seat changes; ` +
      `server CPU ${cpu.toFixed(2)} s = ${((cpu * 1e6) / delivered).toFixed(2)} µs per delivered push, ${((cpu * 1e6) / seatChanges).toFixed(2)} µs per delivered seat change; ${drops}`,
  );
}
await phase("spaced", seats.slice(0, PURCHASES), 250);
await phase("burst", seats.slice(PURCHASES, PURCHASES + BURST), 0);
for (const s of sockets) s.close();
stopAll();
execFileSync("psql", [PG, "-qc", `DROP DATABASE ${db} WITH (FORCE)`]);
process.exit(0);
