// The web app in a real browser (Debian's Chromium), two browser contexts as two people,
// against a real server process. Screenshots of every screen land in docs/screenshots/.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cspViolations, person, remaining, seatColour, serverAndBrowser, shot, sleep, within } from "./harness.mjs";

const ctx = serverAndBrowser();

test("sign-in and event list screens", async () => {
  await ctx.server.createEvent();
  const context = await ctx.browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  await page.goto(ctx.server.url);
  await page.getByTestId("signin").waitFor();
  await shot(page, "signin");
  await page.getByTestId("guest").click();
  await page.getByTestId("events").waitFor();
  await within(5000, async () => (await page.getByTestId("connection").getAttribute("data-state")) === "connected", "socket connects");
  await shot(page, "events");
  await context.close();

  // On a phone: the seat map fits, zooms and still says what each seat is.
  const phone = await person(ctx.browser, ctx.server, { width: 390, height: 844 });
  const events = await ctx.server.api("GET", "/events");
  await phone.goto(`${ctx.server.url}/events/${events.body[0].id}`);
  await phone.locator('[data-look="available"]').first().waitFor();
  await phone.getByRole("button", { name: "Zoom in" }).click();
  // Choosing a section shows its seats, each a button that says what it is.
  await phone.getByRole("button", { name: /^Section Stalls:/ }).click();
  await phone.getByRole("button", { name: "Section Stalls, row A, seat 1, available" }).waitFor();
  await shot(phone, "seatmap-phone");
  await phone.context().close();
});

test("A sees B's purchase within 1 s, without reload", async () => {
  const event = await ctx.server.createEvent();
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await a.getByTestId("event-page").waitFor();
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  const before = await remaining(a, "Standing");
  assert.equal(before, 200);

  await b.getByTestId("type-Standing").getByRole("combobox").selectOption("3");
  await b.getByTestId("type-Standing").getByRole("button", { name: "Buy" }).click();
  const bought = Date.now();
  await b.getByTestId("checkout").waitFor();
  const seen = await within(1000, async () => (await remaining(a, "Standing")) === 197, "A's count drops to 197");
  assert.ok(seen - bought <= 1000, `seen after ${seen - bought} ms`);
  await shot(a, "event");
  await shot(b, "checkout");

  await b.getByTestId("pay").click();
  await b.locator('[data-testid="checkout"][data-status="paid"]').waitFor();
  await b.goto(`${ctx.server.url}/orders`);
  await b.getByTestId("orders").waitFor();
  await b.getByText("paid").first().waitFor();
  await shot(b, "orders");
  await a.context().close();
  await b.context().close();
});

test("B's held seat turns orange on A's map within 1 s; A's hold is refused clearly", async () => {
  const event = await ctx.server.createEvent();
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);
  for (const p of [a, b]) {
    await p.goto(`${ctx.server.url}/events/${event.id}`);
    await p.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
    await p.locator('[data-look="available"]').first().waitFor();
  }
  const target = a.getByRole("button", { name: "Section Stalls, row C, seat 7, available" });
  // A selects the seat first (not yet held)...
  await target.click();
  await a.getByRole("button", { name: "Section Stalls, row C, seat 7, selected by you" }).waitFor();
  // ...B holds it.
  await b.getByRole("button", { name: "Section Stalls, row C, seat 7, available" }).click();
  await b.getByTestId("hold").click();
  const held = Date.now();
  await b.getByTestId("checkout").waitFor();
  const seat = a.getByRole("button", { name: "Section Stalls, row C, seat 7, held by someone else" });
  await seat.waitFor({ timeout: 1000 });
  assert.ok(Date.now() - held <= 1500);
  assert.equal(await seat.getAttribute("data-look"), "held");
  const [red, green, blue] = await seatColour(a, seat);
  assert.ok(red > 130 && red > green && green > blue, `held seats are drawn orange-striped: rgb(${red}, ${green}, ${blue})`);
  await shot(a, "seatmap");

  // A tries to take it anyway: refused, with a message that says why.
  await seat.click({ force: true });
  await a.getByTestId("error").waitFor();
  assert.match(await a.getByTestId("error").textContent(), /not available/i);

  // The race: A has seat 8 selected when B takes it. Whether A presses Hold before the push
  // arrives (the server refuses with 409) or after (the seat leaves A's selection), A is
  // told, by seat, that someone else took it.
  await a.getByRole("button", { name: "Section Stalls, row C, seat 8, available" }).click();
  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await b.getByRole("button", { name: "Section Stalls, row C, seat 8, available" }).click();
  await b.getByTestId("hold").click();
  await a.getByTestId("hold").click({ timeout: 2000 }).catch(() => undefined);
  await within(2000, async () => /Stalls row C seat 8 was just taken by someone else/.test((await a.getByTestId("error").textContent()) ?? ""), "A is told seat 8 was taken");
  await a.getByRole("button", { name: "Section Stalls, row C, seat 8, held by someone else" }).waitFor({ timeout: 2000 });
  await a.context().close();
  await b.context().close();
});

