// The user's place in an event's waiting line: `queue:position` for them, `queue:progress`
// for the whole line (place = number - servingNumber, never going up), and
// `queue:admitted` when it is their turn.

import { useCallback, useEffect, useState } from "react";
import { api, ApiError, rememberAdmission, type QueueAnswer } from "../api";
import { placeInLine, waitSeconds } from "../lib/merge";
import { useSocket } from "./useSocket";

export interface QueueView {
  place: number | null;
  number: number | null;
  totalWaiting: number;
  estimatedWait: number;
  admitted: boolean;
  firstPlace: number | null;
}

export function useQueueUpdates(eventId: string) {
  const { socket, generation } = useSocket();
  const [view, setView] = useState<QueueView>({ place: null, number: null, totalWaiting: 0, estimatedWait: 0, admitted: false, firstPlace: null });

  const fromAnswer = (a: QueueAnswer) =>
    setView((v) => {
      const place = a.position == null ? v.place : Math.min(v.place ?? a.position, a.position);
      return {
        place,
        number: a.number ?? v.number,
        totalWaiting: a.totalWaiting,
        estimatedWait: a.estimatedWaitTime,
        admitted: a.admitted || v.admitted,
        firstPlace: v.firstPlace ?? place,
      };
    });

  // Events with `botCheck` refuse a join without a solved check: the page then shows the
  // widget and joins again with its payload. `botCheck`: joins refused in a row (0: none).
  const [botCheck, setBotCheck] = useState(0);
  const join = useCallback((proof?: string) => {
    api.joinQueue(eventId, proof).then((a) => {
      setBotCheck(0);
      fromAnswer(a);
    }).catch((e) => {
      if (e instanceof ApiError && (e.code === "bot_check_required" || e.code === "bot_check_failed")) {
        setBotCheck((n) => n + 1);
      }
    });
  }, [eventId]);
  useEffect(() => join(), [join]);

  useEffect(() => {
    if (!socket) return;
    const onPosition = (p: QueueAnswer) => p.eventId === eventId && fromAnswer(p);
    const onProgress = (p: { eventId: string; servingNumber: number; totalWaiting: number; admitRatePerSec: number }) => {
      if (p.eventId !== eventId) return;
      setView((v) => {
        const place = placeInLine(v.number, p.servingNumber, v.place);
        return {
          ...v,
          place,
          totalWaiting: p.totalWaiting,
          estimatedWait: place != null && p.admitRatePerSec > 0 ? waitSeconds(place, p.admitRatePerSec) : v.estimatedWait,
        };
      });
    };
    const onAdmitted = (m: { eventId: string; admissionToken: string }) => {
      if (m.eventId !== eventId) return;
      rememberAdmission(eventId, m.admissionToken);
      setView((v) => ({ ...v, admitted: true }));
    };
    socket.on("queue:position", onPosition);
    socket.on("queue:progress", onProgress);
    socket.on("queue:admitted", onAdmitted);
    if (socket.connected) socket.emit("join:queue", eventId);
    // A status call too: after a reconnect the admission may have come while away.
    api.queueStatus(eventId).then(fromAnswer).catch(() => undefined);
    return () => {
      socket.off("queue:position", onPosition);
      socket.off("queue:progress", onProgress);
      socket.off("queue:admitted", onAdmitted);
    };
  }, [socket, eventId, generation]);

  // Where I stand now, by a status call (after the sale opens, say: places are handed out then).
  const refresh = useCallback(() => {
    api.queueStatus(eventId).then(fromAnswer).catch(() => undefined);
  }, [eventId]);

  return { ...view, botCheck, join, refresh };
}
