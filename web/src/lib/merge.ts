// The update logic every live view shares, kept free of React so it can be tested alone.
//
// The server gives every seat and ticket type a version that grows with each change, and
// pushes carry the new versions. A client keeps, per item, the newest version it has seen
// and ignores anything older: so a snapshot and pushes may arrive in any order (a push that
// raced a snapshot, a batch that repeats a change, a replay after a reconnect) and the view
// still ends at the server's state.

export type SeatStatus = "available" | "held" | "sold";

export interface SeatState {
  status: SeatStatus;
  version: number;
}

export interface StockState {
  remainingQuantity: number;
  version: number;
}

/** One seat push (`seat:selected`, `seat:released`, `seat:sold`): parallel arrays. */
export interface SeatBatch {
  eventId: string;
  seatIds: string[];
  versions: number[];
}

export interface StockUpdate {
  ticketTypeId: string;
  remainingQuantity: number;
  version: number;
}

/** `ticket:updated`: the contract's fields, plus `updates` when one message carries
 *  several ticket types. */
export interface TicketUpdated extends StockUpdate {
  eventId: string;
  updates?: StockUpdate[];
}

export const SEAT_EVENTS: Record<string, SeatStatus> = {
  "seat:selected": "held",
  "seat:released": "available",
  "seat:sold": "sold",
};

/** Applies `next` to `map` if it is newer than what the map holds. Returns the same map
 *  when nothing changed, so React can skip a render. */
export function applyVersioned<T extends { version: number }>(
  map: ReadonlyMap<string, T>,
  entries: Iterable<[string, T]>,
): ReadonlyMap<string, T> {
  let out: Map<string, T> | null = null;
  for (const [id, next] of entries) {
    const cur = (out ?? map).get(id);
    if (cur && cur.version >= next.version) continue;
    out ??= new Map(map);
    out.set(id, next);
  }
  return out ?? map;
}

/** A seat push, as entries for [`applyVersioned`]. A malformed batch (arrays of different
 *  lengths) is applied only as far as both arrays go. */
export function seatBatchEntries(batch: SeatBatch, status: SeatStatus): [string, SeatState][] {
  const n = Math.min(batch.seatIds.length, batch.versions.length);
  const out: [string, SeatState][] = [];
  for (let i = 0; i < n; i++) out.push([batch.seatIds[i], { status, version: batch.versions[i] }]);
  return out;
}

/** Every stock change one `ticket:updated` carries. */
export function stockEntries(msg: TicketUpdated): [string, StockState][] {
  const updates = msg.updates && msg.updates.length > 0 ? msg.updates : [msg];
  return updates.map((u) => [u.ticketTypeId, { remainingQuantity: u.remainingQuantity, version: u.version }]);
}

/** A snapshot is applied like any other update: newer wins. After a reconnect this is the
 *  resync, and anything the socket missed while it was away is in it. */
export function snapshotEntries<T extends { id: string; version: number }, S>(
  items: T[],
  pick: (item: T) => S,
): [string, S & { version: number }][] {
  return items.map((i) => [i.id, { ...pick(i), version: i.version }]);
}

/** A waiting user's place from the line's progress: number - servingNumber, never more
 *  than the place already shown (places only go down). */
export function placeInLine(number: number | null, servingNumber: number, shown: number | null): number | null {
  if (number == null) return shown;
  const place = Math.max(1, number - servingNumber);
  return shown == null ? place : Math.min(shown, place);
}

/** Seconds of waiting for `place` at `ratePerSec` (the server's measured rate). */
export function waitSeconds(place: number, ratePerSec: number): number {
  if (!(ratePerSec > 0)) return 0;
  return Math.ceil(place / ratePerSec);
}

/** What the waiting page shows of the user's place. */
export interface QueueView {
  place: number | null;
  number: number | null;
  totalWaiting: number;
  estimatedWait: number;
  admitted: boolean;
  firstPlace: number | null;
  /** The line is being restored after the server lost it (PROTOCOL "The line survives
   *  losing Redis"). */
  recovering: boolean;
}

export const EMPTY_QUEUE_VIEW: QueueView = {
  place: null, number: null, totalWaiting: 0, estimatedWait: 0, admitted: false, firstPlace: null, recovering: false,
};

/** The fields of a join or status answer, or a `queue:position` push, the view uses. */
export interface QueueAnswerFields {
  admitted: boolean;
  position: number | null;
  number: number | null;
  totalWaiting: number;
  estimatedWaitTime: number;
  recovering?: boolean;
}

/**
 * An answer into the view. Places only go down for one number; an answer with no place
 * keeps the one shown (after the server lost the line the page stays calm while it rejoins
 * with its receipt). An answer with a different number is a new place in line (a rejoin
 * that could not get the old number back): it is shown as it is.
 */
export function mergeQueueAnswer(v: QueueView, a: QueueAnswerFields): QueueView {
  const renumbered = a.number != null && v.number != null && a.number !== v.number;
  const place = a.position == null
    ? v.place
    : renumbered ? a.position : Math.min(v.place ?? a.position, a.position);
  return {
    place,
    number: a.number ?? v.number,
    totalWaiting: a.totalWaiting,
    estimatedWait: a.estimatedWaitTime,
    admitted: a.admitted || v.admitted,
    firstPlace: renumbered ? place : v.firstPlace ?? place,
    recovering: a.recovering ?? v.recovering,
  };
}
