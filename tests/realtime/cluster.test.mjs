// Three real server processes on 127.0.0.1 sharing one PostgreSQL database and one Redis:
// a change made through one instance reaches browsers on every instance, bursts lose
// nothing, sessions follow a user to another instance, and losing an instance loses
// nothing for the others.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  Mirror, api, connect, createEvent, eventually, hold, mapsEqual, once, startCluster, truth, userToken,
} from "./harness.mjs";

const clusters = [];
after(async () => {
  for (const c of clusters) for (const s of c) await s.stop();
});

describe("three instances, one Redis", () => {
  test("a client on C sees a hold made through A; sessions move between instances", async () => {
    const [a, b, c] = await startCluster(3);
    clusters.push([a, b, c]);
    for (const s of [a, b, c]) {
      assert.equal((await api(s, "GET", "/health")).body.coordination, "redis");
    }
    const { event, seats } = await createEvent(a, { rows: 2, perRow: 10 });

    const onC = await connect(c, userToken("watcher-c"));
    const onB = await connect(b, userToken("watcher-b"), { transports: ["polling"] });
    await onC.emitWithAck("join:event", event.id);
    await onB.emitWithAck("join:event", event.id);
    const seenC = once(onC, "seat:selected");
    const seenB = once(onB, "seat:selected");
    const stockC = once(onC, "ticket:updated");
    assert.equal((await hold(a, userToken("buyer-a"), event.id, [seats[3].id])).status, 201);
    assert.deepEqual((await seenC).seatIds, [seats[3].id]);
    assert.deepEqual((await seenB).seatIds, [seats[3].id]);
    assert.equal((await stockC).remainingQuantity, 19);

    // The session lives in Redis: the same user connecting to another instance is put
    // back into the room and told what it holds.
    const me = userToken("traveller");
    const settled = once(onC, "seat:selected");
    const r = await hold(b, me, event.id, [seats[7].id]);
    assert.equal(r.status, 201);
    // Let that push go by before the traveller connects, so the next one is unambiguous.
    assert.deepEqual((await settled).seatIds, [seats[7].id]);
    const first = await connect(a, me);
    await first.emitWithAck("join:event", event.id);
    first.close();
    const second = await connect(c, me, {}, ["session:restored"]);
    const restored = await second.early["session:restored"];
    assert.equal(restored.eventId, event.id);
    assert.deepEqual(restored.reservations.map((x) => x.id), [r.body.reservation.id]);
    const pushed = once(second, "seat:selected");
    assert.equal((await hold(b, userToken("someone"), event.id, [seats[9].id])).status, 201);
    assert.deepEqual((await pushed).seatIds, [seats[9].id]);
    for (const s of [onB, onC, second]) s.close();
  });

  test("a burst of thousands of unbatched messages arrives complete on every instance", async () => {
    // PUSH_BATCH_MS=0: every change is its own Redis message, the worst case for the
    // adapter's stream buffer.
    const servers = await startCluster(3, { PUSH_BATCH_MS: "0" });
    clusters.push(servers);
    const [a, b, c] = servers;
    // Capacity above the number of buyers: this test is about fan-out, not the line.
    const { event, seats } = await createEvent(a, { rows: 40, perRow: 50, ga: 0, capacity: 10000 });
    assert.equal(seats.length, 2000);

    const mirrors = [];
    for (const s of servers) {
      const sock = await connect(s, userToken(`burst-${s.port}`));
      const m = new Mirror().attach(sock);
      m.applySnapshot(await sock.emitWithAck("join:event", event.id));
      mirrors.push({ sock, m });
    }
    // 2000 single-seat holds through A and B, 40 in flight at a time: 4000 room messages
    // (seat:selected + ticket:updated), each published once and delivered on all three.
    const makers = [a, b];
    for (let i = 0; i < seats.length; i += 40) {
      await Promise.all(
        seats.slice(i, i + 40).map((seat, j) => hold(makers[(i + j) % 2], userToken(`u${i + j}`), event.id, [seat.id])),
      );
    }
    const t = await truth(c, event.id);
    assert.ok([...t.seats.values()].every((s) => s.status === "held"));
    for (const { m } of mirrors) {
      await eventually(() => mapsEqual(m.seats, t.seats) && mapsEqual(m.stock, t.stock), "every mirror to converge", 30_000);
      assert.ok(m.messages["seat:selected"] >= 2000 / 2, "unbatched: about one message per hold");
    }
    for (const s of servers) {
      const metrics = (await api(s, "GET", "/metrics")).body;
      assert.equal(metrics.redisDropped, 0, `instance ${s.port} dropped Redis messages`);
      assert.equal(metrics.feedLagged, 0);
    }
    for (const { sock } of mirrors) sock.close();
  });

  test("stopping one instance loses nothing for clients of the others", async () => {
    const servers = await startCluster(3);
    clusters.push(servers);
    const [a, b, c] = servers;
    const { event, seats } = await createEvent(a, { rows: 1, perRow: 10 });
    const onC = await connect(c, userToken("survivor"));
    const mirror = new Mirror().attach(onC);
    mirror.applySnapshot(await onC.emitWithAck("join:event", event.id));
    const onB = await connect(b, userToken("victim"));
    await onB.emitWithAck("join:event", event.id);

    await b.stop("SIGKILL");
    for (const seat of seats.slice(0, 5)) {
      assert.equal((await hold(a, userToken(`k-${seat.id}`), event.id, [seat.id])).status, 201);
    }
    const t = await truth(a, event.id);
    await eventually(() => mapsEqual(mirror.seats, t.seats), "client on C to see every hold after B died");
    onB.close();
    onC.close();
  });
});
