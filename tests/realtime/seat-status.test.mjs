// The compact seat status (docs/PROTOCOL-ADDITIONS.md, "Stadium seat maps"): a compact
// `join:event` ack decodes to the v1 seats; in a cluster, a hold made through one instance
// shows in another's `GET /api/events/:id/seat-status` and compact join within a second.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { api, connect, createEvent, eventually, hold, startCluster, startServer, userToken } from "./harness.mjs";

const started = [];
after(async () => {
  for (const s of started) {
    await s.stop();
    s.cleanup();
  }
});

const CODES = ["available", "held", "sold"];

/** Decodes a compact status into [{status, version}] in position order. */
function decode(c) {
  const bytes = Buffer.from(c.status, "base64");
  assert.equal(bytes.length, Math.ceil(c.seatCount / 4));
  const versions = c.versions.flatMap(([v, n]) => Array(n).fill(v));
  assert.equal(versions.length, c.seatCount);
  return versions.map((version, p) => ({ status: CODES[(bytes[p >> 2] >> ((p & 3) * 2)) & 3], version }));
}

/** The v1 seats, in the list's (position) order, in the decoded shape. */
async function v1(server, eventId) {
  const seats = (await api(server, "GET", `/events/${eventId}/seats`)).body.seats;
  return seats.map((s) => ({ status: s.status, version: s.version }));
}

describe("compact seat status", () => {
  test("a compact join:event ack decodes to the v1 seats; v1 and stock-only joins unchanged", async () => {
    const server = await startServer();
    started.push(server);
    const { event, seats } = await createEvent(server, { rows: 5, perRow: 9 });
    assert.equal((await hold(server, userToken("buyer"), event.id, [seats[0].id, seats[17].id])).status, 201);

    const sock = await connect(server, userToken("watcher"));
    const compact = await eventually(async () => {
      const ack = await sock.emitWithAck("join:event", { eventId: event.id, seats: "compact" });
      const want = await v1(server, event.id);
      return JSON.stringify(decode(ack.seatStatus)) === JSON.stringify(want) && ack;
    }, "a compact ack matching the seats");
    assert.equal(compact.ok, true);
    assert.equal(compact.eventId, event.id);
    assert.equal(compact.seats, undefined);
    assert.equal(compact.seatStatus.eventId, event.id);
    assert.equal(compact.seatStatus.seatCount, 45);
    assert.equal(compact.ticketTypes.length, 2);
    assert.equal(decode(compact.seatStatus)[17].status, "held");

    const full = await sock.emitWithAck("join:event", { eventId: event.id });
    assert.equal(full.seats.length, 45);
    assert.equal(full.seatStatus, undefined);
    const stockOnly = await sock.emitWithAck("join:event", { eventId: event.id, seats: false });
    assert.equal(stockOnly.seats ?? null, null); // stock only, as before
    assert.equal(stockOnly.seatStatus, undefined);
    const unknown = await sock.emitWithAck("join:event", { eventId: "nope", seats: "compact" });
    assert.equal(unknown.ok, false);
    sock.close();
  });

  test("cluster: a hold through B shows in A's HTTP seat-status and compact join within 1 s", async () => {
    const [a, b] = await startCluster(2);
    started.push(a, b);
    const { event, seats } = await createEvent(a, { rows: 4, perRow: 10 });
    // Warm A's cache, so what follows is the relay's doing, not a fresh read.
    const before = (await api(a, "GET", `/events/${event.id}/seat-status`)).body;
    assert.equal(decode(before)[13].status, "available");
    const sock = await connect(a, userToken("watcher-a"));
    await sock.emitWithAck("join:event", { eventId: event.id, seats: "compact" });

    assert.equal((await hold(b, userToken("buyer-b"), event.id, [seats[13].id])).status, 201);
    // From the hold's answer (committed): the "visible within 1 s".
    const t0 = Date.now();
    const viaHttp = await eventually(async () => {
      const c = (await api(a, "GET", `/events/${event.id}/seat-status`)).body;
      return decode(c)[13].status === "held" && Date.now() - t0;
    }, "the hold in A's seat-status", 5000);
    const viaJoin = await eventually(async () => {
      const ack = await sock.emitWithAck("join:event", { eventId: event.id, seats: "compact" });
      return decode(ack.seatStatus)[13].status === "held" && Date.now() - t0;
    }, "the hold in A's compact join", 5000);
    console.log(`hold through B visible on A: HTTP after ${viaHttp} ms, compact join after ${viaJoin} ms`);
    assert.ok(viaHttp <= 1000, `HTTP seat-status took ${viaHttp} ms`);
    assert.ok(viaJoin <= 1000, `compact join took ${viaJoin} ms`);
    assert.deepEqual(decode((await api(a, "GET", `/events/${event.id}/seat-status`)).body), await v1(b, event.id));
    sock.close();
  });
});
