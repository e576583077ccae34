// Fault test: three instances lose the line's Redis mid-surge (FLUSHALL on a private
// redis-server, as a restart without persistence would leave it). Every instance notices;
// waiting users who come back with their receipts, in reverse order and through different
// instances, keep their numbers; a newcomer queues behind them; the shopper admitted before
// the loss keeps shopping and the capacity of 1 holds; then the line moves in the old order.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, test } from "node:test";
import { api, connect, createEvent, eventually, metrics, once, sleep, startCluster, startRedis, userToken } from "./harness.mjs";

const stops = [];
after(async () => {
  for (const s of stops.reverse()) await s.stop();
});

const joinWith = (server, token, eventId, receipt) =>
  api(server, "POST", "/queue/join", { token, body: receipt ? { eventId, receipt } : { eventId } });

test("three instances: a flushed line keeps everyone's place and the capacity", async () => {
  const redis = await startRedis();
  stops.push(redis);
  // A short window keeps the test short: 10 s of paused admission, numbers for newcomers at 15 s.
  const servers = await startCluster(3, { LINE_RECOVERY_SECONDS: "15", QUEUE_TICK_MS: "200" }, redis.url);
  stops.push(...servers);
  const [a, b, c] = servers;
  const { event, seats } = await createEvent(a, { capacity: 1, admitRatePerSec: 50, idleTimeoutSeconds: 60 });
  const e = event.id;

  const shopper = userToken("shopper");
  const first = await joinWith(a, shopper, e);
  assert.equal(first.body.admitted, true);
  const admission = first.body.admissionToken;
  const holdVia = (server, seat) =>
    api(server, "POST", "/seats/reserve", { token: shopper, body: { eventId: e, seatIds: [seat] }, headers: { "x-admission-token": admission } });
  assert.equal((await holdVia(a, seats[0].id)).status, 201);

  const names = ["w1", "w2", "w3", "w4"];
  const before = [];
  for (const [i, n] of names.entries()) {
    const r = await joinWith(servers[i % 3], userToken(n), e);
    assert.equal(r.status, 200);
    assert.equal(r.body.position, i + 1);
    assert.equal(typeof r.body.receipt, "string");
    before.push(r.body);
  }
  // A waiting client on C hears the progress messages.
  const watcher = await connect(c, userToken("w4"));
  assert.equal((await watcher.emitWithAck("join:queue", { eventId: e, receipt: before[3].receipt })).ok, true);
  await sleep(1500); // a tick or more everywhere, and a checkpoint

  execFileSync("redis-cli", ["-p", String(redis.port), "FLUSHALL"]);
  const flushedAt = Date.now();

  // Every instance notices within a few ticks.
  await eventually(async () => {
    const counts = await Promise.all(servers.map(async (s) => (await metrics(s)).lineLosses));
    return counts.every((n) => n >= 1);
  }, "every instance to notice the loss", 10_000);
  console.log(`recovery: all 3 instances noticed the flush within ${Date.now() - flushedAt} ms (ticks every 200 ms)`);
  const progress = await once(watcher, "queue:progress", 5000);
  assert.equal(progress.recovering, true);

  // Back in reverse order, each through another instance, each with their receipt.
  for (let i = names.length - 1; i >= 0; i--) {
    const r = await joinWith(servers[(i + 1) % 3], userToken(names[i]), e, before[i].receipt);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.number, before[i].number, `${names[i]}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.position, i + 1);
    assert.equal(r.body.recovering, true);
  }
  const newcomer = await joinWith(b, userToken("newcomer"), e);
  assert.equal(newcomer.body.position, 5, JSON.stringify(newcomer.body));
  assert.equal(newcomer.body.number, null);

  // The shopper keeps shopping through any instance; nobody else is let in meanwhile.
  assert.equal((await holdVia(b, seats[1].id)).status, 201);
  assert.equal((await holdVia(c, seats[2].id)).status, 201);
  const queue = async () => (await api(a, "GET", `/events/${e}`)).body.queue;
  for (let i = 0; i < 8; i++) {
    const q = await queue();
    assert.ok(q.activeShoppers <= 1, JSON.stringify(q));
    await sleep(250);
  }
  for (const n of names) {
    assert.equal((await api(c, "GET", `/queue/status/${e}`, { token: userToken(n) })).body.admitted, false, n);
  }

  // The shopper leaves; the line moves in the old order, one at a time, newcomer last.
  assert.equal((await api(c, "POST", "/queue/leave", { token: shopper, body: { eventId: e } })).status, 204);
  const order = [];
  const left = [...names, "newcomer"];
  const deadline = Date.now() + 40_000;
  while (left.length && Date.now() < deadline) {
    const q = await queue();
    assert.ok(q.activeShoppers <= 1, JSON.stringify(q));
    for (const n of left) {
      const s = await api(servers[order.length % 3], "GET", `/queue/status/${e}`, { token: userToken(n) });
      if (s.body.admitted) {
        order.push(n);
        left.splice(left.indexOf(n), 1);
        assert.equal((await api(a, "POST", "/queue/leave", { token: userToken(n), body: { eventId: e } })).status, 204);
        break;
      }
    }
    await sleep(200);
  }
  assert.deepEqual(order, [...names, "newcomer"]);
  watcher.close();
});
