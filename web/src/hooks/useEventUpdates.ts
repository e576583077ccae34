// An event's settings as they change: `event:updated {eventId, event}` reaches every socket in
// the event's rooms (join:event and the waiting line) when an operator changes the event
// (pauses sales, say). The callback gets the whole new event object.

import { useEffect, useRef } from "react";
import type { AdminEvent } from "../lib/admin";
import { useSocket } from "./useSocket";

export function useEventUpdates(eventId: string, onEvent: (e: AdminEvent) => void) {
  const { socket } = useSocket();
  const callback = useRef(onEvent);
  callback.current = onEvent;
  useEffect(() => {
    if (!socket) return;
    const on = (m: { eventId?: string; event?: AdminEvent }) => {
      if (m?.eventId === eventId && m.event && typeof m.event === "object") callback.current(m.event);
    };
    socket.on("event:updated", on);
    return () => {
      socket.off("event:updated", on);
    };
  }, [socket, eventId]);
}
