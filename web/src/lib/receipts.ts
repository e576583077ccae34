// Line receipts (PROTOCOL "The line survives losing Redis"), kept free of React and of the
// browser so they can be tested alone.
//
// Join and status answers carry `receipt`, a signed string naming the event, the user and
// their number. The app keeps the newest one per event and presents it on every rejoin and
// reconnect: if the server lost the line, it gives the holder their old number back. A
// receipt belongs to one user: it is stored with that user's id and never read for another
// account signed in later in the same browser.

/** The part of `Storage` the receipts need (localStorage in the app, a map in tests). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export const RECEIPTS_KEY = "boxoffice.receipts";
/** At most this many receipts are kept (the newest): one per event and user. */
export const MAX_RECEIPTS = 20;

interface Entry {
  user: string;
  event: string;
  receipt: string;
  at: number;
}

const entryKey = (userId: string, eventId: string) => `${userId} ${eventId}`;

function readAll(store: KeyValueStore): Record<string, Entry> {
  try {
    const raw = JSON.parse(store.getItem(RECEIPTS_KEY) ?? "{}");
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) return {};
    const out: Record<string, Entry> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      const e = v as Partial<Entry> | null;
      if (e && typeof e.user === "string" && typeof e.event === "string" && typeof e.receipt === "string" && typeof e.at === "number") {
        out[k] = e as Entry;
      }
    }
    return out;
  } catch {
    return {};
  }
}

function writeAll(store: KeyValueStore, all: Record<string, Entry>) {
  try {
    const entries = Object.entries(all).sort(([, a], [, b]) => b.at - a.at).slice(0, MAX_RECEIPTS);
    if (entries.length === 0) store.removeItem(RECEIPTS_KEY);
    else store.setItem(RECEIPTS_KEY, JSON.stringify(Object.fromEntries(entries)));
  } catch {
    // Storage full or refused (private mode): the receipt only lives as long as the answer.
  }
}

/** The receipt `userId` holds for `eventId`, if any. */
export function loadReceipt(store: KeyValueStore, userId: string | undefined, eventId: string): string | undefined {
  if (!userId) return undefined;
  const e = readAll(store)[entryKey(userId, eventId)];
  return e && e.user === userId && e.event === eventId ? e.receipt : undefined;
}

export function saveReceipt(store: KeyValueStore, userId: string | undefined, eventId: string, receipt: string, now = Date.now()) {
  if (!userId || !receipt) return;
  const all = readAll(store);
  const k = entryKey(userId, eventId);
  if (all[k]?.receipt === receipt) return;
  all[k] = { user: userId, event: eventId, receipt, at: now };
  writeAll(store, all);
}

export function dropReceipt(store: KeyValueStore, userId: string | undefined, eventId: string) {
  if (!userId) return;
  const all = readAll(store);
  const k = entryKey(userId, eventId);
  if (!(k in all)) return;
  delete all[k];
  writeAll(store, all);
}

/** What a join or status answer, or a `queue:position` push, means for the stored receipt. */
export interface ReceiptBearing {
  admitted: boolean;
  /** A string while the user has a place in line; `null` when admitted or not in line;
   *  absent from servers that do not issue receipts. */
  receipt?: string | null;
}

/**
 * Keeps the newest receipt and drops it once the user is admitted. An answer saying the user
 * is not in line (`receipt: null`, not admitted) keeps the stored one: that is exactly the
 * moment it is for, after the server lost the line. Leaving the line drops it explicitly.
 */
export function noteAnswer(store: KeyValueStore, userId: string | undefined, eventId: string, a: ReceiptBearing) {
  if (a.admitted) dropReceipt(store, userId, eventId);
  else if (typeof a.receipt === "string" && a.receipt) saveReceipt(store, userId, eventId, a.receipt);
}

/**
 * When to join the line again with the receipt, without a stampede or a loop.
 *
 * Two signs say the line may have lost this user: `queue:progress` with `recovering: true`
 * ("recovering"), and an answer with no place while the page believes it is waiting ("lost").
 * Each sign starts an episode: the first call of [`trigger`] in an episode says "rejoin"
 * (after [`rejoinDelay`]), later ones say nothing until the episode ends ([`settle`]: the line
 * stopped recovering, or showed the user a place again). Both signs usually come together
 * (a reconnect during a recovery), so a sign within `cooldownMs` of the last rejoin opens its
 * episode without a second rejoin: that one is already on its way. A page rejoins at most
 * `max` times in all, whatever happens.
 */
export type RejoinReason = "recovering" | "lost";

export class RejoinGate {
  private open = new Set<RejoinReason>();
  private used = 0;
  private last = -Infinity;
  constructor(private readonly max = 8, private readonly cooldownMs = 5000) {}

  /** True when a rejoin should be scheduled now for `reason`. */
  trigger(reason: RejoinReason, now = Date.now()): boolean {
    if (this.open.has(reason) || this.used >= this.max) return false;
    this.open.add(reason);
    if (now - this.last < this.cooldownMs) return false;
    this.last = now;
    this.used++;
    return true;
  }

  /** The episode for `reason` is over: a later sign starts a new one. */
  settle(reason: RejoinReason) {
    this.open.delete(reason);
  }

  get rejoins() {
    return this.used;
  }
}

/** A random delay in [0, maxMs) before a rejoin, so a whole line does not come back at once. */
export function rejoinDelay(maxMs = 2000, random: () => number = Math.random): number {
  return Math.floor(Math.max(0, Math.min(0.999999, random())) * maxMs);
}

/**
 * The answer says the user has no place in line and was not let in: no position and
 * `receipt: null`. Before the sale opens a joiner has no position yet but does hold a
 * receipt, so is in line; an answer from a server that issues no receipts says nothing.
 */
export function notInLine(a: ReceiptBearing & { position: number | null }): boolean {
  return !a.admitted && a.position == null && a.receipt === null;
}
