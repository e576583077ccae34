// The browser's zone for these tests: Berlin, an hour east of UTC in winter and two in summer.
(globalThis as unknown as { process: { env: Record<string, string> } }).process.env.TZ = "Europe/Berlin";

import { describe, expect, test } from "vitest";
import type { EventInfo } from "../api";
import {
  buildCreateBody, buildPatch, draftFromEvent, emptyDraft, fieldErrorsOf, fromLocalInput, fromMinor, newKey, offsetLabel,
  buildSeatMap, parseLocalInput, pushSample, rowLabel, summarize, toLocalInput, toMinor, zoneName, type EventDraft, type Sample,
} from "./admin";

describe("seat map preview", () => {
  test("row labels run A…Z, then AA, AB (as the server names rows)", () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702].map(rowLabel)).toEqual(["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
  });

});

describe("times in the browser's zone", () => {
  test("the zone is named with its offset at that moment", () => {
    expect(offsetLabel(60)).toBe("UTC+01:00");
    expect(offsetLabel(-210)).toBe("UTC-03:30");
    expect(offsetLabel(0)).toBe("UTC+00:00");
    expect(zoneName(new Date("2030-01-15T12:00:00Z"))).toBe("Europe/Berlin (UTC+01:00)");
    expect(zoneName(new Date("2030-07-15T12:00:00Z"))).toBe("Europe/Berlin (UTC+02:00)");
  });

  test("an RFC 3339 instant is shown as local wall time", () => {
    expect(toLocalInput("2030-03-14T20:00:00Z")).toBe("2030-03-14T21:00");
    expect(toLocalInput("2030-07-01T18:30:15Z")).toBe("2030-07-01T20:30:15");
    expect(toLocalInput("not a time")).toBe("");
  });

  test("local wall time is sent as RFC 3339 with the zone's offset on that date", () => {
    expect(fromLocalInput("2030-03-14T21:00")).toBe("2030-03-14T21:00:00+01:00");
    expect(fromLocalInput("2030-07-01T20:30:15")).toBe("2030-07-01T20:30:15+02:00");
    expect(Date.parse(fromLocalInput("2030-03-14T21:00")!)).toBe(Date.parse("2030-03-14T20:00:00Z"));
    // Round trip.
    for (const iso of ["2030-03-14T20:00:00Z", "2031-10-26T00:59:00Z", "2029-12-31T23:00:00Z"]) {
      expect(Date.parse(fromLocalInput(toLocalInput(iso))!)).toBe(Date.parse(iso));
    }
  });

  test("what is not a time is refused", () => {
    for (const bad of ["", "2030-02-31T10:00", "2030-13-01T10:00", "2030-01-01T24:00", "2030-01-01", "tomorrow"]) {
      expect(parseLocalInput(bad)).toBeNull();
      expect(fromLocalInput(bad)).toBeNull();
    }
  });
});

