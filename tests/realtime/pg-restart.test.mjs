// Fault test: PostgreSQL cuts every connection, then restarts, mid-rush (a private server,
// stopped the way a service restart stops it: `pg_ctl stop -m fast`, down for longer than the
// pool's acquire timeout, started again). Three instances behind a real nginx. While it is down, calls that need the database answer `503`
// with a code (never a 500, never nginx's own error page); afterwards the database holds
// nothing half-written (scripts/fuzz/invariants.sql, and every 200 to pay is paid), and the
// same instance processes, never restarted, hold, pay and push again. Prints what clients
// saw: answers by code, how long they took, and how soon after the restart things worked.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, test } from "node:test";
import {
  Mirror, apiOutcome, connect, createEvent, eventually, invariantViolations, spreadClients, sleep, startCluster, startNginx,
  startPostgres, truth, userToken,
} from "./harness.mjs";

const stops = [];
after(async () => {
  for (const s of stops.reverse()) await s.stop();
});

// Longer than the pool's acquire timeout (10 s, src/db.rs): requests that meet a database
// down for less than that wait and succeed; the rest are refused when it runs out.
const DOWN_MS = 14_000;
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];

test("a PostgreSQL restart mid-rush: 503 with a code while down, nothing half-written, recovery without restarts", async (t) => {
  const pg = await startPostgres();
  stops.push({ stop: async () => pg.proc.kill() });
  const servers = await startCluster(3, { TRUSTED_PROXIES: "127.0.0.1/32" }, undefined, { pgUrl: pg.url });
  stops.push(...servers);
  const pids = servers.map((s) => s.proc.pid);
  const lb = await startNginx(servers);
  stops.push(lb);

  const { event, seats } = await createEvent(lb, { rows: 6, perRow: 10, ga: 500, capacity: 1000, maxTicketsPerCustomer: 500, admitRatePerSec: 50 });
  // Twelve shoppers, four per instance (nginx's ip_hash on 127.0.X.1), and a watcher socket
  // on each instance.
  const views = spreadClients(lb, 3, 4);
  const watchers = [];
  for (const v of views.slice(0, 3)) {
    const socket = await connect(v.via, userToken(`watcher-${v.x}`), { reconnection: true, reconnectionDelay: 500 });
    const mirror = new Mirror().attach(socket);
    mirror.applySnapshot(await socket.emitWithAck("join:event", event.id));
    let disconnects = 0;
    socket.on("disconnect", () => disconnects++);
    watchers.push({ socket, mirror, disconnects: () => disconnects });
  }

  const log = []; // {op, startedAt, endedAt, status, code}
  const paid = new Set();
  let stop = false;
  const call = async (op, via, method, route, opts) => {
    const r = await apiOutcome(via, method, route, opts);
    log.push({ op, startedAt: r.startedAt, endedAt: r.endedAt, status: r.status, code: r.body?.error?.code ?? r.body?.nonJson?.slice(0, 40) });
    return r;
  };
  const rush = views.map(async (v, i) => {
    const token = userToken(`shopper-${i}`);
    let n = 0;
    while (!stop) {
      n++;
      const j = await call("join", v.via, "POST", "/queue/join", { token, body: { eventId: event.id } });
      if (!j.body?.admissionToken) {
        await sleep(200);
        continue;
      }
      const headers = { "x-admission-token": j.body.admissionToken };
      const h = n % 2
        ? await call("hold", v.via, "POST", "/seats/reserve", { token, headers, body: { eventId: event.id, seatIds: [seats[(i * 10 + n) % seats.length].id] } })
        : await call("hold", v.via, "POST", "/reservations", { token, headers, body: { eventId: event.id, ticketTypeId: event.ticketTypes[1].id, quantity: 1 } });
      if (h.status !== 201) {
        await sleep(h.status >= 500 ? 200 : 20);
        continue;
      }
      const p = await call("pay", v.via, "POST", `/reservations/${h.body.reservation.id}/pay`, { token, body: {} });
      if (p.status === 200) paid.add(h.body.reservation.id);
      else await sleep(200);
      // Reads too: the event page.
      await call("read", v.via, "GET", `/events/${event.id}`, {});
    }
  });

  await sleep(1500);
  // First the connections are cut under the instances' feet (what a failover does to open
  // sessions): every backend of the database terminated, twenty times over a second.
  const cutAt = Date.now();
  for (let k = 0; k < 20; k++) {
    execFileSync("psql", [pg.url, "-Atqc", `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '${servers[0].databaseUrl.split("/").pop()}'`]);
    await sleep(50);
  }
  const cutAnswers = {};
  for (const e of log.filter((e) => e.startedAt >= cutAt - 100)) {
    const k = `${e.op} ${e.status}${e.code ? ` ${e.code}` : ""}`;
    cutAnswers[k] = (cutAnswers[k] ?? 0) + 1;
  }
  await sleep(500);
  // Then PostgreSQL restarts.
  const downAt = Date.now();
  pg.stop("fast");
  const stoppedAt = Date.now();
  await sleep(DOWN_MS);
  const startAt = Date.now();
  pg.start();
  const upAt = Date.now();
  // Recovered: a hold and a payment that started after the server was back succeed.
  const ok = (op, status) => log.some((e) => e.op === op && e.status === status && e.startedAt >= upAt);
  await eventually(() => ok("hold", 201) && ok("pay", 200), "holds and payments to work again after the restart", 30_000);
  const firstHold = Math.min(...log.filter((e) => e.op === "hold" && e.status === 201 && e.startedAt >= upAt).map((e) => e.endedAt));
  const firstPay = Math.min(...log.filter((e) => e.op === "pay" && e.status === 200 && e.startedAt >= upAt).map((e) => e.endedAt));
  await sleep(1000);
  stop = true;
  await Promise.all(rush);

  // What clients saw while it was down (requests started between the stop and the start).
  const during = log.filter((e) => e.startedAt >= downAt && e.startedAt < startAt);
  const byCode = {};
  for (const e of during) {
    const k = `${e.op} ${e.status}${e.code ? ` ${e.code}` : ""}`;
    byCode[k] = (byCode[k] ?? 0) + 1;
  }
  const refused = during.filter((e) => e.status === 503);
  const took = refused.map((e) => e.endedAt - e.startedAt).sort((a, b) => a - b);
  const waited = during.filter((e) => e.status >= 200 && e.status < 500).map((e) => e.endedAt - e.startedAt).sort((a, b) => a - b);
  const lastRefusal = Math.max(0, ...log.filter((e) => e.status === 503).map((e) => e.endedAt));
  const summary = [
    `answers while connections were being cut (pg_terminate_backend, 20 times in ~1 s): ${JSON.stringify(cutAnswers)}`,
    `PostgreSQL stopped (pg_ctl -m fast took ${stoppedAt - downAt} ms), down ${startAt - downAt} ms, start took ${upAt - startAt} ms`,
    `answers to requests started while down: ${JSON.stringify(byCode)}`,
    refused.length ? `503s answered in min ${took[0]} ms, median ${pct(took, 0.5)} ms, max ${took.at(-1)} ms` : "no 503s",
    waited.length ? `requests that waited for the database and succeeded: ${waited.length}, in min ${waited[0]} ms, median ${pct(waited, 0.5)} ms, max ${waited.at(-1)} ms` : "no request waited it out",
    `503s seen from ${refused.length ? Math.min(...refused.map((e) => e.endedAt)) - downAt : "-"} ms to ${lastRefusal ? lastRefusal - downAt : "-"} ms after the stop`,
    `after the start: first hold ${firstHold - upAt} ms, first payment ${firstPay - upAt} ms`,
  ];
  for (const line of summary) {
    t.diagnostic(line);
    console.log(`pg-restart: ${line}`);
  }

  // Never a 500 or an answer without a code: every failure is a 503 with one.
  const bad = log.filter((e) => e.status === 0 || (e.status >= 500 && !(e.status === 503 && e.code)));
  assert.deepEqual(bad, [], "every server-side failure is a 503 with a code");
  assert.ok(refused.length > 0, "calls made while PostgreSQL was down were refused with 503");
  assert.ok(refused.every((e) => e.code === "service_unavailable"), JSON.stringify(byCode));

  // The same processes, never restarted.
  for (const [i, s] of servers.entries()) {
    assert.equal(s.proc.exitCode, null, `instance ${i} exited`);
    assert.equal(s.proc.pid, pids[i]);
  }
  // Nothing half-written.
  const db = servers[0].databaseUrl;
  const ids = [...paid];
  const paidInDb = Number(
    execFileSync("psql", [db, "-Atqc", `SELECT COUNT(*) FROM reservations WHERE status = 'paid' AND id IN (${ids.map((id) => `'${id}'`).join(",")})`]).toString().trim(),
  );
  assert.equal(paidInDb, ids.length, "every reservation answered 200 to pay is paid in the database");
  assert.deepEqual(invariantViolations(db), []);
  // Pushes flow again: every watcher converges to the truth without having been cut off.
  const now = await truth(lb, event.id);
  for (const w of watchers) {
    await eventually(() => [...now.seats].every(([id, x]) => w.mirror.seats.get(id)?.version >= x.version), "a watcher's seat map to converge");
    assert.equal(w.disconnects(), 0, "sockets stay connected through a database restart");
    w.socket.close();
  }
});
