// The operator console's pure parts: the event form's draft and the bodies it sends (the seat
// map's placement included; the server lays seats out and draws the preview), times shown in
// the browser's zone and sent as RFC 3339, prices in major units, and the dashboard's
// 10-minute history.

import type { EventInfo } from "../api";

// ---------------------------------------------------------------------------------------------
// Seat map: the server lays seats out (and draws the preview: POST /api/admin/seat-maps/preview)

/** Row labels A…Z, then AA, AB… (src/inventory/model.rs `row_label`). */
export function rowLabel(i: number): string {
  let s = "";
  for (;;) {
    s = String.fromCharCode(65 + (i % 26)) + s;
    i = Math.floor(i / 26) - 1;
    if (i < 0) return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Times: <input type="datetime-local"> shows the browser's local time; the server wants RFC 3339.

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, "0");

/** "UTC+01:00" for an offset of 60 minutes east of UTC. */
export function offsetLabel(minutesEast: number): string {
  return `UTC${minutesEast < 0 ? "-" : "+"}${pad(minutesEast / 60)}:${pad(minutesEast % 60)}`;
}

/** The browser's zone and its offset at `at`, e.g. "Europe/Berlin (UTC+01:00)". */
export function zoneName(at: Date = new Date()): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "Local time";
  return `${zone} (${offsetLabel(-at.getTimezoneOffset())})`;
}

/** An RFC 3339 instant as a datetime-local value ("2030-03-14T21:00") in the browser's zone. */
export function toLocalInput(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return "";
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() ? `${base}:${pad(d.getSeconds())}` : base;
}

/** The Date a datetime-local value names in the browser's zone; null when it is not one. */
export function parseLocalInput(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const date = new Date(y, mo - 1, d, h, mi, s);
  // new Date rolls 31 February over into March: refuse what the calendar does not have.
  if (Number.isNaN(date.getTime()) || date.getDate() !== d) return null;
  return date;
}