describe("times in the event's zone, not the browser's", () => {
  test("a Seoul event is typed and sent in Seoul time from a Berlin browser", () => {
    expect(toLocalInput("2030-03-14T10:30:00Z", "Asia/Seoul")).toBe("2030-03-14T19:30");
    expect(fromLocalInput("2030-03-14T19:30", "Asia/Seoul")).toBe("2030-03-14T19:30:00+09:00");
    expect(fromLocalInput("2030-03-14T19:30", "UTC")).toBe("2030-03-14T19:30:00Z");
    expect(fromLocalInput("2030-07-01T19:30", "America/New_York")).toBe("2030-07-01T19:30:00-04:00");
    expect(zoneName(new Date("2030-03-14T10:30:00Z"), "Asia/Seoul")).toBe("Asia/Seoul (UTC+09:00)");
  });

  test("clock changes: a skipped wall time moves past the gap, a repeated one is the first", () => {
    // Berlin skips 02:00-03:00 on 2030-03-31 and repeats 02:00-03:00 on 2030-10-27.
    expect(fromLocalInput("2030-03-31T02:30")).toBe("2030-03-31T03:30:00+02:00");
    expect(fromLocalInput("2030-10-27T02:30")).toBe("2030-10-27T02:30:00+02:00");
    expect(fromLocalInput("2030-10-27T03:30")).toBe("2030-10-27T03:30:00+01:00");
  });

  test("the form's draft reads the event's zone; a new zone moves the times it keeps", () => {
    const e = {
      id: "e1", name: "Seoul Night", venue: "Hall", currency: "KRW", timeZone: "Asia/Seoul",
      startsAt: "2030-03-14T10:30:00Z", saleOpensAt: "1970-01-01T00:00:00Z",
      hasSeatMap: false, capacity: 1000, admitRatePerSec: 10, holdSeconds: 600, admissionTtlSeconds: 600,
      idleTimeoutSeconds: 300, maxTicketsPerCustomer: 10, botCheck: false, salesPaused: false, waitingRoom: "auto",
      ticketTypes: [{ id: "t1", name: "R석", price: 99000, total: 200, remainingQuantity: 200, seated: false, version: 1 }],
    } as EventInfo;
    const d = draftFromEvent(e);
    expect(d).toMatchObject({ currency: "KRW", timeZone: "Asia/Seoul", startsAt: "2030-03-14T19:30" });
    expect(d.ga[0].price).toBe("99000");
    expect(buildPatch(e, d).body).toEqual({});
    // The same wall time in Tokyo is the same instant (same offset): only the zone is sent.
    d.timeZone = "Asia/Tokyo";
    expect(buildPatch(e, d).body).toEqual({ timeZone: "Asia/Tokyo" });
    // In London it is another instant: the start moves with it.
    d.timeZone = "Europe/London";
    expect(buildPatch(e, d).body).toEqual({ timeZone: "Europe/London", startsAt: "2030-03-14T19:30:00Z" });
  });
});

describe("prices", () => {
  test("in the event's currency: whole won, cents of a dollar", () => {
    expect(toMinor("99000", "KRW")).toBe(99000);
    expect(toMinor("99,000", "KRW")).toBe(99000);
    expect(toMinor("99000.50", "KRW")).toBeNull();
    expect(fromMinor(99000, "KRW")).toBe("99000");
    const d = emptyDraft(new Date("2030-01-01T10:00:00Z"), { currency: "KRW", timeZone: "Asia/Seoul" });
    expect(d.startsAt).toBe("2030-01-31T20:00");
    d.name = "서울";
    d.venue = "홀";
    const { body, errors } = buildCreateBody(d);
    expect(errors).toEqual([]);
    expect(body).toMatchObject({ currency: "KRW", timeZone: "Asia/Seoul", startsAt: "2030-01-31T20:00:00+09:00" });
    expect((body.ticketTypes as { price: number }[]).map((t) => t.price)).toEqual([35000, 65000]);
    d.ga[0].price = "35.50";
    expect(buildCreateBody(d).errors).toEqual([{ field: "ticketTypes[0].price", message: "Enter a price like 12000." }]);
  });

  test("major units become minor units, exactly", () => {
    expect(toMinor("12")).toBe(1200);
    expect(toMinor("12.5")).toBe(1250);
    expect(toMinor("0.29")).toBe(29); // 0.29 * 100 is 28.999… in floating point
    expect(toMinor(" 19,99 ")).toBe(1999);
    expect(toMinor("0")).toBe(0);
    for (const bad of ["", "-1", "1.234", "1e3", "abc", "12.", "1 000"]) expect(toMinor(bad)).toBeNull();
    expect(fromMinor(1250)).toBe("12.50");
    expect(fromMinor(5)).toBe("0.05");
  });
});

describe("field errors", () => {
  test("every field of the body, or the one named, or none", () => {
    expect(fieldErrorsOf({
      code: "invalid_field", message: "capacity must be between 1 and 10000000", field: "capacity",
      fields: [{ field: "capacity", message: "capacity must be between 1 and 10000000" }, { field: "ticketTypes[0].price", message: "bad" }, { nope: 1 }],
    })).toEqual([
      { field: "capacity", message: "capacity must be between 1 and 10000000" },
      { field: "ticketTypes[0].price", message: "bad" },
    ]);
    expect(fieldErrorsOf({ field: "name", message: "name must be 1-200 characters" })).toEqual([{ field: "name", message: "name must be 1-200 characters" }]);
    expect(fieldErrorsOf({ code: "invalid_body", message: "x" })).toEqual([]);
  });
});

