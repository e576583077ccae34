import { describe, expect, it } from "vitest";
import { clockText, currencyDigits, eventTime, formatDateTime, formatPrice, minorToMajor, parseMajor, waitDuration, zoneOffsetMinutes } from "./format";

// Intl separates some parts with narrow no-break spaces; compare with plain spaces.
const plain = (s: string | null) => s?.replace(/[\u00a0\u202f]/g, " ") ?? null;

describe("prices", () => {
  it("knows each currency's decimals from Intl", () => {
    expect(currencyDigits("KRW")).toBe(0);
    expect(currencyDigits("JPY")).toBe(0);
    expect(currencyDigits("USD")).toBe(2);
    expect(currencyDigits("EUR")).toBe(2);
  });
  it("formats minor units in the event's currency and the reader's locale", () => {
    expect(formatPrice(99000, "KRW", "ko-KR")).toBe("₩99,000");
    expect(formatPrice(99000, "KRW", "en-US")).toBe("₩99,000");
    expect(formatPrice(2500, "USD", "en-US")).toBe("$25.00");
    expect(formatPrice(2500, "USD", "ko-KR")).toBe("US$25.00");
    expect(formatPrice(0, "USD", "en-US")).toBe("$0.00");
  });
  it("reads major units as typed, with no more decimals than the currency has", () => {
    expect(parseMajor("99000", "KRW")).toBe(99000);
    expect(parseMajor("99,000", "KRW")).toBe(99000);
    expect(parseMajor("99000.5", "KRW")).toBeNull();
    expect(parseMajor("12.5", "USD")).toBe(1250);
    expect(parseMajor("12,50", "USD")).toBe(1250);
    expect(parseMajor("1,234.50", "USD")).toBe(123450);
    expect(parseMajor("12.505", "USD")).toBeNull();
    expect(parseMajor("-1", "USD")).toBeNull();
    expect(parseMajor("abc", "USD")).toBeNull();
    expect(parseMajor("", "KRW")).toBeNull();
  });
  it("writes minor units back as major units for a form field", () => {
    expect(minorToMajor(99000, "KRW")).toBe("99000");
    expect(minorToMajor(1250, "USD")).toBe("12.50");
    expect(minorToMajor(5, "USD")).toBe("0.05");
  });
});

describe("times", () => {
  const start = "2026-12-12T10:30:00Z"; // 19:30 in Seoul, 05:30 in New York
  it("formats in the venue's zone", () => {
    expect(plain(formatDateTime(start, "en-US", "Asia/Seoul"))).toBe("Sat, Dec 12, 2026, 7:30 PM");
    // ICU versions differ on the Korean day period (오후 or PM): the rest is fixed.
    expect(formatDateTime(start, "ko-KR", "Asia/Seoul")).toMatch(/^2026년 12월 12일 \(토\) (오후|PM) 7:30$/);
  });
  it("knows zone offsets", () => {
    expect(zoneOffsetMinutes(start, "Asia/Seoul")).toBe(540);
    expect(zoneOffsetMinutes(start, "America/New_York")).toBe(-300);
    expect(zoneOffsetMinutes("2026-07-01T12:00:00Z", "America/New_York")).toBe(-240);
    expect(zoneOffsetMinutes(start, "UTC")).toBe(0);
  });
  it("names the venue's zone and adds the reader's time only when it differs", () => {
    const seoul = eventTime(start, "Asia/Seoul", "ko-KR", "Asia/Seoul");
    expect(seoul).toMatchObject({ zone: "Asia/Seoul", zoneName: "한국 표준시", reader: null });
    expect(seoul.venue).toMatch(/^2026년 12월 12일 \(토\) (오후|PM) 7:30$/);
    const ny = eventTime(start, "Asia/Seoul", "en-US", "America/New_York");
    expect(plain(ny.reader)).toBe("5:30 AM");
    expect(ny.zoneName).toBe("Korean Standard Time");
    // Another day for the reader: the date is said too.
    const la = eventTime("2026-12-12T03:00:00Z", "Asia/Seoul", "en-US", "America/Los_Angeles");
    expect(plain(la.reader)).toBe("Fri, Dec 11, 7:00 PM");
    // Same offset, other name: nothing to add.
    expect(eventTime(start, "Asia/Seoul", "en-US", "Asia/Tokyo").reader).toBeNull();
  });
  it("falls back to UTC for a zone the browser does not know", () => {
    expect(eventTime(start, "Mars/Olympus", "en-US", "UTC")).toMatchObject({ zone: "UTC", reader: null });
  });
});

describe("waits", () => {
  it("are rounded durations in the reader's language", () => {
    expect(waitDuration(45, "en-US")).toEqual({ text: "45 seconds", approx: false });
    expect(waitDuration(1, "en-US")).toEqual({ text: "1 second", approx: false });
    expect(waitDuration(180, "en-US")).toEqual({ text: "3 minutes", approx: true });
    expect(waitDuration(180, "ko-KR")).toEqual({ text: "3분", approx: true });
    expect(waitDuration(45, "ko-KR")).toEqual({ text: "45초", approx: false });
    expect(waitDuration(60, "en-US")).toEqual({ text: "1 minute", approx: true });
    expect(waitDuration(7200, "ko-KR")).toEqual({ text: "2시간", approx: true });
    expect(waitDuration(5400, "en-US")).toEqual({ text: "1.5 hours", approx: true });
  });
  it("count down as m:ss or h:mm:ss", () => {
    expect(clockText(65)).toBe("1:05");
    expect(clockText(3725)).toBe("1:02:05");
    expect(clockText(-3)).toBe("0:00");
  });
});
