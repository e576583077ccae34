// The per-customer limit as a shopper meets it: the event page says how many more they may
// take, and a hold that would pass the limit is refused in plain words.

import assert from "node:assert/strict";
import { test } from "node:test";
import { person, serverAndBrowser, shot } from "./harness.mjs";

const ctx = serverAndBrowser();

test("the event page shows the per-customer allowance and explains a refusal", async () => {
  const event = await ctx.server.createEvent({ maxTicketsPerCustomer: 4 });
  assert.equal(event.maxTicketsPerCustomer, 4);
  const page = await person(ctx.browser, ctx.server);
  await page.goto(`${ctx.server.url}/events/${event.id}`);
  await page.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await page.getByText("You may take 4 more tickets for this event (limit 4 per customer).").waitFor();

  // Three standing tickets through the page: one left.
  await page.getByTestId("type-Standing").getByRole("combobox").selectOption("3");
  await page.getByTestId("type-Standing").getByRole("button", { name: "Buy" }).click();
  await page.getByTestId("checkout").waitFor();
  await page.goto(`${ctx.server.url}/events/${event.id}`);
  await page.getByText("You may take 1 more ticket for this event (limit 4 per customer).").waitFor();
  const options = await page.getByTestId("type-Standing").getByRole("combobox").locator("option").count();
  assert.equal(options, 1, "the quantity list stops at what the customer may still take");

  // Meanwhile the same customer takes the last one in another tab; this page still says 1.
  const token = await page.evaluate(() => JSON.parse(localStorage.getItem("boxoffice.session")).token);
  const join = await ctx.server.api("POST", "/queue/join", { eventId: event.id }, token);
  const standing = event.ticketTypes.find((t) => t.name === "Standing");
  const other = await fetch(`${ctx.server.url}/api/reservations`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "x-admission-token": join.body.admissionToken, "content-type": "application/json" },
    body: JSON.stringify({ eventId: event.id, ticketTypeId: standing.id, quantity: 1 }),
  });
  assert.equal(other.status, 201);

  // Picking a seat here is refused by the server, and the page says why in plain words.
  await page.locator('[data-look="available"]').first().click();
  await page.getByTestId("hold").click();
  const error = page.getByTestId("error");
  await error.waitFor();
  assert.match(await error.textContent(), /reached this event's limit of 4 tickets per customer/);
  await page.getByText("You have reached this event's limit of 4 tickets per customer.").waitFor();
  await shot(page, "customer-limit");
  await page.context().close();
});
