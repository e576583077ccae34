// Korean and English (issue 18) in a real browser: a ko-KR reader in Seoul on a KRW event in
// Asia/Seoul reads Korean, ₩ prices, the venue's time named, Korean seat labels and
// announcements, a waiting room that says "약 N분", and checks out in won; an en-US reader in
// New York on a USD event in Los Angeles reads English, $ prices and the venue's time with
// their own beside it; the header's switcher changes the language and is remembered.
// Screenshots: docs/screenshots/ko-event.png, ko-waiting-room.png, ko-checkout.png.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cspViolations, serverAndBrowser, shot, within } from "./harness.mjs";

const ADMIN = { ADMIN_EMAIL: "ops@example.test", ADMIN_PASSWORD: "operator-password-1" };
const ctx = serverAndBrowser(ADMIN);

/** A reader: a browser context in `locale` and `timezoneId`, signed in as a guest. */
async function reader(locale, timezoneId, viewport = { width: 1100, height: 900 }) {
  const context = await ctx.browser.newContext({ viewport, locale, timezoneId });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(ctx.server.url);
  await page.getByTestId("guest").click();
  await page.getByTestId("events").waitFor();
  return page;
}

/** A Seoul hall priced in won: R석 99,000, S석 77,000 (seated), 스탠딩 55,000. */
async function seoulEvent(extra = {}) {
  const r = await ctx.server.api("POST", "/admin/events", {
    name: "서울 재즈 나이트",
    venue: "세종문화회관 대극장",
    currency: "KRW",
    timeZone: "Asia/Seoul",
    startsAt: "2030-03-14T10:30:00Z", // 19:30 in Seoul
    holdSeconds: 600,
    ticketTypes: [
      { name: "R석", price: 99000 },
      { name: "S석", price: 77000 },
      { name: "스탠딩", price: 55000, quantity: 200 },
    ],
    seatMap: {
      sections: [
        { name: "A", rows: 4, seatsPerRow: 12, ticketTypeIndex: 0 },
        { name: "B", rows: 3, seatsPerRow: 10, ticketTypeIndex: 1 },
      ],
    },
    ...extra,
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.currency, "KRW");
  assert.equal(r.body.timeZone, "Asia/Seoul");
  return r.body;
}

const text = async (locator) => ((await locator.textContent()) ?? "").replace(/[\u00a0\u202f]/g, " ");

test("ko-KR in Seoul on a KRW event: Korean, ₩, the venue's time, Korean seat labels and announcements, checkout in won", async () => {
  const event = await seoulEvent();
  const ko = await reader("ko-KR", "Asia/Seoul");
  assert.equal(await ko.evaluate(() => document.documentElement.lang), "ko");
  await ko.getByRole("heading", { name: "예매 중인 공연" }).waitFor();
  const when = await text(ko.getByTestId("event-when").first());
  assert.match(when, /2030년 3월 14일 \(목\) 오후 7:30 \(Asia\/Seoul\)/);
  assert.doesNotMatch(when, /내 시간/, "the reader is in the venue's zone: no second time");

  await ko.goto(`${ctx.server.url}/events/${event.id}`);
  await ko.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  assert.equal(await text(ko.getByTestId("type-R석").locator("td").nth(1)), "₩99,000");
  assert.equal(await text(ko.getByTestId("type-스탠딩").locator("td").nth(1)), "₩55,000");
  await ko.getByRole("heading", { name: "좌석", exact: true }).waitFor();
  await ko.getByTestId("allowance").getByText("이 공연은 10매 더 살 수 있습니다 (1인당 10매 한도).").waitFor();

  // Seats by their Korean names; the selection says its price in won.
  const seat = (n, state) => ko.getByRole("button", { name: `A 구역 A열 ${n}번, ${state}` });
  await seat(5, "선택 가능").click();
  await seat(5, "내가 선택함").waitFor();
  await seat(6, "선택 가능").click();
  await ko.getByText("2석 · ₩198,000").waitFor();

  // Someone else takes seat 6: the announcement is in Korean.
  const en = await reader("en-US", "America/New_York");
  await en.goto(`${ctx.server.url}/events/${event.id}`);
  await en.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  await en.getByRole("button", { name: "Section A, row A, seat 6, available" }).click();
  await en.getByTestId("hold").click();
  await en.getByTestId("checkout").waitFor();
  await within(3000, async () => /A 구역 A열 6번 좌석을 방금 다른 분이 가져갔습니다/.test(await text(ko.getByTestId("error"))), "the ko reader is told, in Korean");
  await seat(6, "다른 사람이 선점함").waitFor();
  await ko.getByText("1석 · ₩99,000").waitFor();
  await shot(ko, "ko-event");

  // Checkout in won.
  await ko.getByTestId("hold").click();
  const checkout = ko.getByTestId("checkout");
  await checkout.waitFor();
  assert.equal(await checkout.getAttribute("data-currency"), "KRW");
  await checkout.getByText("A 구역 A열 5번 — ₩99,000").waitFor();
  assert.equal(await text(checkout.getByTestId("total")), "₩99,000");
  await ko.getByRole("button", { name: "₩99,000 결제" }).waitFor();
  assert.match(await text(ko.getByTestId("countdown")), /^남은 선점 시간 \d+:\d\d$/);
  await shot(ko, "ko-checkout");
  await ko.getByTestId("pay").click();
  await ko.locator('[data-testid="checkout"][data-status="paid"]').waitFor();
  await ko.getByText("결제 완료 — 즐거운 관람 되세요!").waitFor();

  // My orders: Korean status, won, the order's time in the reader's zone.
  await ko.goto(`${ctx.server.url}/orders`);
  const order = ko.locator('[data-testid="order"][data-status="paid"]');
  await order.waitFor();
  assert.match(await text(order), /1매.*₩99,000.*결제 완료/);
  await ko.context().close();
  await en.context().close();
});

test("ko-KR waiting room: Korean, with the wait as 약 N분", async () => {
  const event = await seoulEvent({ name: "서울 재즈 나이트 (매진 임박)", capacity: 1, admitRatePerSec: 1 });
  // One shopper has the only slot for its ten minutes: the next in line waits about that long.
  const first = await reader("en-US", "America/New_York");
  await first.goto(`${ctx.server.url}/events/${event.id}`);
  await first.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();

  const ko = await reader("ko-KR", "Asia/Seoul");
  await ko.goto(`${ctx.server.url}/events/${event.id}`);
  await ko.getByTestId("waiting-room").waitFor();
  await within(5000, async () => /나의 대기 순번: 1/.test(await text(ko.getByTestId("place"))), "place 1, in Korean");
  await ko.getByTestId("ahead").getByText("다음 차례입니다.").waitFor();
  await within(5000, async () => /^예상 대기 시간: 약 \d+분$/.test(await text(ko.getByTestId("estimate"))), "the wait as 약 N분");
  await ko.getByRole("progressbar", { name: "대기열 진행 상황" }).waitFor();
  await ko.getByRole("button", { name: "대기열 나가기" }).waitFor();
  await shot(ko, "ko-waiting-room");
  await ko.context().close();
  await first.context().close();
});

test("en-US in New York on a USD event in Los Angeles: English, $, the venue's time and the reader's own", async () => {
  const r = await ctx.server.api("POST", "/admin/events", {
    name: "Pacific Strings",
    venue: "Harbor Hall",
    currency: "USD",
    timeZone: "America/Los_Angeles",
    startsAt: "2030-03-15T03:00:00Z", // 20:00 on the 14th in Los Angeles, 23:00 in New York
    ticketTypes: [{ name: "Standing", price: 2500, quantity: 100 }],
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const en = await reader("en-US", "America/New_York");
  assert.equal(await en.evaluate(() => document.documentElement.lang), "en");
  await en.getByRole("heading", { name: "On sale" }).waitFor();
  await en.goto(`${ctx.server.url}/events/${r.body.id}`);
  await en.locator('[data-testid="event-page"][data-admitted="true"]').waitFor();
  const when = await text(en.getByTestId("event-when"));
  assert.match(when, /Thu, Mar 14, 2030, 8:00 PM \(America\/Los_Angeles\) · 11:00 PM your time/);
  assert.equal(await text(en.getByTestId("type-Standing").locator("td").nth(1)), "$25.00");
  await en.getByTestId("type-Standing").getByRole("combobox").selectOption("2");
  await en.getByTestId("type-Standing").getByRole("button", { name: "Buy" }).click();
  await en.getByRole("button", { name: "Pay $50.00" }).waitFor();
  await en.context().close();
});

test("the switcher changes the language, and the choice is remembered after a reload", async () => {
  const page = await reader("ko-KR", "Asia/Seoul");
  const switcher = page.getByRole("group", { name: "언어" });
  assert.equal(await switcher.getByRole("button", { name: "한국어" }).getAttribute("aria-pressed"), "true");
  await switcher.getByRole("button", { name: "English" }).click();
  await page.getByRole("heading", { name: "On sale" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await page.getByTestId("connection").getByText("Live").waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "On sale" }).waitFor();
  assert.equal(await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "English" }).getAttribute("aria-pressed"), "true");
  await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "한국어" }).click();
  await page.getByRole("heading", { name: "예매 중인 공연" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "ko");
  await page.getByTestId("connection").getByText("실시간").waitFor();
  await page.reload();
  await page.getByRole("heading", { name: "예매 중인 공연" }).waitFor();
  await page.context().close();
});

