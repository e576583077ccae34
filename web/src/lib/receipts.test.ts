import { describe, expect, test } from "vitest";
import {
  dropReceipt, loadReceipt, MAX_RECEIPTS, noteAnswer, notInLine, RECEIPTS_KEY, RejoinGate, rejoinDelay, saveReceipt,
  type KeyValueStore,
} from "./receipts";

function memory(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe("receipt storage", () => {
  test("kept per event, read back for the same user", () => {
    const s = memory();
    saveReceipt(s, "alice", "ev1", "r-1");
    saveReceipt(s, "alice", "ev2", "r-2");
    expect(loadReceipt(s, "alice", "ev1")).toBe("r-1");
    expect(loadReceipt(s, "alice", "ev2")).toBe("r-2");
    expect(loadReceipt(s, "alice", "ev3")).toBeUndefined();
  });

  test("bound to the user: another account in the same browser never gets it", () => {
    const s = memory();
    saveReceipt(s, "alice", "ev1", "r-alice");
    expect(loadReceipt(s, "bob", "ev1")).toBeUndefined();
    expect(loadReceipt(s, undefined, "ev1")).toBeUndefined();
    // Bob's own receipt for the same event does not replace Alice's.
    saveReceipt(s, "bob", "ev1", "r-bob");
    expect(loadReceipt(s, "bob", "ev1")).toBe("r-bob");
    expect(loadReceipt(s, "alice", "ev1")).toBe("r-alice");
    dropReceipt(s, "bob", "ev1");
    expect(loadReceipt(s, "alice", "ev1")).toBe("r-alice");
  });

  test("a newer receipt replaces the older one; dropping removes it", () => {
    const s = memory();
    saveReceipt(s, "alice", "ev1", "old");
    saveReceipt(s, "alice", "ev1", "new");
    expect(loadReceipt(s, "alice", "ev1")).toBe("new");
    dropReceipt(s, "alice", "ev1");
    expect(loadReceipt(s, "alice", "ev1")).toBeUndefined();
    expect(s.data.has(RECEIPTS_KEY)).toBe(false);
  });

  test("no user, no saving", () => {
    const s = memory();
    saveReceipt(s, undefined, "ev1", "r");
    expect(s.data.size).toBe(0);
  });

  test("garbage in storage reads as nothing and is replaced", () => {
    const s = memory();
    s.setItem(RECEIPTS_KEY, "{not json");
    expect(loadReceipt(s, "alice", "ev1")).toBeUndefined();
    s.setItem(RECEIPTS_KEY, JSON.stringify({ "alice ev1": { user: "alice", event: "ev1", receipt: 7, at: 1 } }));
    expect(loadReceipt(s, "alice", "ev1")).toBeUndefined();
    s.setItem(RECEIPTS_KEY, "[1,2]");
    saveReceipt(s, "alice", "ev1", "r");
    expect(loadReceipt(s, "alice", "ev1")).toBe("r");
  });

  test("a tampered entry naming another user is not read for the key's user", () => {
    const s = memory();
    s.setItem(RECEIPTS_KEY, JSON.stringify({ "alice ev1": { user: "mallory", event: "ev1", receipt: "r", at: 1 } }));
    expect(loadReceipt(s, "alice", "ev1")).toBeUndefined();
  });

  test("bounded: only the newest receipts are kept", () => {
    const s = memory();
    for (let i = 0; i < MAX_RECEIPTS + 5; i++) saveReceipt(s, "alice", `ev${i}`, `r${i}`, 1000 + i);
    expect(Object.keys(JSON.parse(s.getItem(RECEIPTS_KEY)!))).toHaveLength(MAX_RECEIPTS);
    expect(loadReceipt(s, "alice", "ev0")).toBeUndefined();
    expect(loadReceipt(s, "alice", `ev${MAX_RECEIPTS + 4}`)).toBe(`r${MAX_RECEIPTS + 4}`);
  });

  test("a storage that refuses writes does not throw", () => {
    const s: KeyValueStore = {
      getItem: () => null,
      setItem: () => { throw new Error("QuotaExceededError"); },
      removeItem: () => { throw new Error("SecurityError"); },
    };
    expect(() => saveReceipt(s, "alice", "ev1", "r")).not.toThrow();
  });
});

describe("answers", () => {
  test("a receipt in an answer is kept; admission drops it", () => {
    const s = memory();
    noteAnswer(s, "alice", "ev1", { admitted: false, receipt: "r-7" });
    expect(loadReceipt(s, "alice", "ev1")).toBe("r-7");
    noteAnswer(s, "alice", "ev1", { admitted: true, receipt: null });
    expect(loadReceipt(s, "alice", "ev1")).toBeUndefined();
  });

  test("'not in line' keeps the receipt: that is when it is needed", () => {
    const s = memory();
    noteAnswer(s, "alice", "ev1", { admitted: false, receipt: "r-7" });
    noteAnswer(s, "alice", "ev1", { admitted: false, receipt: null });
    expect(loadReceipt(s, "alice", "ev1")).toBe("r-7");
  });

  test("an answer without the field (older server) changes nothing", () => {
    const s = memory();
    noteAnswer(s, "alice", "ev1", { admitted: false, receipt: "r-7" });
    noteAnswer(s, "alice", "ev1", { admitted: false });
    expect(loadReceipt(s, "alice", "ev1")).toBe("r-7");
  });

  test("not in line: no position, not admitted, receipt null", () => {
    expect(notInLine({ admitted: false, position: null, receipt: null })).toBe(true);
    expect(notInLine({ admitted: false, position: 3, receipt: "r" })).toBe(false);
    expect(notInLine({ admitted: true, position: null, receipt: null })).toBe(false);
    // Before the sale opens: no position yet, but a receipt.
    expect(notInLine({ admitted: false, position: null, receipt: "r" })).toBe(false);
    // A server without receipts says nothing either way.
    expect(notInLine({ admitted: false, position: null })).toBe(false);
  });
});

describe("rejoining", () => {
  test("once per episode", () => {
    const g = new RejoinGate();
    expect(g.trigger("recovering", 0)).toBe(true);
    expect(g.trigger("recovering", 100)).toBe(false); // every progress tick of the same window
    expect(g.trigger("recovering", 60_000)).toBe(false);
    g.settle("recovering");
    expect(g.trigger("recovering", 120_000)).toBe(true); // a new loss later
    expect(g.rejoins).toBe(2);
  });

  test("the two signs are separate episodes, but one rejoin serves both when they come together", () => {
    const g = new RejoinGate();
    expect(g.trigger("recovering", 0)).toBe(true);
    expect(g.trigger("lost", 300)).toBe(false); // the rejoin is already on its way
    expect(g.trigger("lost", 20_000)).toBe(false); // and that episode is open
    g.settle("lost");
    expect(g.trigger("lost", 30_000)).toBe(true); // lost again, later
    expect(g.trigger("recovering", 40_000)).toBe(false); // still the first recovery
    expect(g.rejoins).toBe(2);
  });

  test("bounded in all, whatever the server says", () => {
    const g = new RejoinGate(3, 0);
    let n = 0;
    for (let i = 0; i < 100; i++) {
      if (g.trigger("lost", i * 10_000)) n++;
      g.settle("lost");
    }
    expect(n).toBe(3);
  });

  test("the delay is random in [0, 2 s)", () => {
    expect(rejoinDelay(2000, () => 0)).toBe(0);
    expect(rejoinDelay(2000, () => 0.5)).toBe(1000);
    expect(rejoinDelay(2000, () => 0.9999999)).toBeLessThan(2000);
    expect(rejoinDelay(2000, () => 1)).toBeLessThan(2000);
    expect(rejoinDelay(2000, () => -1)).toBe(0);
    for (let i = 0; i < 100; i++) {
      const d = rejoinDelay();
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(2000);
    }
  });
});
