// "Best available" in a real browser: the shopper asks for seats together (by keyboard), the
// block found is ringed on the map, checkout opens with it, and it is paid; a request no row
// can fit is refused in plain words. Screenshot: docs/screenshots/best-available.png.

import assert from "node:assert/strict";
import { test } from "node:test";
import { person, serverAndBrowser, shot, within } from "./harness.mjs";

const ctx = serverAndBrowser();

test("best available: 2 seats together, ringed on the map, straight to checkout, paid", async () => {
  const event = await ctx.server.createEvent();
  const a = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await a.locator('[data-look="available"]').first().waitFor();

  // Keyboard only: the quantity, then Tab to the section, Tab to the button, Enter.
  const form = a.getByTestId("best");
  await form.getByLabel("Seats together").focus();
  await form.getByLabel("Seats together").selectOption("2");
  await a.keyboard.press("Tab");
  assert.equal(await a.evaluate(() => document.activeElement?.getAttribute("data-testid")), "best-section");
  await form.getByLabel("Section").selectOption("Stalls");
  await a.keyboard.press("Tab");
  assert.equal(await a.evaluate(() => document.activeElement?.getAttribute("data-testid")), "best-find");
  await a.keyboard.press("Enter");

  // The block is ringed on the map (held by me) before checkout opens.
  const found = a.locator('[data-found="true"]');
  await found.nth(1).waitFor({ timeout: 5000 });
  assert.equal(await found.count(), 2);
  const labels = await found.evaluateAll((els) => els.map((e) => e.getAttribute("aria-label")));
  const parsed = labels.map((l) => /Section (\w+), row (\w+), seat (\d+)/.exec(l));
  assert.ok(parsed.every((m) => m && m[1] === "Stalls"), `in Stalls: ${labels}`);
  assert.equal(parsed[0][2], parsed[1][2], `one row: ${labels}`);
  assert.equal(Math.abs(Number(parsed[0][3]) - Number(parsed[1][3])), 1, `adjacent: ${labels}`);
  await a.getByTestId("best-found").filter({ hasText: /Found Stalls row \w+ seats \d+–\d+/ }).waitFor({ timeout: 2000 });
  await a.locator('[data-found="true"][data-look="mine"]').nth(1).waitFor({ timeout: 2000 });
  await within(1500, async () => /You may take 8 more tickets/.test(await a.getByTestId("allowance").textContent()), "the allowance counts the block");
  await shot(a, "best-available");

  await a.getByTestId("checkout").waitFor({ timeout: 5000 });
  const items = await a.locator(".checkout .items li").allTextContents();
  assert.equal(items.length, 2, `two seats in checkout: ${items}`);
  assert.ok(items.every((t) => t.startsWith(`Stalls, row ${parsed[0][2]},`)), `the seats found: ${items}`);
  await a.getByTestId("pay").click();
  await a.locator('[data-testid="checkout"][data-status="paid"]').waitFor();

  // Back on the map, the seats are sold.
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  for (const m of parsed) await a.getByRole("button", { name: `Section Stalls, row ${m[2]}, seat ${m[3]}, sold` }).waitFor();
  await a.context().close();
});

test("best available: no block that size fits -> a clear message, nothing held", async () => {
  const event = await ctx.server.createEvent({
    ticketTypes: [{ name: "Box", price: 12000 }],
    seatMap: { sections: [{ name: "Box", rows: 2, seatsPerRow: 3, ticketTypeIndex: 0 }] },
  });
  const a = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await a.locator('[data-look="available"]').first().waitFor();
  await a.getByTestId("best-quantity").selectOption("4");
  await a.getByTestId("best-find").click();
  await a.getByTestId("best-error").filter({ hasText: "No 4 seats together — try fewer or another section." }).waitFor({ timeout: 5000 });
  assert.equal(await a.locator('[data-look="mine"]').count(), 0);
  assert.match(a.url(), new RegExp(`/events/${event.id}$`));
  await shot(a, "best-no-adjacent");

  // Fewer works.
  await a.getByTestId("best-quantity").selectOption("3");
  await a.getByTestId("best-find").click();
  await a.getByTestId("checkout").waitFor({ timeout: 5000 });
  assert.equal((await a.locator(".checkout .items li").allTextContents()).length, 3);
  await a.context().close();
});
