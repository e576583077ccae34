// The line survives losing Redis (PROTOCOL "The line survives losing Redis"): the server runs
// over a private redis-server of its own, which the test empties (FLUSHALL) while two people
// wait behind a shopper. Their pages present their receipts again (one through a forced
// socket reconnect, one after a reload, from localStorage) and show the same places; a
// newcomer queues behind them; the shopper keeps shopping with their admission token.

import assert from "node:assert/strict";
import { test } from "node:test";
import { person, serverAndBrowser, shot, within } from "./harness.mjs";

const ctx = serverAndBrowser({}, { redis: true });

/** One look at a page: the place it shows (or null), and whether it shows the event. */
async function look(page) {
  return page
    .evaluate(() => {
      const place = document.querySelector('[data-testid="place"]')?.textContent ?? "";
      const m = /Your place in line: (\d+)/.exec(place);
      return {
        place: m ? Number(m[1]) : null,
        event: document.querySelector('[data-testid="event-page"]') !== null,
        recovering: document.querySelector('[data-testid="recovering"]')?.textContent ?? null,
      };
    })
    .catch(() => ({ place: null, event: false, recovering: null })); // navigating
}

/** What the server says of this page's user, asked from the page with its own session. */
async function status(page, eventId) {
  return page.evaluate(async (id) => {
    const { token } = JSON.parse(localStorage.getItem("boxoffice.session"));
    const r = await fetch(`/api/queue/status/${id}`, { headers: { authorization: `Bearer ${token}` } });
    return r.json();
  }, eventId);
}

/** The receipt the page keeps for the event (any user's entry naming it). */
async function storedReceipt(page, eventId) {
  return page.evaluate((id) => {
    const all = JSON.parse(localStorage.getItem("boxoffice.receipts") ?? "{}");
    return Object.values(all).find((e) => e.event === id)?.receipt ?? null;
  }, eventId);
}

/** A person whose page records what it sends: queue joins over REST and Socket.IO packets
 *  (WebSocket frames and long-polling posts).
 *  Its WebSockets are kept on `window.__sockets` so the test can cut them. */
async function watchedPerson() {
  const page = await person(ctx.browser, ctx.server);
  await page.context().addInitScript(() => {
    const Native = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__sockets.push(this);
      }
    };
  });
  page.sent = { joins: [], frames: [] };
  page.on("request", (r) => {
    if (r.method() !== "POST") return;
    if (r.url().endsWith("/api/queue/join")) page.sent.joins.push(JSON.parse(r.postData() ?? "{}"));
    // Socket.IO starts each (re)connection on HTTP long-polling before it upgrades.
    if (r.url().includes("/socket.io/")) page.sent.frames.push(r.postData() ?? "");
  });
  page.on("websocket", (ws) => ws.on("framesent", (f) => typeof f.payload === "string" && page.sent.frames.push(f.payload)));
  return page;
}

async function guestApi() {
  const r = await fetch(`${ctx.server.url}/api/auth/guest`, { method: "POST", signal: AbortSignal.timeout(10_000) });
  assert.ok(r.ok, `guest sign-in: ${r.status}`);
  return (await r.json()).token;
}

