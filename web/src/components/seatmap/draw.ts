// Canvas drawing of the seat map: the stage, sections as outlines coloured by availability,
// and (zoomed in) every visible seat in today's shapes and colours. Shapes differ per state
// as well as colours: available = ring, selected = filled circle with a tick, mine = square
// with a dot, held by others = orange striped diamond, sold = grey square with a cross.

import { PITCH, type SeatGeometry } from "./geometry";
import { AVAILABLE, HELD, SOLD, type SeatStatusStore } from "./status";
import type { SeatLook } from "./labels";
import { showsSeats, type SeatGrid, type View } from "./view";

export const R = 9;

export interface Marks {
  selected: ReadonlySet<number>;
  mine: ReadonlySet<number>;
  found: ReadonlySet<number>;
}

export function lookAt(store: SeatStatusStore | null, p: number, m: Marks): SeatLook {
  const s = store ? store.status[p] : AVAILABLE;
  if (s === SOLD) return "sold";
  if (s === HELD) return m.mine.has(p) ? "mine" : "held";
  return m.selected.has(p) ? "selected" : "available";
}

export const COLOURS = {
  page: "#ffffff",
  sectionFill: "#f1f5f9",
  sectionLine: "#94a3b8",
  stage: "#1d2b53",
  stageText: "#ffffff",
  available: ["#ffffff", "#15803d"],
  selected: ["#1d4ed8", "#1e3a8a"],
  mine: ["#7c3aed", "#4c1d95"],
  held: ["#f59e0b", "#92400e"],
  sold: ["#4b5563", "#1f2937"],
  found: "#16a34a",
} as const;

/** Section colour in the overview: from grey (nothing left) to green (all available). */
export function availabilityColour(available: number, total: number): string {
  const f = total > 0 ? available / total : 0;
  // #e5e7eb -> #4ade80, darker as it fills so 3:1 against the white page holds for the outline.
  const mix = (a: number, b: number) => Math.round(a + (b - a) * f);
  return `rgb(${mix(0xe5, 0x4a)}, ${mix(0xe7, 0xde)}, ${mix(0xeb, 0x80)})`;
}

let stripes: CanvasPattern | null | undefined;
function heldFill(ctx: CanvasRenderingContext2D): string | CanvasPattern {
  if (stripes === undefined) {
    stripes = null;
    if (typeof document !== "undefined") {
      const c = document.createElement("canvas");
      c.width = c.height = 6;
      const g = c.getContext("2d");
      if (g) {
        g.fillStyle = COLOURS.held[0];
        g.fillRect(0, 0, 6, 6);
        g.strokeStyle = COLOURS.held[1];
        g.lineWidth = 1.5;
        g.beginPath();
        g.moveTo(0, 6); g.lineTo(6, 0);
        g.moveTo(-1, 1); g.lineTo(1, -1);
        g.moveTo(5, 7); g.lineTo(7, 5);
        g.stroke();
        stripes = ctx.createPattern(c, "repeat");
      }
    }
  }
  return stripes ?? COLOURS.held[0];
}

/** One seat at screen (sx, sy) with radius r (CSS pixels). */
export function drawSeat(ctx: CanvasRenderingContext2D, look: SeatLook, sx: number, sy: number, r: number, found: boolean) {
  const detail = r >= 4.5;
  ctx.lineWidth = Math.max(1, r / 4.5);
  ctx.beginPath();
  switch (look) {
    case "available":
      ctx.arc(sx, sy, r, 0, Math.PI * 2);
      ctx.fillStyle = COLOURS.available[0];
      ctx.strokeStyle = COLOURS.available[1];
      ctx.fill();
      ctx.stroke();
      break;
    case "selected":
      ctx.arc(sx, sy, r, 0, Math.PI * 2);
      ctx.fillStyle = COLOURS.selected[0];
      ctx.strokeStyle = COLOURS.selected[1];
      ctx.fill();
      ctx.stroke();
      if (detail) {
        ctx.beginPath();
        ctx.moveTo(sx - r * 0.45, sy);
        ctx.lineTo(sx - r * 0.12, sy + r * 0.33);
        ctx.lineTo(sx + r * 0.45, sy - r * 0.33);
        ctx.strokeStyle = "#ffffff";
        ctx.stroke();
      }
      break;
    case "mine":
      ctx.roundRect(sx - r, sy - r, 2 * r, 2 * r, r / 3);
      ctx.fillStyle = COLOURS.mine[0];
      ctx.strokeStyle = COLOURS.mine[1];
      ctx.fill();
      ctx.stroke();
      if (detail) {
        ctx.beginPath();
        ctx.arc(sx, sy, r / 3, 0, Math.PI * 2);
        ctx.fillStyle = "#ffffff";
        ctx.fill();
      }
      break;
    case "held":
      ctx.moveTo(sx, sy - r - 1);
      ctx.lineTo(sx + r + 1, sy);
      ctx.lineTo(sx, sy + r + 1);
      ctx.lineTo(sx - r - 1, sy);
      ctx.closePath();
      ctx.fillStyle = detail ? heldFill(ctx) : COLOURS.held[0];
      ctx.strokeStyle = COLOURS.held[1];
      ctx.fill();
      ctx.stroke();
      break;
    case "sold":
      ctx.rect(sx - r, sy - r, 2 * r, 2 * r);
      ctx.fillStyle = COLOURS.sold[0];
      ctx.strokeStyle = COLOURS.sold[1];
      ctx.fill();
      ctx.stroke();
      if (detail) {
        ctx.beginPath();
        const k = r * 0.55;
        ctx.moveTo(sx - k, sy - k); ctx.lineTo(sx + k, sy + k);
        ctx.moveTo(sx + k, sy - k); ctx.lineTo(sx - k, sy + k);
        ctx.strokeStyle = "#ffffff";
        ctx.stroke();
      }
      break;
  }
  if (found) {
    ctx.beginPath();
    ctx.arc(sx, sy, r + 5, 0, Math.PI * 2);
    ctx.strokeStyle = COLOURS.found;
    ctx.lineWidth = 3;
    ctx.stroke();
  }
}

