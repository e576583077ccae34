// The seat map: one canvas, whatever the venue's size. Far out it shows the venue (stage and
// sections coloured by how much is left); zoomed in (wheel, pinch, drag, the buttons, + and −,
// or choosing a section) it shows every seat in today's shapes and colours. Pushes repaint
// only the seats that changed.
//
// What assistive technology and the keyboard use is a thin DOM layer over the canvas, never
// one element per seat of the venue: a button per section (choose one to see its seats), and
// seat buttons only for the seats in view when few enough are, plus the seat with the keyboard
// cursor. Arrow keys move seat by seat (the view follows), Enter or Space selects, and each
// seat says what it is ("Section B, row 3, seat 12, available").

import { useCallback, useEffect, useId, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent } from "react";
import { drawAll, drawChanged, lookAt, R, type Marks } from "./seatmap/draw";
import { PITCH, seatInfo, type SeatGeometry, type SectionInfo } from "./seatmap/geometry";
import { useTranslation } from "react-i18next";
import { L, type SeatLook } from "./seatmap/labels";
import type { SeatStatusStore } from "./seatmap/status";
import { fit, SeatGrid, showsSeats, step, toWorld, zoomAt, type View } from "./seatmap/view";

export type { SeatLook } from "./seatmap/labels";

interface Props {
  geometry: SeatGeometry | null;
  store: SeatStatusStore | null;
  /** store.changes when the page rendered: a new value repaints what changed. */
  changes: number;
  selected: ReadonlySet<string>;
  mine: ReadonlySet<string>;
  onToggle: (seatId: string) => void;
  /** A map to look at, not to pick from (the operator's dashboard, the event form's preview):
   *  seats are images with their status in words, not buttons. */
  readOnly?: boolean;
  /** What the map is, for assistive technology (read-only maps). */
  label?: string;
  /** The states the legend explains (default: every state the map can show). */
  legend?: SeatLook[];
  /** Seats "Best available" just found: ringed for a moment. */
  found?: ReadonlySet<string>;
}

/** At most this many seat elements are put in the DOM for the seats in view. */
export const DOM_SEATS = 400;
/** The least a seat pitch measures once a section is chosen, in CSS pixels. */
const SECTION_PITCH_PX = 11;
/** The most a seat pitch may measure on screen, in CSS pixels. */
const MAX_PITCH_PX = 72;

const NONE: ReadonlySet<string> = new Set();

function positions(g: SeatGeometry | null, ids: ReadonlySet<string>): ReadonlySet<number> {
  const out = new Set<number>();
  if (g) for (const id of ids) {
    const p = g.positionOf(id);
    if (p >= 0) out.add(p);
  }
  return out;
}

function sectionBox(s: SectionInfo) {
  const pad = PITCH;
  return { x: s.minX - pad, y: s.minY - pad, width: s.maxX - s.minX + 2 * pad, height: s.maxY - s.minY + 2 * pad };
}