function draft(): EventDraft {
  const d = emptyDraft(new Date("2030-01-01T10:00:00Z"));
  d.name = "Night";
  d.venue = "Hall";
  d.startsAt = "2030-03-14T21:00";
  return d;
}

describe("the create body", () => {
  test("GA types first, seated types after, sections pointing at their type's index", () => {
    const d = draft();
    const balcony = { key: newKey(), name: "Balcony", price: "20" };
    d.seated.push(balcony);
    d.sections.push({ key: newKey(), name: "Balcony", rows: "2", seatsPerRow: "10", type: balcony.key });
    const { body, errors } = buildCreateBody(d);
    expect(errors).toEqual([]);
    expect(body).toEqual({
      name: "Night", venue: "Hall", currency: "USD", timeZone: "Europe/Berlin", startsAt: "2030-03-14T21:00:00+01:00",
      holdSeconds: 600, capacity: 1000, admitRatePerSec: 10, maxTicketsPerCustomer: 10, botCheck: false,
      ticketTypes: [
        { name: "Standing", price: 3500, quantity: 200 },
        { name: "Stalls", price: 6500 },
        { name: "Balcony", price: 2000 },
      ],
      seatMap: {
        sections: [
          { name: "Stalls", rows: 6, seatsPerRow: 14, ticketTypeIndex: 1 },
          { name: "Balcony", rows: 2, seatsPerRow: 10, ticketTypeIndex: 2 },
        ],
      },
    });
  });

  test("out-of-range numbers go to the server; what cannot be sent is refused by its path", () => {
    const d = draft();
    d.capacity = "0";
    expect(buildCreateBody(d)).toMatchObject({ errors: [], body: { capacity: 0 } });
    d.capacity = "ten";
    d.ga[0].price = "free";
    d.sections[0].rows = "2.5";
    d.startsAt = "";
    const unused = { key: newKey(), name: "Box", price: "1" };
    d.seated.push(unused);
    expect(buildCreateBody(d).errors.map((e) => e.field)).toEqual([
      "startsAt", "capacity", "ticketTypes[0].price", "ticketTypes[2].name", "seatMap.sections[0].rows",
    ]);
  });

  test("placement and stage: sent when given, per field; text in them is refused by its path", () => {
    const d = draft();
    d.sections[0] = { ...d.sections[0], x: "600", y: "300", rotation: "-15", curve: "" };
    d.stage = { x: "400", y: "0", width: "400", height: "120", label: "" };
    expect(buildSeatMap(d)).toEqual({
      sections: [{ name: "Stalls", rows: 6, seatsPerRow: 14, ticketTypeIndex: 1, x: 600, y: 300, rotation: -15 }],
      stage: { x: 400, y: 0, width: 400, height: 120 },
    });
    d.stage = { x: "", y: "", width: "", height: "", label: "Big stage" };
    expect(buildSeatMap(d).stage).toBeUndefined();
    d.sections[0].curve = "wide";
    const errors: { field: string; message: string }[] = [];
    buildSeatMap(d, errors);
    expect(errors.map((e) => e.field)).toEqual(["seatMap.sections[0].curve"]);
  });

  test("no sections: no seat map", () => {
    const d = draft();
    d.seated = [];
    d.sections = [];
    const { body } = buildCreateBody(d);
    expect(body.seatMap).toBeUndefined();
    expect(body.ticketTypes).toEqual([{ name: "Standing", price: 3500, quantity: 200 }]);
  });
});