test("capacity 1: B waits in line, then moves to the event page by itself", async () => {
  const event = await ctx.server.createEvent({ capacity: 1, admitRatePerSec: 5 });
  const a = await person(ctx.browser, ctx.server);
  const b = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();

  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.getByTestId("waiting-room").waitFor();
  await within(3000, async () => /Your place in line: 1/.test(await b.getByTestId("place").textContent()), "B sees place 1");
  assert.match(await b.getByTestId("estimate").textContent(), /Estimated wait: .*\d/);
  await shot(b, "waiting-room");

  // A buys and pays: the slot comes back and B is let in, no reload.
  await a.getByTestId("type-Standing").getByRole("button", { name: "Buy" }).click();
  await a.getByTestId("pay").click();
  await a.locator('[data-testid="checkout"][data-status="paid"]').waitFor();
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor({ timeout: 10_000 });
  assert.match(b.url(), new RegExp(`/events/${event.id}$`));
  await a.context().close();
  await b.context().close();
});

test("server restart: A sees reconnecting, then a correct map without reload", async () => {
  const event = await ctx.server.createEvent();
  const a = await person(ctx.browser, ctx.server);
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await a.locator('[data-look="available"]').first().waitFor();
  const conn = a.getByTestId("connection");

  await ctx.server.stop();
  await within(10_000, async () => (await conn.getAttribute("data-state")) !== "connected", "indicator leaves connected");
  assert.match(await conn.textContent(), /Reconnecting|Offline/);
  await shot(a, "reconnecting");
  await ctx.server.start();
  // While A is still reconnecting, someone holds seats; A must see them once back.
  const b = await person(ctx.browser, ctx.server);
  await b.goto(`${ctx.server.url}/events/${event.id}`);
  await b.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await b.getByRole("button", { name: "Section Circle, row A, seat 1, available" }).click();
  await b.getByRole("button", { name: "Section Circle, row A, seat 2, available" }).click();
  await b.getByTestId("hold").click();
  await b.getByTestId("checkout").waitFor();

  await within(20_000, async () => (await conn.getAttribute("data-state")) === "connected", "A reconnects");
  await a.getByRole("button", { name: "Section Circle, row A, seat 1, held by someone else" }).waitFor({ timeout: 5000 });
  await a.getByRole("button", { name: "Section Circle, row A, seat 2, held by someone else" }).waitFor({ timeout: 5000 });
  assert.equal(await remaining(a, "Circle"), 46);
  await sleep(100);
  await a.context().close();
  await b.context().close();
});

// Last, after every page above has run: the app works under its Content-Security-Policy.
test("no page met a Content-Security-Policy violation", async () => {
  const r = await fetch(ctx.server.url);
  assert.match(r.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/);
  assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  assert.deepEqual(cspViolations, []);
});
