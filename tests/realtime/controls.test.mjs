// The operator console's controls across three real server processes sharing one PostgreSQL
// database and one Redis: a PATCH through one instance reaches every instance within a
// second (holds answer 409 sales_paused, sockets get event:updated once), line settings
// changed mid-sale apply on every instance, and a paused line keeps everyone's place.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { adminToken, api, connect, createEvent, eventually, join, sleep, startCluster, userToken } from "./harness.mjs";

const clusters = [];
after(async () => {
  for (const c of clusters) for (const s of c) await s.stop();
});

const patch = (server, eventId, body) => api(server, "PATCH", `/admin/events/${eventId}`, { token: adminToken(), body });

/** Holds one general-admission ticket with an admission already in hand. */
const holdGa = (server, token, admission, event) =>
  api(server, "POST", "/reservations", {
    token,
    body: { eventId: event.id, ticketTypeId: event.ticketTypes[1].id, quantity: 1 },
    headers: { "x-admission-token": admission },
  });

/** Resolves to the time (ms since `since`) at which `check()` first holds, polling every 10 ms. */
async function delayUntil(check, since, what, ms = 5000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return Date.now() - since;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("operator controls on three instances", () => {
  test("a pause through A stops holds on B and C within a second; every socket is told once", async (t) => {
    const servers = await startCluster(3);
    clusters.push(servers);
    const [a, b, c] = servers;
    // Room for every hold the shoppers make while they poll for the pause.
    const { event } = await createEvent(a, { rows: 1, perRow: 4, ga: 5000, capacity: 1000, maxTicketsPerCustomer: 10000 });

    // Watchers on every instance: one in the event room, one in the queue room.
    const updates = [];
    const sockets = [];
    for (const [i, s] of servers.entries()) {
      for (const room of ["join:event", "join:queue"]) {
        const sock = await connect(s, userToken(`watch-${i}-${room}`));
        const got = { instance: i, room, messages: [] };
        sock.on("event:updated", (m) => got.messages.push({ at: Date.now(), m }));
        const ack = await sock.emitWithAck(room, room === "join:event" ? { eventId: event.id, seats: false } : event.id);
        assert.notEqual(ack.ok, false, JSON.stringify(ack));
        updates.push(got);
        sockets.push(sock);
      }
    }
    // Shoppers admitted on B, C and A before the pause.
    const shoppers = [];
    for (const [name, s] of [["B", b], ["C", c], ["A", a]]) {
      const token = userToken(`shopper-${name}`);
      const j = await join(s, token, event.id);
      assert.equal(j.body.admitted, true);
      assert.equal((await holdGa(s, token, j.body.admissionToken, event)).status, 201);
      shoppers.push({ server: s, token, admission: j.body.admissionToken, name });
    }
    const onBandC = shoppers.slice(0, 2);

    const sent = Date.now();
    const r = await patch(a, event.id, { salesPaused: true });
    const answered = Date.now();
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.salesPaused, true);

    const holdDelays = await Promise.all(
      onBandC.map((sh) =>
        delayUntil(async () => {
          const h = await holdGa(sh.server, sh.token, sh.admission, event);
          if (h.status === 201) return false;
          assert.equal(h.status, 409, JSON.stringify(h.body));
          assert.equal(h.body.error.code, "sales_paused");
          assert.equal(h.body.error.message, "Sales are paused");
          return true;
        }, answered, `409 sales_paused on ${sh.name}`),
      ),
    );
    for (const [i, d] of holdDelays.entries()) {
      t.diagnostic(`holds refused on ${shoppers[i].name} ${d} ms after the PATCH answered`);
      assert.ok(d <= 1000, `holds on ${shoppers[i].name} refused after ${d} ms`);
    }
    await eventually(() => updates.every((u) => u.messages.length > 0), "event:updated on every socket", 3000);
    for (const u of updates) {
      const { at, m } = u.messages[0];
      assert.equal(m.eventId, event.id);
      assert.equal(m.event.id, event.id);
      assert.equal(m.event.salesPaused, true);
      assert.equal(m.event.waitingRoom, "auto");
      assert.equal(m.event.currency, "USD");
      assert.equal(m.event.timeZone, "UTC");
      assert.ok(Array.isArray(m.event.ticketTypes), "the full event object");
      t.diagnostic(`event:updated on instance ${u.instance} (${u.room}) ${at - sent} ms after the PATCH was sent`);
      assert.ok(at - answered <= 1000, `event:updated on instance ${u.instance} after ${at - answered} ms`);
    }
    // Still refused a while later, and nobody got the change twice.
    await sleep(1200);
    for (const sh of shoppers) assert.equal((await holdGa(sh.server, sh.token, sh.admission, event)).status, 409, sh.name);
    for (const u of updates) assert.equal(u.messages.length, 1, `instance ${u.instance} ${u.room}: ${u.messages.length} event:updated`);

    // Resume through C: holds work again on all three.
    const resumed = Date.now();
    assert.equal((await patch(c, event.id, { salesPaused: false, timeZone: "Asia/Seoul" })).status, 200);
    const resumeDelays = await Promise.all(
      shoppers.map((sh) => delayUntil(async () => (await holdGa(sh.server, sh.token, sh.admission, event)).status === 201, resumed, `hold on ${sh.name}`)),
    );
    t.diagnostic(`holds work again ${resumeDelays.join(" / ")} ms (B / C / A) after the resume was sent`);
    for (const d of resumeDelays) assert.ok(d <= 1200, `resume took ${d} ms`);
    await eventually(() => updates.every((u) => u.messages.length === 2), "the resume's event:updated", 3000);
    for (const u of updates) {
      assert.equal(u.messages[1].m.event.salesPaused, false);
      assert.equal(u.messages[1].m.event.timeZone, "Asia/Seoul");
    }
    console.log(
      `propagation: pause -> 409 on B/C ${holdDelays.join("/")} ms; event:updated ${updates.map((u) => u.messages[0].at - answered).join("/")} ms after the answer`,
    );
    for (const s of sockets) s.close();
  });

  test("line settings changed mid-sale apply on every instance; a paused line keeps its places", async (t) => {
    const servers = await startCluster(3);
    clusters.push(servers);
    const [a, b, c] = servers;
    const { event } = await createEvent(a, { rows: 1, perRow: 4, ga: 100, capacity: 1, admitRatePerSec: 1 });

    // Capacity 1: the first joiner is in, the next wait with numbers.
    const first = await join(a, userToken("q-0"), event.id);
    assert.equal(first.body.admitted, true);
    const waiting = [];
    for (const [i, s] of [b, c].entries()) {
      const token = userToken(`q-${i + 1}`);
      const sock = await connect(s, token);
      const admitted = [];
      sock.on("queue:admitted", (m) => admitted.push(m));
      assert.deepEqual(await sock.emitWithAck("join:queue", event.id), { ok: true });
      const j = await join(s, token, event.id);
      assert.equal(j.body.admitted, false);
      assert.ok(j.body.number > 0);
      waiting.push({ server: s, token, sock, admitted, number: j.body.number });
    }

    // Pause, then make room: nobody is let in while paused, and nobody loses a place.
    const progress = [];
    waiting[0].sock.on("queue:progress", (m) => progress.push(m));
    assert.equal((await patch(a, event.id, { salesPaused: true })).status, 200);
    assert.equal((await patch(b, event.id, { capacity: 50, admitRatePerSec: 50 })).status, 200);
    // A join while paused takes a number even with room, on every instance.
    const late = userToken("q-late");
    await sleep(1000);
    const lateJoin = await join(c, late, event.id);
    assert.equal(lateJoin.body.admitted, false, "paused: a join takes a number, with room or not");
    assert.ok(lateJoin.body.number > waiting[1].number);
    await sleep(1500);
    for (const w of waiting) {
      assert.equal(w.admitted.length, 0, "nobody admitted while paused");
      for (const s of servers) {
        const st = await api(s, "GET", `/queue/status/${event.id}`, { token: w.token });
        assert.equal(st.body.admitted, false);
        assert.equal(st.body.number, w.number, "the place is kept");
      }
    }
    assert.ok(progress.length > 0, "the line still reports progress while paused");

    // Resume through C: everyone waiting goes in (capacity 50 and 50/s now apply).
    const resumed = Date.now();
    assert.equal((await patch(c, event.id, { salesPaused: false })).status, 200);
    await eventually(() => waiting.every((w) => w.admitted.length === 1), "admissions after the resume", 3000);
    t.diagnostic(`waiting users admitted ${Date.now() - resumed} ms after the resume`);
    await eventually(async () => (await api(c, "GET", `/queue/status/${event.id}`, { token: late })).body.admitted, "the late joiner admitted", 3000);

    // The new capacity (50, room for more) on every instance: a join admits at once. (The
    // resume itself reached the other instances within a second: wait that out.)
    await sleep(1000);
    for (const [i, s] of servers.entries()) {
      const j = await join(s, userToken(`cap-${i}`), event.id);
      assert.equal(j.body.admitted, true, `capacity 50 applies on instance ${i}`);
    }

    // waitingRoom "on" through A: within a second every instance numbers joiners despite room.
    const before = (await api(b, "GET", `/events/${event.id}`)).body.queue;
    t.diagnostic(`before "on": ${JSON.stringify(before)}`);
    assert.equal(before.totalWaiting, 0);
    const onAt = Date.now();
    assert.equal((await patch(a, event.id, { waitingRoom: "on" })).status, 200);
    // One instance at a time, each joiner leaving at once, so nobody waits when the next joins
    // (in "auto" anyone waiting would make a joiner wait too, stale settings or not).
    const onDelays = [];
    for (const [i, s] of [[1, b], [2, c], [0, a]]) {
      onDelays[i] = await delayUntil(async () => {
        const token = userToken(`on-${i}-${Date.now()}`);
        const j = await join(s, token, event.id);
        assert.equal((await api(s, "POST", "/queue/leave", { token, body: { eventId: event.id } })).status < 300, true);
        return j.body.admitted === false && j.body.number > 0;
      }, onAt, `waitingRoom on at instance ${i}`);
    }
    t.diagnostic(`waitingRoom "on" applied ${onDelays.join(" / ")} ms (A / B / C) after the PATCH was sent`);
    for (const d of onDelays) assert.ok(d <= 1200, `"on" took ${d} ms`);

    // Capacity 4 and waitingRoom "off": joins go straight in past capacity, on every instance.
    const offAt = Date.now();
    assert.equal((await patch(b, event.id, { waitingRoom: "off", capacity: 4 })).status, 200);
    const offDelays = await Promise.all(
      servers.map((s, i) =>
        delayUntil(async () => (await join(s, userToken(`off-${i}-${Date.now()}`), event.id)).body.admitted === true, offAt, `waitingRoom off at instance ${i}`),
      ),
    );
    t.diagnostic(`waitingRoom "off" applied ${offDelays.join(" / ")} ms (A / B / C) after the PATCH was sent`);
    for (const d of offDelays) assert.ok(d <= 1200, `"off" took ${d} ms`);
    const summary = (await api(a, "GET", `/events/${event.id}`)).body.queue;
    assert.ok(summary.activeShoppers > 4, `past capacity with the waiting room off: ${summary.activeShoppers}`);
    for (const w of waiting) w.sock.close();
  });
});