test("a Korean operator creates a KRW event in Seoul through the form: prices in whole won, times in Seoul's zone", async () => {
  // The operator's browser is in Berlin: the event's times are still typed as Seoul time.
  const context = await ctx.browser.newContext({ viewport: { width: 1200, height: 900 }, locale: "ko-KR", timezoneId: "Europe/Berlin" });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(ctx.server.url);
  await page.getByLabel("이메일").fill(ADMIN.ADMIN_EMAIL);
  await page.getByLabel("비밀번호").fill(ADMIN.ADMIN_PASSWORD);
  await page.getByRole("button", { name: "로그인" }).click();
  await page.getByTestId("events").waitFor();
  await page.getByRole("navigation", { name: "주 메뉴" }).getByRole("link", { name: "관리" }).click();
  await page.getByRole("button", { name: "새 공연" }).click();
  const form = page.getByTestId("event-form");
  await form.waitFor();
  assert.equal(await page.getByLabel("통화").inputValue(), "KRW");
  assert.equal(await page.getByLabel("시간대").inputValue(), "Europe/Berlin");
  await page.getByLabel("이름", { exact: true }).first().fill("서울 필하모닉");
  await page.getByLabel("공연장").fill("예술의전당 콘서트홀");
  await page.getByLabel("시간대").fill("Asia/Seoul");
  await page.getByLabel("시작", { exact: true }).fill("2030-03-14T19:30");
  await form.getByText("공연 시간대 기준: Asia/Seoul (UTC+09:00)").first().waitFor();
  await page.getByTestId("ga-0").getByLabel("가격 (₩)").fill("35000");
  await page.getByTestId("seated-0").getByLabel("가격 (₩)").fill("99,000");
  await page.getByTestId("seat-preview").getByText("1층 ₩99,000").waitFor();
  await shot(page, "ko-admin-form");
  await page.getByRole("button", { name: "공연 만들기" }).click();
  await page.getByTestId("admin-event").waitFor();
  const facts = await text(page.getByTestId("admin-event-facts"));
  assert.match(facts, /시작 2030년 3월 14일 \(목\) 오후 7:30 \(Asia\/Seoul\) · 내 시간 오전 11:30/);
  assert.match(facts, /KRW$/);
  const id = new URL(page.url()).pathname.split("/").pop();
  const { body } = await ctx.server.api("GET", `/events/${id}`);
  assert.equal(body.startsAt.replace(/\.000Z$/, "Z"), "2030-03-14T10:30:00Z");
  assert.equal(body.currency, "KRW");
  assert.equal(body.timeZone, "Asia/Seoul");
  assert.deepEqual(body.ticketTypes.map((t) => t.price).sort((a, b) => a - b), [35000, 99000]);
  await context.close();
});

test("no page met a Content-Security-Policy violation", () => {
  assert.deepEqual(cspViolations, []);
});
