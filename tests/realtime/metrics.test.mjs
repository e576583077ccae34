// GET /metrics seen from real Socket.IO clients: the open-sockets gauge follows connects and
// disconnects, refused handshakes are counted, and a push to a watching client shows in the
// commit-to-emit histogram. One embedded server with METRICS_TOKEN.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connect, createEvent, eventually, hold, once, startServer, userToken } from "./harness.mjs";

const TOKEN = "realtime-metrics-token";
let server;
before(async () => {
  server = await startServer({ env: { METRICS_TOKEN: TOKEN } });
});
after(async () => {
  await server.stop();
  server.cleanup();
});

/** One scrape: sample name with its labels as written -> value. */
async function scrape() {
  const r = await fetch(`${server.url}/metrics`, {
    headers: { authorization: `Bearer ${TOKEN}` },
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/plain; version=0\.0\.4/);
  const samples = new Map();
  for (const line of (await r.text()).split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

test("sockets open, refused, and the push latency of a hold", async () => {
  const before = await scrape();
  assert.equal(before.get("boxoffice_sockets_open"), 0);
  const { event, seats } = await createEvent(server, { rows: 1, perRow: 4 });

  const watchers = [await connect(server, userToken("m-w1")), await connect(server, userToken("m-w2"))];
  await assert.rejects(connect(server, "not-a-token", { transports: ["websocket"] }), { message: "Invalid token" });
  const open = await scrape();
  assert.equal(open.get("boxoffice_sockets_open"), 2);
  assert.equal(open.get("boxoffice_sockets_connected_total"), 2);
  assert.equal(open.get("boxoffice_sockets_refused_total"), 1);

  for (const w of watchers) assert.equal((await w.emitWithAck("join:event", event.id)).ok, true);
  const pushed = once(watchers[0], "seat:selected", 10_000);
  const r = await hold(server, userToken("m-buyer"), event.id, [seats[0].id]);
  assert.equal(r.status, 201);
  assert.deepEqual((await pushed).seatIds, [seats[0].id]);

  // One committed change, emitted once: its latency is in the histogram (commit to emit).
  const after = await eventually(async () => {
    const s = await scrape();
    return s.get("boxoffice_push_latency_seconds_count") >= 1 ? s : null;
  }, "the push latency observation");
  assert.equal(after.get("boxoffice_push_latency_seconds_count"), 1);
  assert.equal(after.get('boxoffice_push_latency_seconds_bucket{le="+Inf"}'), 1);
  const seconds = after.get("boxoffice_push_latency_seconds_sum");
  assert.ok(seconds > 0 && seconds < 5, `${seconds} s`);
  assert.ok(after.get("boxoffice_pushes_out_total") >= 1);
  assert.equal(after.get(`boxoffice_holds_total{event="${event.id}",outcome="ok"}`), 1);

  for (const w of watchers) w.close();
  await eventually(async () => (await scrape()).get("boxoffice_sockets_open") === 0, "sockets_open back to 0");
});
