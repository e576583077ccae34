// The operator's live figures: `join:admin` (admin role), then `admin:stats` every second,
// counted over every instance. Joins again after every reconnect; the history (ten minutes)
// survives reconnects.

import { useEffect, useState } from "react";
import { pushSample, type Sample, type WaitingRoomMode } from "../lib/admin";
import { useSocket } from "./useSocket";

export interface TicketTypeStats {
  ticketTypeId: string;
  name: string;
  price: number;
  total: number;
  sold: number;
  held: number;
  remainingQuantity: number;
  revenue: number;
}

export interface AdminStats {
  eventId: string;
  at: string;
  waiting: number;
  activeShoppers: number;
  admittedPerSec: number;
  holdsPerSec: number;
  sold: number;
  revenue: number;
  remaining: { ticketTypeId: string; remainingQuantity: number }[];
  ticketTypes?: TicketTypeStats[];
  seats?: { available: number; held: number; sold: number };
  connections: number;
  instances: number;
  pushDrops?: number;
  /** The line's capacity, to set `activeShoppers` against. */
  capacity?: number;
  salesPaused?: boolean;
  waitingRoom?: WaitingRoomMode;
}

const ERRORS: Record<string, string> = {
  admin_only: "Only administrators can watch the sale.",
  event_not_found: "There is no such event.",
  rate_limited: "Too many requests; retrying on the next reconnect.",
  too_many_watched: "This tab already watches five events' figures; close another dashboard first.",
  unavailable: "The live figures could not be read just now; retrying on the next reconnect.",
};

export function useAdminStats(eventId: string) {
  const { socket, generation } = useSocket();
  const [stats, setStats] = useState<AdminStats | null>(null);
  const [history, setHistory] = useState<Sample[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!socket) return;
    const take = (s: AdminStats) => {
      if (!s || s.eventId !== eventId) return;
      setStats(s);
      const t = Date.parse(s.at);
      setHistory((h) => pushSample(h, {
        t: Number.isNaN(t) ? Date.now() : t,
        waiting: s.waiting,
        active: s.activeShoppers,
        admittedPerSec: s.admittedPerSec,
        holdsPerSec: s.holdsPerSec,
        sold: s.sold,
        revenue: s.revenue,
      }));
    };
    socket.on("admin:stats", take);
    let live = true;
    if (socket.connected) {
      socket
        .emitWithAck("join:admin", eventId)
        .then((ack: { ok: boolean; stats?: AdminStats; error?: string }) => {
          if (!live) return;
          if (ack.ok) {
            setError(null);
            if (ack.stats) take(ack.stats);
          } else setError(ERRORS[ack.error ?? ""] ?? `The live figures are not available (${ack.error ?? "error"}).`);
        })
        .catch(() => live && setError("The live figures did not answer; retrying on the next reconnect."));
    }
    return () => {
      live = false;
      socket.off("admin:stats", take);
    };
  }, [socket, eventId, generation]);

  // Leaving the page stops the figures (a reconnect needs no leave: the new connection is in
  // no room, and a leave racing the next join could undo it).
  useEffect(() => {
    if (!socket) return;
    return () => {
      if (socket.connected) socket.emit("leave:admin", eventId);
    };
  }, [socket, eventId]);

  return { stats, history, error };
}
