// A seat map's geometry, decoded once into flat typed arrays.
//
// The server sends the geometry compactly (GET /api/events/:id/seatmap, docs/PROTOCOL-ADDITIONS.md):
// rows as a start and a step, or an arc, and seat ids as a prefix plus the seat's position. At
// 50,000 seats an object per seat would cost tens of MiB of heap; here a seat is its position p,
// and everything about it sits at index p of a few typed arrays. Ids are made only when asked for.

import type { Seat } from "../../api";

export interface Box { x: number; y: number; width: number; height: number }
export interface Stage extends Box { label?: string }

/** What the server sends (the agreed wire shape). */
export interface WireRow {
  label: string;
  first?: number;
  count?: number;
  x?: number; y?: number; dx?: number; dy?: number;
  cx?: number; cy?: number; r?: number; a?: number; da?: number;
  numbers?: number[];
  points?: number[];
  ticketType?: number;
  types?: number[];
}
export interface WireSection {
  name: string;
  ticketType: number;
  x?: number; y?: number; rotation?: number; curve?: number;
  first: number;
  rows: WireRow[];
}
export interface WireGeometry {
  eventId: string | null;
  seatCount: number;
  bounds: Box;
  stage: Stage | null;
  ticketTypeIds: string[];
  ids: { prefix: string; start: number } | { list: string[] };
  sections: WireSection[];
}

export interface RowInfo {
  label: string;
  section: number;
  /** Position of the row's first seat; the row's seats are first .. first + count - 1. */
  first: number;
  count: number;
}

export interface SectionInfo {
  name: string;
  first: number;
  count: number;
  /** Indexes into `rows` of this section's rows, front to back. */
  rows: number[];
  /** Convex outline of the section's seats (x0, y0, x1, y1, …), padded by a seat. */
  hull: number[];
  /** Where its name goes: just in front of its front row. */
  labelX: number;
  labelY: number;
  /** Centre of its seats. */
  cx: number;
  cy: number;
  minX: number; minY: number; maxX: number; maxY: number;
}

/** Seat at position p: x[p], y[p], number[p], rowOf[p] (index into rows), sectionOf[p], typeOf[p]. */
export interface SeatGeometry {
  eventId: string | null;
  count: number;
  bounds: Box;
  stage: Stage | null;
  ticketTypeIds: string[];
  x: Float32Array;
  y: Float32Array;
  number: Int32Array;
  rowOf: Uint32Array;
  sectionOf: Uint16Array;
  /** Index into ticketTypeIds, or NO_TYPE. */
  typeOf: Uint16Array;
  rows: RowInfo[];
  sections: SectionInfo[];
  idOf(p: number): string;
  /** The position of a seat id, or -1 when the id is not one of this map's seats. */
  positionOf(id: string): number;
}

export const NO_TYPE = 0xffff;
/** One seat pitch in map units (the server's layout). */
export const PITCH = 24;
/** Bounds on what a client will decode: a hostile or broken answer must not take the tab down. */
export const MAX_SEATS = 200_000;

export class GeometryError extends Error {}

