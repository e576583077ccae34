// A typed client for the REST API (shared/PROTOCOL.md). Every non-2xx answer becomes an
// ApiError carrying the server's stable code, so screens can say what went wrong.

import type { components } from "./api.gen";
import { fmt, i18n } from "./i18n";
import { dropReceipt, loadReceipt, noteAnswer, type KeyValueStore } from "./lib/receipts";

// The shapes the server sends and reads come from its OpenAPI document (GET /api/openapi.json,
// committed as web/openapi.json): `npm run api:gen` writes them to api.gen.ts. Change them in
// the server, never here.
type Schemas = components["schemas"];

/** A signed-in user: `token` and `user` of register, login and guest. */
export type User = Schemas["User"];
export type TicketType = Schemas["TicketType"];
export type QueueSummary = Schemas["QueueSummary"];
/** An event as the catalogue lists it (with `salesPaused` and `waitingRoom`, PROTOCOL
 *  "Running an on-sale"); `GET /api/events/:id` adds its waiting line. */
export type EventInfo = Schemas["Event"] & { queue?: QueueSummary };
/** The waiting room's mode: "auto", "on" (everyone through the line) or "off". */
export type WaitingRoomMode = Schemas["WaitingRoomMode"];
export type Seat = Schemas["Seat"];
export type ReservationItem = Schemas["ReservationItem"];
export type Reservation = Schemas["Reservation"];
/** How many more seats and tickets of an event the signed-in customer may take. */
export type Allowance = Schemas["Allowance"];
/** A queue answer (join, status): the user's place, or an admission while `admitted`. */
export type QueueAnswer = Schemas["QueueAnswer"];
/** Every code a REST error (or a Socket.IO ack) may carry. */
export type ErrorCode = Schemas["ErrorCode"];
type Session = Schemas["Session"];

/** A place on a sold-out ticket type's waitlist (PROTOCOL "v1.1 additions", Shopping):
 *  `position` 1 is the next to be offered; `offer` is the pending reservation held for the
 *  user, or null. */
