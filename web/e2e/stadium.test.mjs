// A stadium: 50,000 seats (20 sections x 50 rows x 50 seats, automatic layout) in headless
// Chromium. Asserted: bytes transferred against issue 17's budget (first load <= 1 MiB in all,
// app included; a reload <= 256 KiB; the status snapshot <= 64 KiB), another person's hold on
// the map within 1 s, the keyboard path and its labels, axe-core clean. Printed, not asserted
// (machines are noisy): navigation -> map drawn, JS heap after GC, click -> seat selected.
// Screenshots: docs/screenshots/seatmap-overview.png and seatmap-section.png.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { cspViolations, person, seatColour, serverAndBrowser, shotOf, sleep, within } from "./harness.mjs";

const ctx = serverAndBrowser();
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const KiB = 1024;
let event;

/** Bytes the page's network requests transferred (CDP encodedDataLength), by URL. */
async function meter(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = new Map();
  const inFlight = new Set();
  const done = [];
  let lastActivity = Date.now();
  cdp.on("Network.requestWillBeSent", (e) => { urls.set(e.requestId, e.request.url); inFlight.add(e.requestId); lastActivity = Date.now(); });
  cdp.on("Network.loadingFinished", (e) => { done.push({ url: urls.get(e.requestId) ?? "?", bytes: e.encodedDataLength }); inFlight.delete(e.requestId); lastActivity = Date.now(); });
  cdp.on("Network.loadingFailed", (e) => { inFlight.delete(e.requestId); lastActivity = Date.now(); });
  let ws = 0;
  cdp.on("Network.webSocketFrameReceived", (e) => { ws += e.response.payloadData.length; });
  return {
    cdp,
    total: () => done.reduce((n, r) => n + r.bytes, 0),
    ws: () => ws,
    requests: () => [...done],
    reset() { done.length = 0; ws = 0; },
    /** Resolves once no request has been in flight for `quietMs`. */
    async idle(quietMs = 600) {
      await within(30_000, async () => inFlight.size === 0 && Date.now() - lastActivity >= quietMs, "network idle")
        .catch((e) => { throw new Error(`${e.message}; in flight: ${[...inFlight].map((id) => urls.get(id)).join(", ")}`); });
    },
  };
}

const drawn = (page) => page.locator('[data-testid="seatmap"] canvas[data-drawn="true"]').waitFor({ timeout: 30_000 });

test("a 50,000-seat event is created through the admin API", async () => {
  const t = Date.now();
  const sections = Array.from({ length: 20 }, (_, i) => ({ name: `S${i + 1}`, rows: 50, seatsPerRow: 50, ticketTypeIndex: i < 6 ? 0 : i < 14 ? 1 : 2 }));
  const r = await ctx.server.api("POST", "/admin/events", {
    name: "Stadium Night",
    venue: "Big Stadium",
    startsAt: "2030-06-01T19:00:00Z",
    holdSeconds: 600,
    capacity: 100000,
    ticketTypes: [{ name: "Lower", price: 15000 }, { name: "Middle", price: 9000 }, { name: "Upper", price: 5000 }],
    seatMap: { sections },
  }, undefined, 120_000);
  assert.equal(r.status, 201, JSON.stringify(r.body).slice(0, 300));
  event = r.body;
  console.log(`# created 50,000 seats in ${Date.now() - t} ms (through HTTP, debug build)`);
});

/** Whether the server answers the compact forms (geometry and status). */
async function compact() {
  const [g, st] = await Promise.all([`/events/${event.id}/seatmap`, `/events/${event.id}/seat-status`].map((r) => fetch(`${ctx.server.url}/api${r}`)));
  return g.ok && st.ok;
}

