// The waitlist in a real browser: A buys the last tickets of a small type, B joins the
// waitlist and sees place 1, A refunds on My orders, B is offered the tickets (pushed, with a
// countdown) within seconds and pays. Screenshots: docs/screenshots/waitlist-*.png.

import assert from "node:assert/strict";
import { test } from "node:test";
import { person, remaining, serverAndBrowser, shot, within } from "./harness.mjs";

const ctx = serverAndBrowser();

test("waitlist: place 1, a refund comes back as an offer with a countdown, paid", async () => {
  const event = await ctx.server.createEvent({
    name: "Late Show",
    ticketTypes: [{ name: "Encore", price: 4500, quantity: 2 }, { name: "Standing", price: 3500, quantity: 50 }],
    seatMap: null,
  });
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);

  // A buys both Encore tickets.
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await a.getByTestId("type-Encore").getByRole("combobox").selectOption("2");
  await a.getByTestId("type-Encore").getByRole("button", { name: "Buy" }).click();
  await a.getByTestId("pay").click();
  await a.locator('[data-testid="checkout"][data-status="paid"]').waitFor();

  // B finds Encore sold out and joins its waitlist for 2.
  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  const row = b.getByTestId("type-Encore");
  await within(5000, async () => (await remaining(b, "Encore")) === 0, "B sees Encore sold out");
  await row.getByTestId("waitlist-quantity").selectOption("2");
  await row.getByRole("button", { name: "Join the waitlist" }).click();
  await row.getByTestId("waitlist-place").filter({ hasText: "You are number 1 on the waitlist" }).waitFor();
  // A reload reads the place back from GET /api/waitlist.
  await b.reload();
  await b.getByTestId("type-Encore").getByTestId("waitlist-place").filter({ hasText: "You are number 1 on the waitlist" }).waitFor();
  await shot(b, "waitlist-joined");

  // A refunds on My orders.
  await a.goto(`${ctx.server.url}/orders`);
  await a.getByTestId("order-refund").click();
  await a.getByTestId("order-refund-confirm").click();
  const refunded = Date.now();
  await a.locator('[data-testid="order"][data-status="cancelled"]').waitFor();

  // B is offered them, pushed, within a few seconds, with a countdown; nobody else sees them on sale.
  const offer = b.getByTestId("waitlist-offer");
  await offer.waitFor({ timeout: 5000 });
  const seenAfter = Date.now() - refunded;
  assert.ok(seenAfter < 5000, `offer seen after ${seenAfter} ms`);
  assert.match(await offer.textContent(), /2 × Encore held for you/);
  const first = await offer.getByTestId("offer-countdown").textContent();
  assert.match(first, /Yours to buy for \d+:\d\d/);
  await within(3000, async () => (await offer.getByTestId("offer-countdown").textContent()) !== first, "the countdown ticks");
  assert.equal(await remaining(b, "Encore"), 0, "returned units are not on open sale");
  // The offer is B's hold: the allowance shown counts it.
  await within(3000, async () => /You may take 8 more tickets/.test(await b.getByTestId("allowance").textContent()), "the allowance counts the offer");
  await shot(b, "waitlist-offer");

  await offer.getByRole("button", { name: /Pay \$90\.00/ }).click();
  await b.locator('[data-testid="waitlist-offer"][data-status="paid"]').waitFor();
  await b.goto(`${ctx.server.url}/orders`);
  await b.locator('[data-testid="order"][data-status="paid"]').waitFor();
  assert.match(await b.locator('[data-testid="order"][data-status="paid"]').textContent(), /2 tickets.*\$90\.00/);
  await a.context().close();
  await b.context().close();
});

