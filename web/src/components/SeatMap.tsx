// The seat map: SVG, one shape per seat. Colour is never the only signal: available seats
// are outlined circles, my selection is a filled circle with a tick, seats held by others
// are orange striped diamonds, sold seats are grey squares with a cross. It pans (drag)
// and zooms (buttons, wheel, pinch via the browser's own zoom) and works by keyboard:
// arrow keys move between seats, Enter or Space selects.

import { useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from "react";
import { useTranslation } from "react-i18next";
import type { Seat } from "../api";
import { legendWord, seatLabel } from "../i18n/seats";
import type { SeatState } from "../lib/merge";

export type SeatLook = "available" | "selected" | "mine" | "held" | "sold";

interface Props {
  layout: Seat[];
  states: ReadonlyMap<string, SeatState>;
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
  /** Seats "Best available" just found: ringed (and pulsing, motion allowing) for a moment. */
  found?: ReadonlySet<string>;
}

export function lookOf(id: string, states: Props["states"], selected: Props["selected"], mine: Props["mine"]): SeatLook {
  const status = states.get(id)?.status ?? "available";
  if (status === "sold") return "sold";
  if (status === "held") return mine.has(id) ? "mine" : "held";
  return selected.has(id) ? "selected" : "available";
}

const R = 9;

const NONE: ReadonlySet<string> = new Set();

export function SeatMap({ layout, states, selected, mine, onToggle, readOnly = false, label, legend, found = NONE }: Props) {
  const { t } = useTranslation();
  const [zoom, setZoom] = useState(1);
  const [pan, setPan] = useState({ x: 0, y: 0 });
  const [focus, setFocus] = useState(0);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  // Touch points in use, for two-finger pinch zoom on phones.
  const touches = useRef(new Map<number, { x: number; y: number }>());
  const pinch = useRef<number | null>(null);
  const svg = useRef<SVGSVGElement>(null);

  const { rows, order, box, labels } = useMemo(() => {
    const sorted = [...layout].sort((a, b) => a.y - b.y || a.x - b.x);
    const rows: Seat[][] = [];
    for (const s of sorted) {
      const last = rows[rows.length - 1];
      if (last && last[0].y === s.y) last.push(s);
      else rows.push([s]);
    }
    const xs = layout.map((s) => s.x);
    const ys = layout.map((s) => s.y);
    const box = layout.length
      ? { x: Math.min(...xs) - 30, y: Math.min(...ys) - 40, w: Math.max(...xs) - Math.min(...xs) + 60, h: Math.max(...ys) - Math.min(...ys) + 60 }
      : { x: 0, y: 0, w: 100, h: 100 };
    const labels = new Map<string, { x: number; y: number }>();
    for (const s of sorted) if (!labels.has(s.section)) labels.set(s.section, { x: box.x + box.w / 2, y: s.y - 20 });
    return { rows, order: sorted, box, labels };
  }, [layout]);

  const index = useMemo(() => new Map(order.map((s, i) => [s.id, i])), [order]);

  const move = (e: KeyboardEvent) => {
    if (readOnly) return;
    const cur = order[focus];
    if (!cur) return;
    let next = focus;
    if (e.key === "ArrowRight") next = Math.min(order.length - 1, focus + 1);
    else if (e.key === "ArrowLeft") next = Math.max(0, focus - 1);
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      const r = rows.findIndex((row) => row.includes(cur));
      const target = rows[r + (e.key === "ArrowDown" ? 1 : -1)];
      if (target) {
        const nearest = target.reduce((a, b) => (Math.abs(b.x - cur.x) < Math.abs(a.x - cur.x) ? b : a));
        next = index.get(nearest.id) ?? focus;
      }
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      onToggle(cur.id);
      return;
    } else return;
    e.preventDefault();
    setFocus(next);
    svg.current?.querySelector<SVGGElement>(`[data-seat="${order[next].id}"]`)?.focus();
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
      if (now && pinch.current) zoomBy(now / pinch.current);
      pinch.current = now;
      if (drag.current) drag.current.moved = true;
      return;
    }
    const d = drag.current;
    if (!d || e.buttons === 0) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (Math.abs(dx) + Math.abs(dy) > 4) d.moved = true;
    if (d.moved) {
      setPan((p) => ({ x: p.x + dx / zoom, y: p.y + dy / zoom }));
      d.x = e.clientX;
      d.y = e.clientY;
    }
  };
  const zoomBy = (f: number) => setZoom((z) => Math.min(4, Math.max(0.5, z * f)));

  const w = box.w / zoom;
  const h = box.h / zoom;
  const viewBox = `${box.x + (box.w - w) / 2 - pan.x} ${box.y + (box.h - h) / 2 - pan.y} ${w} ${h}`;

  return (
    <div className={readOnly ? "seatmap seatmap-readonly" : "seatmap"}>
      <div className="seatmap-tools" role="group" aria-label={t("seatmap.zoomGroup")}>
        <button type="button" onClick={() => zoomBy(1.25)} aria-label={t("seatmap.zoomIn")}>+</button>
        <button type="button" onClick={() => zoomBy(0.8)} aria-label={t("seatmap.zoomOut")}>−</button>
        <button type="button" onClick={() => { setZoom(1); setPan({ x: 0, y: 0 }); }}>{t("seatmap.reset")}</button>
      </div>
      <svg
        ref={svg}
        viewBox={viewBox}
        role="group"
        aria-label={readOnly ? label ?? t("seatmap.name") : t("seatmap.instructions")}
        data-testid="seatmap"
        onKeyDown={move}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerEnd}
        onPointerCancel={onPointerEnd}
        onWheel={(e) => zoomBy(e.deltaY < 0 ? 1.1 : 0.9)}
      >
        <defs>
          <pattern id="stripes" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width="4" height="4" fill="#f59e0b" />
            <line x1="0" y1="0" x2="0" y2="4" stroke="#92400e" strokeWidth="2" />
          </pattern>
        </defs>
        {[...labels].map(([name, p]) => (
          <text key={name} x={p.x} y={p.y} className="section-label" textAnchor="middle">{name}</text>
        ))}
        {order.map((s, i) => {
          const look = lookOf(s.id, states, selected, mine);
          const isFound = found.has(s.id);
          const label = seatLabel(s, look, { readOnly, found: isFound });
          if (readOnly) {
            return (
              <g key={s.id} data-seat={s.id} data-look={look} className={`seat seat-${look}`} role="img" aria-label={label}>
                <title>{label}</title>
                <Shape look={look} x={s.x} y={s.y} />
              </g>
            );
          }
          return (
            <g
              key={s.id}
              data-seat={s.id}
              data-look={look}
              data-found={isFound || undefined}
              className={isFound ? `seat seat-${look} seat-found` : `seat seat-${look}`}
              role="button"
              tabIndex={i === focus ? 0 : -1}
              aria-label={label}
              aria-pressed={look === "selected"}
              aria-disabled={look === "held" || look === "sold"}
              onFocus={() => setFocus(i)}
              onClick={() => {
                if (!drag.current?.moved) onToggle(s.id);
              }}
            >
              <title>{label}</title>
              <Shape look={look} x={s.x} y={s.y} />
              {isFound && <circle cx={s.x} cy={s.y} r={R + 5} className="found-ring" />}
            </g>
          );
        })}
      </svg>
      <ul className="legend" aria-label={t("seatmap.legend")}>
        {(legend ?? (readOnly ? ["available", "held", "sold"] : ["available", "selected", "mine", "held", "sold"]) as SeatLook[]).map((l) => (
          <li key={l}>
            <svg width="22" height="22" viewBox="-11 -11 22 22" aria-hidden="true"><Shape look={l} x={0} y={0} /></svg>
            {legendWord(l, readOnly)}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Shape({ look, x, y }: { look: SeatLook; x: number; y: number }) {
  switch (look) {
    case "available":
      return <circle cx={x} cy={y} r={R} className="shape-available" />;
    case "selected":
      return (
        <>
          <circle cx={x} cy={y} r={R} className="shape-selected" />
          <path d={`M${x - 4} ${y} l3 3 l5 -6`} className="mark" />
        </>
      );
    case "mine":
      return (
        <>
          <rect x={x - R} y={y - R} width={2 * R} height={2 * R} rx={3} className="shape-mine" />
          <circle cx={x} cy={y} r={3} className="mark-dot" />
        </>
      );
    case "held":
      return <path d={`M${x} ${y - R - 1} L${x + R + 1} ${y} L${x} ${y + R + 1} L${x - R - 1} ${y} Z`} className="shape-held" />;
    case "sold":
      return (
        <>
          <rect x={x - R} y={y - R} width={2 * R} height={2 * R} className="shape-sold" />
          <path d={`M${x - 5} ${y - 5} L${x + 5} ${y + 5} M${x + 5} ${y - 5} L${x - 5} ${y + 5}`} className="mark" />
        </>
      );
  }
}
