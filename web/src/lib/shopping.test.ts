import { afterAll, describe, expect, test } from "vitest";
import type { Reservation, Seat, WaitlistEntry } from "../api";
import { fmt, switchTo } from "../i18n";
import {
  clock, describeBlock, fromAnswer, liveOffer, noAdjacentMessage, placeText, quantityChoices, sectionsOf, withEntry, withOffer,
  type WaitlistView,
} from "./shopping";

const seat = (id: string, section: string, row: string, number: number, y: number): Seat =>
  ({ id, section, row, number, x: number * 20, y, ticketTypeId: "t", status: "available", version: 1 }) as Seat;

const NOW = Date.parse("2030-01-01T12:00:00Z");
const offer = (id: string, expiresInS: number, status: Reservation["status"] = "pending"): Reservation =>
  ({
    id, eventId: "e1", status, createdAt: new Date(NOW).toISOString(), expiresAt: new Date(NOW + expiresInS * 1000).toISOString(),
    items: [{ ticketTypeId: "ga", quantity: 2, price: 3500 }], total: 7000,
  }) as Reservation;
const entry = (ticketTypeId: string, position: number, o: Reservation | null = null): WaitlistEntry =>
  ({ eventId: "e1", ticketTypeId, quantity: 2, position, offer: o });

describe("quantities", () => {
  test("bounded by per-order, allowance and what is left, never empty", () => {
    expect(quantityChoices(4, 10)).toEqual([1, 2, 3, 4]);
    expect(quantityChoices(8, 3)).toEqual([1, 2, 3]);
    expect(quantityChoices(8, 6, 2)).toEqual([1, 2]);
    expect(quantityChoices(8, 0)).toEqual([1]);
    expect(quantityChoices(undefined, undefined)).toHaveLength(10);
  });
});

describe("best available words", () => {
  test("sections front first, each once", () => {
    expect(sectionsOf([seat("c1", "Circle", "A", 1, 300), seat("s1", "Stalls", "A", 1, 10), seat("s2", "Stalls", "B", 1, 40)])).toEqual(["Stalls", "Circle"]);
  });
  test("no_adjacent_seats says how many and what to try", () => {
    expect(noAdjacentMessage(4)).toBe("No 4 seats together — try fewer or another section.");
    expect(noAdjacentMessage(3, "Circle")).toBe("No 3 seats together in Circle — try fewer or another section.");
  });
  test("a block in one row reads as a range", () => {
    const byId = new Map([seat("a", "Stalls", "C", 8, 0), seat("b", "Stalls", "C", 7, 0), seat("c", "Circle", "A", 1, 9)].map((s) => [s.id, s]));
    expect(describeBlock(["b", "a"], byId)).toBe("Stalls row C seats 7–8");
    expect(describeBlock(["a"], byId)).toBe("Stalls row C seat 8");
    expect(describeBlock(["a", "c"], byId)).toBe("Stalls row C seat 8, Circle row A seat 1");
    expect(describeBlock(["x", "y"], byId)).toBe("2 seats");
  });
});

describe("in Korean", () => {
  afterAll(() => switchTo("en"));
  test("the same words, in Korean, with Korean waits and prices", async () => {
    await switchTo("ko");
    const byId = new Map([seat("a", "A", "C", 8, 0), seat("b", "A", "C", 7, 0)].map((s) => [s.id, s]));
    expect(describeBlock(["b", "a"], byId)).toBe("A 구역 C열 7–8번");
    expect(noAdjacentMessage(4)).toBe("나란히 붙은 4석이 없습니다. 인원을 줄이거나 다른 구역을 골라 주세요.");
    expect(placeText(3)).toBe("취소표 대기 3번입니다.");
    expect(fmt.wait(180)).toBe("약 3분");
    expect(fmt.price(99000, "KRW")).toBe("₩99,000");
    await switchTo("en");
    expect(fmt.wait(180)).toBe("about 3 minutes");
    expect(fmt.price(2500, "USD")).toBe("$25.00");
  });
});

describe("clock", () => {
  test("minutes and seconds, floored, never negative", () => {
    expect(clock(NOW + 599_900, NOW)).toEqual({ seconds: 599, text: "9:59" });
    expect(clock(NOW + 5_000, NOW).text).toBe("0:05");
    expect(clock(NOW - 5_000, NOW)).toEqual({ seconds: 0, text: "0:00" });
  });
});

describe("waitlist view", () => {
  test("an offer is live while pending and before its expiry", () => {
    expect(liveOffer(offer("r", 10), NOW)).toBe(true);
    expect(liveOffer(offer("r", -1), NOW)).toBe(false);
    expect(liveOffer(offer("r", 10, "paid"), NOW)).toBe(false);
    expect(liveOffer(null, NOW)).toBe(false);
  });

  test("the server's answer replaces the view, other events' entries are ignored", () => {
    const old: WaitlistView = new Map([["ga", entry("ga", 3)]]);
    const next = fromAnswer(old, [entry("ga", 2), { ...entry("vip", 1), eventId: "e2" }], "e1", NOW);
    expect([...next.keys()]).toEqual(["ga"]);
    expect(next.get("ga")?.position).toBe(2);
    expect(fromAnswer(old, [], "e1", NOW).size).toBe(0); // left (or removed) on another tab
  });

  test("a pushed offer survives an answer read just before it, until it lapses", () => {
    const pushed = withOffer(new Map([["ga", entry("ga", 1)]]), { eventId: "e1", ticketTypeId: "ga", reservation: offer("r1", 60) }, "e1");
    expect(pushed.get("ga")?.offer?.id).toBe("r1");
    expect(fromAnswer(pushed, [entry("ga", 1)], "e1", NOW).get("ga")?.offer?.id).toBe("r1");
    expect(fromAnswer(pushed, [], "e1", NOW).get("ga")?.offer?.id).toBe("r1");
    expect(fromAnswer(pushed, [], "e1", NOW + 61_000).size).toBe(0);
    // Long after it was made, an offer the server no longer lists (paid or cancelled) is gone.
    expect(fromAnswer(pushed, [], "e1", NOW + 20_000).size).toBe(0);
    // The server knows a newer offer: it wins.
    expect(fromAnswer(pushed, [entry("ga", 1, offer("r2", 90))], "e1", NOW).get("ga")?.offer?.id).toBe("r2");
  });

  test("an offer for another event is not this page's", () => {
    const v: WaitlistView = new Map();
    expect(withOffer(v, { eventId: "e2", ticketTypeId: "ga", reservation: offer("r", 60) }, "e1")).toBe(v);
    const fresh = withOffer(v, { eventId: "e1", ticketTypeId: "ga", reservation: offer("r", 60) }, "e1");
    expect(fresh.get("ga")).toMatchObject({ position: 1, quantity: 2 });
  });

  test("joining keeps a known offer; leaving removes the entry", () => {
    const v: WaitlistView = new Map([["ga", entry("ga", 1, offer("r", 60))]]);
    expect(withEntry(v, "ga", entry("ga", 1)).get("ga")?.offer?.id).toBe("r");
    expect(withEntry(v, "ga", null).has("ga")).toBe(false);
  });

  test("place in words", () => {
    expect(placeText(1)).toMatch(/number 1 on the waitlist/);
    expect(placeText(4)).toBe("You are number 4 on the waitlist.");
  });
});
