// The operators' live figures over Socket.IO: `join:admin` and `admin:stats` every second,
// counted over three real instances sharing one PostgreSQL database and one Redis.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  adminToken, api, connect, createEvent, join, sleep, startCluster, userToken,
} from "./harness.mjs";

const clusters = [];
after(async () => {
  for (const c of clusters) for (const s of c) await s.stop();
});

/** Every `admin:stats` a socket receives, with when it arrived. */
function record(socket) {
  const got = [];
  socket.on("admin:stats", (stats) => got.push({ at: Date.now(), stats }));
  return got;
}

/** The first message at index `from` or later that passes `pred`. */
async function waitFor(got, from, pred, what, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const hit = got.slice(from).find((m) => pred(m.stats));
    if (hit) return hit;
    if (Date.now() > deadline) {
      const last = got.at(-1)?.stats;
      throw new Error(`no admin:stats with ${what} within ${ms} ms; last: ${JSON.stringify(last)}`);
    }
    await sleep(50);
  }
}

/** Holds `quantity` standing tickets as a shopper (joining the line first). */
async function buy(server, token, eventId, ticketTypeId, quantity) {
  const j = await join(server, token, eventId);
  assert.ok(j.body?.admissionToken, `admitted: ${JSON.stringify(j.body)}`);
  return api(server, "POST", "/reservations", {
    token,
    body: { eventId, ticketTypeId, quantity },
    headers: { "x-admission-token": j.body.admissionToken },
  });
}

