// The drain (shared/PROTOCOL.md, Operating): SIGTERM one of three instances mid-rush, every
// client going through a real nginx (deploy/nginx.conf.template). Shoppers hold and pay over
// REST while sockets watch the seat map. The drained instance answers `/readyz` 503 at once,
// refuses new Socket.IO handshakes with 503 (nginx takes them elsewhere), keeps serving REST,
// tells each socket `server:draining {reconnectInMs}` and disconnects it in its slot of
// DRAIN_SECONDS; the clients (harness `reconnectOnDrain`, as the web app) reconnect through
// nginx to another instance. Nobody sees an error, every socket is back within DRAIN_SECONDS
// + 5 s, the process exits 0, and every client's stock and seat map converge to a fresh
// snapshot. Prints the drain time and the clients' reconnect times.
//
// Also: `/readyz` names Redis when a (private) Redis goes away.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import {
  Mirror, api, apiOutcome, outcomeKey, connect, createEvent, eventually, spreadClients, mapsEqual, reconnectOnDrain, sleep, startCluster,
  startNginx, startRedis, truth, userToken,
} from "./harness.mjs";

const stops = [];
after(async () => {
  for (const s of stops.reverse()) await s.stop();
});

const DRAIN_SECONDS = 3;
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length - 1) * p))];
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `min ${s[0]} ms, median ${pct(s, 0.5)} ms, max ${s.at(-1)} ms`;
};

async function ready(server) {
  const r = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: await r.json() };
}

