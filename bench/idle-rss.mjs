// Memory per idle connection, Boxoffice against the Node stack it replaces, side by side.
//
//   node bench/idle-rss.mjs [--clients 8000] [--rounds 3] [--only boxoffice|node-seed]
//
// Each round starts one Boxoffice release server on PostgreSQL (a fresh database) and Redis
// (its own prefix), then one node-seed peer (../shared/peers/node-seed, `npm ci` there first)
// on the same Redis, alternately. For each it reads the server's RSS from /proc, connects
// `--clients` official socket.io-client sockets over WebSocket, each a distinct user, each in
// the event's room (Boxoffice: `join:event {eventId, seats: false}`, answered; the peer:
// `join:event eventId`), waits 5 s for the server to settle, reads RSS again and reports
// (after - before) / clients in KiB, then closes everything. Loopback only; it stops by itself.
// Prints one line per run and the medians.

import { spawn, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { io } from "socket.io-client";
import { freePort, jwt as signed, rssKiB, sleep } from "./common.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CLIENTS = Math.min(arg("clients", 8000), 18000);
const ROUNDS = arg("rounds", 3);
// `--only boxoffice` (or `node-seed`) measures one side, for trying settings quickly.
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;
const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = process.env.BOXOFFICE_BIN ?? path.resolve(here, "../target/release/boxoffice");
const PEER = process.env.PEER_DIR ?? path.resolve(here, "../../shared/peers/node-seed");
const PG = process.env.BOXOFFICE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS = process.env.BOXOFFICE_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const SECRET = "bench-secret-bench-secret-bench-secret-0000";

const jwt = (claims) => signed(SECRET, claims);
async function ready(url, pathname) {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url + pathname);
      if (r.status < 500) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`${url} did not start`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function boxoffice() {
  const port = await freePort();
  const db = `bo_bench_idle_${randomUUID().slice(0, 8)}`;
  execFileSync("psql", [PG, "-qc", `CREATE DATABASE ${db}`]);
  const prefix = `bo-bench-${db}`;
  const proc = spawn(BIN, [], {
    env: {
      ...process.env,
      HOST: "127.0.0.1", PORT: String(port), JWT_SECRET: SECRET, SEED_DEMO: "false",
      DATABASE_URL: PG.slice(0, PG.lastIndexOf("/")) + "/" + db, REDIS_URL: REDIS,
      REDIS_PREFIX: prefix, RUST_LOG: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await ready(url, "/api/health");
  const admin = jwt({ sub: "bench-admin", role: "admin" });
  const r = await fetch(`${url}/api/admin/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
    body: JSON.stringify({
      name: "Idle bench", startsAt: "2030-01-01T20:00:00Z", capacity: 1000000,
      ticketTypes: [{ name: "GA", price: 1000, quantity: 100000 }],
    }),
  });
  const eventId = (await r.json()).id;
  return {
    name: "boxoffice", url, proc, eventId,
    token: (i) => jwt({ sub: `idle-${i}`, role: "user" }),
    join: (s) => s.emitWithAck("join:event", { eventId, seats: false }),
    cleanup: () => {
      execFileSync("sh", ["-c", `redis-cli -u ${REDIS} --scan --pattern '${prefix}*' | xargs -r -n 500 redis-cli -u ${REDIS} DEL >/dev/null`]);
      execFileSync("psql", [PG, "-qc", `DROP DATABASE ${db} WITH (FORCE)`]);
    },
  };
}

async function peer() {
  const port = await freePort();
  const proc = spawn("node", ["server.js"], {
    cwd: PEER,
    env: { ...process.env, PORT: String(port), JWT_SECRET: SECRET, REDIS_HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  await ready(url, "/socket.io/?EIO=4&transport=polling");
  const eventId = `idle-${randomUUID().slice(0, 8)}`;
  return {
    name: "node-seed", url, proc, eventId,
    token: (i) => jwt({ userId: `idle-${i}` }),
    join: async (s) => s.emit("join:event", eventId),
    cleanup: () => {},
  };
}

async function run(start) {
  const t = await start();
  try {
    // One connection first, so lazily built state (the namespace, pools) is not counted.
    const warm = io(t.url, { auth: { token: t.token("warm") }, transports: ["websocket"], reconnection: false });
    await new Promise((res, rej) => { warm.on("connect", res); warm.on("connect_error", rej); });
    await t.join(warm);
    await sleep(1000);
    const before = rssKiB(t.proc.pid);
    const sockets = [];
    for (let i = 0; i < CLIENTS; i += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, CLIENTS - i) }, (_, j) =>
          new Promise((resolve, reject) => {
            const s = io(t.url, {
              auth: { token: t.token(i + j) }, transports: ["websocket"], reconnection: false,
            });
            s.on("connect", () => t.join(s).then(resolve, reject));
            s.on("connect_error", reject);
            sockets.push(s);
          }),
        ),
      );
    }
    await sleep(5000);
    const after = rssKiB(t.proc.pid);
    sockets.forEach((s) => s.close());
    warm.close();
    const perConn = (after - before) / CLIENTS;
    console.log(`${t.name.padEnd(10)} ${CLIENTS} idle sockets: RSS ${before} -> ${after} KiB, ${perConn.toFixed(1)} KiB per connection`);
    return perConn;
  } finally {
    t.proc.kill("SIGKILL");
    await sleep(300);
    t.cleanup();
  }
}

const results = { boxoffice: [], "node-seed": [] };
for (let r = 0; r < ROUNDS; r++) {
  if (ONLY !== "node-seed") results.boxoffice.push(await run(boxoffice));
  if (ONLY !== "boxoffice") results["node-seed"].push(await run(peer));
}
if (ONLY) process.exit(0);
const a = median(results.boxoffice), b = median(results["node-seed"]);
console.log(`medians of ${ROUNDS}: boxoffice ${a.toFixed(1)} KiB, node-seed ${b.toFixed(1)} KiB per idle connection; ratio ${(a / b).toFixed(2)}`);
process.exit(0);
