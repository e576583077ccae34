import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { followServerMoves, MAX_RECONNECT_IN_MS, type MovableSocket } from "./serverMoves";

/** A socket.io-client Socket as far as followServerMoves sees it. */
class FakeSocket implements MovableSocket {
  connected = true;
  active = true;
  id: string | undefined = "a";
  connects = 0;
  disconnects = 0;
  private handlers = new Map<string, Set<(...args: unknown[]) => void>>();
  private next = 0;
  on(event: string, fn: (...args: unknown[]) => void) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(fn);
  }
  off(event: string, fn: (...args: unknown[]) => void) {
    this.handlers.get(event)?.delete(fn);
  }
  emit(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  /** The server disconnects the socket: socket.io-client stops there. */
  serverDisconnect() {
    this.connected = false;
    this.active = false;
    this.id = undefined;
    this.emit("disconnect", "io server disconnect");
  }
  connect() {
    this.connects++;
    this.connected = true;
    this.active = true;
    this.id = `c${++this.next}`;
  }
  disconnect() {
    this.disconnects++;
    this.connected = false;
    this.active = false;
    this.id = undefined;
  }
}

describe("following the server's moves", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  test("draining: comes back after reconnectInMs, not before", () => {
    const s = new FakeSocket();
    followServerMoves(s);
    s.emit("server:draining", { reconnectInMs: 3000 });
    vi.advanceTimersByTime(1000);
    s.serverDisconnect();
    vi.advanceTimersByTime(1999);
    expect(s.connects).toBe(0);
    vi.advanceTimersByTime(1);
    expect(s.connects).toBe(1);
    expect(s.connected).toBe(true);
  });

  test("draining but not dropped in time: leaves by itself and comes back", () => {
    const s = new FakeSocket();
    followServerMoves(s);
    s.emit("server:draining", { reconnectInMs: 500 });
    vi.advanceTimersByTime(500);
    expect(s.disconnects).toBe(1);
    expect(s.connects).toBe(1);
  });

  test("a connection made meanwhile is left alone", () => {
    const s = new FakeSocket();
    followServerMoves(s);
    s.emit("server:draining", { reconnectInMs: 2000 });
    s.serverDisconnect();
    s.connect(); // e.g. the browser came back online
    vi.advanceTimersByTime(2000);
    expect(s.connects).toBe(1);
    expect(s.disconnects).toBe(0);
  });

  test("an unannounced server disconnect is followed within 1.5 s", () => {
    const s = new FakeSocket();
    followServerMoves(s, () => 0.999);
    s.serverDisconnect();
    vi.advanceTimersByTime(1498);
    expect(s.connects).toBe(0);
    vi.advanceTimersByTime(2);
    expect(s.connects).toBe(1);
  });

  test("other disconnects are socket.io-client's own business", () => {
    const s = new FakeSocket();
    followServerMoves(s);
    s.connected = false;
    s.emit("disconnect", "transport close");
    vi.advanceTimersByTime(10_000);
    expect(s.connects).toBe(0);
  });

  test("a hostile or broken reconnectInMs is bounded", () => {
    const s = new FakeSocket();
    followServerMoves(s);
    s.emit("server:draining", { reconnectInMs: 1e12 });
    s.serverDisconnect();
    vi.advanceTimersByTime(MAX_RECONNECT_IN_MS);
    expect(s.connects).toBe(1);
    const t = new FakeSocket();
    followServerMoves(t);
    t.emit("server:draining", "nonsense");
    t.serverDisconnect();
    vi.advanceTimersByTime(0);
    expect(t.connects).toBe(1);
  });

  test("stopping cancels a pending return", () => {
    const s = new FakeSocket();
    const stop = followServerMoves(s);
    s.emit("server:draining", { reconnectInMs: 100 });
    s.serverDisconnect();
    stop();
    vi.advanceTimersByTime(1000);
    expect(s.connects).toBe(0);
  });
});