test("waitlist: an offer while the shopper is on another page shows a banner that leads to checkout", async () => {
  const event = await ctx.server.createEvent({
    name: "Encore Night",
    ticketTypes: [{ name: "Encore", price: 4500, quantity: 1 }],
    seatMap: null,
  });
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await a.getByTestId("type-Encore").getByRole("button", { name: "Buy" }).click();
  await a.getByTestId("pay").click();
  await a.locator('[data-testid="checkout"][data-status="paid"]').waitFor();

  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await b.getByTestId("type-Encore").getByTestId("waitlist-join").click();
  await b.getByTestId("type-Encore").getByTestId("waitlist-place").filter({ hasText: "number 1" }).waitFor();
  // B wanders off to the event list (in-app navigation: the socket stays).
  await b.getByRole("link", { name: "Events" }).click();
  await b.getByTestId("events").waitFor();

  await a.goto(`${ctx.server.url}/orders`);
  await a.getByTestId("order-refund").click();
  await a.getByTestId("order-refund-confirm").click();

  const notice = b.getByTestId("offer-notice");
  await notice.waitFor({ timeout: 5000 });
  await notice.getByRole("link", { name: "Pay for them now" }).click();
  await b.getByTestId("checkout").waitFor();
  assert.equal(await b.getByTestId("offer-notice").count(), 0, "no banner on the offer's own checkout");
  await b.getByTestId("pay").click();
  await b.locator('[data-testid="checkout"][data-status="paid"]').waitFor();
  await a.context().close();
  await b.context().close();
});

test("waitlist on a seated type: the returned seats are offered, named, and paid", async () => {
  const event = await ctx.server.createEvent({
    name: "Chamber Recital",
    ticketTypes: [{ name: "Box", price: 12000 }],
    seatMap: { sections: [{ name: "Box", rows: 1, seatsPerRow: 2, ticketTypeIndex: 0 }] },
  });
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  for (const n of [1, 2]) await a.getByRole("button", { name: `Section Box, row A, seat ${n}, available` }).click();
  await a.getByTestId("hold").click();
  await a.getByTestId("pay").click();
  await a.locator('[data-testid="checkout"][data-status="paid"]').waitFor();

  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  const row = b.getByTestId("type-Box");
  await row.getByTestId("waitlist-quantity").selectOption("2");
  await row.getByTestId("waitlist-join").click();
  await row.getByTestId("waitlist-place").filter({ hasText: "number 1" }).waitFor();

  await a.goto(`${ctx.server.url}/orders`);
  await a.getByTestId("order-refund").click();
  await a.getByTestId("order-refund-confirm").click();

  const offer = b.getByTestId("waitlist-offer");
  await offer.waitFor({ timeout: 5000 });
  assert.match(await offer.textContent(), /Box row A seats 1–2 held for you/);
  // On B's map the seats are B's; nobody else sees them available.
  for (const n of [1, 2]) await b.getByRole("button", { name: `Section Box, row A, seat ${n}, held by you` }).waitFor({ timeout: 5000 });
  await b.getByTestId("waitlist-offer").getByRole("button", { name: /Pay \$240\.00/ }).click();
  await b.locator('[data-testid="waitlist-offer"][data-status="paid"]').waitFor();
  await a.context().close();
  await b.context().close();
});

test("waitlist: leave, and no waitlist while tickets are on sale", async () => {
  const event = await ctx.server.createEvent({
    name: "Matinee",
    ticketTypes: [{ name: "Encore", price: 4500, quantity: 1 }],
    seatMap: null,
  });
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);
  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  assert.equal(await b.getByTestId("type-Encore").getByTestId("waitlist-join").count(), 0, "no waitlist while on sale");

  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await a.getByTestId("type-Encore").getByRole("button", { name: "Buy" }).click();
  await a.getByTestId("checkout").waitFor();

  // Held (not yet paid) counts as gone: B may wait for it, live, without reload.
  const row = b.getByTestId("type-Encore");
  await row.getByTestId("waitlist-join").waitFor({ timeout: 3000 });
  await row.getByTestId("waitlist-join").click();
  await row.getByTestId("waitlist-place").filter({ hasText: "number 1" }).waitFor();
  await row.getByRole("button", { name: "Leave the waitlist for Encore" }).click();
  await row.getByTestId("waitlist-join").waitFor();
  assert.deepEqual((await ctx.server.api("GET", `/events/${event.id}`)).status, 200);
  await a.context().close();
  await b.context().close();
});