describe("admin:stats over three instances", () => {
  test("figures every second, counted over every instance; shoppers refused", async () => {
    const servers = await startCluster(3);
    clusters.push(servers);
    const [a, b, c] = servers;
    const { event } = await createEvent(a, { rows: 2, perRow: 5, ga: 100, capacity: 10000 });
    const ga = event.ticketTypes[1];

    // Admin sockets on A and B, two shoppers' sockets on B, three on C.
    const admin = await connect(a, adminToken());
    const adminB = await connect(b, adminToken());
    const others = [
      await connect(b, userToken("watch-b1")),
      await connect(b, userToken("watch-b2")),
      await connect(c, userToken("watch-c1")),
      await connect(c, userToken("watch-c2")),
      await connect(c, userToken("watch-c3")),
    ];
    const got = record(admin);

    // A shopper may not watch; an unknown event or a bad payload is named.
    assert.deepEqual(await others[0].emitWithAck("join:admin", event.id), { ok: false, error: "admin_only" });
    assert.deepEqual(await admin.emitWithAck("join:admin", "no-such-event"), { ok: false, error: "event_not_found" });
    assert.deepEqual(await admin.emitWithAck("join:admin", 42), { ok: false, error: "invalid_payload" });
    assert.equal(got.length, 0);

    const ack = await admin.emitWithAck("join:admin", { eventId: event.id });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const first = ack.stats;
    assert.equal(first.eventId, event.id);
    assert.ok(!Number.isNaN(Date.parse(first.at)));
    assert.equal(first.sold, 0);
    assert.equal(first.revenue, 0);
    assert.deepEqual(first.seats, { available: 10, held: 0, sold: 0 });
    assert.deepEqual(first.remaining.map((r) => r.remainingQuantity), [10, 100]);
    assert.equal(first.salesPaused, false);
    assert.equal(first.waitingRoom, "auto");
    for (const k of ["waiting", "activeShoppers", "admittedPerSec", "holdsPerSec", "connections", "instances", "pushDrops"]) {
      assert.equal(typeof first[k], "number", k);
    }

    // A second watcher, on B.
    const gotB = record(adminB);
    assert.equal((await adminB.emitWithAck("join:admin", event.id)).ok, true);

    // Every instance counts: 3 instances, 7 connections (1 on A, 3 on B, 3 on C).
    const all = await waitFor(got, 0, (s) => s.instances === 3 && s.connections === 7, "instances 3, connections 7", 5000);
    assert.equal(all.stats.eventId, event.id);
    await waitFor(gotB, 0, (s) => s.instances === 3 && s.connections === 7, "the same on B", 3000);

    // About once a second, and once only, on each watcher: the instances with watchers
    // (A and B) each send to their own sockets, never to each other's.
    const [from, fromB] = [got.length, gotB.length];
    await sleep(4000);
    for (const window of [got.slice(from), gotB.slice(fromB)]) {
      assert.ok(window.length >= 3 && window.length <= 5, `${window.length} admin:stats in 4 s`);
      for (let i = 1; i < window.length; i++) {
        const gap = window[i].at - window[i - 1].at;
        // A duplicate would come within a few ms; a slow second (database reads under load)
        // may bring the next one closer than a second.
        assert.ok(gap > 200, `two admin:stats ${gap} ms apart`);
      }
    }

    // A purchase through C shows within 2 s (sold, revenue, remaining).
    const bought = await buy(c, userToken("buyer-c"), event.id, ga.id, 2);
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    const paid = await api(c, "POST", `/reservations/${bought.body.reservation.id}/pay`, { token: userToken("buyer-c"), body: {} });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    const paidAt = Date.now();
    const sale = await waitFor(
      got,
      0,
      (s) => s.sold === 2 && s.revenue === 2 * ga.price && s.remaining[1].remainingQuantity === 98,
      "the purchase through C",
      2000,
    );
    assert.ok(sale.at - paidAt <= 2000);
    assert.equal(sale.stats.ticketTypes[1].sold, 2);
    assert.equal(sale.stats.ticketTypes[1].revenue, 2 * ga.price);

    // A burst of holds through B shows as holds (and admissions) per second.
    const mark = got.length;
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => buy(b, userToken(`burst-${i}`), event.id, ga.id, 1)),
    );
    assert.ok(burst.every((r) => r.status === 201), JSON.stringify(burst.map((r) => r.status)));
    await waitFor(got, mark, (s) => s.holdsPerSec > 0, "holdsPerSec > 0", 4000);
    await waitFor(got, mark, (s) => s.admittedPerSec > 0, "admittedPerSec > 0", 4000);
    await waitFor(got, mark, (s) => s.ticketTypes[1].held === 20, "20 held", 3000);

    // The operator's settings changed through C show on A's watcher.
    const patched = await api(c, "PATCH", `/admin/events/${event.id}`, {
      token: adminToken(),
      body: { salesPaused: true, waitingRoom: "on" },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await waitFor(got, got.length, (s) => s.salesPaused === true && s.waitingRoom === "on", "the paused sale", 3000);

    // An instance killed outright stops counting within a few seconds, its sockets with it.
    await c.stop("SIGKILL");
    const killedAt = Date.now();
    const gone = await waitFor(got, got.length, (s) => s.instances === 2, "instances 2", 8000);
    assert.ok(gone.at - killedAt < 8000);
    await waitFor(got, got.length - 1, (s) => s.connections === 4, "connections 4", 5000);

    // leave:admin stops the messages.
    assert.deepEqual(await admin.emitWithAck("leave:admin", event.id), { ok: true });
    await sleep(300);
    const stoppedAt = got.length;
    await sleep(2500);
    assert.equal(got.length, stoppedAt, "admin:stats after leave:admin");

    admin.close();
    adminB.close();
    for (const s of others) s.close();
  });

  test("one socket watches at most five events", async () => {
    const servers = await startCluster(1);
    clusters.push(servers);
    const [a] = servers;
    const admin = await connect(a, adminToken());
    const events = [];
    for (let i = 0; i < 6; i++) events.push((await createEvent(a, { rows: 1, perRow: 2, ga: 5 })).event);
    for (const e of events.slice(0, 5)) {
      assert.equal((await admin.emitWithAck("join:admin", e.id)).ok, true);
    }
    // Joining one already watched again is not a sixth.
    assert.equal((await admin.emitWithAck("join:admin", events[0].id)).ok, true);
    assert.deepEqual(await admin.emitWithAck("join:admin", events[5].id), { ok: false, error: "too_many_watched" });
    assert.deepEqual(await admin.emitWithAck("leave:admin", events[0].id), { ok: true });
    assert.equal((await admin.emitWithAck("join:admin", events[5].id)).ok, true);
    admin.close();
  });
});
