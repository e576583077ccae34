// The operator console's pure parts: the event form's draft and the bodies it sends (the seat
// map's placement included; the server lays seats out and draws the preview), times typed as
// wall time in the event's zone (the venue's, not the browser's) and sent as RFC 3339 with that
// zone's offset, prices typed in major units of the event's currency, and the dashboard's
// 10-minute history.

import { currencyOf, timeZoneOf, type EventInfo } from "../api";
import { i18n } from "../i18n";
import { browserZone, currencyDigits, minorToMajor, parseMajor, zoneOffsetMinutes } from "../i18n/format";

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
// Times: <input type="datetime-local"> holds a wall time with no zone; the form reads and
// writes it in the event's zone (`zone`, the browser's by default), and the server gets
// RFC 3339 with that zone's offset on that date.

const pad = (n: number, w = 2) => String(Math.trunc(Math.abs(n))).padStart(w, "0");

/** "UTC+01:00" for an offset of 60 minutes east of UTC. */
export function offsetLabel(minutesEast: number): string {
  return `UTC${minutesEast < 0 ? "-" : "+"}${pad(minutesEast / 60)}:${pad(minutesEast % 60)}`;
}

/** A zone and its offset at `at`, e.g. "Europe/Berlin (UTC+01:00)". */
export function zoneName(at: Date = new Date(), zone: string = browserZone()): string {
  return `${zone} (${offsetLabel(zoneOffsetMinutes(at, zone))})`;
}

/** The wall-clock fields of an instant in `zone`. */
function wall(ms: number, zone: string) {
  const d = new Date(ms + zoneOffsetMinutes(ms, zone) * 60_000);
  return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(), s: d.getUTCSeconds() };
}

/** An RFC 3339 instant as a datetime-local value ("2030-03-14T21:00") in `zone`. */
export function toLocalInput(rfc3339: string, zone: string = browserZone()): string {
  const ms = Date.parse(rfc3339);
  if (Number.isNaN(ms)) return "";
  const w = wall(ms, zone);
  const base = `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}`;
  return w.s ? `${base}:${pad(w.s)}` : base;
}

/** The instant a datetime-local value names in `zone`; null when it is not one. A wall time
 *  the zone skips (the hour clocks go forward) is read with the offset from before the change. */
export function parseLocalInput(value: string, zone: string = browserZone()): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(value.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 31 February over into March: refuse what the calendar does not have.
  if (Number.isNaN(asUtc) || new Date(asUtc).getUTCDate() !== d) return null;
  // The offsets the zone has around that day; a wall time may exist under either (or, in the
  // autumn's repeated hour, both: the first is taken, as a browser's own Date does).
  const before = zoneOffsetMinutes(asUtc - 86_400_000, zone);
  const after = zoneOffsetMinutes(asUtc + 86_400_000, zone);
  const fits = [before, after].map((o) => asUtc - o * 60_000).filter((t) => asUtc - zoneOffsetMinutes(t, zone) * 60_000 === t);
  // Skipped (spring forward): read with the offset from before, which lands after the gap.
  return new Date(fits.length ? Math.min(...fits) : asUtc - before * 60_000);
}