test("SIGTERM an instance mid-rush behind nginx: its sockets move, nobody sees an error", async () => {
  const servers = await startCluster(3, { TRUSTED_PROXIES: "127.0.0.1/32", DRAIN_SECONDS: String(DRAIN_SECONDS) });
  stops.push(...servers);
  const lb = await startNginx(servers);
  stops.push(lb);
  const VICTIM = 1;
  const victim = servers[VICTIM];

  // Clients come from 127.0.X.1; nginx's ip_hash sends each X to one instance. Three
  // addresses per instance.
  const views = spreadClients(lb, 3, 3);
  // Closed first when the test ends, passed or not (after() stops in reverse order).
  const watchers = [];
  stops.push({ stop: async () => watchers.forEach((w) => (w.unfollow(), w.socket.close())) });
  const { event, seats } = await createEvent(lb, { rows: 6, perRow: 10, ga: 5000, capacity: 1000, maxTicketsPerCustomer: 5000, admitRatePerSec: 50 });

  // Watchers: five sockets per address, each its own user, half on WebSocket only and half
  // starting with long-polling (as browsers do), each mirroring stock and seats the way the
  // web app does (a snapshot on every (re)connect, then pushes newer than what it holds).
  for (const v of views) {
    for (let k = 0; k < 5; k++) {
      const i = watchers.length;
      const opts = k % 2 ? { transports: ["websocket"] } : {};
      const socket = await connect(v.via, userToken(`watcher-${i}`), opts);
      const mirror = new Mirror().attach(socket);
      mirror.applySnapshot(await socket.emitWithAck("join:event", event.id));
      const w = { i, view: v, socket, mirror, draining: [], errors: [], connects: 0 };
      socket.on("server:draining", (m) => w.draining.push({ at: Date.now(), ...m }));
      socket.on("connect_error", (e) => w.errors.push(e.message));
      socket.on("connect", async () => {
        w.connects++;
        try {
          mirror.applySnapshot(await socket.emitWithAck("join:event", event.id));
        } catch (e) {
          w.errors.push(`join:event after reconnect: ${e.message}`);
        }
      });
      w.unfollow = reconnectOnDrain(socket);
      watchers.push(w);
    }
  }

  // The rush: one shopper per address joins, holds a seat it believes free (or general
  // admission), pays or cancels, and again, until told to stop.
  const outcomes = new Map();
  const failures = [];
  let stop = false;
  const call = async (op, via, method, route, opts) => {
    const r = await apiOutcome(via, method, route, opts);
    const key = outcomeKey(op, r);
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    if (r.status >= 500 || r.status === 0) failures.push({ op, status: r.status, body: r.body, at: r.endedAt });
    return r;
  };
  const shopperMirrors = views.map((v) => watchers.find((w) => w.view === v).mirror);
  const rush = views.map(async (v, i) => {
    const token = userToken(`shopper-${i}`);
    for (let n = 1; !stop; n++) {
      const j = await call("join", v.via, "POST", "/queue/join", { token, body: { eventId: event.id } });
      if (!j.body?.admissionToken) {
        await sleep(100);
        continue;
      }
      const headers = { "x-admission-token": j.body.admissionToken };
      const free = seats.filter((x) => shopperMirrors[i].seats.get(x.id)?.status === "available");
      const h = free.length && n % 3
        ? await call("hold", v.via, "POST", "/seats/reserve", { token, headers, body: { eventId: event.id, seatIds: [free[(i * 7 + n) % free.length].id] } })
        : await call("hold", v.via, "POST", "/reservations", { token, headers, body: { eventId: event.id, ticketTypeId: event.ticketTypes[1].id, quantity: 1 } });
      if (h.status === 201) {
        const id = h.body.reservation.id;
        if (n % 4 === 0) await call("cancel", v.via, "DELETE", `/reservations/${id}`, { token });
        else await call("pay", v.via, "POST", `/reservations/${id}/pay`, { token, body: {} });
      }
      await sleep(60); // under SHOP_RATE_PER_USER
    }
  });

  await sleep(1500);
  assert.deepEqual(await ready(victim), { status: 200, body: { status: "ready" } });

  const termAt = Date.now();
  const exited = new Promise((resolve) => victim.proc.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() })));
  victim.proc.kill("SIGTERM");
  // Readiness turns at once; new handshakes are refused with 503; REST is still served.
  await eventually(async () => (await ready(victim)).status === 503, "/readyz to turn 503", 2000);
  const during = await ready(victim).catch((e) => ({ error: e.message }));
  const handshake = await fetch(`${victim.url}/socket.io/?EIO=4&transport=polling`).then((r) => r.status, (e) => e.message);
  const rest = await api(victim, "GET", `/events/${event.id}`).then((r) => r.status, (e) => e.message);
  const { code, signal, at: exitAt } = await exited;
  const drainMs = exitAt - termAt;
  // The sockets that were on the drained instance and those that were not.
  const moved = watchers.filter((w) => w.view.instance === VICTIM);
  const stayed = watchers.filter((w) => w.view.instance !== VICTIM);
  await eventually(() => moved.every((w) => w.socket.connected && w.socket.moves.length >= 1), "every drained socket to be connected again", 8_000);
  await sleep(1500); // the rush goes on against the two others
  stop = true;
  await Promise.all(rush);

  const reconnectMs = moved.map((w) => w.socket.moves[0].connectedAt - termAt);
  const gapMs = moved.map((w) => w.socket.moves[0].connectedAt - w.socket.moves[0].disconnectedAt);
  const summary = [
    `SIGTERM → exit ${drainMs} ms (DRAIN_SECONDS=${DRAIN_SECONDS}), exit code ${code}`,
    `${moved.length} sockets moved; SIGTERM → connected elsewhere: ${stats(reconnectMs)}`,
    `disconnected → connected again: ${stats(gapMs)}`,
    `REST outcomes ${JSON.stringify(Object.fromEntries([...outcomes].sort()))}`,
  ];
  for (const line of summary) console.log(`drain: ${line}`);

  assert.deepEqual(during, { status: 503, body: { status: "draining" } });
  assert.equal(handshake, 503, "a new Socket.IO handshake on the draining instance");
  assert.equal(rest, 200, "REST on the draining instance");
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, "the drained process exits 0");
  assert.ok(drainMs <= (DRAIN_SECONDS + 5) * 1000, `exited ${drainMs} ms after SIGTERM`);

  // Nobody saw an error: no REST answer of 5xx or lost connection, no refused handshake.
  assert.deepEqual(failures, [], "REST calls failed");
  for (const w of watchers) assert.deepEqual(w.errors, [], `watcher-${w.i}`);
  // Each drained socket was told, then reconnected elsewhere within DRAIN_SECONDS + 5 s,
  // no earlier than it was asked; the others were left alone.
  for (const w of moved) {
    assert.equal(w.draining.length, 1, `watcher-${w.i} got server:draining once`);
    const [m] = w.socket.moves;
    assert.ok(m.connectedAt - termAt <= (DRAIN_SECONDS + 5) * 1000, `watcher-${w.i} back after ${m.connectedAt - termAt} ms`);
    assert.ok(m.reconnectInMs <= DRAIN_SECONDS * 1000, `reconnectInMs ${m.reconnectInMs}`);
    assert.ok(m.connectedAt >= m.drainingAt + m.reconnectInMs, `watcher-${w.i} came back before it was asked to`);
  }
  for (const w of stayed) {
    assert.deepEqual([w.draining.length, w.socket.moves.length, w.connects], [0, 0, 0], `watcher-${w.i} on a live instance`);
  }
  // The drained sockets were spread over the window, not all at once.
  const asked = moved.map((w) => w.draining[0].reconnectInMs).sort((a, b) => a - b);
  assert.ok(asked.at(-1) - asked[0] >= (DRAIN_SECONDS * 1000) / 2, `reconnectInMs spread: ${asked}`);

  // Every client's stock and seat map converge to a fresh snapshot.
  const truthNow = await truth(lb, event.id);
  for (const w of watchers) {
    await eventually(() => mapsEqual(w.mirror.seats, truthNow.seats) && mapsEqual(w.mirror.stock, truthNow.stock), `watcher-${w.i}'s seats and stock to converge`);
    assert.ok(w.socket.connected);
  }
});

test("/readyz names Redis when it is gone", async () => {
  const redis = await startRedis();
  stops.push(redis);
  const [server] = await startCluster(1, {}, redis.url);
  stops.push(server);
  assert.deepEqual(await ready(server), { status: 200, body: { status: "ready" } });
  await redis.stop();
  const down = await eventually(async () => {
    const r = await ready(server);
    return r.status === 503 && r;
  }, "/readyz to turn 503 without Redis");
  assert.deepEqual(down.body, { status: "unavailable", database: "ok", redis: "unavailable" });
  const live = await fetch(`${server.url}/healthz`);
  assert.equal(live.status, 200);
});
