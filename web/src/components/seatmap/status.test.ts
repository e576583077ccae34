import { describe, expect, it } from "vitest";
import { decodeGeometry } from "./geometry";
import { FIXTURE } from "./fixtures";
import { AVAILABLE, decodeStatusBits, decodeVersions, encodeStatusBits, encodeVersions, HELD, SeatStatusStore, SOLD, StatusError } from "./status";

describe("compact status", () => {
  it("2 bits per seat, least significant first", () => {
    // Seat 0 held (1), seat 1 sold (2), seat 2 available, seat 3 sold; seat 4 held.
    const bytes = [0b10_00_10_01, 0b01];
    const b64 = btoa(String.fromCharCode(...bytes));
    expect([...decodeStatusBits(b64, 5)]).toEqual([HELD, SOLD, AVAILABLE, SOLD, HELD]);
    expect(encodeStatusBits([HELD, SOLD, AVAILABLE, SOLD, HELD])).toBe(b64);
    expect(() => decodeStatusBits(b64, 9)).toThrow(StatusError);
  });

  it("versions run-length encoded", () => {
    expect([...decodeVersions([[3, 2], [7, 1], [3, 3]], 6)]).toEqual([3, 3, 7, 3, 3, 3]);
    expect(encodeVersions([3, 3, 7, 3, 3, 3])).toEqual([[3, 2], [7, 1], [3, 3]]);
    expect(() => decodeVersions([[1, 5]], 4)).toThrow(StatusError);
    expect(() => decodeVersions([[1, 3]], 4)).toThrow(StatusError);
  });

  it("round trip at 50,000 seats stays small", () => {
    const n = 50_000;
    const s = Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? SOLD : i % 11 === 0 ? HELD : AVAILABLE));
    const b64 = encodeStatusBits(s);
    expect(b64.length).toBeLessThanOrEqual(Math.ceil(n / 4 / 3) * 4);
    expect(decodeStatusBits(b64, n)).toEqual(s);
  });
});

describe("SeatStatusStore", () => {
  const fresh = () => new SeatStatusStore(decodeGeometry(FIXTURE));
  const wire = (status: number[], versions: [number, number][]) => ({ eventId: "ev1", seatCount: 10, status: encodeStatusBits(status), versions });

  it("a snapshot then pushes, newest version wins in any order", () => {
    const st = fresh();
    st.applyWire(wire([0, 1, 2, 0, 0, 0, 0, 0, 0, 0], [[5, 10]]));
    expect(st.statusOf("s-1")).toBe("held");
    expect(st.statusOf("s-2")).toBe("sold");
    expect(st.availableIn[0]).toBe(3);
    st.takeDirty();
    // An old push is dropped; a newer one applies and only its seat is dirty.
    expect(st.applyPush("seat:released", { eventId: "ev1", seatIds: ["s-1"], versions: [4] })).toBe(0);
    expect(st.applyPush("seat:released", { eventId: "ev1", seatIds: ["s-1", "s-6"], versions: [6, 6] })).toBe(1);
    expect(st.statusOf("s-1")).toBe("available");
    expect(st.takeDirty()).toEqual([1]);
    expect(st.applyPush("seat:selected", { eventId: "ev1", seatIds: ["s-8", "nope"], versions: [9, 9] })).toBe(1);
    expect(st.availableIn[1]).toBe(4);
    // A stale snapshot (raced the push) does not undo it.
    st.applyWire(wire([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [[5, 10]]));
    expect(st.statusOf("s-8")).toBe("held");
    expect(st.statusOf("s-2")).toBe("sold");
  });

  it("a malformed batch applies as far as both arrays go; unknown events nothing", () => {
    const st = fresh();
    expect(st.applyPush("seat:sold", { eventId: "ev1", seatIds: ["s-0", "s-1"], versions: [1] })).toBe(1);
    expect(st.applyPush("seat:weird", { eventId: "ev1", seatIds: ["s-3"], versions: [9] })).toBe(0);
    expect(st.statusOf("s-1")).toBe("available");
  });

  it("refuses a status for another size of map", () => {
    expect(() => fresh().applyWire({ ...wire([0], [[1, 1]]), seatCount: 1 })).toThrow(StatusError);
  });
});
