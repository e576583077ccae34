// Fault test: the shared Redis dies and comes back. Instances reconnect and re-subscribe by
// themselves, and room messages flow between them again, with no server restart.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Mirror, api, connect, createEvent, eventually, hold, sleep, startCluster, startRedis, truth, userToken } from "./harness.mjs";

const stops = [];
after(async () => {
  for (const s of stops.reverse()) await s.stop();
});

test("after a Redis restart, a hold through A reaches a client on B again", async () => {
  const redis = await startRedis();
  stops.push(redis);
  const [a, b] = await startCluster(2, {}, redis.url);
  stops.push(a, b);
  const { event, seats } = await createEvent(a, { rows: 2, perRow: 10 });
  const onB = await connect(b, userToken("watcher"), { reconnection: true, reconnectionDelay: 200, reconnectionDelayMax: 1000 });
  const mirror = new Mirror().attach(onB);
  mirror.applySnapshot(await onB.emitWithAck("join:event", event.id));

  assert.equal((await hold(a, userToken("before"), event.id, [seats[0].id])).status, 201);
  await eventually(() => mirror.seats.get(seats[0].id)?.status === "held", "push before the restart");

  // While Redis is down, clients of the instance that made a change still see it: a failed
  // cross-instance publish must not cost local delivery.
  const onA = await connect(a, userToken("local-watcher"));
  const local = new Mirror().attach(onA);
  local.applySnapshot(await onA.emitWithAck("join:event", event.id));
  const during = seats[seats.length - 1];
  const buyer = userToken("during");
  const r = await hold(a, buyer, event.id, [during.id]);
  assert.equal(r.status, 201);
  await eventually(() => local.seats.get(during.id)?.status === "held", "the hold reaches A's client");
  await redis.stop();
  // Shopping needs the waiting room, which lives in Redis, so holds are refused for now
  // (503); a cancellation needs neither, and its push must still reach A's own clients.
  assert.equal((await api(a, "DELETE", `/reservations/${r.body.reservation.id}`, { token: buyer })).status, 200);
  await eventually(() => local.seats.get(during.id)?.status === "available", "a local push while Redis is down", 10_000);
  const refused = await api(a, "POST", "/queue/join", { token: userToken("late"), body: { eventId: event.id } });
  assert.equal(refused.status, 503, "the waiting room says its backing service is down");
  assert.ok((await api(a, "GET", "/metrics")).body.clusterPushFailures >= 1);
  onA.close();

  const again = await startRedis(redis.port);
  stops.push(again);

  // Keep holding through A until B's client sees one: the instances must have reconnected
  // and re-subscribed. Bounded at 20 s.
  let i = 1;
  await eventually(async () => {
    const seat = seats[i];
    const r = await hold(a, userToken(`after-${i}`), event.id, [seat.id]);
    if (r.status === 201) i++;
    await sleep(200);
    return [...mirror.seats.values()].filter((s) => s.status === "held").length >= 2;
  }, "a push to travel between instances after the Redis restart", 20_000);

  // And the client converges to the truth.
  onB.emit("join:event", event.id);
  const t = await truth(a, event.id);
  mirror.applySnapshot(await onB.emitWithAck("join:event", event.id));
  await eventually(() => [...t.seats].every(([id, s]) => mirror.seats.get(id)?.version >= s.version), "mirror to converge");
  const metrics = (await api(b, "GET", "/metrics")).body;
  assert.equal(metrics.feedLagged, 0);
  onB.close();
});
