// Coming back after the server moved the socket away. socket.io-client reconnects by itself
// after a lost connection, but NOT after the server disconnects the socket on purpose
// (reason "io server disconnect"): then it stays offline for ever. A draining instance
// (shared/PROTOCOL.md, Operating) tells each socket `server:draining {reconnectInMs}` and then
// disconnects it in its slot; this reconnects it after `reconnectInMs`, through the load
// balancer, to another instance (where `session:restored` puts it back in its rooms). A
// server disconnect that was not announced is followed by a reconnect after about a second.

/** What this needs of a socket.io-client `Socket` (a fake in the unit tests). */
export interface MovableSocket {
  readonly connected: boolean;
  /** True while socket.io-client is itself trying to reconnect. */
  readonly active: boolean;
  readonly id: string | undefined;
  connect(): unknown;
  disconnect(): unknown;
  on(event: string, fn: (...args: any[]) => void): unknown;
  off(event: string, fn: (...args: any[]) => void): unknown;
}

/** Base delay before coming back after an unannounced server disconnect (0.5x to 1.5x). */
export const UNANNOUNCED_MS = 1000;
/** A `reconnectInMs` larger than this is taken as this (a server's mistake must not strand
 *  the user for an hour). */
export const MAX_RECONNECT_IN_MS = 60_000;

/** Follows the server's moves; returns the function that stops following. */
export function followServerMoves(socket: MovableSocket, random: () => number = Math.random): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  // The connection the server asked to move (a later, new connection is left alone).
  let movedId: string | undefined;

  const schedule = (ms: number) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(comeBack, ms);
  };
  const comeBack = () => {
    timer = null;
    if (socket.connected) {
      if (socket.id !== movedId) return; // already back, on a new connection
      socket.disconnect(); // not dropped yet: leave on our own, as asked
    }
    movedId = undefined;
    if (!socket.active) socket.connect();
  };
  const onDraining = (message: unknown) => {
    const asked = Number((message as { reconnectInMs?: unknown } | null)?.reconnectInMs);
    const ms = Number.isFinite(asked) ? Math.min(Math.max(asked, 0), MAX_RECONNECT_IN_MS) : 0;
    movedId = socket.id;
    schedule(ms);
  };
  const onDisconnect = (reason: string) => {
    // Any other reason: socket.io-client reconnects by itself (or the app closed it).
    if (reason !== "io server disconnect") return;
    if (timer !== null) return; // announced: come back at the time the server gave
    schedule(UNANNOUNCED_MS * (0.5 + random()));
  };

  socket.on("server:draining", onDraining);
  socket.on("disconnect", onDisconnect);
  return () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    socket.off("server:draining", onDraining);
    socket.off("disconnect", onDisconnect);
  };
}