export interface Scene {
  ctx: CanvasRenderingContext2D;
  g: SeatGeometry;
  grid: SeatGrid;
  store: SeatStatusStore | null;
  view: View;
  width: number;
  height: number;
  marks: Marks;
  /** The stage's name when the geometry gives none. */
  stageWord: string;
}

function background(s: Scene, seats: boolean, onlySection?: number) {
  const { ctx, g, view, store } = s;
  const { scale, tx, ty } = view;
  if (g.stage && onlySection === undefined) {
    const st = g.stage;
    ctx.fillStyle = COLOURS.stage;
    ctx.beginPath();
    ctx.roundRect(st.x * scale + tx, st.y * scale + ty, st.width * scale, st.height * scale, Math.min(12, st.height * scale / 4));
    ctx.fill();
    const size = Math.max(10, Math.min(28, st.height * scale * 0.35));
    ctx.font = `700 ${size}px system-ui, sans-serif`;
    ctx.fillStyle = COLOURS.stageText;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    // The automatic layout's stage is labelled "Stage" by the server: the reader's word for it then.
    const label = st.label && st.label !== "Stage" ? st.label : s.stageWord;
    ctx.fillText(label, (st.x + st.width / 2) * scale + tx, (st.y + st.height / 2) * scale + ty);
  }
  g.sections.forEach((sec, i) => {
    if (onlySection !== undefined && i !== onlySection) return;
    if (sec.hull.length < 6) return;
    ctx.beginPath();
    ctx.moveTo(sec.hull[0] * scale + tx, sec.hull[1] * scale + ty);
    for (let k = 2; k < sec.hull.length; k += 2) ctx.lineTo(sec.hull[k] * scale + tx, sec.hull[k + 1] * scale + ty);
    ctx.closePath();
    ctx.fillStyle = seats ? COLOURS.sectionFill : availabilityColour(store ? store.availableIn[i] : sec.count, sec.count);
    ctx.fill();
    ctx.strokeStyle = seats ? COLOURS.sectionLine : "#15803d";
    ctx.lineWidth = seats ? 1 : 1.5;
    ctx.stroke();
  });
}

/** The whole map. Returns how many seats were drawn. */
export function drawAll(s: Scene): number {
  const { ctx, g, view, width, height } = s;
  ctx.fillStyle = COLOURS.page;
  ctx.fillRect(0, 0, width, height);
  const seats = showsSeats(view);
  background(s, seats);
  if (!seats) return 0;
  const [x0, y0] = [(-view.tx) / view.scale - PITCH, (-view.ty) / view.scale - PITCH];
  const [x1, y1] = [(width - view.tx) / view.scale + PITCH, (height - view.ty) / view.scale + PITCH];
  let n = 0;
  const r = R * view.scale;
  s.grid.forEachIn(x0, y0, x1, y1, (p) => {
    drawSeat(ctx, lookAt(s.store, p, s.marks), g.x[p] * view.scale + view.tx, g.y[p] * view.scale + view.ty, r, s.marks.found.has(p));
    n++;
  });
  return n;
}

/** Only the seats that changed: each one's patch of canvas is cleared and repainted (the
 *  section under it and every seat reaching into it). In the overview, the changed seats'
 *  sections are recoloured. */
export function drawChanged(s: Scene, changed: readonly number[]) {
  const { ctx, g, view } = s;
  if (!showsSeats(view)) {
    const secs = new Set(changed.map((p) => g.sectionOf[p]));
    for (const i of secs) background(s, false, i);
    return;
  }
  const r = R * view.scale;
  const pad = r + 6;
  for (const p of changed) {
    const sx = g.x[p] * view.scale + view.tx;
    const sy = g.y[p] * view.scale + view.ty;
    if (sx < -pad || sy < -pad || sx > s.width + pad || sy > s.height + pad) continue;
    ctx.save();
    ctx.beginPath();
    ctx.rect(sx - pad, sy - pad, 2 * pad, 2 * pad);
    ctx.clip();
    ctx.fillStyle = COLOURS.page;
    ctx.fillRect(sx - pad, sy - pad, 2 * pad, 2 * pad);
    background(s, true, g.sectionOf[p]);
    const w = pad / view.scale + PITCH;
    s.grid.forEachIn(g.x[p] - w, g.y[p] - w, g.x[p] + w, g.y[p] + w, (q) => {
      drawSeat(ctx, lookAt(s.store, q, s.marks), g.x[q] * view.scale + view.tx, g.y[q] * view.scale + view.ty, r, s.marks.found.has(q));
    });
    ctx.restore();
  }
}
