// One embedded server (SQLite, no Redis) and the official socket.io-client:
// handshake auth, rooms and snapshots, pushes for every kind of change, batching,
// and session restore after a dropped connection.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  Mirror, api, connect, createEvent, eventually, hold, join, jwt, mapsEqual, once, sleep, startServer, truth, userToken,
} from "./harness.mjs";

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
  server.cleanup();
});

describe("handshake", () => {
  for (const transports of [["websocket"], ["polling"]]) {
    test(`a valid token connects over ${transports[0]}`, async () => {
      const s = await connect(server, userToken("ws-user"), { transports });
      assert.ok(s.connected);
      assert.equal(s.io.engine.transport.name, transports[0]);
      s.close();
    });
  }

  test("missing token: Authentication required", async () => {
    await assert.rejects(connect(server, undefined, { transports: ["websocket"] }), { message: "Authentication required" });
    await assert.rejects(connect(server, "", { transports: ["polling"] }), { message: "Authentication required" });
  });

  test("bad, expired or wrong-key token: Invalid token", async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      "not-a-token",
      jwt({ sub: "u", exp: now - 600, iat: now - 1200 }),
      jwt({ sub: "u" }, "another-secret-another-secret-another-secret"),
      // alg: none
      `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(
        JSON.stringify({ sub: "u", exp: now + 600 }),
      ).toString("base64url")}.`,
    ];
    for (const token of bad) {
      await assert.rejects(connect(server, token, { transports: ["websocket"] }), { message: "Invalid token" });
    }
    const metrics = (await api(server, "GET", "/metrics")).body;
    assert.ok(metrics.socketsRefused >= bad.length + 2);
  });
});

describe("rooms", () => {
  test("join:event acks a versioned snapshot; bad payloads ack an error and change nothing", async () => {
    const { event, seats } = await createEvent(server, { rows: 2, perRow: 5 });
    const s = await connect(server, userToken("room-user"));
    const ack = await s.emitWithAck("join:event", event.id);
    assert.equal(ack.ok, true);
    assert.equal(ack.seats.length, 10);
    assert.deepEqual(
      ack.seats.map((x) => [x.id, x.status, x.version]),
      seats.map((x) => [x.id, "available", 1]),
    );
    assert.equal(ack.ticketTypes.length, 2);
    assert.equal(ack.ticketTypes[1].remainingQuantity, 100);

    assert.deepEqual(await s.emitWithAck("join:event", "no-such-event"), { ok: false, error: "unknown_event" });
    for (const bad of [42, null, ["x"], { nope: 1 }, "x".repeat(500)]) {
      assert.deepEqual(await s.emitWithAck("join:event", bad), { ok: false, error: "invalid_payload" });
    }
    assert.deepEqual(await s.emitWithAck("join:queue", "no-such-event"), { ok: false, error: "unknown_event" });
    s.close();
  });

  test("leave:event stops pushes; join:queue answers queue:position", async () => {
    const { event, seats } = await createEvent(server, { rows: 1, perRow: 4 });
    const s = await connect(server, userToken("leaver"));
    await s.emitWithAck("join:event", event.id);
    const position = once(s, "queue:position");
    assert.deepEqual(await s.emitWithAck("join:queue", event.id), { ok: true });
    const p = await position;
    assert.equal(p.eventId, event.id);
    assert.ok("position" in p && "totalWaiting" in p && "estimatedWaitTime" in p);

    let pushes = 0;
    s.on("seat:selected", () => pushes++);
    assert.deepEqual(await s.emitWithAck("leave:event", event.id), { ok: true });
    assert.equal((await hold(server, userToken("other"), event.id, [seats[0].id])).status, 201);
    await sleep(300);
    assert.equal(pushes, 0, "no pushes after leave:event");
    s.close();
  });
});

