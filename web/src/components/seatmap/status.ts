// Seat statuses as the live map keeps them: a byte and a version per seat position.
//
// The compact snapshot (GET /api/events/:id/seat-status, or the `join:event` ack with
// `seats: "compact"`) packs 2 bits per seat and run-length-encodes the versions; pushes name
// seats by id with their new versions. Everything is merged newest-version-wins, as
// lib/merge.ts does for the v1 maps, so a snapshot and pushes may arrive in any order.
// Changed positions are remembered so the map redraws only those.

import { SEAT_EVENTS, type SeatBatch, type SeatStatus } from "../../lib/merge";
import type { SeatGeometry } from "./geometry";

export const AVAILABLE = 0;
export const HELD = 1;
export const SOLD = 2;

export const STATUS_NAMES: readonly SeatStatus[] = ["available", "held", "sold"];
export const STATUS_CODES: Record<SeatStatus, number> = { available: AVAILABLE, held: HELD, sold: SOLD };

/** The compact status object (agreed wire shape). */
export interface WireSeatStatus {
  eventId: string;
  seatCount: number;
  status: string;
  versions: [number, number][];
}

export class StatusError extends Error {}

/** 2-bit statuses in position order: seat p in byte p >> 2, bits (p & 3) * 2, least significant first. */
export function decodeStatusBits(base64: string, count: number): Uint8Array {
  const bin = atob(base64);
  if (bin.length < Math.ceil(count / 4)) throw new StatusError("status too short");
  const out = new Uint8Array(count);
  for (let p = 0; p < count; p++) {
    const v = (bin.charCodeAt(p >> 2) >> ((p & 3) * 2)) & 3;
    out[p] = v > SOLD ? AVAILABLE : v;
  }
  return out;
}

/** The inverse of decodeStatusBits (tests, fixtures). */
export function encodeStatusBits(status: ArrayLike<number>): string {
  const bytes = new Uint8Array(Math.ceil(status.length / 4));
  for (let p = 0; p < status.length; p++) bytes[p >> 2] |= (status[p] & 3) << ((p & 3) * 2);
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin);
}

/** [[version, run], …] to one version per position. */
export function decodeVersions(runs: [number, number][], count: number): Float64Array {
  const out = new Float64Array(count);
  let p = 0;
  for (const [version, run] of runs) {
    if (!Number.isInteger(run) || run < 0 || p + run > count) throw new StatusError("versions overrun");
    out.fill(version, p, p + run);
    p += run;
  }
  if (p !== count) throw new StatusError("versions short");
  return out;
}

export function encodeVersions(versions: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 0; p < versions.length; p++) {
    const last = out[out.length - 1];
    if (last && last[0] === versions[p]) last[1]++;
    else out.push([versions[p], 1]);
  }
  return out;
}

/**
 * The live statuses of one map. Mutated in place (a 50,000-seat map is not copied per push);
 * `changes` counts updates so React can notice, `takeDirty` hands the renderer what changed.
 */
export class SeatStatusStore {
  readonly status: Uint8Array;
  readonly versions: Float64Array;
  /** Available seats per section. */
  readonly availableIn: Int32Array;
  changes = 0;
  private dirty: number[] = [];
  private allDirty = true;

  constructor(readonly geometry: SeatGeometry) {
    this.status = new Uint8Array(geometry.count);
    this.versions = new Float64Array(geometry.count).fill(-1);
    this.availableIn = new Int32Array(geometry.sections.length);
    geometry.sections.forEach((s, i) => (this.availableIn[i] = s.count));
  }

  private set(p: number, status: number, version: number): boolean {
    if (this.versions[p] >= version) return false;
    this.versions[p] = version;
    const old = this.status[p];
    if (old === status) return false;
    this.status[p] = status;
    const s = this.geometry.sectionOf[p];
    if (old === AVAILABLE) this.availableIn[s]--;
    if (status === AVAILABLE) this.availableIn[s]++;
    if (!this.allDirty) this.dirty.push(p);
    return true;
  }

  /** A snapshot, applied like any update: newer wins per seat. Returns how many seats changed. */
  applySnapshot(status: Uint8Array, versions: Float64Array): number {
    const n = Math.min(this.geometry.count, status.length, versions.length);
    let changed = 0;
    const many = n > 2000;
    if (many) this.allDirty = true;
    for (let p = 0; p < n; p++) if (this.set(p, status[p], versions[p])) changed++;
    if (many) this.dirty = [];
    if (changed) this.changes++;
    return changed;
  }

  applyWire(w: WireSeatStatus): number {
    const n = this.geometry.count;
    if (w.seatCount !== n) throw new StatusError(`status for ${w.seatCount} seats, map has ${n}`);
    return this.applySnapshot(decodeStatusBits(w.status, n), decodeVersions(w.versions, n));
  }

  /** A `seat:*` push. Unknown ids are ignored; a malformed batch is applied as far as both arrays go. */
  applyPush(name: string, batch: SeatBatch): number {
    const status = SEAT_EVENTS[name];
    if (!status) return 0;
    const code = STATUS_CODES[status];
    const k = Math.min(batch.seatIds?.length ?? 0, batch.versions?.length ?? 0);
    let changed = 0;
    for (let i = 0; i < k; i++) {
      const p = this.geometry.positionOf(batch.seatIds[i]);
      if (p >= 0 && this.set(p, code, batch.versions[i])) changed++;
    }
    if (changed) this.changes++;
    return changed;
  }

  statusOf(id: string): SeatStatus {
    const p = this.geometry.positionOf(id);
    return p < 0 ? "available" : STATUS_NAMES[this.status[p]];
  }

  /** What changed since the last call: every seat (`"all"`) or a list of positions. */
  takeDirty(): "all" | number[] {
    if (this.allDirty) {
      this.allDirty = false;
      this.dirty = [];
      return "all";
    }
    const d = this.dirty;
    this.dirty = [];
    return d;
  }

  markAllDirty() {
    this.allDirty = true;
  }
}