/** An instant as RFC 3339 in `zone`, with its offset: "2030-03-14T21:00:00+01:00". */
export function toRfc3339(date: Date, zone: string = browserZone()): string {
  const east = zoneOffsetMinutes(date, zone);
  const w = wall(date.getTime(), zone);
  const offset = east === 0 ? "Z" : offsetLabel(east).slice(3);
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}:${pad(w.mi)}:${pad(w.s)}${offset}`;
}

/** A datetime-local value in `zone` as RFC 3339 (null when it is not a time). */
export function fromLocalInput(value: string, zone: string = browserZone()): string | null {
  const d = parseLocalInput(value, zone);
  return d ? toRfc3339(d, zone) : null;
}

// ---------------------------------------------------------------------------------------------
// Money: prices are typed in major units of the event's currency and sent in minor units
// (cents for USD; KRW and JPY have none, so whole won and yen).

/** "12.5" USD -> 1250; "99000" KRW -> 99000. Null for anything but a non-negative amount
 *  with no more decimals than the currency has. */
export function toMinor(value: string, currency = "USD"): number | null {
  if (/\s/.test(value.trim())) return null;
  return parseMajor(value, currency);
}

/** 1250 USD -> "12.50"; 99000 KRW -> "99000". */
export function fromMinor(minor: number, currency = "USD"): string {
  return minorToMajor(minor, currency);
}

/** A price to show as an example in the currency's major units ("12.50", "12000"). */
export function examplePrice(currency: string): string {
  return currencyDigits(currency) === 0 ? "12000" : "12.50";
}

/** Currencies the form offers first (any ISO 4217 code the server knows may be typed). */
export const COMMON_CURRENCIES = ["KRW", "USD", "EUR", "JPY", "GBP", "CNY", "HKD", "SGD", "AUD", "CAD", "TWD"] as const;

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
      if (f && typeof f.field === "string" && typeof f.message === "string") out.push({ field: f.field, message: serverSaid(f.field, f.message) });
    }
  }
  if (out.length === 0 && typeof body.field === "string") {
    out.push({ field: body.field, message: typeof body.message === "string" ? serverSaid(body.field, body.message) : i18n.t("admin.form.notAccepted") });
  }
  return out;
}

/** The server explains a refused field in English: an English reader gets its words; others
 *  get the field's own message where the catalogue has one, else a sentence of theirs with the
 *  server's words in brackets. */
function serverSaid(field: string, message: string): string {
  if (i18n.resolvedLanguage === "en" || !i18n.resolvedLanguage) return message;
  if (field === "currency") return i18n.t("admin.form.badCurrency");
  if (field === "timeZone") return i18n.t("admin.form.badTimeZone");
  return i18n.t("admin.form.serverSaid", { message });
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

/** What the form holds: text as typed (numbers too), times as datetime-local values in
 *  `timeZone`, prices in major units of `currency`. */
export interface EventDraft {
  name: string;
  venue: string;
  /** ISO 4217 code, upper case. */
  currency: string;
  /** IANA zone of the venue: the times below are wall times there. */
  timeZone: string;
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

/** Prices of the example types, in the currency's major units. */
const examplePrices = (currency: string) => (currencyDigits(currency) === 0 ? { seated: "65000", ga: "35000", more: "50000" } : { seated: "65.00", ga: "35.00", more: "50.00" });

/** A new event's draft: starting 30 days from `now` at 20:00 in `timeZone`. */
export function emptyDraft(now: Date = new Date(), { currency = "USD", timeZone = browserZone() }: { currency?: string; timeZone?: string } = {}): EventDraft {
  const day = toLocalInput(new Date(now.getTime() + 30 * 86_400_000).toISOString(), timeZone).slice(0, 10);
  const prices = examplePrices(currency);
  const seated = { key: newKey(), name: i18n.t("admin.form.exampleSeated"), price: prices.seated };
  return {
    name: "",
    venue: "",
    currency,
    timeZone,
    startsAt: `${day}T20:00`,
    saleOpensAt: "",
    holdSeconds: "600",
    capacity: "1000",
    admitRatePerSec: "10",
    maxTicketsPerCustomer: "10",
    botCheck: false,
    ga: [{ key: newKey(), name: i18n.t("admin.form.exampleGa"), price: prices.ga, quantity: "200" }],
    seated: [seated],
    sections: [{ key: newKey(), name: i18n.t("admin.form.exampleSeated"), rows: "6", seatsPerRow: "14", type: seated.key }],
  };
}

/** Example price of one more seated type in `currency`. */
export const morePrice = (currency: string) => examplePrices(currency).more;

export function draftFromEvent(e: EventInfo): EventDraft {
  const zone = timeZoneOf(e);
  const currency = currencyOf(e);
  return {
    name: e.name,
    venue: e.venue,
    currency,
    timeZone: zone,
    startsAt: toLocalInput(e.startsAt, zone),
    // The server keeps "on sale now" as the epoch: an empty field says so.
    saleOpensAt: Date.parse(e.saleOpensAt) > 0 ? toLocalInput(e.saleOpensAt, zone) : "",
    holdSeconds: String(e.holdSeconds),
    capacity: String(e.capacity),
    admitRatePerSec: String(e.admitRatePerSec),
    maxTicketsPerCustomer: String(e.maxTicketsPerCustomer),
    botCheck: e.botCheck,
    ga: e.ticketTypes.filter((t) => !t.seated).map((t) => ({ key: t.id, name: t.name, price: fromMinor(t.price, currency), quantity: String(t.total) })),
    seated: e.ticketTypes.filter((t) => t.seated).map((t) => ({ key: t.id, name: t.name, price: fromMinor(t.price, currency) })),
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
    errors.push({ field, message: integer ? i18n.t("admin.form.wholeNumber") : i18n.t("admin.form.number") });
    return undefined;
  }
  return n;
}

function timeField(errors: FieldError[], field: string, value: string, required: boolean, zone: string): string | undefined {
  if (value.trim() === "") {
    if (required) errors.push({ field, message: i18n.t("admin.form.dateTime") });
    return undefined;
  }
  const t = fromLocalInput(value, zone);
  if (!t) errors.push({ field, message: i18n.t("admin.form.dateTime") });
  return t ?? undefined;
}

/** The zone the draft's times are in (the browser's while the field holds no zone it knows). */
function draftZone(d: EventDraft): string {
  const z = d.timeZone.trim();
  try {
    new Intl.DateTimeFormat("en", { timeZone: z });
    return z;
  } catch {
    return browserZone();
  }
}

/** The settings both create and PATCH send, parsed from the draft. */
function settings(d: EventDraft, errors: FieldError[]) {
  const zone = draftZone(d);
  return {
    name: d.name,
    venue: d.venue,
    currency: d.currency.trim().toUpperCase(),
    // What the server is to judge (an unknown zone comes back as its field error).
    timeZone: d.timeZone.trim(),
    startsAt: timeField(errors, "startsAt", d.startsAt, true, zone),
    saleOpensAt: timeField(errors, "saleOpensAt", d.saleOpensAt, false, zone),
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
  const currency = d.currency.trim().toUpperCase();
  const price = (field: string, v: string) => {
    const c = toMinor(v, currency);
    if (c == null) errors.push({ field, message: i18n.t("admin.form.priceLike", { example: examplePrice(currency) }) });
    return c ?? 0;
  };
  const ticketTypes: Record<string, unknown>[] = d.ga.map((t, i) => ({
    name: t.name,
    price: price(`${gaPath(i)}.price`, t.price),
    quantity: numberField(errors, `${gaPath(i)}.quantity`, t.quantity) ?? 0,
  }));
  d.seated.forEach((t, j) => {
    if (!d.sections.some((s) => s.type === t.key)) {
      errors.push({ field: `${seatedPath(d, j)}.name`, message: i18n.t("admin.form.typeUnused") });
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
    if (j < 0) errors.push({ field: `${sectionPath(k)}.ticketTypeIndex`, message: i18n.t("admin.form.chooseType") });
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
  for (const k of ["name", "venue", "currency", "timeZone", "holdSeconds", "capacity", "admitRatePerSec", "maxTicketsPerCustomer", "botCheck"] as const) {
    if (d[k] !== base[k] && s[k] !== undefined) patch[k] = s[k];
  }
  // Times are instants: the same wall time in another zone is another instant, so a changed
  // zone sends the times it moves (and a wall time typed again the same sends nothing).
  const moved = (a: string | undefined, b: string) => a !== undefined && Date.parse(a) !== Date.parse(b);
  if (moved(s.startsAt, e.startsAt)) patch.startsAt = s.startsAt;
  // An emptied sale opening means "on sale now".
  if (d.saleOpensAt.trim() === "") {
    if (base.saleOpensAt !== "") patch.saleOpensAt = toRfc3339(new Date(), draftZone(d));
  } else if (moved(s.saleOpensAt, e.saleOpensAt)) patch.saleOpensAt = s.saleOpensAt;
  const changed = (f: string) => f in patch || d[f as keyof EventDraft] !== base[f as keyof EventDraft];
  return { body: patch, errors: errors.filter((x) => changed(x.field)) };
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