describe("the PATCH body", () => {
  const event = {
    timeZone: "Europe/Berlin", currency: "USD",
    id: "e1", name: "Night", venue: "Hall", startsAt: "2030-03-14T20:00:00Z", saleOpensAt: "2030-01-01T09:00:00Z",
    hasSeatMap: false, capacity: 1000, admitRatePerSec: 10, holdSeconds: 600, admissionTtlSeconds: 600,
    idleTimeoutSeconds: 300, maxTicketsPerCustomer: 10, botCheck: false, salesPaused: false, waitingRoom: "auto",
    ticketTypes: [{ id: "t1", name: "Standing", price: 3500, total: 200, remainingQuantity: 200, seated: false, version: 1 }],
  } as EventInfo;

  test("nothing changed, nothing sent", () => {
    expect(buildPatch(event, draftFromEvent(event))).toEqual({ body: {}, errors: [] });
  });

  test("only the changed fields", () => {
    const d = draftFromEvent(event);
    expect(d.startsAt).toBe("2030-03-14T21:00");
    expect(d.ga[0]).toMatchObject({ name: "Standing", price: "35.00", quantity: "200" });
    d.capacity = "50";
    d.startsAt = "2030-03-14T22:30";
    d.botCheck = true;
    expect(buildPatch(event, d)).toEqual({ body: { capacity: 50, startsAt: "2030-03-14T22:30:00+01:00", botCheck: true }, errors: [] });
  });

  test("a sale open from the start shows an empty opening; emptying one opens the sale now", () => {
    const open = { ...event, saleOpensAt: "1970-01-01T00:00:00Z" };
    const d = draftFromEvent(open);
    expect(d.saleOpensAt).toBe("");
    expect(buildPatch(open, d).body).toEqual({});
    const later = draftFromEvent(event);
    expect(later.saleOpensAt).toBe("2030-01-01T10:00");
    later.saleOpensAt = "";
    const opens = buildPatch(event, later).body.saleOpensAt as string;
    expect(Math.abs(Date.parse(opens) - Date.now())).toBeLessThan(5000);
  });

  test("a changed field that is not a number is refused, not sent", () => {
    const d = draftFromEvent(event);
    d.capacity = "lots";
    expect(buildPatch(event, d)).toEqual({ body: {}, errors: [{ field: "capacity", message: "Enter a whole number." }] });
  });
});

describe("the dashboard's history", () => {
  const s = (t: number, waiting = 0): Sample => ({ t, waiting, active: 0, admittedPerSec: 0, holdsPerSec: 0, sold: 0, revenue: 0 });

  test("keeps ten minutes, in order, without repeats", () => {
    let h: Sample[] = [];
    for (let t = 0; t <= 700_000; t += 1000) h = pushSample(h, s(t, t / 1000));
    expect(h[0].t).toBe(100_000);
    expect(h[h.length - 1].t).toBe(700_000);
    expect(h).toHaveLength(601);
    expect(pushSample(h, s(700_000))).toBe(h);
    expect(pushSample(h, s(5))).toBe(h);
  });

  test("now, min and max", () => {
    const h = [s(1, 5), s(2, 2), s(3, 9), s(4, 4)];
    expect(summarize(h, "waiting")).toEqual({ now: 4, min: 2, max: 9 });
    expect(summarize([], "waiting")).toBeNull();
  });
});

describe("the server's field errors in Korean", () => {
  test("known fields get their own message, others a Korean sentence around the server's words", async () => {
    const { switchTo } = await import("../i18n");
    await switchTo("ko");
    try {
      expect(fieldErrorsOf({ fields: [{ field: "timeZone", message: "unknown time zone Mars/Base" }, { field: "capacity", message: "capacity must be between 1 and 10000000" }] })).toEqual([
        { field: "timeZone", message: "Asia/Seoul, America/New_York 같은 IANA 시간대를 입력하세요." },
        { field: "capacity", message: "받아들일 수 없는 값입니다 (capacity must be between 1 and 10000000)" },
      ]);
    } finally {
      await switchTo("en");
    }
    expect(fieldErrorsOf({ field: "timeZone", message: "unknown time zone Mars/Base" })).toEqual([{ field: "timeZone", message: "unknown time zone Mars/Base" }]);
  });
});
