// Socket.IO under abuse (shared/PROTOCOL.md, "Fairness"): oversized packets close the
// connection before they are buffered, event floods are rate-limited then disconnected,
// one user holds at most MAX_SOCKETS_PER_USER connections across instances (and a crashed
// instance's connections stop counting by themselves), and join:event floods are answered
// from the snapshot cache, which follows changes made on any instance.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  adminToken, api, connect, createEvent, eventually, hold, metrics, once, rawWebSocket, rssKiB, sleep, startCluster,
  startServer, userToken, wsFrame,
} from "./harness.mjs";

const MiB = 1024 * 1024;

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
  server.cleanup();
});

/** Resolves with the reason once the socket is disconnected. */
function disconnected(socket) {
  return new Promise((resolve) => socket.once("disconnect", (reason) => resolve(reason)));
}

/** Disconnected by the server: its Socket.IO disconnect packet, or, when the client's own
 *  flood was still arriving, the connection closed under it. Never the client's doing. */
const BY_SERVER = ["io server disconnect", "transport close"];

describe("packet size", () => {
  test("a WebSocket frame announcing 15 MiB closes the connection before it is sent whole", async () => {
    const ws = await rawWebSocket(server);
    // Header says 15 MiB; only 64 KiB follow. A server that buffered the message would
    // wait for the rest (until the ping timeout, 45 s); this one closes on the header.
    await ws.send(wsFrame(Buffer.alloc(64 * 1024, "x"), { announce: 15 * MiB }));
    assert.equal(await ws.closed, true);
    assert.ok(ws.sock.bytesWritten < 15 * MiB);
  });

  test("a message of small frames adding up past 16 KiB closes the connection too", async () => {
    const ws = await rawWebSocket(server);
    // 20 fragments of 1 KiB: every frame is small, the message is not.
    await ws.send(wsFrame("40" + "x".repeat(1022), { fin: false }));
    for (let i = 0; i < 19; i++) {
      await ws.send(wsFrame("x".repeat(1024), { opcode: 0x0, fin: i === 18 }));
      if (ws.sock.destroyed) break;
    }
    assert.equal(await ws.closed, true);
  });

  test("six 15 MiB packets before authentication: the connection closes, memory stays bounded", async () => {
    const before = rssKiB(server);
    for (let i = 0; i < 6; i++) {
      const ws = await rawWebSocket(server);
      // A Socket.IO connect packet whose auth is 15 MiB, as the attack sent it.
      const packet = Buffer.alloc(15 * MiB, "a");
      packet.write('40{"token":"', 0);
      ws.sock.write(wsFrame(packet));
      assert.equal(await ws.closed, true);
    }
    await sleep(500);
    const grown = rssKiB(server) - before;
    console.log(`# RSS growth after six 15 MiB packets: ${(grown / 1024).toFixed(1)} MiB`);
    assert.ok(grown < 8 * 1024, `RSS grew by ${grown} KiB`);
    // The server still serves.
    const s = await connect(server, userToken("after-big-packets"), { transports: ["websocket"] });
    assert.ok(s.connected);
    s.close();
  });

  test("a packet under 16 KiB is still served (the cap is not a lower one)", async () => {
    const s = await connect(server, userToken("near-cap"), { transports: ["websocket"] });
    const ack = await s.emitWithAck("join:event", "x".repeat(15 * 1024));
    assert.deepEqual(ack, { ok: false, error: "invalid_payload" });
    assert.ok(s.connected);
    s.close();
  });

  test("a polling body over 16 KiB is refused with 413 and ends the session", async () => {
    const base = `${server.url}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const { sid } = JSON.parse(open.slice(1));
    const body = "40" + JSON.stringify({ token: "y".repeat(20 * 1024) });
    const r = await fetch(`${base}&sid=${sid}`, { method: "POST", body, headers: { "content-type": "text/plain" } });
    assert.equal(r.status, 413);
    // The session is gone: its next poll is refused.
    const next = await fetch(`${base}&sid=${sid}`);
    assert.equal(next.status, 400);
    assert.match(await next.text(), /Session ID unknown/);
  });
});

describe("event rate limit", () => {
  test("a flood of events gets rate_limited acks, then the socket is disconnected", async () => {
    const { event } = await createEvent(server, { rows: 2, perRow: 5 });
    const m0 = await metrics(server);
    const s = await connect(server, userToken("flooder"), { transports: ["websocket"] });
    const gone = disconnected(s);
    const acks = [];
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      // (The harness sets ackTimeout, so callbacks get an error first.)
      s.emit("join:event", { eventId: event.id, seats: false }, (err, a) => err || acks.push(a));
    }
    assert.ok(BY_SERVER.includes(await gone));
    const served = acks.filter((a) => a.ok === true).length;
    const limited = acks.filter((a) => a.ok === false && a.error === "rate_limited").length;
    assert.equal(served + limited, acks.length, "every ack is a snapshot or rate_limited");
    // At most the burst (40) and what 20/s refilled while the flood lasted were served.
    const seconds = (Date.now() - started) / 1000;
    assert.ok(served >= 1, "the burst is served");
    assert.ok(served <= 40 + Math.ceil(20 * seconds) + 1, `served ${served} in ${seconds} s`);
    assert.ok(limited >= 40, `limited ${limited}`);
    const m1 = await metrics(server);
    assert.ok(m1.socketEventsLimited - m0.socketEventsLimited >= 40);
    assert.equal(m1.socketsDisconnectedForAbuse - m0.socketsDisconnectedForAbuse, 1);
    // Another socket of the same user is unaffected: buckets are per connection.
    const other = await connect(server, userToken("flooder"));
    assert.equal((await other.emitWithAck("join:event", { eventId: event.id, seats: false })).ok, true);
    other.close();
  });

  test("unknown events take tokens too", async () => {
    const s = await connect(server, userToken("unknown-flooder"), { transports: ["websocket"] });
    const gone = disconnected(s);
    const acks = [];
    for (let i = 0; i < 200; i++) s.emit("no:such:event", i, (err, a) => err || acks.push(a));
    assert.ok(BY_SERVER.includes(await gone));
    assert.ok(acks.length >= 1 && acks.every((a) => a.error === "rate_limited"));
  });
});

describe("connections per user", () => {
  test("the 21st connection of one user is refused: Too many connections", async () => {
    const m0 = await metrics(server);
    const me = userToken("many-tabs");
    const sockets = [];
    for (let i = 0; i < 20; i++) sockets.push(await connect(server, me, { transports: [i % 2 ? "polling" : "websocket"] }));
    await assert.rejects(connect(server, me), { message: "Too many connections" });
    await assert.rejects(connect(server, me, { transports: ["polling"] }), { message: "Too many connections" });
    // Someone else is not affected.
    const other = await connect(server, userToken("one-tab"));
    other.close();
    // Closing one frees one.
    const closed = sockets.pop();
    closed.close();
    const again = await eventually(() => connect(server, me).catch(() => null), "a freed slot", 10_000);
    sockets.push(again);
    await assert.rejects(connect(server, me), { message: "Too many connections" });
    const m1 = await metrics(server);
    assert.ok(m1.socketsTooMany - m0.socketsTooMany >= 3);
    for (const s of sockets) s.close();
  });
});

describe("join:event snapshots", () => {
  test("a join flood is answered from the cache: hundreds of joins, at most a few database reads", async () => {
    const { event, seats } = await createEvent(server, { rows: 3, perRow: 10 });
    const m0 = await metrics(server);
    const sockets = [];
    for (let i = 0; i < 10; i++) sockets.push(await connect(server, userToken(`joiner-${i}`)));
    const acks = await Promise.all(
      sockets.flatMap((s) => Array.from({ length: 30 }, () => s.emitWithAck("join:event", event.id))),
    );
    assert.equal(acks.length, 300);
    assert.ok(acks.every((a) => a.ok === true && a.seats.length === 30));
    const m1 = await metrics(server);
    const loads = m1.snapshotCacheLoads - m0.snapshotCacheLoads;
    const hits = m1.snapshotCacheHits - m0.snapshotCacheHits;
    assert.equal(loads + hits, 300);
    // One load, and one more for each 10 s the flood took (the safety-net refresh).
    assert.ok(loads <= 3, `${loads} database reads for 300 joins`);

    // The cached snapshot follows changes: hold a seat, then a new join shows it.
    const seen = once(sockets[0], "seat:selected");
    const h = await hold(server, userToken("cache-buyer"), event.id, [seats[4].id]);
    assert.equal(h.status, 201);
    await seen;
    const snap = await sockets[1].emitWithAck("join:event", event.id);
    const seat = snap.seats.find((x) => x.id === seats[4].id);
    assert.equal(seat.status, "held");
    assert.equal(seat.version, 2);
    assert.equal(snap.ticketTypes[0].remainingQuantity, 29);
    for (const s of sockets) s.close();
  });
});

describe("two instances over one Redis", () => {
  const cluster = [];
  after(async () => {
    for (const s of cluster) await s.stop();
  });

  test("a snapshot served on A reflects a change made through B, from A's cache", async () => {
    const [a, b] = await startCluster(2);
    cluster.push(a, b);
    const { event, seats } = await createEvent(a, { rows: 2, perRow: 10 });
    const watcher = await connect(a, userToken("watcher-a"));
    assert.equal((await watcher.emitWithAck("join:event", event.id)).ok, true);
    const loadsBefore = (await metrics(a)).snapshotCacheLoads;

    const pushed = once(watcher, "seat:selected");
    assert.equal((await hold(b, userToken("buyer-b"), event.id, [seats[2].id, seats[3].id])).status, 201);
    assert.deepEqual((await pushed).seatIds.sort(), [seats[2].id, seats[3].id].sort());

    // Once the push reached a socket on A, A's cache has the change: a new join shows it,
    // and A did not go back to the database for it.
    const late = await connect(a, userToken("late-joiner-a"));
    const snap = await late.emitWithAck("join:event", event.id);
    for (const id of [seats[2].id, seats[3].id]) {
      const seat = snap.seats.find((x) => x.id === id);
      assert.deepEqual([seat.status, seat.version], ["held", 2]);
    }
    assert.equal(snap.ticketTypes[0].remainingQuantity, 18);
    const stockOnly = await late.emitWithAck("join:event", { eventId: event.id, seats: false });
    assert.equal(stockOnly.seats, null);
    assert.equal(stockOnly.ticketTypes[0].remainingQuantity, 18);
    assert.equal((await metrics(a)).snapshotCacheLoads, loadsBefore, "served from A's cache");
    for (const s of [watcher, late]) s.close();
  });

  test("connections per user count across instances, and a killed instance's stop counting", async () => {
    const [a, b] = await startCluster(2, { SOCKET_LEASE_SECONDS: "3" });
    cluster.push(a, b);
    const me = userToken("two-instances");
    const onA = [];
    for (let i = 0; i < 10; i++) onA.push(await connect(a, me));
    for (let i = 0; i < 10; i++) await connect(b, me);
    await assert.rejects(connect(a, me), { message: "Too many connections" });
    await assert.rejects(connect(b, me), { message: "Too many connections" });
    assert.ok((await metrics(a)).socketsTooMany >= 1 && (await metrics(b)).socketsTooMany >= 1);

    // B dies without a word: its ten connections never say goodbye.
    await b.stop("SIGKILL");
    // Within a lease (3 s here; bounded wait of 30 s), the user may connect again.
    // (Its slots lapse one renewal at a time, so each connection may wait a little.)
    for (let i = 0; i < 10; i++) {
      onA.push(await eventually(() => connect(a, me).catch(() => null), "slots of the dead instance to lapse", 30_000));
    }
    // A's own connections kept their slots through the lapse (its heartbeat renews them).
    await assert.rejects(connect(a, me), { message: "Too many connections" });
    for (const s of onA) s.close();
  });
});

test("metrics need an administrator token where they are protected (sanity of the helper)", async () => {
  const r = await api(server, "GET", "/metrics", { token: adminToken() });
  assert.equal(r.status, 200);
  for (const k of ["socketEventsLimited", "socketsDisconnectedForAbuse", "socketsTooMany", "snapshotCacheHits", "snapshotCacheLoads"]) {
    assert.equal(typeof r.body[k], "number", k);
  }
});