function inHull(hull: number[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = hull.length - 2; i < hull.length; j = i, i += 2) {
    const xi = hull[i], yi = hull[i + 1], xj = hull[j], yj = hull[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function SeatMap({ geometry: g, store, changes, selected, mine, onToggle, readOnly = false, label, legend, found = NONE }: Props) {
  // Re-render (labels, legend) when the reader switches language.
  useTranslation();
  const helpId = useId();
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);
  const [view, setView] = useState<View | null>(null);
  const [cursor, setCursor] = useState(-1);
  const focusCursor = useRef(false);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const touches = useRef(new Map<number, { x: number; y: number }>());
  const pinch = useRef<number | null>(null);

  const grid = useMemo(() => (g ? new SeatGrid(g) : null), [g]);
  const marks: Marks = useMemo(
    () => ({ selected: positions(g, selected), mine: positions(g, mine), found: positions(g, found) }),
    [g, selected, mine, found],
  );

  // The canvas follows its box's size.
  useLayoutEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const measure = () => setSize((old) => {
      const w = Math.round(el.clientWidth), h = Math.round(el.clientHeight);
      return old && old.w === w && old.h === h ? old : { w, h };
    });
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const home = useMemo(() => (g && size ? fit(g.bounds, size.w, size.h) : null), [g, size]);
  // A new map starts whole; a new size (a scrollbar came, the phone turned) keeps what is in view.
  const shown = useRef<{ g: SeatGeometry | null; size: { w: number; h: number } | null }>({ g: null, size: null });
  useEffect(() => {
    const before = shown.current;
    shown.current = { g, size };
    if (!home || !size) return;
    if (before.g !== g || !before.size) setView(home);
    else if (before.size !== size) {
      const dx = (size.w - before.size.w) / 2, dy = (size.h - before.size.h) / 2;
      setView((v) => (v ? { ...v, tx: v.tx + dx, ty: v.ty + dy } : home));
    }
  }, [home, g, size]);
  const minScale = home ? home.scale * 0.5 : 0;
  const maxScale = Math.max(minScale, MAX_PITCH_PX / PITCH);

  // Painting: everything when the view or the marks change, else only what the store says changed.
  const painted = useRef<{ view: View | null; marks: Marks | null; size: typeof size; g: SeatGeometry | null }>({ view: null, marks: null, size: null, g: null });
  const firstPaint = useRef(false);
  useLayoutEffect(() => {
    const c = canvas.current;
    if (!c || !g || !grid || !view || !size) return;
    const dpr = window.devicePixelRatio || 1;
    const ctx = c.getContext("2d");
    if (!ctx) return;
    const last = painted.current;
    const scene = { ctx, g, grid, store, view, width: size.w, height: size.h, marks, stageWord: L.stage() };
    const dirty = store ? store.takeDirty() : "all";
    if (last.view !== view || last.marks !== marks || last.size !== size || last.g !== g || dirty === "all") {
      if (c.width !== Math.round(size.w * dpr) || c.height !== Math.round(size.h * dpr)) {
        c.width = Math.round(size.w * dpr);
        c.height = Math.round(size.h * dpr);
      }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawAll(scene);
      painted.current = { view, marks, size, g };
    } else if (dirty.length) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      drawChanged(scene, dirty);
    }
    if (!firstPaint.current && g.count > 0 && (store || readOnly)) {
      firstPaint.current = true;
      performance.mark("seatmap-drawn");
      c.dataset.drawn = "true";
    }
  }, [g, grid, store, changes, view, size, marks, readOnly]);

  const zoomBy = useCallback((f: number, sx?: number, sy?: number) => {
    setView((v) => (v && size ? zoomAt(v, f, sx ?? size.w / 2, sy ?? size.h / 2, minScale, maxScale) : v));
  }, [size, minScale, maxScale]);
  const panBy = (dx: number, dy: number) => setView((v) => (v ? { ...v, tx: v.tx + dx, ty: v.ty + dy } : v));

  // The wheel zooms the map, not the page: a non-passive listener.
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const r = el.getBoundingClientRect();
      zoomBy(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [zoomBy]);

  /** The section whole when its seats can be told apart so, else closer, around seat `p`. */
  const zoomToSection = (i: number, p = -1) => {
    if (!g || !size) return;
    const s = g.sections[i];
    const v = fit(sectionBox(s), size.w, size.h, 16);
    const least = SECTION_PITCH_PX / PITCH;
    if (v.scale >= least) return setView({ ...v, scale: Math.min(v.scale, maxScale) });
    const [cx, cy] = p >= 0 ? [g.x[p], g.y[p] + (s.cy - g.y[p]) / 4] : [s.cx, s.cy];
    setView({ scale: least, tx: size.w / 2 - cx * least, ty: size.h / 2 - cy * least });
  };

  /** Moves the keyboard cursor to p and brings it into view (zoomed in enough to see seats). */
  const goTo = (p: number, focus: boolean) => {
    if (!g || !size || p < 0) return;
    setCursor(p);
    focusCursor.current = focus;
    setView((v) => {
      if (!v) return v;
      let nv = v;
      if (!showsSeats(nv)) {
        const s = g.sections[g.sectionOf[p]];
        const f = fit(sectionBox(s), size.w, size.h, 16);
        nv = { ...f, scale: Math.min(f.scale, maxScale) };
        if (!showsSeats(nv)) nv = zoomAt(nv, (14 / PITCH) / nv.scale, size.w / 2, size.h / 2, minScale, maxScale);
      }
      const sx = g.x[p] * nv.scale + nv.tx, sy = g.y[p] * nv.scale + nv.ty;
      const m = PITCH * nv.scale * 1.5;
      if (sx < m || sy < m || sx > size.w - m || sy > size.h - m) nv = { ...nv, tx: nv.tx + size.w / 2 - sx, ty: nv.ty + size.h / 2 - sy };
      return nv;
    });
  };

  const chooseSection = (i: number, byKeyboard: boolean) => {
    if (!g) return;
    const s = g.sections[i];
    let p = s.first;
    if (store) for (let q = s.first; q < s.first + s.count; q++) if (store.status[q] === 0) { p = q; break; }
    zoomToSection(i, p);
    if (!readOnly) {
      setCursor(p);
      focusCursor.current = byKeyboard;
    }
  };

  // Focus follows the cursor once its button is in the DOM.
  useEffect(() => {
    if (!focusCursor.current || cursor < 0) return;
    focusCursor.current = false;
    wrap.current?.querySelector<HTMLElement>(`[data-pos="${cursor}"]`)?.focus({ preventScroll: true });
  });

  const onSeatKey = (e: KeyboardEvent, p: number) => {
    if (!g) return;
    if (e.key.startsWith("Arrow")) {
      e.preventDefault();
      e.stopPropagation();
      const q = step(g, p, e.key);
      if (q >= 0) goTo(q, true);
    } else if (e.key === "Escape" && g.sections.length > 1) {
      // Back to the venue, on the section's button.
      e.preventDefault();
      const name = g.sections[g.sectionOf[p]].name;
      setView(home);
      setTimeout(() => wrap.current?.querySelector<HTMLElement>(`[data-section="${CSS.escape(name)}"]`)?.focus({ preventScroll: true }));
    }
  };

  const onMapKey = (e: KeyboardEvent) => {
    if (e.target !== e.currentTarget) return;
    const d = 60;
    if (e.key === "+" || e.key === "=") zoomBy(1.25);
    else if (e.key === "-" || e.key === "−") zoomBy(0.8);
    else if (e.key === "ArrowLeft") panBy(d, 0);
    else if (e.key === "ArrowRight") panBy(-d, 0);
    else if (e.key === "ArrowUp") panBy(0, d);
    else if (e.key === "ArrowDown") panBy(0, -d);
    else if (e.key === "0") setView(home);
    else return;
    e.preventDefault();
  };

  const spread = () => {
    const [a, b] = [...touches.current.values()];
    return a && b ? Math.hypot(a.x - b.x, a.y - b.y) : null;
  };
  const onPointerDown = (e: PointerEvent) => {
    touches.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    pinch.current = spread();
    drag.current = { x: e.clientX, y: e.clientY, moved: false };
  };
  const onPointerEnd = (e: PointerEvent) => {
    touches.current.delete(e.pointerId);
    pinch.current = null;
    setTimeout(() => (drag.current = null));
  };
  const onPointerMove = (e: PointerEvent) => {
    if (touches.current.has(e.pointerId)) touches.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (touches.current.size === 2) {
      const now = spread();
      const pts = [...touches.current.values()];
      const r = wrap.current!.getBoundingClientRect();
      if (now && pinch.current) zoomBy(now / pinch.current, (pts[0].x + pts[1].x) / 2 - r.left, (pts[0].y + pts[1].y) / 2 - r.top);
      pinch.current = now;
      if (drag.current) drag.current.moved = true;
      return;
    }
    const d = drag.current;
    if (!d || e.buttons === 0) return;
    const dx = e.clientX - d.x, dy = e.clientY - d.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) d.moved = true;
    if (d.moved) {
      panBy(dx, dy);
      d.x = e.clientX;
      d.y = e.clientY;
    }
  };

  /** A click on the canvas itself: the seat under it (found through the grid), or the section. */
  const onCanvasClick = (e: MouseEvent) => {
    if (!g || !grid || !view || drag.current?.moved) return;
    const r = canvas.current!.getBoundingClientRect();
    const [wx, wy] = toWorld(view, e.clientX - r.left, e.clientY - r.top);
    if (showsSeats(view)) {
      const p = grid.nearest(wx, wy, PITCH * 0.6);
      if (p >= 0 && !readOnly) {
        setCursor(p);
        onToggle(g.idOf(p));
        return;
      }
      if (p >= 0) return;
    }
    const i = g.sections.findIndex((s) => inHull(s.hull, wx, wy));
    if (i >= 0) chooseSection(i, false);
  };

  // The DOM layer: seats in view (when few enough), the cursor, and seats just found.
  const domSeats = useMemo(() => {
    if (!g || !grid || !view || !size || !showsSeats(view)) return [] as number[];
    const [x0, y0] = toWorld(view, 0, 0);
    const [x1, y1] = toWorld(view, size.w, size.h);
    return grid.within(x0, y0, x1, y1, DOM_SEATS) ?? [];
  }, [g, grid, view, size]);
  const layer = useMemo(() => {
    const set = new Set(domSeats);
    if (cursor >= 0 && !readOnly) set.add(cursor);
    for (const p of marks.found) set.add(p);
    return [...set].sort((a, b) => a - b);
  }, [domSeats, cursor, marks.found, readOnly]);
  const tabbable = readOnly ? -1 : cursor >= 0 ? cursor : layer[0] ?? -1;

  const seatEl = (p: number) => {
    if (!g || !view || !size) return null;
    const info = seatInfo(g, p);
    const look = lookAt(store, p, marks);
    const isFound = marks.found.has(p);
    const text = L.seat(info, look, readOnly, isFound);
    const side = Math.max(12, 2 * R * view.scale + 2);
    const cx = Math.min(size.w - side / 2, Math.max(side / 2, info.x * view.scale + view.tx));
    const cy = Math.min(size.h - side / 2, Math.max(side / 2, info.y * view.scale + view.ty));
    const style = { left: cx - side / 2, top: cy - side / 2, width: side, height: side };
    if (readOnly) {
      return <span key={p} data-seat={info.id} data-pos={p} data-look={look} className={`seat-hit seat-${look}`} role="img" aria-label={text} title={text} style={style} />;
    }
    return (
      <button
        key={p}
        type="button"
        data-seat={info.id}
        data-pos={p}
        data-look={look}
        data-found={isFound || undefined}
        className={`seat-hit seat-${look}`}
        tabIndex={p === tabbable ? 0 : -1}
        aria-label={text}
        title={text}
        aria-pressed={look === "selected"}
        aria-disabled={look === "held" || look === "sold"}
        style={style}
        onFocus={() => setCursor(p)}
        onKeyDown={(e) => onSeatKey(e, p)}
        onClick={() => {
          if (!drag.current?.moved) {
            setCursor(p);
            onToggle(info.id);
          }
        }}
      />
    );
  };

  const seatsShown = view ? showsSeats(view) : false;
  return (
    <div className={readOnly ? "seatmap seatmap-readonly" : "seatmap"}>
      <div className="seatmap-tools" role="group" aria-label={L.zoomGroup()}>
        <button type="button" onClick={() => zoomBy(1.25)} aria-label={L.zoomIn()}>+</button>
        <button type="button" onClick={() => zoomBy(0.8)} aria-label={L.zoomOut()}>−</button>
        <button type="button" onClick={() => setView(home)}>{L.reset()}</button>
      </div>
      <div
        ref={wrap}
        className="seatmap-view"
        role="group"
        tabIndex={0}
        aria-label={readOnly ? label ?? L.mapNameReadOnly() : L.mapName()}
        aria-describedby={g && g.sections.length > 1 ? helpId : undefined}
        data-testid="seatmap"
        data-seats-shown={seatsShown}
        onKeyDown={onMapKey}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerEnd}
        onPointerCancel={onPointerEnd}
      >
        <canvas
          ref={canvas}
          aria-hidden="true"
          onClick={onCanvasClick}
          data-view={view ? `${view.scale} ${view.tx} ${view.ty}` : undefined}
        />
        {g && view && g.sections.map((s, i) => {
          const atSeats = seatsShown;
          const x = (atSeats ? s.labelX : s.cx) * view.scale + view.tx;
          const y = (atSeats ? s.labelY : s.cy) * view.scale + view.ty;
          if (!size || x < -40 || y < -20 || x > size.w + 40 || y > size.h + 20) return null;
          const available = store ? store.availableIn[i] : s.count;
          return (
            <button
              key={i}
              type="button"
              className={atSeats ? "seatmap-section at-seats" : "seatmap-section"}
              data-section={s.name}
              aria-label={L.section(s.name, available, s.count)}
              style={{ left: x, top: y }}
              onClick={(e) => chooseSection(i, e.detail === 0)}
            >
              {s.name}
            </button>
          );
        })}
        {layer.map(seatEl)}
        {!g && <p className="seatmap-loading muted" aria-busy="true">{L.loading()}</p>}
      </div>
      {g && g.sections.length > 1 && <p id={helpId} className="muted small seatmap-help">{L.mapHelp()}</p>}
      <ul className="legend" aria-label={L.legend()}>
        {(legend ?? (readOnly ? ["available", "held", "sold"] : ["available", "selected", "mine", "held", "sold"]) as SeatLook[]).map((l) => (
          <li key={l}>
            <svg width="22" height="22" viewBox="-11 -11 22 22" aria-hidden="true"><Shape look={l} /></svg>
            {L.legendWord(l, readOnly)}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The legend's shapes: the same as the canvas draws. */
function Shape({ look }: { look: SeatLook }) {
  switch (look) {
    case "available":
      return <circle r={R} className="shape-available" />;
    case "selected":
      return (
        <>
          <circle r={R} className="shape-selected" />
          <path d="M-4 0 l3 3 l5 -6" className="mark" />
        </>
      );
    case "mine":
      return (
        <>
          <rect x={-R} y={-R} width={2 * R} height={2 * R} rx={3} className="shape-mine" />
          <circle r={3} className="mark-dot" />
        </>
      );
    case "held":
      return (
        <>
          <defs>
            <pattern id="legend-stripes" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
              <rect width="4" height="4" fill="#f59e0b" />
              <line x1="0" y1="0" x2="0" y2="4" stroke="#92400e" strokeWidth="2" />
            </pattern>
          </defs>
          <path d={`M0 ${-R - 1} L${R + 1} 0 L0 ${R + 1} L${-R - 1} 0 Z`} className="shape-held" />
        </>
      );
    case "sold":
      return (
        <>
          <rect x={-R} y={-R} width={2 * R} height={2 * R} className="shape-sold" />
          <path d="M-5 -5 L5 5 M5 -5 L-5 5" className="mark" />
        </>
      );
  }
}
