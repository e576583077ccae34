// ONE Socket.IO connection per tab, shared through context (the original design opened one
// per hook). It reconnects for ever, with exponential backoff and jitter, and tells every
// subscriber when it is back so they can re-read their snapshot. When the server moves it
// away (a draining instance: `server:draining`, then a server disconnect, which
// socket.io-client does not recover from by itself), followServerMoves brings it back.

import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import { followServerMoves } from "../lib/serverMoves";

export type ConnectionState = "connected" | "reconnecting" | "offline";

interface SocketContextValue {
  socket: Socket | null;
  state: ConnectionState;
  /** Grows by one on every (re)connect: effects that depend on it re-subscribe and resync. */
  generation: number;
}

const SocketContext = createContext<SocketContextValue>({ socket: null, state: "offline", generation: 0 });

export function SocketProvider({ token, children }: { token: string | null; children: ReactNode }) {
  const [state, setState] = useState<ConnectionState>("offline");
  const [generation, setGeneration] = useState(0);
  const [socket, setSocket] = useState<Socket | null>(null);

  useEffect(() => {
    if (!token) return;
    const s = io({
      auth: { token },
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 500,
      reconnectionDelayMax: 10_000,
      randomizationFactor: 0.5,
      ackTimeout: 10_000,
    });
    setSocket(s);
    const up = () => {
      setState("connected");
      setGeneration((g) => g + 1);
    };
    const down = () => setState(navigator.onLine ? "reconnecting" : "offline");
    s.on("connect", up);
    s.on("disconnect", down);
    s.on("connect_error", down);
    s.io.on("reconnect_attempt", down);
    const stopFollowing = followServerMoves(s);
    const offline = () => setState("offline");
    const online = () => {
      setState(s.connected ? "connected" : "reconnecting");
      if (!s.connected) s.connect();
    };
    window.addEventListener("offline", offline);
    window.addEventListener("online", online);
    return () => {
      window.removeEventListener("offline", offline);
      window.removeEventListener("online", online);
      stopFollowing();
      s.close();
      setSocket(null);
      setState("offline");
    };
  }, [token]);

  const value = useMemo(() => ({ socket, state, generation }), [socket, state, generation]);
  return <SocketContext.Provider value={value}>{children}</SocketContext.Provider>;
}

export function useSocket(): SocketContextValue {
  return useContext(SocketContext);
}
