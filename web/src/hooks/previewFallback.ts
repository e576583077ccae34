// TEMPORARY: the seat layout the server makes, copied in TypeScript, for the event form's
// preview while the server has no POST /api/admin/seat-maps/preview (issue 17 adds it).
// Deleted once that endpoint is on main; do not grow it.

import type { Seat } from "../api";
import { rowLabel } from "../lib/admin";

/** As src/inventory/events.rs: seats on a 24-unit grid, sections 48 apart (room for a label). */
const SEAT_PITCH = 24;
const SECTION_GAP = 48;
/** The most seats the preview draws (the server allows 50,000; a browser tab draws this many fine). */
const PREVIEW_MAX_SEATS = 6000;

interface PreviewSection {
  name: string;
  rows: number;
  seatsPerRow: number;
  /** The ticket type the seats are (an id the preview's ticket types carry). */
  ticketTypeId: string;
}

/**
 * The seats the server would make of these sections, in its layout: sections one under
 * another, each centred on the widest, rows A, B, … and seats numbered from 1. Sections whose
 * size is not a whole number in the server's ranges (1-100 rows, 1-200 seats a row) are left
 * out; `null` when there are more than PREVIEW_MAX_SEATS seats.
 */
export function previewSeats(sections: PreviewSection[]): Seat[] | null {
  const ok = sections.filter((s) => isWhole(s.rows, 1, 100) && isWhole(s.seatsPerRow, 1, 200));
  if (ok.reduce((n, s) => n + s.rows * s.seatsPerRow, 0) > PREVIEW_MAX_SEATS) return null;
  const widest = Math.max(0, ...ok.map((s) => s.seatsPerRow));
  const seats: Seat[] = [];
  let top = SECTION_GAP;
  ok.forEach((s, k) => {
    const name = s.name.trim();
    const left = ((widest - s.seatsPerRow) / 2) * SEAT_PITCH + SEAT_PITCH;
    for (let r = 0; r < s.rows; r++) {
      const row = rowLabel(r);
      for (let n = 0; n < s.seatsPerRow; n++) {
        seats.push({
          id: `preview-${k}-${row}-${n + 1}`,
          section: name,
          row,
          number: n + 1,
          x: left + n * SEAT_PITCH,
          y: top + r * SEAT_PITCH,
          ticketTypeId: s.ticketTypeId,
          status: "available",
          version: 0,
        });
      }
    }
    top += s.rows * SEAT_PITCH + SECTION_GAP;
  });
  return seats;
}

function isWhole(v: number, min: number, max: number) {
  return Number.isInteger(v) && v >= min && v <= max;
}
