// Live stock of an event's ticket types: a snapshot from the join:event ack, then
// `ticket:updated` pushes, newest version wins. Re-joins and re-reads after every reconnect.

import { useEffect, useState } from "react";
import type { TicketType } from "../api";
import { applyVersioned, snapshotEntries, stockEntries, type StockState, type TicketUpdated } from "../lib/merge";
import { useSocket } from "./useSocket";

export function useTicketUpdates(eventId: string, initial: TicketType[] | undefined) {
  const { socket, generation } = useSocket();
  const [stock, setStock] = useState<ReadonlyMap<string, StockState>>(new Map());

  useEffect(() => {
    if (initial) setStock((m) => applyVersioned(m, snapshotEntries(initial, (t) => ({ remainingQuantity: t.remainingQuantity }))));
  }, [initial]);

  useEffect(() => {
    if (!socket) return;
    const onUpdate = (msg: TicketUpdated) => {
      if (msg.eventId === eventId) setStock((m) => applyVersioned(m, stockEntries(msg)));
    };
    socket.on("ticket:updated", onUpdate);
    let live = true;
    if (socket.connected) {
      // Subscribe first, then read: nothing can fall between the snapshot and the pushes.
      socket
        .emitWithAck("join:event", { eventId, seats: false })
        .then((ack: { ok: boolean; ticketTypes?: TicketType[] }) => {
          if (live && ack.ok && ack.ticketTypes) {
            setStock((m) => applyVersioned(m, snapshotEntries(ack.ticketTypes!, (t) => ({ remainingQuantity: t.remainingQuantity }))));
          }
        })
        .catch(() => undefined);
    }
    return () => {
      live = false;
      socket.off("ticket:updated", onUpdate);
    };
  }, [socket, eventId, generation]);

  return stock;
}