async function call(method, route, token, body, headers = {}) {
  const r = await fetch(`${ctx.server.url}/api${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}), ...headers },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

test("after FLUSHALL the waiting pages get their places back, a newcomer queues behind them", async () => {
  const event = await ctx.server.createEvent({ name: "The Unflushable", capacity: 1, admitRatePerSec: 50 });
  const standing = event.ticketTypes.find((t) => t.name === "Standing");

  // The shopper: let in through the API, and shopping.
  const shopper = await guestApi();
  const admitted = await call("POST", "/queue/join", shopper, { eventId: event.id });
  assert.equal(admitted.status, 200, JSON.stringify(admitted.body));
  assert.equal(admitted.body.admitted, true, "the first joiner is let in (capacity 1)");
  const admission = { "x-admission-token": admitted.body.admissionToken };
  const held = await call("POST", "/reservations", shopper, { eventId: event.id, ticketTypeId: standing.id, quantity: 1 }, admission);
  assert.equal(held.status, 201, JSON.stringify(held.body));

  // Two people wait, at places 1 and 2, each page keeping its receipt.
  const b = await watchedPerson();
  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.getByTestId("waiting-room").waitFor();
  await within(10_000, async () => (await look(b)).place === 1, "b shows place 1");
  const c = await watchedPerson();
  await c.goto(`${ctx.server.url}/events/${event.id}`);
  await c.getByTestId("waiting-room").waitFor();
  await within(10_000, async () => (await look(c)).place === 2, "c shows place 2");
  assert.match(await b.getByTestId("ahead").textContent(), /You are next/);
  assert.match(await c.getByTestId("ahead").textContent(), /1 person ahead of you/);
  const before = { b: await status(b, event.id), c: await status(c, event.id) };
  assert.equal(before.b.position, 1, JSON.stringify(before.b));
  assert.equal(before.c.position, 2, JSON.stringify(before.c));
  assert.equal(typeof before.b.receipt, "string", `a waiting user's status carries a receipt: ${JSON.stringify(before.b)}`);
  await within(5000, async () => (await storedReceipt(b, event.id)) != null && (await storedReceipt(c, event.id)) != null, "both pages keep a receipt");
  await shot(c, "recovery-before");

  // Redis loses everything.
  assert.equal(await ctx.server.redis.cli("FLUSHALL"), "OK");
  const flushedAt = Date.now();

  // b: its socket is cut and reconnects by itself; c: reloaded, so only localStorage remembers.
  await within(5000, () => b.evaluate(() => window.__sockets.some((s) => s.readyState === WebSocket.OPEN)), "b's socket is on a WebSocket");
  const framesBefore = b.sent.frames.length;
  const bJoinsBefore = b.sent.joins.length;
  const cut = await b.evaluate(() => {
    const open = window.__sockets.filter((s) => s.readyState === WebSocket.OPEN);
    open.forEach((s) => s.close());
    return open.length;
  });
  const joinsBefore = c.sent.joins.length;
  await c.reload();
  await c.getByTestId("waiting-room").waitFor();

  // Within ~10 s both pages show their own places again, and the server agrees.
  let seen = {};
  await within(10_000, async () => {
    seen = { b: await look(b), c: await look(c) };
    if (seen.b.place !== 1 || seen.c.place !== 2) return false;
    const now = { b: await status(b, event.id), c: await status(c, event.id) };
    seen.status = now;
    return now.b.position === 1 && now.c.position === 2 && now.b.number === before.b.number && now.c.number === before.c.number;
  }, `the places come back (last seen ${JSON.stringify(seen)})`);
  const restoredIn = Date.now() - flushedAt;

  // How: the reloaded page presented its stored receipt; the reconnected socket did too.
  const bJoins = b.sent.joins.slice(bJoinsBefore).filter((j) => j.receipt).length;
  const rejoins = c.sent.joins.slice(joinsBefore);
  assert.ok(rejoins.some((j) => j.eventId === event.id && typeof j.receipt === "string" && j.receipt.length > 0),
    `the reloaded page's join presents the receipt: ${JSON.stringify(rejoins)}`);
  assert.ok(cut > 0, "b's WebSocket was cut");
  await within(10_000, async () => b.sent.frames.slice(framesBefore).some((f) => f.includes('"join:queue"') && f.includes('"receipt"')),
    "b's reconnected socket presents the receipt with join:queue");

  // The line says it is recovering, calmly, in a live region.
  await within(5000, async () => (await look(b)).recovering != null, "b shows the recovering notice");
  const notice = b.getByRole("status").filter({ hasText: "The line is being restored after a server hiccup. Your place is kept." });
  assert.equal(await notice.count(), 1);
  await shot(b, "recovery-restoring");
  await shot(c, "recovery-reloaded");

  // A newcomer during the recovery window queues behind both restored places.
  const d = await watchedPerson();
  await d.goto(`${ctx.server.url}/events/${event.id}`);
  await d.getByTestId("waiting-room").waitFor();
  await within(10_000, async () => (await look(d)).place === 3, `the newcomer shows place 3 (seen ${JSON.stringify(await look(d))})`);
  assert.match((await look(d)).recovering ?? "", /Everyone who was already waiting keeps their place, and yours is right behind them/);
  await shot(d, "recovery-newcomer");
  // b and c did not move while the newcomer joined.
  assert.equal((await look(b)).place, 1);
  assert.equal((await look(c)).place, 2);

  // The shopper, let in before the loss, keeps shopping with the admission token.
  const more = await call("POST", "/reservations", shopper, { eventId: event.id, ticketTypeId: standing.id, quantity: 1 }, admission);
  assert.equal(more.status, 201, `the shopper keeps shopping after the loss: ${JSON.stringify(more.body)}`);

  // And the line moves on: the shopper pays, the turn ends, b (place 1) is let in.
  for (const r of [held, more]) {
    const paid = await call("POST", `/reservations/${r.body.reservation.id}/pay`, shopper, {});
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
  }
  await within(20_000, async () => (await look(b)).event, "b is let in after the shopper pays");
  await within(10_000, async () => (await look(c)).place === 1, "c moves up to place 1");
  assert.equal(await storedReceipt(b, event.id), null, "b's receipt is dropped once let in");

  console.log(`# recovery: places back ${restoredIn} ms after FLUSHALL; b's socket cut: ${cut}; b's REST joins with a receipt since: ${bJoins}`);
  for (const p of [b, c, d]) await p.context().close();
});
