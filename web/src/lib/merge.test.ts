import { describe, expect, test } from "vitest";
import {
  applyVersioned, EMPTY_QUEUE_VIEW, mergeQueueAnswer, placeInLine, seatBatchEntries, snapshotEntries, stockEntries,
  waitSeconds, type QueueView, type SeatState, type StockState,
} from "./merge";

const seats = (entries: [string, SeatState][]) => new Map(entries);

describe("versions", () => {
  test("a newer version replaces, an older or equal one is dropped", () => {
    const m = seats([["s1", { status: "held", version: 3 }]]);
    expect(applyVersioned(m, [["s1", { status: "available", version: 2 }]])).toBe(m);
    expect(applyVersioned(m, [["s1", { status: "available", version: 3 }]])).toBe(m);
    const next = applyVersioned(m, [["s1", { status: "sold", version: 4 }]]);
    expect(next.get("s1")).toEqual({ status: "sold", version: 4 });
    expect(m.get("s1")?.status).toBe("held"); // the old map is not mutated
  });

  test("order does not matter: a push that raced the snapshot is not undone by it", () => {
    let m: ReadonlyMap<string, SeatState> = new Map();
    m = applyVersioned(m, seatBatchEntries({ eventId: "e", seatIds: ["s1"], versions: [2] }, "held"));
    m = applyVersioned(m, snapshotEntries([{ id: "s1", status: "available" as const, version: 1 }], (s) => ({ status: s.status })));
    expect(m.get("s1")).toEqual({ status: "held", version: 2 });
  });
});

describe("batches", () => {
  test("a batch applies every seat it names", () => {
    const m = applyVersioned(new Map(), seatBatchEntries({ eventId: "e", seatIds: ["a", "b", "c"], versions: [2, 5, 3] }, "sold"));
    expect([...m.entries()]).toEqual([
      ["a", { status: "sold", version: 2 }],
      ["b", { status: "sold", version: 5 }],
      ["c", { status: "sold", version: 3 }],
    ]);
  });

  test("a malformed batch is applied only as far as both arrays go", () => {
    expect(seatBatchEntries({ eventId: "e", seatIds: ["a", "b"], versions: [2] }, "held")).toHaveLength(1);
  });

  test("ticket:updated with several types applies them all, each by its own version", () => {
    const m: ReadonlyMap<string, StockState> = new Map([["t2", { remainingQuantity: 7, version: 9 }]]);
    const next = applyVersioned(
      m,
      stockEntries({
        eventId: "e", ticketTypeId: "t1", remainingQuantity: 4, version: 2,
        updates: [
          { ticketTypeId: "t1", remainingQuantity: 4, version: 2 },
          { ticketTypeId: "t2", remainingQuantity: 8, version: 8 }, // older: dropped
        ],
      }),
    );
    expect(next.get("t1")).toEqual({ remainingQuantity: 4, version: 2 });
    expect(next.get("t2")).toEqual({ remainingQuantity: 7, version: 9 });
  });

  test("ticket:updated without `updates` is one update", () => {
    expect(stockEntries({ eventId: "e", ticketTypeId: "t", remainingQuantity: 1, version: 5 })).toEqual([
      ["t", { remainingQuantity: 1, version: 5 }],
    ]);
  });
});

describe("resync", () => {
  test("after a reconnect the snapshot brings in what the socket missed", () => {
    let m: ReadonlyMap<string, SeatState> = seats([
      ["a", { status: "available", version: 1 }],
      ["b", { status: "held", version: 2 }],
    ]);
    // While offline: a was held (v2), b released (v3), both missed. The snapshot has them.
    m = applyVersioned(m, snapshotEntries(
      [{ id: "a", status: "held" as const, version: 2 }, { id: "b", status: "available" as const, version: 3 }],
      (s) => ({ status: s.status }),
    ));
    expect(m.get("a")?.status).toBe("held");
    expect(m.get("b")?.status).toBe("available");
    // A late duplicate of the old push changes nothing.
    expect(applyVersioned(m, seatBatchEntries({ eventId: "e", seatIds: ["b"], versions: [2] }, "held"))).toBe(m);
  });
});

describe("waiting line", () => {
  test("place is number - servingNumber and never goes up", () => {
    expect(placeInLine(120, 100, null)).toBe(20);
    expect(placeInLine(120, 110, 20)).toBe(10);
    expect(placeInLine(120, 105, 10)).toBe(10); // a stale progress message
    expect(placeInLine(120, 130, 10)).toBe(1);
    expect(placeInLine(null, 130, 7)).toBe(7);
  });

  test("the estimate follows the measured rate", () => {
    expect(waitSeconds(20, 2)).toBe(10);
    expect(waitSeconds(1, 0.5)).toBe(2);
    expect(waitSeconds(5, 0)).toBe(0);
  });
});

describe("queue answers", () => {
  const answer = (position: number | null, number: number | null, extra: Partial<{ admitted: boolean; recovering: boolean }> = {}) => ({
    admitted: false, position, number, totalWaiting: 5, estimatedWaitTime: 10, ...extra,
  });

  test("the first answer sets place and progress start; places only go down for one number", () => {
    let v: QueueView = mergeQueueAnswer(EMPTY_QUEUE_VIEW, answer(4, 14));
    expect(v).toMatchObject({ place: 4, number: 14, firstPlace: 4, admitted: false, recovering: false });
    v = mergeQueueAnswer(v, answer(2, 14));
    expect(v.place).toBe(2);
    v = mergeQueueAnswer(v, answer(3, 14)); // stale
    expect(v.place).toBe(2);
    expect(v.firstPlace).toBe(4);
  });

  test("an answer with no place keeps the place shown (calm while rejoining)", () => {
    let v = mergeQueueAnswer(EMPTY_QUEUE_VIEW, answer(2, 12));
    v = mergeQueueAnswer(v, answer(null, null, { recovering: true }));
    expect(v).toMatchObject({ place: 2, number: 12, recovering: true });
    // The rejoin with the receipt gives the same number back.
    v = mergeQueueAnswer(v, answer(2, 12, { recovering: true }));
    expect(v.place).toBe(2);
  });

  test("a different number is a new place, shown as it is", () => {
    let v = mergeQueueAnswer(EMPTY_QUEUE_VIEW, answer(1, 11));
    v = mergeQueueAnswer(v, answer(6, 40));
    expect(v).toMatchObject({ place: 6, number: 40, firstPlace: 6 });
  });

  test("recovering follows the answers that carry it; admitted sticks", () => {
    let v = mergeQueueAnswer(EMPTY_QUEUE_VIEW, answer(3, 13, { recovering: true }));
    expect(v.recovering).toBe(true);
    v = mergeQueueAnswer(v, answer(3, 13)); // no field: unchanged
    expect(v.recovering).toBe(true);
    v = mergeQueueAnswer(v, answer(3, 13, { recovering: false }));
    expect(v.recovering).toBe(false);
    v = mergeQueueAnswer(v, answer(null, null, { admitted: true }));
    v = mergeQueueAnswer(v, answer(2, 13));
    expect(v.admitted).toBe(true);
  });
});