export type WaitlistEntry = Schemas["WaitlistEntry"];
/** `waitlist:offer`, pushed to the offered user's sockets only (Socket.IO: not in the OpenAPI document). */
export interface WaitlistOffer {
  eventId: string;
  ticketTypeId: string;
  reservation: Reservation;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const TOKEN_KEY = "boxoffice.session";

export function savedSession(): { token: string; user: User } | null {
  try {
    return JSON.parse(localStorage.getItem(TOKEN_KEY) ?? "null");
  } catch {
    return null;
  }
}

export function saveSession(s: { token: string; user: User } | null) {
  if (s) localStorage.setItem(TOKEN_KEY, JSON.stringify(s));
  else localStorage.removeItem(TOKEN_KEY);
}

async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const token = savedSession()?.token;
  const res = await fetch(`/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const e = data?.error ?? {};
    throw new ApiError(res.status, e.code ?? "error", e.message ?? res.statusText, e);
  }
  return data as T;
}

/** localStorage, or nothing where it is refused (the receipts then last as long as a call). */
const storage: KeyValueStore = {
  getItem: (k) => { try { return localStorage.getItem(k); } catch { return null; } },
  setItem: (k, v) => { try { localStorage.setItem(k, v); } catch { /* full or refused */ } },
  removeItem: (k) => { try { localStorage.removeItem(k); } catch { /* refused */ } },
};
const currentUserId = () => savedSession()?.user?.id;

/** The signed-in user's line receipt for an event (never another account's). */
export const receiptFor = (eventId: string) => loadReceipt(storage, currentUserId(), eventId);
/** Keeps (or, once admitted, drops) the receipt an answer or `queue:position` carries. */
export const noteQueueAnswer = (eventId: string, a: Pick<QueueAnswer, "admitted" | "receipt">) =>
  noteAnswer(storage, currentUserId(), eventId, a);
/** Forgets the receipt: the user was let in or left the line. */
export const forgetReceipt = (eventId: string) => dropReceipt(storage, currentUserId(), eventId);

/** Admission tokens per event, for this tab. Kept in sessionStorage so that a reload keeps
 *  them: after the server lost its line, the token is what gives a shopper their turn back. */
const ADMISSIONS_KEY = "boxoffice.admissions";
const tabStorage = typeof sessionStorage === "undefined" ? undefined : sessionStorage;
const admissions = new Map<string, string>(loadAdmissions());
function loadAdmissions(): [string, string][] {
  try {
    const saved = JSON.parse(tabStorage?.getItem(ADMISSIONS_KEY) ?? "{}");
    return Object.entries(saved).filter((e): e is [string, string] => typeof e[1] === "string").slice(-20);
  } catch {
    return [];
  }
}
export const admissionFor = (eventId: string) => admissions.get(eventId);
export const rememberAdmission = (eventId: string, token: string | undefined) => {
  if (!token) return;
  admissions.set(eventId, token);
  try {
    tabStorage?.setItem(ADMISSIONS_KEY, JSON.stringify(Object.fromEntries([...admissions].slice(-20))));
  } catch {
    /* storage full or disabled: the tab's memory still has it */
  }
};

function admitted(eventId: string): Record<string, string> {
  const token = admissions.get(eventId);
  return token ? { "x-admission-token": token } : {};
}

/** The `X-Bot-Check` header for a solved bot check (docs: PROTOCOL "Fairness"). */
function botChecked(payload?: string): Record<string, string> {
  return payload ? { "x-bot-check": payload } : {};
}

export const api = {
  register: (email: string, password: string, name: string) =>
    call<Session>("POST", "/auth/register", { email, password, name }),
  login: (email: string, password: string) => call<Session>("POST", "/auth/login", { email, password }),
  /** `botCheck`: a solved ALTCHA payload, needed when the server answers `bot_check_required`. */
  guest: (botCheck?: string) => call<Session>("POST", "/auth/guest", undefined, botChecked(botCheck)),
  events: () => call<EventInfo[]>("GET", "/events"),
  event: (id: string) => call<EventInfo>("GET", `/events/${id}`),
  seats: (id: string) => call<Schemas["SeatMap"]>("GET", `/events/${id}/seats`),
  allowance: (id: string) => call<Allowance>("GET", `/events/${id}/allowance`),
  joinQueue: async (eventId: string, botCheck?: string) => {
    // Admitted in this tab already (back from the waiting room): keep the place with a status
    // call rather than a new join, which for a botCheck event would need a new bot check.
    if (!botCheck && admissions.has(eventId)) {
      const s = await call<QueueAnswer>("GET", `/queue/status/${eventId}`, undefined, admitted(eventId)).catch(() => null);
      if (s?.admitted) {
        rememberAdmission(eventId, s.admissionToken);
        noteQueueAnswer(eventId, s);
        return s;
      }
    }
    // The receipt, if this user holds one for the event: after the server lost the line it
    // gives back the old number (and stands in for the bot check the holder passed).
    const receipt = receiptFor(eventId);
    const a = await call<QueueAnswer>("POST", "/queue/join", receipt ? { eventId, receipt } : { eventId }, botChecked(botCheck));
    rememberAdmission(eventId, a.admissionToken);
    noteQueueAnswer(eventId, a);
    return a;
  },
  // The admission token goes along: a shopper let in before the server lost the line gets
  // their turn back by showing it (and it keeps the turn alive like any shopping call).
  queueStatus: async (eventId: string) => {
    const a = await call<QueueAnswer>("GET", `/queue/status/${eventId}`, undefined, admitted(eventId));
    rememberAdmission(eventId, a.admissionToken);
    noteQueueAnswer(eventId, a);
    return a;
  },
  leaveQueue: (eventId: string) => {
    forgetReceipt(eventId);
    return call<null>("POST", "/queue/leave", { eventId });
  },
  holdSeats: (eventId: string, seatIds: string[]) =>
    call<Schemas["ReservationAnswer"]>("POST", "/seats/reserve", { eventId, seatIds }, admitted(eventId)),
  holdTickets: (eventId: string, ticketTypeId: string, quantity: number) =>
    call<Schemas["ReservationAnswer"]>("POST", "/reservations", { eventId, ticketTypeId, quantity }, admitted(eventId)),
  /** The best block of `quantity` adjacent seats in one row (optionally of one type or section),
   *  held like any hold; `409 no_adjacent_seats` when no block fits. */
  bestSeats: (eventId: string, quantity: number, opts: { ticketTypeId?: string; section?: string } = {}) =>
    call<Schemas["ReservationAnswer"]>("POST", "/seats/best", { eventId, quantity, ...opts }, admitted(eventId)),
  joinWaitlist: (eventId: string, ticketTypeId: string, quantity: number) =>
    call<Schemas["Joined"]>("POST", "/waitlist", { eventId, ticketTypeId, quantity }),
  leaveWaitlist: (eventId: string, ticketTypeId: string) =>
    call<null>("DELETE", `/waitlist/${encodeURIComponent(eventId)}/${encodeURIComponent(ticketTypeId)}`),
  waitlist: (eventId: string) => call<Schemas["Entries"]>("GET", `/waitlist/${encodeURIComponent(eventId)}`),
  pay: (id: string) => call<Schemas["ReservationAnswer"]>("POST", `/reservations/${id}/pay`, {}),
  cancel: (id: string) => call<Schemas["ReservationAnswer"]>("DELETE", `/reservations/${id}`),
  reservations: () => call<Reservation[]>("GET", "/reservations"),

  // The operator console (admin role; anyone else gets 403 admin_only).
  adminEvent: (id: string) => call<EventInfo>("GET", `/events/${id}`),
  adminEvents: () => call<EventInfo[]>("GET", "/events"),
  createEvent: (body: Record<string, unknown>) => call<EventInfo>("POST", "/admin/events", body),
  /** Only the fields that change; answers the whole event. */
  patchEvent: (id: string, body: Record<string, unknown>) => call<EventInfo>("PATCH", `/admin/events/${id}`, body),
  /** The event's paid orders as CSV. Fetched with the bearer token (a plain link sends none). */
  ordersCsv: async (id: string): Promise<{ blob: Blob; filename: string }> => {
    const token = savedSession()?.token;
    const res = await fetch(`/api/admin/events/${id}/orders.csv`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    if (!res.ok) {
      const data = await res.json().catch(() => null);
      const e = data?.error ?? {};
      throw new ApiError(res.status, e.code ?? "error", e.message ?? res.statusText, e);
    }
    const named = /filename="?([^";]+)"?/.exec(res.headers.get("content-disposition") ?? "");
    return { blob: await res.blob(), filename: named?.[1] ?? `orders-${id}.csv` };
  },
};

/** Hands a blob to the browser as a download named `filename`. */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A price in minor units, in `currency` (the event's), as the reader's language writes it:
 *  ₩99,000 / $25.00. */
export const money = (minor: number, currency = "USD") => fmt.price(minor, currency);

/** The event's (or reservation's) currency: ISO 4217, upper case. Servers from before events
 *  carried one sold in US dollars. */
export function currencyOf(x: object | null | undefined): string {
  const c = (x as { currency?: unknown } | null | undefined)?.currency;
  return typeof c === "string" && /^[A-Z]{3}$/.test(c) ? c : "USD";
}

/** The venue's IANA time zone ("Asia/Seoul"); UTC where the event does not say. */
export function timeZoneOf(x: object | null | undefined): string {
  const z = (x as { timeZone?: unknown } | null | undefined)?.timeZone;
  return typeof z === "string" && z ? z : "UTC";
}

/** What to tell the reader about a failed call, in their language: the message of the
 *  error's `code` (every ErrorCode has one in both catalogues), the server's own words for
 *  a code this app does not know, or "could not reach the box office". */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) {
    const key = `errors.${e.code}`;
    return i18n.exists(key) ? i18n.t(key as "errors.network") : i18n.t("errors.fallback", { message: e.message });
  }
  return i18n.t("errors.network");
}
