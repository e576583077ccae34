// The waitlist across three real instances sharing one PostgreSQL database and one Redis
// (issue 16): three users wait for one sold-out ticket type, each connected to another
// instance; two tickets come back through two other instances; the first two users get
// `waitlist:offer` on their own sockets, the third none, until an offer lapses, and then the
// third gets it. Each unit goes to one user at a time; positions follow.

import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  api, connect, createEvent, eventually, invariantViolations, join, sleep, startCluster, userToken,
} from "./harness.mjs";

const clusters = [];
after(async () => {
  for (const c of clusters) for (const s of c) await s.stop();
});

/** Holds and pays `quantity` tickets of `type` through `server`; resolves to the reservation. */
async function buyAndPay(server, token, eventId, type, quantity) {
  const j = await join(server, token, eventId);
  const held = await api(server, "POST", "/reservations", {
    token,
    body: { eventId, ticketTypeId: type, quantity },
    headers: { "x-admission-token": j.body.admissionToken },
  });
  assert.equal(held.status, 201, JSON.stringify(held.body));
  const paid = await api(server, "POST", `/reservations/${held.body.reservation.id}/pay`, { token, body: {} });
  assert.equal(paid.status, 200, JSON.stringify(paid.body));
  return paid.body.reservation;
}

/** The user's waitlist entry for `type` (undefined when not on it). */
async function entry(server, token, eventId, type) {
  const r = await api(server, "GET", `/waitlist/${eventId}`, { token });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.entries.find((e) => e.ticketTypeId === type);
}

describe("waitlist over three instances", () => {
  test("two returned tickets go to the first two in line, the third gets the one that lapses", async () => {
    const [a, b, c] = await startCluster(3);
    clusters.push([a, b, c]);
    const { event } = await createEvent(a, { rows: 1, perRow: 1, ga: 2, holdSeconds: 5 });
    const ga = event.ticketTypes[1].id;
    const [p1, p2] = [userToken("wl-payer-1"), userToken("wl-payer-2")];
    const first = await buyAndPay(a, p1, event.id, ga, 1);
    const second = await buyAndPay(b, p2, event.id, ga, 1);

    // Sold out: three users join, each through and connected to another instance.
    const users = [
      { name: "wl-u1", server: a },
      { name: "wl-u2", server: b },
      { name: "wl-u3", server: c },
    ];
    for (const [i, u] of users.entries()) {
      u.token = userToken(u.name);
      const r = await api(u.server, "POST", "/waitlist", { token: u.token, body: { eventId: event.id, ticketTypeId: ga, quantity: 1 } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.position, i + 1);
      u.socket = await connect(u.server, u.token);
      u.offers = [];
      u.socket.on("waitlist:offer", (m) => u.offers.push(m));
    }
    // A bystander watching the event sees stock move but never an offer.
    const bystander = await connect(c, userToken("wl-bystander"));
    const bystanderOffers = [];
    bystander.on("waitlist:offer", (m) => bystanderOffers.push(m));
    await bystander.emitWithAck("join:event", event.id);

    // Two tickets come back, refunded through two other instances (b and c).
    assert.equal((await api(b, "DELETE", `/reservations/${first.id}`, { token: p1 })).status, 200);
    assert.equal((await api(c, "DELETE", `/reservations/${second.id}`, { token: p2 })).status, 200);
    const [u1, u2, u3] = users;
    await eventually(() => u1.offers.length > 0 && u2.offers.length > 0, "offers to the first two users");
    await sleep(1000); // time for any wrong or duplicate offer to show up
    assert.equal(u1.offers.length, 1, "one offer, once");
    assert.equal(u2.offers.length, 1, "one offer, once");
    assert.equal(u3.offers.length, 0, "the third waits");
    assert.equal(bystanderOffers.length, 0, "offers go to their user only");
    for (const u of [u1, u2]) {
      const o = u.offers[0];
      assert.equal(o.eventId, event.id);
      assert.equal(o.ticketTypeId, ga);
      assert.equal(o.reservation.status, "pending");
      assert.deepEqual(o.reservation.items.map((i) => [i.ticketTypeId, i.quantity]), [[ga, 1]]);
    }
    assert.notEqual(u1.offers[0].reservation.id, u2.offers[0].reservation.id);
    // Every instance agrees: each sees its own offer, and u3 is next in line.
    const e1 = await entry(c, u1.token, event.id, ga);
    assert.equal(e1.offer.id, u1.offers[0].reservation.id);
    const e3 = await entry(a, u3.token, event.id, ga);
    assert.equal(e3.position, 1);
    assert.equal(e3.offer, null);
    // Nothing is on open sale: an outsider cannot hold.
    const outsider = userToken("wl-outsider");
    const j = await join(b, outsider, event.id);
    const tried = await api(b, "POST", "/reservations", {
      token: outsider,
      body: { eventId: event.id, ticketTypeId: ga, quantity: 1 },
      headers: { "x-admission-token": j.body.admissionToken },
    });
    assert.equal(tried.status, 409);
    assert.equal(tried.body.error.code, "sold_out");

    // u1 pays through another instance; u2 lets the offer lapse (holdSeconds 5): u3 gets it.
    const paid = await api(c, "POST", `/reservations/${u1.offers[0].reservation.id}/pay`, { token: u1.token, body: {} });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    await eventually(() => u3.offers.length > 0, "the lapsed offer going to the third user", 15_000);
    await sleep(500);
    assert.equal(u3.offers.length, 1);
    assert.equal(u2.offers.length, 1, "no second offer for the one who let it lapse");
    assert.equal(u1.offers.length, 1);
    assert.equal(await entry(b, u2.token, event.id, ga), undefined, "u2 left the waitlist");
    assert.equal(await entry(a, u1.token, event.id, ga), undefined, "u1 paid and left");
    const last = await entry(b, u3.token, event.id, ga);
    assert.equal(last.offer.id, u3.offers[0].reservation.id);
    const stock = (await api(a, "GET", `/events/${event.id}`)).body.ticketTypes[1].remainingQuantity;
    assert.equal(stock, 0);
    assert.deepEqual(invariantViolations(a.databaseUrl), []);
    for (const s of [bystander, ...users.map((u) => u.socket)]) s.close();
  });
});