test("first load <= 1 MiB, reload <= 256 KiB, status snapshot <= 64 KiB; time to map, heap", async (t) => {
  assert.ok(await compact(), "the server answers GET /seatmap and /seat-status");
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const net = await meter(page);
  await page.goto(ctx.server.url);
  await page.getByTestId("guest").click();
  await page.getByTestId("events").waitFor();
  await page.goto(`${ctx.server.url}/events/${event.id}`);
  await drawn(page);
  await net.idle();
  const first = net.total();
  const top = net.requests().sort((a, b) => b.bytes - a.bytes).slice(0, 6).map((r) => `${new URL(r.url).pathname} ${(r.bytes / KiB).toFixed(1)} KiB`);
  console.log(`# first load (sign-in, events, event page with the map): ${(first / KiB).toFixed(1)} KiB over HTTP, ${(net.ws() / KiB).toFixed(1)} KiB over the socket; largest: ${top.join(", ")}`);
  const firstAll = first + net.ws();
  const toMap = await page.evaluate(() => performance.getEntriesByName("seatmap-drawn")[0]?.startTime);
  console.log(`# navigation -> map drawn: ${Math.round(toMap)} ms`);
  await net.cdp.send("HeapProfiler.enable");
  await net.cdp.send("HeapProfiler.collectGarbage");
  await net.cdp.send("Performance.enable");
  const { metrics } = await net.cdp.send("Performance.getMetrics");
  const heap = metrics.find((m) => m.name === "JSHeapUsedSize").value;
  console.log(`# JS heap after GC: ${(heap / 1024 / 1024).toFixed(1)} MiB`);
  assert.ok(firstAll <= 1024 * KiB, `first load ${firstAll} bytes > 1 MiB`);

  net.reset();
  await page.reload();
  await drawn(page);
  await net.idle();
  const again = net.total() + net.ws();
  console.log(`# reload: ${(net.total() / KiB).toFixed(1)} KiB over HTTP, ${(net.ws() / KiB).toFixed(1)} KiB over the socket`);
  assert.ok(again <= 256 * KiB, `reload ${again} bytes > 256 KiB`);

  net.reset();
  const n = await page.evaluate(async (id) => (await (await fetch(`/api/events/${id}/seat-status`)).json()).seatCount, event.id);
  assert.equal(n, 50_000);
  await net.idle(200);
  const snap = net.requests().find((r) => r.url.includes("/seat-status"));
  console.log(`# status snapshot: ${(snap.bytes / KiB).toFixed(1)} KiB transferred`);
  assert.ok(snap.bytes <= 64 * KiB, `status snapshot ${snap.bytes} bytes > 64 KiB`);
  await context.close();
});

