import { describe, expect, it } from "vitest";
import { decodeGeometry, type WireGeometry } from "./geometry";
import { FIXTURE } from "./fixtures";
import { fit, SeatGrid, step, toWorld, zoomAt } from "./view";

/** 20 sections x 50 rows x 50 seats, straight rows, prefix ids: the stadium of the browser test. */
function stadium(): WireGeometry {
  const sections = Array.from({ length: 20 }, (_, s) => ({
    name: `S${s + 1}`, ticketType: 0, first: s * 2500,
    rows: Array.from({ length: 50 }, (_, r) => ({ label: `R${r}`, first: 1, count: 50, x: (s % 5) * 1300, y: Math.floor(s / 5) * 1300 + r * 24, dx: 24, dy: 0 })),
  }));
  return { eventId: "big", seatCount: 50_000, bounds: { x: 0, y: 0, width: 6500, height: 5200 }, stage: null, ticketTypeIds: ["t"], ids: { prefix: "big-", start: 0 }, sections };
}

describe("view", () => {
  it("fit shows the box whole and zoomAt keeps the point under the pointer", () => {
    const v = fit({ x: 0, y: 0, width: 400, height: 300 }, 824, 624, 12);
    expect(v.scale).toBeCloseTo(2);
    const before = toWorld(v, 100, 50);
    const z = zoomAt(v, 1.5, 100, 50, 0.1, 10);
    expect(toWorld(z, 100, 50)[0]).toBeCloseTo(before[0]);
    expect(toWorld(z, 100, 50)[1]).toBeCloseTo(before[1]);
    expect(zoomAt(v, 100, 0, 0, 0.1, 10).scale).toBe(10);
  });
});

describe("SeatGrid", () => {
  const g = decodeGeometry(stadium());
  const grid = new SeatGrid(g);
  it("finds the seat under a point among 50,000, quickly", () => {
    const t = performance.now();
    let hits = 0;
    for (let i = 0; i < 1000; i++) {
      const p = (i * 4999) % 50_000;
      if (grid.nearest(g.x[p] + 3, g.y[p] - 2, 14) === p) hits++;
    }
    expect(hits).toBe(1000);
    console.log(`1000 hit tests at 50,000 seats: ${(performance.now() - t).toFixed(1)} ms`);
    expect(grid.nearest(-500, -500, 14)).toBe(-1);
  });
  it("lists the seats in a rectangle, or null past the limit", () => {
    const inRow = grid.within(-1, -1, 24 * 9 + 1, 1, 100);
    expect(inRow).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(grid.within(0, 0, 5000, 5000, 400)).toBeNull();
  });
});

describe("step (arrow keys)", () => {
  const g = decodeGeometry(FIXTURE);
  it("left and right along positions, up and down to the nearest seat of the next row", () => {
    expect(step(g, 0, "ArrowRight")).toBe(1);
    expect(step(g, 0, "ArrowLeft")).toBe(-1);
    expect(step(g, 9, "ArrowRight")).toBe(-1);
    expect(step(g, 2, "ArrowDown")).toBe(3);
    expect(step(g, 3, "ArrowUp")).toBe(2);
    expect(step(g, 0, "ArrowUp")).toBe(-1);
    expect(step(g, 0, "Enter")).toBe(-1);
  });
});