/** Decodes the wire geometry. Throws GeometryError when it does not add up. */
export function decodeGeometry(g: WireGeometry): SeatGeometry {
  const n = g.seatCount;
  if (!Number.isInteger(n) || n < 0 || n > MAX_SEATS) throw new GeometryError(`bad seatCount ${n}`);
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const number = new Int32Array(n);
  const rowOf = new Uint32Array(n);
  const sectionOf = new Uint16Array(n);
  const typeOf = new Uint16Array(n).fill(NO_TYPE);
  const rows: RowInfo[] = [];
  const sections: SectionInfo[] = [];
  const seen = new Uint8Array(n);
  g.sections.forEach((s, si) => {
    let p = s.first;
    const rowIdx: number[] = [];
    for (const r of s.rows) {
      const count = r.numbers ? r.numbers.length : r.count ?? 0;
      if (!Number.isInteger(count) || count < 0 || p < 0 || p + count > n) throw new GeometryError(`row ${s.name} ${r.label} out of range`);
      const ri = rows.length;
      rows.push({ label: r.label, section: si, first: p, count });
      rowIdx.push(ri);
      const rowType = r.ticketType ?? s.ticketType;
      for (let k = 0; k < count; k++, p++) {
        if (seen[p]) throw new GeometryError(`position ${p} twice`);
        seen[p] = 1;
        if (r.numbers) {
          number[p] = r.numbers[k];
          x[p] = r.points?.[2 * k] ?? 0;
          y[p] = r.points?.[2 * k + 1] ?? 0;
        } else if (r.r !== undefined) {
          const a = (r.a ?? 0) + k * (r.da ?? 0);
          number[p] = (r.first ?? 1) + k;
          x[p] = (r.cx ?? 0) + r.r * Math.cos(a);
          y[p] = (r.cy ?? 0) + r.r * Math.sin(a);
        } else {
          number[p] = (r.first ?? 1) + k;
          x[p] = (r.x ?? 0) + k * (r.dx ?? 0);
          y[p] = (r.y ?? 0) + k * (r.dy ?? 0);
        }
        rowOf[p] = ri;
        sectionOf[p] = si;
        const t = r.types ? r.types[k] : rowType;
        typeOf[p] = t != null && Number.isInteger(t) && t >= 0 && t < NO_TYPE ? t : NO_TYPE;
      }
    }
    sections.push({ name: s.name, first: s.first, count: p - s.first, rows: rowIdx, hull: [], labelX: 0, labelY: 0, cx: 0, cy: 0, minX: 0, minY: 0, maxX: 0, maxY: 0 });
  });
  for (let p = 0; p < n; p++) if (!seen[p]) throw new GeometryError(`position ${p} missing`);

  let idOf: (p: number) => string;
  let positionOf: (id: string) => number;
  if ("list" in g.ids) {
    const list = g.ids.list;
    if (list.length !== n) throw new GeometryError("ids list length");
    let index: Map<string, number> | null = null;
    idOf = (p) => list[p];
    positionOf = (id) => {
      index ??= new Map(list.map((v, i) => [v, i]));
      return index.get(id) ?? -1;
    };
  } else {
    const { prefix, start } = g.ids;
    idOf = (p) => prefix + (start + p);
    positionOf = (id) => {
      if (!id.startsWith(prefix)) return -1;
      const rest = id.slice(prefix.length);
      if (!/^(0|[1-9][0-9]*)$/.test(rest)) return -1;
      const p = Number(rest) - start;
      return p >= 0 && p < n ? p : -1;
    };
  }
  const geo: SeatGeometry = {
    eventId: g.eventId, count: n, bounds: g.bounds, stage: g.stage, ticketTypeIds: g.ticketTypeIds,
    x, y, number, rowOf, sectionOf, typeOf, rows, sections, idOf, positionOf,
  };
  for (const s of sections) outline(geo, s);
  return geo;
}

/** Geometry from v1 seats (`GET /api/events/:id/seats`), for a server without the compact form:
 *  positions in (y, x) order, each (section, row) an irregular row, ids listed. */
export function geometryFromSeats(eventId: string | null, seats: readonly Pick<Seat, "id" | "section" | "row" | "number" | "x" | "y" | "ticketTypeId">[]): SeatGeometry {
  const sorted = [...seats].sort((a, b) => a.y - b.y || a.x - b.x);
  const typeIds: string[] = [];
  const typeIndex = new Map<string, number>();
  const sections: WireSection[] = [];
  const bySection = new Map<string, WireSection>();
  const byRow = new Map<string, WireRow>();
  // Rows keep their seats together even when sections interleave in y: group first.
  const groups = new Map<string, Map<string, typeof sorted>>();
  for (const s of sorted) {
    let sec = groups.get(s.section);
    if (!sec) groups.set(s.section, (sec = new Map()));
    let row = sec.get(s.row);
    if (!row) sec.set(s.row, (row = []));
    row.push(s);
  }
  const ids: string[] = [];
  for (const [name, rowsOf] of groups) {
    const section: WireSection = { name, ticketType: 0, first: ids.length, rows: [] };
    sections.push(section);
    bySection.set(name, section);
    for (const [label, list] of rowsOf) {
      const row: WireRow = { label, numbers: [], points: [], types: [] };
      byRow.set(`${name}\u0000${label}`, row);
      for (const s of list) {
        let t = typeIndex.get(s.ticketTypeId);
        if (t === undefined) {
          t = typeIds.length;
          typeIds.push(s.ticketTypeId);
          typeIndex.set(s.ticketTypeId, t);
        }
        row.numbers!.push(s.number);
        row.points!.push(s.x, s.y);
        row.types!.push(t);
        ids.push(s.id);
      }
      section.rows.push(row);
    }
  }
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const s of seats) {
    minX = Math.min(minX, s.x); minY = Math.min(minY, s.y);
    maxX = Math.max(maxX, s.x); maxY = Math.max(maxY, s.y);
  }
  const bounds = seats.length ? { x: minX - PITCH, y: minY - PITCH, width: maxX - minX + 2 * PITCH, height: maxY - minY + 2 * PITCH } : { x: 0, y: 0, width: 100, height: 100 };
  return decodeGeometry({ eventId, seatCount: ids.length, bounds, stage: null, ticketTypeIds: typeIds, ids: { list: ids }, sections });
}

