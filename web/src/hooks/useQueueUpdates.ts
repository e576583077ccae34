// The user's place in an event's waiting line: `queue:position` for them, `queue:progress`
// for the whole line (place = number - servingNumber, never going up), and
// `queue:admitted` when it is their turn.
//
// The line survives the server losing it (PROTOCOL "The line survives losing Redis"): every
// join and every socket (re)connect presents the user's receipt, and when the line says it
// is recovering, or an answer shows no place while this page is waiting, the page joins
// again with the receipt once, after a short random delay.

import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, forgetReceipt, noteQueueAnswer, receiptFor, rememberAdmission, type QueueAnswer } from "../api";
import { EMPTY_QUEUE_VIEW, mergeQueueAnswer, placeInLine, waitSeconds, type QueueView } from "../lib/merge";
import { notInLine, RejoinGate, rejoinDelay, type RejoinReason } from "../lib/receipts";
import { useSocket } from "./useSocket";

export type { QueueView };

export function useQueueUpdates(eventId: string) {
  const { socket, generation } = useSocket();
  const [view, setView] = useState<QueueView>(EMPTY_QUEUE_VIEW);
  /** This page has been shown a place in line (and not let in): it believes it is waiting. */
  const waiting = useRef(false);
  const gate = useRef(new RejoinGate());
  const timers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const pending = timers.current;
    return () => {
      pending.forEach(clearTimeout);
      pending.clear();
    };
  }, []);

  // Events with `botCheck` refuse a join without a solved check: the page then shows the
  // widget and joins again with its payload. `botCheck`: joins refused in a row (0: none).
  const [botCheck, setBotCheck] = useState(0);
  const fromAnswerRef = useRef<(a: QueueAnswer) => void>(() => undefined);
  const join = useCallback((proof?: string) => {
    api.joinQueue(eventId, proof).then((a) => {
      setBotCheck(0);
      fromAnswerRef.current(a);
    }).catch((e) => {
      if (e instanceof ApiError && (e.code === "bot_check_required" || e.code === "bot_check_failed")) {
        setBotCheck((n) => n + 1);
      }
    });
  }, [eventId]);

  /** Joins again with the receipt (api.joinQueue presents it), once per episode, after a
   *  random 0-2 s so a whole line does not come back in the same instant. */
  const rejoin = useCallback((reason: RejoinReason) => {
    if (!gate.current.trigger(reason)) return;
    const t = setTimeout(() => {
      timers.current.delete(t);
      join();
    }, rejoinDelay());
    timers.current.add(t);
  }, [join]);

  const fromAnswer = useCallback((a: QueueAnswer) => {
    if (a.admitted) {
      waiting.current = false;
      gate.current.settle("lost");
    } else if (a.position != null) {
      waiting.current = true;
      gate.current.settle("lost");
    } else if (notInLine(a) && (waiting.current || receiptFor(eventId) != null)) {
      // No place any more, while this page was waiting: the line may have been lost.
      rejoin("lost");
    }
    setView((v) => mergeQueueAnswer(v, a));
  }, [eventId, rejoin]);
  fromAnswerRef.current = fromAnswer;

  useEffect(() => join(), [join]);

  useEffect(() => {
    if (!socket) return;
    const onPosition = (p: QueueAnswer) => {
      if (p.eventId !== eventId) return;
      noteQueueAnswer(eventId, p);
      fromAnswerRef.current(p);
    };
    const onProgress = (p: { eventId: string; servingNumber: number; totalWaiting: number; admitRatePerSec: number; recovering?: boolean }) => {
      if (p.eventId !== eventId) return;
      if (p.recovering === true) {
        // Only a holder of a receipt has a place to get back.
        if (receiptFor(eventId) != null) rejoin("recovering");
      } else if (p.recovering === false) {
        gate.current.settle("recovering");
      }
      setView((v) => {
        const place = placeInLine(v.number, p.servingNumber, v.place);
        return {
          ...v,
          place,
          totalWaiting: p.totalWaiting,
          estimatedWait: place != null && p.admitRatePerSec > 0 ? waitSeconds(place, p.admitRatePerSec) : v.estimatedWait,
          recovering: p.recovering ?? v.recovering,
        };
      });
    };
    const onAdmitted = (m: { eventId: string; admissionToken: string }) => {
      if (m.eventId !== eventId) return;
      rememberAdmission(eventId, m.admissionToken);
      forgetReceipt(eventId);
      waiting.current = false;
      setView((v) => ({ ...v, admitted: true }));
    };
    socket.on("queue:position", onPosition);
    socket.on("queue:progress", onProgress);
    socket.on("queue:admitted", onAdmitted);
    if (socket.connected) {
      // Every (re)connect presents the receipt: a line that was lost meanwhile gives the
      // old number back before answering with `queue:position`.
      const receipt = receiptFor(eventId);
      socket.emit("join:queue", receipt ? { eventId, receipt } : eventId);
    }
    // A status call too: after a reconnect the admission may have come while away.
    api.queueStatus(eventId).then((a) => fromAnswerRef.current(a)).catch(() => undefined);
    return () => {
      socket.off("queue:position", onPosition);
      socket.off("queue:progress", onProgress);
      socket.off("queue:admitted", onAdmitted);
    };
  }, [socket, eventId, generation, rejoin]);

  // Where I stand now, by a status call (after the sale opens, say: places are handed out then).
  const refresh = useCallback(() => {
    api.queueStatus(eventId).then((a) => fromAnswerRef.current(a)).catch(() => undefined);
  }, [eventId]);

  return { ...view, botCheck, join, refresh };
}
