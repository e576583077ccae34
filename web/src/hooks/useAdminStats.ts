// The operator's live figures: `join:admin` (admin role), then `admin:stats` every second,
// counted over every instance. Joins again after every reconnect; the history (ten minutes)
// survives reconnects.

import { i18n } from "../i18n";
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

/** Why `join:admin` was refused, in the reader's language. */
function refusal(code: string | undefined): string {
  switch (code) {
    case "admin_only": return i18n.t("admin.stats.adminOnly");
    case "event_not_found": return i18n.t("admin.stats.noEvent");
    case "rate_limited": return i18n.t("admin.stats.rateLimited");
    case "too_many_watched": return i18n.t("admin.stats.tooMany");
    case "unavailable": return i18n.t("admin.stats.unavailable");
    default: return i18n.t("admin.stats.other", { code: code ?? "error" });
  }
}

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
          } else setError(refusal(ack.error));
        })
        .catch(() => live && setError(i18n.t("admin.stats.noAnswer")));
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