/** Fills a section's outline, centre and label point from its seats. */
function outline(g: SeatGeometry, s: SectionInfo) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, sx = 0, sy = 0;
  const pts: [number, number][] = [];
  for (let p = s.first; p < s.first + s.count; p++) {
    const px = g.x[p], py = g.y[p];
    minX = Math.min(minX, px); minY = Math.min(minY, py); maxX = Math.max(maxX, px); maxY = Math.max(maxY, py);
    sx += px; sy += py;
    pts.push([px, py]);
  }
  if (s.count === 0) return;
  s.cx = sx / s.count;
  s.cy = sy / s.count;
  Object.assign(s, { minX, minY, maxX, maxY });
  const hull = convexHull(pts);
  const pad = PITCH * 0.9;
  s.hull = [];
  if (hull.length < 3) {
    // A single row (or seat): a padded box around it.
    s.hull = [minX - pad, minY - pad, maxX + pad, minY - pad, maxX + pad, maxY + pad, minX - pad, maxY + pad];
  } else {
    for (const [hx, hy] of hull) {
      const dx = hx - s.cx, dy = hy - s.cy;
      const d = Math.hypot(dx, dy) || 1;
      s.hull.push(hx + (dx / d) * pad, hy + (dy / d) * pad);
    }
  }
  // The label sits in front of the front row, on the side away from the second row.
  // The middle seat of a row (not the middle of its ends: a curved row bows away from that).
  const middle = (r: RowInfo): [number, number] => {
    if (r.count === 0) return [s.cx, s.cy];
    const a = r.first + Math.floor((r.count - 1) / 2), b = r.first + Math.ceil((r.count - 1) / 2);
    return [(g.x[a] + g.x[b]) / 2, (g.y[a] + g.y[b]) / 2];
  };
  const [fx, fy] = middle(g.rows[s.rows[0]]);
  let nx = 0, ny = -1;
  if (s.rows.length > 1) {
    const [bx, by] = middle(g.rows[s.rows[1]]);
    const d = Math.hypot(fx - bx, fy - by);
    if (d > 0) { nx = (fx - bx) / d; ny = (fy - by) / d; }
  }
  // Beyond every seat of the front row (a curved row's ends reach further forward than its middle).
  const front = g.rows[s.rows[0]];
  let reach = 0;
  for (let p = front.first; p < front.first + front.count; p++) reach = Math.max(reach, (g.x[p] - fx) * nx + (g.y[p] - fy) * ny);
  s.labelX = fx + nx * (reach + PITCH * 1.2);
  s.labelY = fy + ny * (reach + PITCH * 1.2);
}

/** Andrew's monotone chain; points in any order, hull counter-clockwise without repeats. */
export function convexHull(points: [number, number][]): [number, number][] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: number[], a: number[], b: number[]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: [number, number][] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  upper.pop();
  lower.pop();
  return lower.concat(upper);
}

/** What the page needs of one seat (the v1 Seat's fields, without status). */
export interface SeatInfo {
  id: string;
  section: string;
  row: string;
  number: number;
  ticketTypeId: string;
  x: number;
  y: number;
}

export function seatInfo(g: SeatGeometry, p: number): SeatInfo {
  const row = g.rows[g.rowOf[p]];
  const t = g.typeOf[p];
  return {
    id: g.idOf(p),
    section: g.sections[row.section].name,
    row: row.label,
    number: g.number[p],
    ticketTypeId: t === NO_TYPE ? "" : g.ticketTypeIds[t] ?? "",
    x: g.x[p],
    y: g.y[p],
  };
}
