// Live seat map: the layout and statuses over REST (large, so not over the socket), then
// seat pushes, newest version wins. After a reconnect it reads the seats again.

import { useEffect, useState } from "react";
import { api, type Seat } from "../api";
import { applyVersioned, SEAT_EVENTS, seatBatchEntries, snapshotEntries, type SeatBatch, type SeatState } from "../lib/merge";
import { useSocket } from "./useSocket";

export function useSeatUpdates(eventId: string, enabled: boolean) {
  const { socket, generation } = useSocket();
  const [layout, setLayout] = useState<Seat[]>([]);
  const [states, setStates] = useState<ReadonlyMap<string, SeatState>>(new Map());

  useEffect(() => {
    if (!enabled || !socket) return;
    const handlers = Object.entries(SEAT_EVENTS).map(([name, status]) => {
      const h = (batch: SeatBatch) => {
        if (batch.eventId === eventId) setStates((m) => applyVersioned(m, seatBatchEntries(batch, status)));
      };
      socket.on(name, h);
      return [name, h] as const;
    });
    let live = true;
    // The room is joined by useTicketUpdates (one join:event per event); pushes that race
    // this read are kept or dropped by version.
    api
      .seats(eventId)
      .then(({ seats }) => {
        if (!live) return;
        setLayout((old) => (old.length === seats.length ? old : seats));
        setStates((m) => applyVersioned(m, snapshotEntries(seats, (s) => ({ status: s.status }))));
      })
      .catch(() => undefined);
    return () => {
      live = false;
      for (const [name, h] of handlers) socket.off(name, h);
    };
  }, [socket, eventId, enabled, generation]);

  return { layout, states };
}
