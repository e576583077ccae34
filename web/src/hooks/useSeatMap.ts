// The live seat map's data: the geometry once over HTTP (immutable, so the browser keeps it),
// the statuses as a compact snapshot from `join:event` with `seats: "compact"`, then `seat:*`
// pushes merged by version into typed arrays. After a reconnect the room is joined again and
// the fresh snapshot is merged like any update.
//
// A server without the compact forms (older than docs/PROTOCOL-ADDITIONS.md "Big venues") is
// still served: the v1 seat list becomes the same geometry and statuses.

import { useCallback, useEffect, useMemo, useState } from "react";
import { api, type Seat } from "../api";
import { decodeGeometry, geometryFromSeats, seatInfo, type SeatGeometry, type SeatInfo, type WireGeometry } from "../components/seatmap/geometry";
import { SeatStatusStore, STATUS_CODES, type WireSeatStatus } from "../components/seatmap/status";
import { SEAT_EVENTS, type SeatBatch, type SeatStatus } from "../lib/merge";
import { useSocket } from "./useSocket";

interface Loaded {
  geometry: SeatGeometry;
  store: SeatStatusStore;
  /** Made from v1 seats: its positions are its own, so statuses come from v1 seats too. */
  v1: boolean;
}

/** Geometry (and, from a v1 server, the statuses that came with it). */
async function loadGeometry(eventId: string): Promise<{ geometry: SeatGeometry; seats?: Seat[] }> {
  const res = await fetch(`/api/events/${encodeURIComponent(eventId)}/seatmap`);
  if (res.ok) return { geometry: decodeGeometry((await res.json()) as WireGeometry) };
  const { seats } = await api.seats(eventId);
  return { geometry: geometryFromSeats(eventId, seats), seats };
}

export async function fetchSeatStatus(eventId: string): Promise<WireSeatStatus | null> {
  const res = await fetch(`/api/events/${encodeURIComponent(eventId)}/seat-status`, { cache: "no-cache" });
  return res.ok ? ((await res.json()) as WireSeatStatus) : null;
}

/** v1 seats into a store (positions by id). */
export function applySeats(store: SeatStatusStore, seats: readonly Pick<Seat, "id" | "status" | "version">[]) {
  const n = store.geometry.count;
  const status = new Uint8Array(n);
  const versions = new Float64Array(n).fill(-1);
  for (const s of seats) {
    const p = store.geometry.positionOf(s.id);
    if (p >= 0) {
      status[p] = STATUS_CODES[s.status as SeatStatus] ?? 0;
      versions[p] = s.version;
    }
  }
  store.applySnapshot(status, versions);
}

export function useSeatMap(eventId: string, enabled: boolean) {
  const { socket, generation } = useSocket();
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState(false);
  const [changes, setChanges] = useState(0);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    setLoaded(null);
    setReady(false);
    loadGeometry(eventId).then(({ geometry, seats }) => {
      if (!live) return;
      const store = new SeatStatusStore(geometry);
      if (seats) {
        applySeats(store, seats);
        setReady(true);
      }
      setLoaded({ geometry, store, v1: !!seats });
    }).catch(() => live && setError(true));
    return () => { live = false; };
  }, [eventId, enabled]);

  useEffect(() => {
    if (!loaded || !socket) return;
    const { store, v1 } = loaded;
    const bump = () => setChanges(store.changes);
    const handlers = Object.keys(SEAT_EVENTS).map((name) => {
      const h = (batch: SeatBatch) => {
        if (batch.eventId === eventId && store.applyPush(name, batch)) bump();
      };
      socket.on(name, h);
      return [name, h] as const;
    });
    let live = true;
    const snapshot = (w: WireSeatStatus | null | undefined) => {
      if (!live || !w) return false;
      try {
        store.applyWire(w);
      } catch {
        return false;
      }
      setReady(true);
      bump();
      return true;
    };
    // v1 seats, when the server has no compact status.
    const fallback = () => api.seats(eventId).then(({ seats }) => {
      if (!live) return;
      applySeats(store, seats);
      setReady(true);
      bump();
    });
    // Subscribe first, then read: pushes that race the snapshot are kept or dropped by version.
    (async () => {
      let w: WireSeatStatus | null | undefined = null;
      if (v1) {
        await fallback();
        return;
      }
      if (socket.connected) {
        try {
          const ack: { ok?: boolean; seatStatus?: WireSeatStatus; seats?: Seat[] } = await socket.emitWithAck("join:event", { eventId, seats: "compact" });
          w = ack?.ok ? ack.seatStatus : null;
          // A server that does not know the compact form answers with v1 seats.
          if (live && ack?.ok && !w && Array.isArray(ack.seats)) {
            applySeats(store, ack.seats);
            setReady(true);
            bump();
            return;
          }
        } catch {
          w = null;
        }
      }
      if (snapshot(w) || !live) return;
      if (snapshot(await fetchSeatStatus(eventId).catch(() => null)) || !live) return;
      await fallback();
    })().catch(() => undefined);
    return () => {
      live = false;
      for (const [name, h] of handlers) socket.off(name, h);
    };
  }, [loaded, socket, eventId, generation]);

  const geometry = loaded?.geometry ?? null;
  const store = loaded?.store ?? null;
  const statusOf = useCallback((id: string): SeatStatus => (store ? store.statusOf(id) : "available"),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [store, changes]);
  const seatOf = useCallback((id: string): SeatInfo | undefined => {
    if (!geometry) return undefined;
    const p = geometry.positionOf(id);
    return p >= 0 ? seatInfo(geometry, p) : undefined;
  }, [geometry]);
  const sections = useMemo(() => geometry?.sections.map((s) => s.name) ?? [], [geometry]);
  return { geometry, store: ready ? store : null, changes, statusOf, seatOf, sections, error };
}
