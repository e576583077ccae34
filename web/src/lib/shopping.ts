// Pure helpers for "Best available" and the waitlist (PROTOCOL "v1.1 additions", Shopping):
// what quantities to offer, what to say, and how a `waitlist:offer` push and the
// `GET /api/waitlist/:eventId` answer combine. No React, no network: unit-tested.

import type { Reservation, Seat, WaitlistEntry, WaitlistOffer } from "../api";
import { i18n } from "../i18n";

/** The quantities a shopper may ask for: 1..min(perOrder, remaining allowance, what is left),
 *  and at least [1] so the control never empties (the server still says no, in words). */
export function quantityChoices(perOrder: number | undefined, remaining: number | undefined, left?: number): number[] {
  const caps = [perOrder ?? 10, remaining ?? 10, left ?? Infinity].filter((n) => Number.isFinite(n));
  const max = Math.max(1, Math.min(...caps));
  return Array.from({ length: max }, (_, i) => i + 1);
}

/** The sections of a seat map, in the order the map draws them (front first). */
export function sectionsOf(layout: readonly Seat[]): string[] {
  const seen = new Map<string, number>();
  for (const s of layout) seen.set(s.section, Math.min(seen.get(s.section) ?? Infinity, s.y));
  return [...seen].sort((a, b) => a[1] - b[1]).map(([name]) => name);
}

/** What a shopper reads for `409 no_adjacent_seats`. */
export function noAdjacentMessage(quantity: number, section?: string): string {
  return section ? i18n.t("best.noneIn", { count: quantity, section }) : i18n.t("best.none", { count: quantity });
}

/** "Stalls row C seats 7–8": the block best available found, for the live region. */
export function describeBlock(seatIds: readonly string[], seatById: ReadonlyMap<string, Seat>): string {
  const seats = seatIds.map((id) => seatById.get(id)).filter((s): s is Seat => !!s);
  if (seats.length === 0) return i18n.t("seat.count", { count: seatIds.length });
  const first = seats[0];
  if (seats.every((s) => s.section === first.section && s.row === first.row)) {
    const nums = seats.map((s) => s.number).sort((a, b) => a - b);
    return nums.length === 1
      ? i18n.t("seat.short", { section: first.section, row: first.row, number: nums[0] })
      : i18n.t("seat.block", { section: first.section, row: first.row, from: nums[0], to: nums[nums.length - 1] });
  }
  return seats.map((s) => i18n.t("seat.short", { section: s.section, row: s.row, number: s.number })).join(", ");
}

/** "m:ss" until `endsAt` (ms since the epoch), never negative; and the seconds left. */
export function clock(endsAt: number, now: number): { seconds: number; text: string } {
  const seconds = Math.max(0, Math.floor((endsAt - now) / 1000));
  return { seconds, text: `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}` };
}

/** A waitlist offer that can still be paid: pending and not past its expiry. */
export function liveOffer(r: Reservation | null | undefined, now: number): r is Reservation {
  return !!r && r.status === "pending" && Date.parse(r.expiresAt) > now;
}

/** The user's entries for one event, by ticket type. */
export type WaitlistView = ReadonlyMap<string, WaitlistEntry>;

/** How long a pushed offer the server's answer does not list yet is believed anyway: an
 *  answer read just before the push must not hide it; an older one is the server's word. */
export const FRESH_OFFER_MS = 15_000;

/** The server's answer replaces what was known, except that an offer made a moment ago that
 *  the answer does not know yet (it was read first) is kept while still live. */
export function fromAnswer(old: WaitlistView, entries: readonly WaitlistEntry[], eventId: string, now: number): WaitlistView {
  const next = new Map<string, WaitlistEntry>();
  for (const e of entries) if (e.eventId === eventId) next.set(e.ticketTypeId, { ...e, offer: e.offer ?? null });
  for (const [type, e] of old) {
    const kept = next.get(type);
    if (kept?.offer || !liveOffer(e.offer, now) || now - Date.parse(e.offer.createdAt) > FRESH_OFFER_MS) continue;
    next.set(type, kept ? { ...kept, offer: e.offer } : e);
  }
  return next;
}

/** A `waitlist:offer` push: the entry for that type now carries the offer (position 1). */
export function withOffer(old: WaitlistView, msg: WaitlistOffer, eventId: string): WaitlistView {
  if (msg.eventId !== eventId) return old;
  const next = new Map(old);
  const e = old.get(msg.ticketTypeId);
  const quantity = msg.reservation.items.reduce((n, i) => n + i.quantity, 0);
  next.set(msg.ticketTypeId, { eventId, ticketTypeId: msg.ticketTypeId, quantity: e?.quantity ?? quantity, position: 1, offer: msg.reservation });
  return next;
}

/** One entry set (the user joined, or changed the quantity) or removed (left, paid). */
export function withEntry(old: WaitlistView, ticketTypeId: string, entry: WaitlistEntry | null): WaitlistView {
  const next = new Map(old);
  if (entry) next.set(ticketTypeId, { ...entry, offer: entry.offer ?? old.get(ticketTypeId)?.offer ?? null });
  else next.delete(ticketTypeId);
  return next;
}

/** "You are number 3 on the waitlist" (first: "You are next on the waitlist"). */
export function placeText(position: number): string {
  return position <= 1 ? i18n.t("waitlist.first") : i18n.t("waitlist.place", { position });
}
