// Test fixtures following docs/PROTOCOL-ADDITIONS.md exactly (imported by tests only).

import type { WireGeometry } from "./geometry";

/** The agreed shape: a straight row, an arc row, an irregular row, per-row and per-seat types. */
export const FIXTURE: WireGeometry = {
  eventId: "ev1",
  seatCount: 10,
  bounds: { x: 0, y: 0, width: 400, height: 300 },
  stage: { x: 100, y: 0, width: 200, height: 40, label: "Stage" },
  ticketTypeIds: ["tA", "tB"],
  ids: { prefix: "s-", start: 0 },
  sections: [
    {
      name: "A", ticketType: 0, x: 50, y: 60, rotation: 0, curve: 0, first: 0,
      rows: [
        { label: "A", first: 1, count: 3, x: 26, y: 60, dx: 24, dy: 0 },
        { label: "B", first: 5, count: 2, cx: 100, cy: 100, r: 50, a: 0, da: Math.PI / 2, ticketType: 1 },
      ],
    },
    {
      name: "B", ticketType: 1, first: 5,
      rows: [
        { label: "A", numbers: [1, 2, 5], points: [200, 100, 224, 100, 296, 100], types: [0, 1, 0] },
        { label: "B", first: 1, count: 2, x: 200, y: 124, dx: 24, dy: 2 },
      ],
    },
  ],
};

