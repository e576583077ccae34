// The map's view (screen = world * scale + offset) and the spatial grid that finds the seat
// under a pointer without looking at 50,000 seats.

import { PITCH, type Box, type SeatGeometry } from "./geometry";

export interface View { scale: number; tx: number; ty: number }

/** The view that shows `box` whole in a w × h canvas, with a margin. */
export function fit(box: Box, w: number, h: number, margin = 12): View {
  const bw = Math.max(1, box.width), bh = Math.max(1, box.height);
  const scale = Math.max(1e-4, Math.min((w - 2 * margin) / bw, (h - 2 * margin) / bh));
  return { scale, tx: w / 2 - (box.x + bw / 2) * scale, ty: h / 2 - (box.y + bh / 2) * scale };
}

/** Zooms by `f` keeping the world point under (sx, sy) where it is. */
export function zoomAt(v: View, f: number, sx: number, sy: number, min: number, max: number): View {
  const scale = Math.min(max, Math.max(min, v.scale * f));
  const k = scale / v.scale;
  return { scale, tx: sx - (sx - v.tx) * k, ty: sy - (sy - v.ty) * k };
}

export function toWorld(v: View, sx: number, sy: number): [number, number] {
  return [(sx - v.tx) / v.scale, (sy - v.ty) / v.scale];
}

/** Seats are drawn one by one once a seat pitch is at least this many CSS pixels. */
export const SEATS_AT_PX = 7;
export const showsSeats = (v: View) => v.scale * PITCH >= SEATS_AT_PX;

/** A uniform grid over the map's bounds: cell -> positions. Built once per geometry. */
export class SeatGrid {
  private readonly cell: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly x0: number;
  private readonly y0: number;
  private readonly start: Uint32Array;
  private readonly items: Uint32Array;

  constructor(private readonly g: SeatGeometry, cell = PITCH * 2) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (let p = 0; p < g.count; p++) {
      minX = Math.min(minX, g.x[p]); maxX = Math.max(maxX, g.x[p]);
      minY = Math.min(minY, g.y[p]); maxY = Math.max(maxY, g.y[p]);
    }
    if (g.count === 0) minX = minY = maxX = maxY = 0;
    this.cell = cell;
    this.x0 = minX;
    this.y0 = minY;
    this.cols = Math.max(1, Math.floor((maxX - minX) / cell) + 1);
    this.rows = Math.max(1, Math.floor((maxY - minY) / cell) + 1);
    // Counting sort of positions by cell: two typed arrays, no per-cell objects.
    const cells = this.cols * this.rows;
    const counts = new Uint32Array(cells + 1);
    const cellOf = new Uint32Array(g.count);
    for (let p = 0; p < g.count; p++) {
      const c = this.cellAt(g.x[p], g.y[p]);
      cellOf[p] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.start = counts;
    this.items = new Uint32Array(g.count);
    const fill = counts.slice(0, cells);
    for (let p = 0; p < g.count; p++) this.items[fill[cellOf[p]]++] = p;
  }

  private cellAt(x: number, y: number) {
    const c = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.x0) / this.cell)));
    const r = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.y0) / this.cell)));
    return r * this.cols + c;
  }

  /** The seat nearest (x, y) within `radius` map units, or -1. */
  nearest(x: number, y: number, radius: number): number {
    let best = -1, bestD = radius * radius;
    this.forEachIn(x - radius, y - radius, x + radius, y + radius, (p) => {
      const d = (this.g.x[p] - x) ** 2 + (this.g.y[p] - y) ** 2;
      if (d <= bestD) { bestD = d; best = p; }
    });
    return best;
  }

  /** Calls f for every seat whose cell meets the rectangle (a superset of the seats inside it). */
  forEachIn(x0: number, y0: number, x1: number, y1: number, f: (p: number) => void) {
    const c0 = Math.max(0, Math.floor((x0 - this.x0) / this.cell));
    const c1 = Math.min(this.cols - 1, Math.floor((x1 - this.x0) / this.cell));
    const r0 = Math.max(0, Math.floor((y0 - this.y0) / this.cell));
    const r1 = Math.min(this.rows - 1, Math.floor((y1 - this.y0) / this.cell));
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let i = this.start[cell]; i < this.start[cell + 1]; i++) f(this.items[i]);
      }
    }
  }

  /** Seats inside the rectangle, up to `limit` (then null: too many). */
  within(x0: number, y0: number, x1: number, y1: number, limit: number): number[] | null {
    const out: number[] = [];
    let over = false;
    this.forEachIn(x0, y0, x1, y1, (p) => {
      if (over) return;
      const x = this.g.x[p], y = this.g.y[p];
      if (x < x0 || x > x1 || y < y0 || y > y1) return;
      if (out.length >= limit) over = true;
      else out.push(p);
    });
    return over ? null : out.sort((a, b) => a - b);
  }
}

/** The seat to move to from p with an arrow key: left/right along positions, up/down to the
 *  nearest seat of the row in front or behind (in position order of rows). -1 when none. */
export function step(g: SeatGeometry, p: number, key: string): number {
  if (key === "ArrowRight") return p + 1 < g.count ? p + 1 : -1;
  if (key === "ArrowLeft") return p > 0 ? p - 1 : -1;
  if (key !== "ArrowUp" && key !== "ArrowDown") return -1;
  const r = g.rowOf[p] + (key === "ArrowDown" ? 1 : -1);
  const row = g.rows[r];
  if (!row) return -1;
  let best = -1, bestD = Infinity;
  for (let q = row.first; q < row.first + row.count; q++) {
    const d = (g.x[q] - g.x[p]) ** 2 + (g.y[q] - g.y[p]) ** 2;
    if (d < bestD) { bestD = d; best = q; }
  }
  return best;
}
