// A shopper's turn during a surge: cancelling at checkout to pick again keeps the turn (the
// person waiting behind is not let in), paying ends it and lets the next person in.

import assert from "node:assert/strict";
import { test } from "node:test";
import { person, serverAndBrowser, shot, sleep, within } from "./harness.mjs";

const ctx = serverAndBrowser();

test("cancel and re-pick keeps the turn; paying hands it on", async () => {
  const event = await ctx.server.createEvent({ capacity: 1, admitRatePerSec: 50 });
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  // The event is full with a: b waits.
  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.getByTestId("waiting-room").waitFor();
  await b.getByTestId("place").getByText("1").waitFor();

  // a holds a seat, changes their mind at checkout and is back on the map, still admitted.
  await a.locator('[data-look="available"]').first().click();
  await a.getByTestId("hold").click();
  await a.getByTestId("checkout").waitFor();
  await a.getByTestId("cancel").click();
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await a.getByTestId("turn").getByText(/Your turn ends in \d+:\d\d/).waitFor();
  await shot(a, "turn");

  // Picks another seat: the hold goes through with the same turn.
  await a.locator('[data-look="available"]').nth(3).click();
  await a.getByTestId("hold").click();
  await a.getByTestId("checkout").waitFor();
  await sleep(1000); // several ticks of the line
  assert.equal(await b.getByTestId("waiting-room").count(), 1, "b is still waiting after a's cancel");

  // Paying ends a's turn: the page says so and offers the line again; b is let in.
  await a.getByTestId("pay").click();
  await a.locator('[data-testid="checkout"][data-status="paid"]').waitFor();
  await a.getByTestId("turn-over").waitFor();
  await shot(a, "turn-over");
  await within(5000, async () => (await b.locator('[data-testid="event-page"][data-admitted="true"]').count()) === 1, "b is admitted after a pays");
  await a.context().close();
  await b.context().close();
});

test("before the sale opens the waiting page names the event, counts everyone and counts down", async () => {
  const saleOpensAt = new Date(Date.now() + 15_000).toISOString();
  const event = await ctx.server.createEvent({ name: "The Early Birds", capacity: 1, admitRatePerSec: 50, saleOpensAt });
  const people = [];
  for (let i = 0; i < 3; i++) {
    const p = await person(ctx.browser, ctx.server);
    await p.goto(`${ctx.server.url}/events/${event.id}`);
    await p.getByTestId("waiting-room").waitFor();
    people.push(p);
  }
  const [first] = people;
  await first.getByRole("heading", { name: "The Early Birds" }).waitFor();
  await first.getByTestId("opens-in").getByText(/Sale opens in 0:[01]\d/).waitFor();
  await within(5000, async () => /^3 people waiting in all, you included/.test(await first.getByTestId("total-waiting").textContent()), "everyone in the pre-queue is counted");
  await shot(first, "waiting-presale");

  // The sale opens: one is let in (capacity 1), the other two get places 1 and 2.
  await within(20_000, async () => {
    let admitted = 0;
    const places = [];
    for (const p of people) {
      // One look at the page as it is (it may be navigating to the event as it is let in).
      const seen = await p
        .evaluate(() => ({
          event: document.querySelector('[data-testid="event-page"]') !== null,
          place: document.querySelector('[data-testid="place"]')?.textContent ?? "",
        }))
        .catch(() => ({ event: false, place: "" }));
      if (seen.event) admitted++;
      const m = /Your place in line: (\d+)/.exec(seen.place);
      if (m) places.push(Number(m[1]));
    }
    return admitted === 1 && places.sort().join() === "1,2";
  }, "after the opening: one admitted, places 1 and 2");
  for (const p of people) await p.context().close();
});