describe("pushes", () => {
  test("hold, pay, cancel and expiry reach every socket in the room, with versions", async () => {
    const { event, seats } = await createEvent(server, { rows: 1, perRow: 6, holdSeconds: 5 });
    const watchers = await Promise.all([1, 2, 3].map((i) => connect(server, userToken(`watcher-${i}`))));
    const outsider = await connect(server, userToken("outsider"));
    let outsiderPushes = 0;
    outsider.onAny(() => outsiderPushes++);
    for (const w of watchers) await w.emitWithAck("join:event", event.id);

    const buyer = userToken("buyer");
    const ids = [seats[0].id, seats[1].id];
    const selected = watchers.map((w) => once(w, "seat:selected"));
    const stock = watchers.map((w) => once(w, "ticket:updated"));
    const r = await hold(server, buyer, event.id, ids);
    assert.equal(r.status, 201);
    for (const m of await Promise.all(selected)) {
      assert.deepEqual(m, { eventId: event.id, seatIds: [...ids].sort(), versions: [2, 2] });
    }
    for (const m of await Promise.all(stock)) {
      assert.equal(m.remainingQuantity, 4);
      assert.equal(m.ticketTypeId, event.ticketTypes[0].id);
    }

    // A refused hold (one seat taken) rolls back and pushes nothing.
    let extra = 0;
    watchers[0].on("seat:selected", () => extra++);
    assert.equal((await hold(server, userToken("late"), event.id, [seats[1].id, seats[2].id])).status, 409);

    const sold = watchers.map((w) => once(w, "seat:sold"));
    assert.equal((await api(server, "POST", `/reservations/${r.body.reservation.id}/pay`, { token: buyer, body: {} })).status, 200);
    for (const m of await Promise.all(sold)) assert.deepEqual(m.versions, [3, 3]);

    const released = watchers.map((w) => once(w, "seat:released"));
    assert.equal((await api(server, "DELETE", `/reservations/${r.body.reservation.id}`, { token: buyer })).status, 200);
    for (const m of await Promise.all(released)) assert.deepEqual(m.versions, [4, 4]);

    // Expiry: a 5 s hold, released by the sweeper.
    const expired = once(watchers[1], "seat:released", 15_000);
    assert.equal((await hold(server, userToken("sleepy"), event.id, [seats[5].id])).status, 201);
    const m = await expired;
    assert.deepEqual(m.seatIds, [seats[5].id]);
    assert.equal(extra, 1, "only the later expiry's hold was pushed as seat:selected");
    assert.equal(outsiderPushes, 0, "sockets outside the room get nothing");
    for (const w of [...watchers, outsider]) w.close();
  });

  test("a burst is batched into a few messages per kind, and nothing is lost", async () => {
    const { event, seats } = await createEvent(server, { rows: 10, perRow: 30 });
    const s = await connect(server, userToken("burst-watcher"));
    const mirror = new Mirror().attach(s);
    mirror.applySnapshot(await s.emitWithAck("join:event", event.id));
    const before = (await api(server, "GET", "/metrics")).body;

    // 300 single-seat holds by 300 buyers, 30 at a time.
    for (let i = 0; i < seats.length; i += 30) {
      await Promise.all(seats.slice(i, i + 30).map((seat, j) => hold(server, userToken(`b-${i + j}`), event.id, [seat.id])));
    }
    const t = await truth(server, event.id);
    await eventually(() => mapsEqual(mirror.seats, t.seats) && mapsEqual(mirror.stock, t.stock), "mirror to converge");
    assert.ok([...t.seats.values()].every((x) => x.status === "held"));
    const after = (await api(server, "GET", "/metrics")).body;
    assert.equal(after.changesIn - before.changesIn, 300);
    const msgs = mirror.messages["seat:selected"];
    assert.ok(msgs < 100, `300 holds arrived in ${msgs} seat:selected messages`);
    assert.equal(after.feedLagged, 0);
    s.close();
  });
});

describe("session restore", () => {
  test("a dropped socket reconnects by itself, is put back in its room, and converges", async () => {
    const { event, seats } = await createEvent(server, { rows: 2, perRow: 10 });
    const me = userToken("restorer");
    const mine = await hold(server, me, event.id, [seats[0].id]);
    assert.equal(mine.status, 201);

    const s = await connect(server, me, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    const mirror = new Mirror().attach(s);
    mirror.applySnapshot(await s.emitWithAck("join:event", event.id));

    // Drop the connection without telling the server nicely, then change things it misses.
    const restored = once(s, "session:restored", 10_000);
    s.io.engine.close();
    for (const seat of seats.slice(1, 6)) {
      assert.equal((await hold(server, userToken(`x-${seat.id}`), event.id, [seat.id])).status, 201);
    }
    const r = await restored;
    assert.equal(r.eventId, event.id);
    assert.deepEqual(r.reservations.map((x) => x.id), [mine.body.reservation.id]);

    // Without calling join:event again, pushes arrive: the server put the socket back.
    const pushed = once(s, "seat:selected");
    assert.equal((await hold(server, userToken("after"), event.id, [seats[10].id])).status, 201);
    assert.deepEqual((await pushed).seatIds, [seats[10].id]);

    // The client re-reads a snapshot after reconnecting (as the web app does); snapshot
    // plus pushes equal the server's state.
    mirror.applySnapshot(await s.emitWithAck("join:event", event.id));
    const t = await truth(server, event.id);
    await eventually(() => mapsEqual(mirror.seats, t.seats), "restored mirror to converge");
    s.close();
  });

  test("a waiting user's place in line comes back on reconnect", async () => {
    const { event } = await createEvent(server, { capacity: 1 });
    assert.equal((await join(server, userToken("first-in"), event.id)).body.admitted, true);
    const me = userToken("second-in");
    const waiting = await join(server, me, event.id);
    assert.equal(waiting.body.position, 1);

    const s = await connect(server, me, { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 });
    const position = once(s, "queue:position");
    await s.emitWithAck("join:queue", event.id);
    assert.equal((await position).position, 1);
    const restored = once(s, "session:restored", 10_000);
    s.io.engine.close();
    const r = await restored;
    assert.equal(r.queue.eventId, event.id);
    assert.equal(r.queue.position, 1, "same place after the reconnect");
    assert.equal(r.queue.number, waiting.body.number);
    s.close();
  });
});