/** A Date as RFC 3339 in the browser's zone, with its offset: "2030-03-14T21:00:00+01:00". */
export function toRfc3339(date: Date): string {
  const east = -date.getTimezoneOffset();
  const zone = east === 0 ? "Z" : offsetLabel(east).slice(3);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}${zone}`;
}

/** A datetime-local value as RFC 3339 (null when it is not a time). */
export function fromLocalInput(value: string): string | null {
  const d = parseLocalInput(value);
  return d ? toRfc3339(d) : null;
}

// ---------------------------------------------------------------------------------------------
// Money: prices are typed in major units and sent in minor units (cents).

/** "12.5" -> 1250. Null for anything but a non-negative amount with at most two decimals. */
export function toMinor(value: string): number | null {
  const m = /^(\d{1,9})(?:[.,](\d{1,2}))?$/.exec(value.trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? "").padEnd(2, "0"));
}

/** 1250 -> "12.50". */
export function fromMinor(cents: number): string {
  return `${Math.floor(cents / 100)}.${pad(cents % 100)}`;
}

// ---------------------------------------------------------------------------------------------
// Validation errors: `{code: "invalid_field", field, fields: [{field, message}]}`.

export interface FieldError {
  field: string;
  message: string;
}

/** The field errors an API error body carries (bounded, strings only). */
export function fieldErrorsOf(body: Record<string, unknown>): FieldError[] {
  const out: FieldError[] = [];
  if (Array.isArray(body.fields)) {
    for (const f of body.fields.slice(0, 100)) {
      if (f && typeof f.field === "string" && typeof f.message === "string") out.push({ field: f.field, message: f.message });
    }
  }
  if (out.length === 0 && typeof body.field === "string") {
    out.push({ field: body.field, message: typeof body.message === "string" ? body.message : "This value is not accepted." });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The event form

export type { WaitingRoomMode } from "../api";
/** An event with its on-sale controls (`salesPaused`, `waitingRoom`). */
export type AdminEvent = EventInfo;

export interface GaDraft { key: string; name: string; price: string; quantity: string }
export interface SeatedDraft { key: string; name: string; price: string }
export interface SectionDraft {
  key: string; name: string; rows: string; seatsPerRow: string; type: string;
  /** Placement (all optional; empty: the automatic layout): centre of row A, degrees clockwise,
   *  degrees of arc a row spans. */
  x?: string; y?: string; rotation?: string; curve?: string;
}
/** The stage, when the operator places one (empty fields: none, or the automatic layout's). */
export interface StageDraft { x: string; y: string; width: string; height: string; label: string }
export const STAGE_FIELDS = ["x", "y", "width", "height"] as const;

/** What the form holds: text as typed (numbers too), times as datetime-local values. */
export interface EventDraft {
  name: string;
  venue: string;
  startsAt: string;
  saleOpensAt: string;
  holdSeconds: string;
  capacity: string;
  admitRatePerSec: string;
  maxTicketsPerCustomer: string;
  botCheck: boolean;
  ga: GaDraft[];
  seated: SeatedDraft[];
  sections: SectionDraft[];
  stage?: StageDraft;
}

let keys = 0;
export const newKey = () => `k${++keys}`;

export function emptyDraft(now: Date = new Date()): EventDraft {
  const start = new Date(now.getTime() + 30 * 86_400_000);
  start.setHours(20, 0, 0, 0);
  const seated = { key: newKey(), name: "Stalls", price: "65.00" };
  return {
    name: "",
    venue: "",
    startsAt: toLocalInput(start.toISOString()),
    saleOpensAt: "",
    holdSeconds: "600",
    capacity: "1000",
    admitRatePerSec: "10",
    maxTicketsPerCustomer: "10",
    botCheck: false,
    ga: [{ key: newKey(), name: "Standing", price: "35.00", quantity: "200" }],
    seated: [seated],
    sections: [{ key: newKey(), name: "Stalls", rows: "6", seatsPerRow: "14", type: seated.key }],
  };
}

export function draftFromEvent(e: EventInfo): EventDraft {
  return {
    name: e.name,
    venue: e.venue,
    startsAt: toLocalInput(e.startsAt),
    // The server keeps "on sale now" as the epoch: an empty field says so.
    saleOpensAt: Date.parse(e.saleOpensAt) > 0 ? toLocalInput(e.saleOpensAt) : "",
    holdSeconds: String(e.holdSeconds),
    capacity: String(e.capacity),
    admitRatePerSec: String(e.admitRatePerSec),
    maxTicketsPerCustomer: String(e.maxTicketsPerCustomer),
    botCheck: e.botCheck,
    ga: e.ticketTypes.filter((t) => !t.seated).map((t) => ({ key: t.id, name: t.name, price: fromMinor(t.price), quantity: String(t.total) })),
    seated: e.ticketTypes.filter((t) => t.seated).map((t) => ({ key: t.id, name: t.name, price: fromMinor(t.price) })),
    sections: [],
  };
}

/** Body paths of the draft's ticket types: GA ones first, then the seated ones. */
export const gaPath = (i: number) => `ticketTypes[${i}]`;
export const seatedPath = (d: EventDraft, j: number) => `ticketTypes[${d.ga.length + j}]`;
export const sectionPath = (k: number) => `seatMap.sections[${k}]`;

interface Built<T> {
  body: T;
  errors: FieldError[];
}

function numberField(errors: FieldError[], field: string, value: string, integer = true): number | undefined {
  const v = value.trim();
  if (v === "") return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    errors.push({ field, message: integer ? "Enter a whole number." : "Enter a number." });
    return undefined;
  }
  return n;
}

function timeField(errors: FieldError[], field: string, value: string, required: boolean): string | undefined {
  if (value.trim() === "") {
    if (required) errors.push({ field, message: "Enter a date and time." });
    return undefined;
  }
  const t = fromLocalInput(value);
  if (!t) errors.push({ field, message: "Enter a date and time." });
  return t ?? undefined;
}

/** The settings both create and PATCH send, parsed from the draft. */
function settings(d: EventDraft, errors: FieldError[]) {
  return {
    name: d.name,
    venue: d.venue,
    startsAt: timeField(errors, "startsAt", d.startsAt, true),
    saleOpensAt: timeField(errors, "saleOpensAt", d.saleOpensAt, false),
    holdSeconds: numberField(errors, "holdSeconds", d.holdSeconds),
    capacity: numberField(errors, "capacity", d.capacity),
    admitRatePerSec: numberField(errors, "admitRatePerSec", d.admitRatePerSec, false),
    maxTicketsPerCustomer: numberField(errors, "maxTicketsPerCustomer", d.maxTicketsPerCustomer),
    botCheck: d.botCheck,
  };
}

/**
 * The `POST /api/admin/events` body. Only what cannot be sent at all (text in a number field,
 * a price that is not an amount, a seated type no section uses) is refused here; ranges are
 * the server's to judge, and its errors come back by the same paths.
 */
export function buildCreateBody(d: EventDraft): Built<Record<string, unknown>> {
  const errors: FieldError[] = [];
  const body: Record<string, unknown> = settings(d, errors);
  const price = (field: string, v: string) => {
    const c = toMinor(v);
    if (c == null) errors.push({ field, message: "Enter a price like 12.50." });
    return c ?? 0;
  };
  const ticketTypes: Record<string, unknown>[] = d.ga.map((t, i) => ({
    name: t.name,
    price: price(`${gaPath(i)}.price`, t.price),
    quantity: numberField(errors, `${gaPath(i)}.quantity`, t.quantity) ?? 0,
  }));
  d.seated.forEach((t, j) => {
    if (!d.sections.some((s) => s.type === t.key)) {
      errors.push({ field: `${seatedPath(d, j)}.name`, message: "No section has seats of this type: add one or remove the type." });
    }
    ticketTypes.push({ name: t.name, price: price(`${seatedPath(d, j)}.price`, t.price) });
  });
  body.ticketTypes = ticketTypes;
  if (d.sections.length > 0) body.seatMap = buildSeatMap(d, errors);
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return { body, errors };
}

/**
 * The create body's `seatMap` (also the body of the preview): sections with their placement
 * when given, and the stage when any of its fields is.
 */
export function buildSeatMap(d: EventDraft, errors: FieldError[] = []): Record<string, unknown> {
  const sections = d.sections.map((s, k) => {
    const j = d.seated.findIndex((t) => t.key === s.type);
    if (j < 0) errors.push({ field: `${sectionPath(k)}.ticketTypeIndex`, message: "Choose a seated ticket type." });
    const out: Record<string, unknown> = {
      name: s.name,
      rows: numberField(errors, `${sectionPath(k)}.rows`, s.rows) ?? 0,
      seatsPerRow: numberField(errors, `${sectionPath(k)}.seatsPerRow`, s.seatsPerRow) ?? 0,
      ticketTypeIndex: d.ga.length + Math.max(0, j),
    };
    for (const f of ["x", "y", "rotation", "curve"] as const) {
      const v = numberField(errors, `${sectionPath(k)}.${f}`, s[f] ?? "", false);
      if (v !== undefined) out[f] = v;
    }
    return out;
  });
  const map: Record<string, unknown> = { sections };
  const st = d.stage;
  if (st && STAGE_FIELDS.some((f) => st[f].trim() !== "")) {
    const stage: Record<string, unknown> = {};
    for (const f of STAGE_FIELDS) stage[f] = numberField(errors, `seatMap.stage.${f}`, st[f], false) ?? 0;
    if (st.label.trim()) stage.label = st.label;
    map.stage = stage;
  }
  return map;
}

/** The `PATCH /api/admin/events/:id` body: only the settings the form changed from `e`. */
export function buildPatch(e: EventInfo, d: EventDraft): Built<Record<string, unknown>> {
  const errors: FieldError[] = [];
  const s = settings(d, errors);
  const base = draftFromEvent(e);
  const patch: Record<string, unknown> = {};
  for (const k of ["name", "venue", "startsAt", "holdSeconds", "capacity", "admitRatePerSec", "maxTicketsPerCustomer", "botCheck"] as const) {
    if (d[k] !== base[k] && s[k] !== undefined) patch[k] = s[k];
  }
  // An emptied sale opening means "on sale now".
  if (d.saleOpensAt !== base.saleOpensAt) {
    const opens = d.saleOpensAt.trim() === "" ? toRfc3339(new Date()) : s.saleOpensAt;
    if (opens !== undefined) patch.saleOpensAt = opens;
  }
  return { body: patch, errors: errors.filter((x) => x.field in patch || d[x.field as keyof EventDraft] !== base[x.field as keyof EventDraft]) };
}

// ---------------------------------------------------------------------------------------------
// The dashboard's history

export const HISTORY_MS = 10 * 60_000;

export interface Sample {
  /** Milliseconds since the epoch. */
  t: number;
  waiting: number;
  active: number;
  admittedPerSec: number;
  holdsPerSec: number;
  sold: number;
  revenue: number;
}

/** Adds a sample (ignoring one not newer than the last) and drops what is older than the window. */
export function pushSample(history: readonly Sample[], s: Sample, windowMs = HISTORY_MS): Sample[] {
  const last = history[history.length - 1];
  if (last && s.t <= last.t) return history as Sample[];
  const from = s.t - windowMs;
  const kept = history.filter((h) => h.t >= from);
  kept.push(s);
  return kept;
}

/** Now, lowest and highest of one series over the history. */
export function summarize(history: readonly Sample[], key: Exclude<keyof Sample, "t">) {
  if (history.length === 0) return null;
  const values = history.map((h) => h[key]);
  return { now: values[values.length - 1], min: Math.min(...values), max: Math.max(...values) };
}
