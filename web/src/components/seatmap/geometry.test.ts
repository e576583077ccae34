import { describe, expect, it } from "vitest";
import { FIXTURE } from "./fixtures";
import { convexHull, decodeGeometry, GeometryError, geometryFromSeats, NO_TYPE, seatInfo } from "./geometry";

describe("decodeGeometry", () => {
  const g = decodeGeometry(FIXTURE);

  it("straight rows: start and step", () => {
    expect(seatInfo(g, 0)).toEqual({ id: "s-0", section: "A", row: "A", number: 1, ticketTypeId: "tA", x: 26, y: 60 });
    expect(seatInfo(g, 2)).toMatchObject({ number: 3, x: 74, y: 60 });
    expect(seatInfo(g, 9)).toMatchObject({ id: "s-9", section: "B", row: "B", number: 2, x: 224, y: 126, ticketTypeId: "tB" });
  });

  it("arc rows: centre, radius, angle and step in radians; a row's ticketType overrides", () => {
    const a = seatInfo(g, 3);
    expect(a).toMatchObject({ row: "B", number: 5, ticketTypeId: "tB" });
    expect(a.x).toBeCloseTo(150, 4);
    expect(a.y).toBeCloseTo(100, 4);
    const b = seatInfo(g, 4);
    expect(b.number).toBe(6);
    expect(b.x).toBeCloseTo(100, 4);
    expect(b.y).toBeCloseTo(150, 4);
  });

  it("irregular rows: explicit numbers, points and per-seat types", () => {
    expect([5, 6, 7].map((p) => seatInfo(g, p))).toEqual([
      { id: "s-5", section: "B", row: "A", number: 1, ticketTypeId: "tA", x: 200, y: 100 },
      { id: "s-6", section: "B", row: "A", number: 2, ticketTypeId: "tB", x: 224, y: 100 },
      { id: "s-7", section: "B", row: "A", number: 5, ticketTypeId: "tA", x: 296, y: 100 },
    ]);
  });

  it("rows and sections in position order", () => {
    expect(g.rows.map((r) => [r.label, r.section, r.first, r.count])).toEqual([["A", 0, 0, 3], ["B", 0, 3, 2], ["A", 1, 5, 3], ["B", 1, 8, 2]]);
    expect(g.sections.map((s) => [s.name, s.first, s.count])).toEqual([["A", 0, 5], ["B", 5, 5]]);
  });

  it("ids with a prefix: position from id and back, strangers are -1", () => {
    expect(g.positionOf("s-7")).toBe(7);
    expect(g.positionOf("s-10")).toBe(-1);
    expect(g.positionOf("s-07")).toBe(-1);
    expect(g.positionOf("x-1")).toBe(-1);
    expect(g.positionOf("s-")).toBe(-1);
    const shifted = decodeGeometry({ ...FIXTURE, ids: { prefix: "e9:", start: 100 } });
    expect(shifted.idOf(3)).toBe("e9:103");
    expect(shifted.positionOf("e9:109")).toBe(9);
    expect(shifted.positionOf("e9:99")).toBe(-1);
  });

  it("ids as a list", () => {
    const list = Array.from({ length: 10 }, (_, i) => `uuid-${i * 7}`);
    const l = decodeGeometry({ ...FIXTURE, ids: { list } });
    expect(l.idOf(4)).toBe("uuid-28");
    expect(l.positionOf("uuid-63")).toBe(9);
    expect(l.positionOf("uuid-1")).toBe(-1);
  });

  it("sections get an outline around their seats and a label in front of row A", () => {
    const a = g.sections[0];
    expect(a.hull.length).toBeGreaterThanOrEqual(6);
    // Row A is at y 60, row B behind it (y ~100-150): the label goes above row A.
    expect(a.labelY).toBeLessThan(60);
  });

  it("refuses a geometry that does not add up", () => {
    expect(() => decodeGeometry({ ...FIXTURE, seatCount: 11 })).toThrow(GeometryError);
    expect(() => decodeGeometry({ ...FIXTURE, seatCount: 9 })).toThrow(GeometryError);
    expect(() => decodeGeometry({ ...FIXTURE, seatCount: 1e9 })).toThrow(GeometryError);
    expect(() => decodeGeometry({ ...FIXTURE, ids: { list: ["a"] } })).toThrow(GeometryError);
    const overlap = structuredClone(FIXTURE);
    overlap.sections[1].first = 4;
    expect(() => decodeGeometry(overlap)).toThrow(GeometryError);
  });

  it("a general-admission event: no seats", () => {
    const ga = decodeGeometry({ eventId: "e", seatCount: 0, bounds: { x: 0, y: 0, width: 0, height: 0 }, stage: null, ticketTypeIds: [], ids: { prefix: "p", start: 0 }, sections: [] });
    expect(ga.count).toBe(0);
  });

  it("the admin preview: no ticket type ids, sections' types are indexes", () => {
    const p = decodeGeometry({ ...FIXTURE, eventId: null, ticketTypeIds: [], ids: { prefix: "", start: 0 } });
    expect(p.typeOf[0]).toBe(0);
    expect(p.typeOf[3]).toBe(1);
    expect(seatInfo(p, 0).id).toBe("0");
    expect(NO_TYPE).toBe(0xffff);
  });
});

describe("geometryFromSeats (v1 servers)", () => {
  const seats = [
    { id: "b2", section: "Circle", row: "A", number: 2, x: 60, y: 200, ticketTypeId: "t2" },
    { id: "a1", section: "Stalls", row: "A", number: 1, x: 30, y: 40, ticketTypeId: "t1" },
    { id: "a2", section: "Stalls", row: "A", number: 2, x: 60, y: 40, ticketTypeId: "t1" },
    { id: "b1", section: "Circle", row: "A", number: 1, x: 30, y: 200, ticketTypeId: "t2" },
    { id: "a3", section: "Stalls", row: "B", number: 1, x: 30, y: 70, ticketTypeId: "t1" },
  ];
  const g = geometryFromSeats("e", seats);
  it("positions in (y, x) order, every seat as it was", () => {
    expect(Array.from({ length: 5 }, (_, p) => g.idOf(p))).toEqual(["a1", "a2", "a3", "b1", "b2"]);
    for (const s of seats) expect(seatInfo(g, g.positionOf(s.id))).toEqual(s);
    expect(g.sections.map((s) => s.name)).toEqual(["Stalls", "Circle"]);
  });
});

describe("convexHull", () => {
  it("drops the inside points", () => {
    const h = convexHull([[0, 0], [2, 0], [1, 1], [2, 2], [0, 2], [1, 0]]);
    expect(h).toHaveLength(4);
  });
});
