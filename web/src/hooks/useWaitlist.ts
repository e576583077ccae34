// The signed-in user's waitlist entries for one event, with the offers held for them:
// `GET /api/waitlist/:eventId` on load, after every reconnect and every 10 s, and the
// `waitlist:offer` push (sent to this user's sockets only) as soon as stock comes back.

import { useCallback, useEffect, useState } from "react";
import { api, type WaitlistEntry, type WaitlistOffer } from "../api";
import { fromAnswer, withEntry, withOffer, type WaitlistView } from "../lib/shopping";
import { useSocket } from "./useSocket";

const POLL_MS = 10_000;

export function useWaitlist(eventId: string) {
  const { socket, generation } = useSocket();
  const [view, setView] = useState<WaitlistView>(new Map());

  const refresh = useCallback(() => {
    api.waitlist(eventId)
      .then(({ entries }) => setView((old) => fromAnswer(old, entries ?? [], eventId, Date.now())))
      .catch(() => undefined);
  }, [eventId]);

  // On load, after every (re)connect (generation), and every ~10 s.
  useEffect(() => {
    refresh();
    const t = setInterval(refresh, POLL_MS);
    return () => clearInterval(t);
  }, [refresh, generation]);

  useEffect(() => {
    if (!socket) return;
    const onOffer = (msg: WaitlistOffer) => setView((old) => withOffer(old, msg, eventId));
    socket.on("waitlist:offer", onOffer);
    return () => {
      socket.off("waitlist:offer", onOffer);
    };
  }, [socket, eventId]);

  const set = useCallback((ticketTypeId: string, entry: WaitlistEntry | null) => setView((old) => withEntry(old, ticketTypeId, entry)), []);
  return { waitlist: view, refresh, set };
}