test("overview -> section -> click selects; another person's hold shows within 1 s; keyboard; axe", async () => {
  const a = await person(ctx.browser, ctx.server, { width: 1280, height: 900 });
  const consoleErrors = [];
  a.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
  a.on("pageerror", (e) => consoleErrors.push(String(e)));
  await a.goto(`${ctx.server.url}/events/${event.id}`);
  await a.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await drawn(a);
  const map = a.getByTestId("seatmap");
  assert.equal(await map.getAttribute("data-seats-shown"), "false", "the venue opens as an overview of sections");
  assert.equal(await a.locator("[data-seat]").count(), 0, "no seat elements in the overview");
  await shotOf(a.locator(".seatmap"), "seatmap-overview");

  // Sold and held seats, for the picture: B buys four in S2 row A, C holds three.
  const take = async (who, keys, pay) => {
    const p = await person(ctx.browser, ctx.server, { width: 1280, height: 900 });
    await p.goto(`${ctx.server.url}/events/${event.id}`);
    await p.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
    await drawn(p);
    await p.getByRole("button", { name: /^Section S2:/ }).press("Enter");
    for (const k of keys) await p.keyboard.press(k);
    await p.getByTestId("hold").click();
    await p.getByTestId("checkout").waitFor();
    if (pay) {
      await p.getByTestId("pay").click();
      await p.locator('[data-testid="checkout"][data-status="paid"]').waitFor();
    }
    return p;
  };

  // The keyboard path: a section, then seat by seat, each announced; Enter selects.
  await a.getByRole("button", { name: /^Section S2:/ }).focus();
  await a.keyboard.press("Enter");
  const focused = () => a.evaluate(() => document.activeElement?.getAttribute("aria-label"));
  await within(3000, async () => (await focused()) === "Section S2, row A, seat 1, available", "row A seat 1 has focus");
  await a.keyboard.press("ArrowRight");
  await within(2000, async () => (await focused()) === "Section S2, row A, seat 2, available", "arrow right: seat 2");
  await a.keyboard.press("ArrowDown");
  await within(2000, async () => (await focused()) === "Section S2, row B, seat 2, available", "arrow down: row B");
  await a.keyboard.press("Enter");
  await within(2000, async () => (await focused()) === "Section S2, row B, seat 2, selected by you", "Enter selects");
  await a.keyboard.press("Enter");
  await within(2000, async () => (await focused()) === "Section S2, row B, seat 2, available", "Enter again unselects");

  // Escape: back to the venue, on the section's button; Enter there again: its first free seat.
  await a.keyboard.press("Escape");
  await within(2000, async () => (await a.evaluate(() => document.activeElement?.getAttribute("data-section"))) === "S2", "Escape: the section's button");
  await a.keyboard.press("Enter");
  await within(2000, async () => (await focused()) === "Section S2, row A, seat 1, available", "back to row A seat 1");

  // B's hold of row A seat 1 (A's map shows S2's seats, A's cursor on that seat) turns orange within 1 s.
  const seat = a.locator('[data-seat][aria-label^="Section S2, row A, seat 1,"]');
  const b = await take("b", ["Enter"], false);
  const heldAt = Date.now();
  let last = null;
  const seen = await within(1000, async () => {
    const [r, g, bl] = (last = await seatColour(a, seat));
    return r > 130 && r > g && g > bl;
  }, "B's hold is orange on A's map").catch(async (e) => {
    throw new Error(`${e.message}: colour ${last}, ${await seat.getAttribute("aria-label")}, B held ${await b.locator(".checkout .items li").allTextContents()}`);
  });
  console.log(`# another person's hold on the map after ${seen - heldAt} ms`);
  assert.equal(await seat.getAttribute("aria-label"), "Section S2, row A, seat 1, held by someone else");
  await b.context().close();

  const c = await take("c", ["ArrowRight", "Enter", "ArrowRight", "Enter", "ArrowRight", "Enter", "ArrowRight", "Enter"], true);
  await c.context().close();
  const d = await take("d", ["ArrowDown", "ArrowDown", "Enter", "ArrowRight", "Enter", "ArrowRight", "Enter"], false);
  await d.context().close();

  // Click -> selected, by the mouse on the canvas (a seat of row J, found through the grid).
  const geo = await (await fetch(`${ctx.server.url}/api/events/${event.id}/seatmap`)).json().catch(() => null);
  await a.getByRole("button", { name: /^Section S2:/ }).click();
  await a.getByRole("button", { name: "Zoom in" }).click();
  await sleep(200);
  const view = (await a.locator('[data-testid="seatmap"] canvas').getAttribute("data-view")).split(" ").map(Number);
  const box = await a.locator('[data-testid="seatmap"] canvas').boundingBox();
  assert.ok(geo?.sections, "the geometry");
  {
    const s = geo.sections[1];
    const row = s.rows[9];
    const k = 20;
    const x = row.r !== undefined ? row.cx + row.r * Math.cos(row.a + k * row.da) : row.numbers ? row.points[2 * k] : row.x + k * row.dx;
    const y = row.r !== undefined ? row.cy + row.r * Math.sin(row.a + k * row.da) : row.numbers ? row.points[2 * k + 1] : row.y + k * row.dy;
    const target = { x: box.x + x * view[0] + view[1], y: box.y + y * view[0] + view[2] };
    await a.evaluate(() => {
      window.__clickAt = 0;
      window.__selectedAt = 0;
      document.addEventListener("pointerdown", () => { window.__clickAt = performance.now(); }, { capture: true, once: true });
      new MutationObserver((_, obs) => {
        if (document.querySelector('[data-testid="seatmap"] [data-look="selected"]')) {
          window.__selectedAt = performance.now();
          obs.disconnect();
        }
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-look"] });
    });
    await a.mouse.click(target.x, target.y);
    await a.locator('[data-testid="seatmap"] [data-look="selected"]').waitFor({ timeout: 3000 });
    const ms = await a.evaluate(() => window.__selectedAt - window.__clickAt);
    const label = await a.locator('[data-testid="seatmap"] [data-look="selected"]').getAttribute("aria-label");
    console.log(`# click -> seat selected: ${ms.toFixed(1)} ms (${label})`);
    assert.equal(label, "Section S2, row J, seat 21, selected by you");
  }

  // Back to the section whole, with B's hold, C's purchase and D's hold.
  await a.getByRole("button", { name: "Reset view" }).click();
  await a.getByRole("button", { name: /^Section S2:/ }).click();
  // Closer, with the wheel, on the front rows (where the held and sold seats are).
  const cursor = await a.locator('[data-testid="seatmap"] button[data-seat][tabindex="0"]').boundingBox();
  await a.mouse.move(cursor.x + cursor.width / 2, cursor.y + cursor.height / 2);
  await a.mouse.wheel(0, -400);
  await sleep(300);
  await shotOf(a.locator(".seatmap"), "seatmap-section");

  // axe-core: no WCAG 2.1 AA violations on the event page.
  // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses inline scripts.
  await a.evaluate(AXE);
  const result = await a.evaluate(() => window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  const violations = result.violations.map((v) => `${v.id}: ${v.nodes.length} (${v.nodes.slice(0, 2).map((n) => n.target.join(" ")).join("; ")})`);
  assert.deepEqual(violations, [], "axe-core: no WCAG 2.1 AA violations");
  assert.deepEqual(consoleErrors, [], "no console errors");
  await a.context().close();
});

test("no page met a Content-Security-Policy violation", () => {
  assert.deepEqual(cspViolations, []);
});
