// The waiting room across three real server processes sharing one Redis: every instance
// ticks, yet each user is admitted once, the event admits at its configured rate (not rate
// × instances), the whole line gets one queue:progress per tick, and queue:admitted goes
// to the admitted user alone.

import assert from "node:assert/strict";
import { after, test } from "node:test";
import { api, connect, createEvent, eventually, join, sleep, startCluster, userToken } from "./harness.mjs";

const servers = [];
after(async () => {
  for (const s of servers) await s.stop();
});

test("three instances admit each user once, at the event's rate", async (t) => {
  servers.push(...(await startCluster(3)));
  const RATE = 4;
  const USERS = 60;
  const opensIn = 5000;
  const saleOpensAt = new Date(Date.now() + opensIn).toISOString();
  const { event } = await createEvent(servers[0], { capacity: 1000, admitRatePerSec: RATE, saleOpensAt });

  // Everyone joins before the sale opens, through all three instances, and watches the line.
  const users = [];
  for (let i = 0; i < USERS; i++) {
    const server = servers[i % 3];
    const token = userToken(`fan-${i}`);
    const socket = await connect(server, token);
    const u = { i, token, socket, admitted: [], progress: 0 };
    socket.on("queue:admitted", (m) => u.admitted.push(m));
    socket.on("queue:progress", () => u.progress++);
    users.push(u);
    const j = await join(server, token, event.id);
    assert.equal(j.status, 200);
    assert.equal(j.body.admitted, false, "nobody is let in before the sale opens");
    assert.deepEqual(await socket.emitWithAck("join:queue", event.id), { ok: true });
  }
  const watcher = users[0];
  const progressBefore = watcher.progress;

  // Watch for 4 s after the opening.
  const waitStart = Date.now();
  await sleep(opensIn + 4000 - (Date.now() - (Date.parse(saleOpensAt) - opensIn)));
  const sinceOpen = (Date.now() - Date.parse(saleOpensAt)) / 1000;
  await sleep(300); // let pushes in flight land
  // Both at one moment: the line keeps moving while the checks below run.
  const admittedUsers = users.filter((u) => u.admitted.length > 0);
  const waitingUsers = users.filter((u) => u.admitted.length === 0);
  t.diagnostic(`${admittedUsers.length} admitted ${sinceOpen.toFixed(1)} s after opening at ${RATE}/s across 3 instances`);

  // The rate holds across instances: one second's burst plus RATE per second, not 3×.
  const most = Math.ceil(RATE * (sinceOpen + 0.5)) + RATE + 1;
  assert.ok(admittedUsers.length <= most, `${admittedUsers.length} admitted, at most ${most} allowed`);
  assert.ok(admittedUsers.length >= RATE * (sinceOpen - 1.5), `${admittedUsers.length} admitted: the line moves`);
  assert.ok(admittedUsers.length < USERS, "3 instances did not triple the rate");

  // Exactly once, to that user only, with a token that works for them.
  for (const u of users) {
    assert.ok(u.admitted.length <= 1, `fan-${u.i} got queue:admitted ${u.admitted.length} times`);
  }
  const lucky = admittedUsers[0];
  const status = await api(servers[2], "GET", `/queue/status/${event.id}`, { token: lucky.token });
  assert.equal(status.body.admitted, true);
  const [msg] = lucky.admitted;
  assert.equal(msg.eventId, event.id);
  const seats = (await api(servers[1], "GET", `/events/${event.id}/seats`)).body.seats;
  const held = await api(servers[1], "POST", "/seats/reserve", {
    token: lucky.token,
    body: { eventId: event.id, seatIds: [seats[0].id] },
    headers: { "x-admission-token": msg.admissionToken },
  });
  assert.equal(held.status, 201, JSON.stringify(held.body));

  // Places only go down, and the statuses agree with the pushes.
  let stillWaiting = 0;
  let admittedSince = 0;
  for (const u of waitingUsers) {
    const s = await api(servers[u.i % 3], "GET", `/queue/status/${event.id}`, { token: u.token });
    if (s.body.admitted) {
      // Let in since the count above: its own queue:admitted must follow, once.
      await eventually(() => u.admitted.length === 1, `queue:admitted for fan-${u.i}`, 3000);
      admittedSince++;
    } else {
      assert.ok(s.body.position >= 1);
      stillWaiting++;
    }
  }
  assert.ok(admittedSince <= RATE + 1, `${admittedSince} admitted during the status checks`);
  assert.equal(stillWaiting + admittedSince + admittedUsers.length, USERS);

  // One progress message per tick for the whole line, not one per instance: ticks are
  // every 200 ms, so about 5 a second.
  const perSecond = (watcher.progress - progressBefore) / ((Date.now() - waitStart) / 1000);
  t.diagnostic(`queue:progress per second seen by one waiter: ${perSecond.toFixed(1)}`);
  assert.ok(perSecond <= 7, `${perSecond.toFixed(1)} progress messages per second`);
  for (const u of users) u.socket.close();
});

test("three instances: cancelling keeps the turn, paying hands it on within a tick", async (t) => {
  if (servers.length === 0) servers.push(...(await startCluster(3)));
  const { event, seats } = await createEvent(servers[0], { capacity: 1, admitRatePerSec: 50 });
  const a = userToken("turn-a");
  const b = userToken("turn-b");
  const joinA = await join(servers[0], a, event.id);
  assert.equal(joinA.body.admitted, true);
  assert.ok(Date.parse(joinA.body.turnEndsAt) > Date.now(), "the answer says when the turn ends");
  const admission = joinA.body.admissionToken;
  const bSocket = await connect(servers[2], b);
  const bAdmitted = [];
  bSocket.on("queue:admitted", (m) => bAdmitted.push(m));
  const joinB = await join(servers[2], b, event.id);
  assert.equal(joinB.body.position, 1);
  assert.deepEqual(await bSocket.emitWithAck("join:queue", event.id), { ok: true });

  const holdOn = (server, seat) =>
    api(server, "POST", "/seats/reserve", {
      token: a,
      body: { eventId: event.id, seatIds: [seat.id] },
      headers: { "x-admission-token": admission },
    });
  // Hold on one instance, cancel on another, hold again on the third: one turn throughout.
  const first = await holdOn(servers[0], seats[0]);
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const cancelled = await api(servers[1], "DELETE", `/reservations/${first.body.reservation.id}`, { token: a });
  assert.equal(cancelled.status, 200);
  await sleep(1000); // five ticks of the line, on three instances
  assert.equal(bAdmitted.length, 0, "the waiting user is not let in after a cancel");
  assert.equal((await api(servers[1], "GET", `/queue/status/${event.id}`, { token: b })).body.position, 1);
  const second = await holdOn(servers[2], seats[1]);
  assert.equal(second.status, 201, JSON.stringify(second.body));

  // Paying ends the turn: b is let in within a tick or two.
  const paid = await api(servers[1], "POST", `/reservations/${second.body.reservation.id}/pay`, { token: a, body: {} });
  assert.equal(paid.status, 200);
  const payAt = Date.now();
  await eventually(() => bAdmitted.length === 1, "queue:admitted for b after a paid", 3000);
  t.diagnostic(`b admitted ${Date.now() - payAt} ms after a paid`);
  const third = await holdOn(servers[0], seats[2]);
  assert.equal(third.status, 403, "a's turn is over");
  bSocket.close();
});
