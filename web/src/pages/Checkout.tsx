import { useEffect, useState } from "react";
import { api, ApiError, money, type Reservation } from "../api";

/** What each item is called: ticket type names and seat labels, from the event. */
function useItemNames(eventId: string | undefined) {
  const [names, setNames] = useState<{ types: Map<string, string>; seats: Map<string, string> }>({ types: new Map(), seats: new Map() });
  useEffect(() => {
    if (!eventId) return;
    Promise.all([api.event(eventId), api.seats(eventId).catch(() => ({ seats: [] }))])
      .then(([e, { seats }]) =>
        setNames({
          types: new Map(e.ticketTypes.map((t) => [t.id, t.name])),
          seats: new Map(seats.map((s) => [s.id, `${s.section}, row ${s.row}, seat ${s.number}`])),
        }),
      )
      .catch(() => undefined);
  }, [eventId]);
  return names;
}
import { Link, navigate } from "../router";

export function Checkout({ reservationId }: { reservationId: string }) {
  const [r, setR] = useState<Reservation | null>(null);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const names = useItemNames(r?.eventId);

  useEffect(() => {
    api.reservations().then((rs) => setR(rs.find((x) => x.id === reservationId) ?? null)).catch(() => setError("Could not load your order."));
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [reservationId]);

  if (!r) return error ? <p className="error" role="alert">{error}</p> : <p aria-busy="true">Loading…</p>;
  const left = Math.max(0, Math.floor((Date.parse(r.expiresAt) - now) / 1000));
  const expired = r.status === "expired" || (r.status === "pending" && left === 0);

  const act = async (f: () => Promise<{ reservation: Reservation }>, then?: (r: Reservation) => void) => {
    setBusy(true);
    setError(null);
    try {
      const done = (await f()).reservation;
      setR(done);
      then?.(done);
    } catch (e) {
      setError(e instanceof ApiError && e.code === "hold_expired" ? "This hold has expired and its seats went back on sale." : e instanceof ApiError ? e.message : "Could not reach the box office.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="card checkout" data-testid="checkout" data-status={r.status}>
      <h1>Checkout</h1>
      <ul className="items">
        {r.items.map((i, n) => (
          <li key={n}>
            {i.seatId ? names.seats.get(i.seatId) ?? "Seat" : `${i.quantity} × ${names.types.get(i.ticketTypeId) ?? "ticket"}`}
            {" — "}
            {money(i.price * i.quantity)}
          </li>
        ))}
      </ul>
      <p className="total">Total: <strong>{money(r.total)}</strong></p>
      {r.status === "pending" && !expired && (
        <>
          <p className="countdown" data-testid="countdown" role="timer" aria-live="off">
            Held for you for {Math.floor(left / 60)}:{String(left % 60).padStart(2, "0")}
          </p>
          <div className="actions">
            <button type="button" className="primary" data-testid="pay" disabled={busy} onClick={() => act(() => api.pay(r.id))}>Pay {money(r.total)}</button>
            <button type="button" className="secondary" data-testid="cancel" disabled={busy} onClick={() => act(() => api.cancel(r.id), (c) => navigate(`/events/${c.eventId}`))}>Cancel and pick again</button>
          </div>
          <p className="muted">Payment is simulated: no card is charged.</p>
        </>
      )}
      {r.status === "paid" && (
        <>
          <p className="ok" role="status">Paid — enjoy the show! <Link to="/orders">My orders</Link></p>
          <p data-testid="turn-over">Your turn to shop this event is over. Want more tickets (up to the event's per-customer limit)?{" "}
            <button type="button" className="secondary" data-testid="rejoin" onClick={() => navigate(`/events/${r.eventId}`)}>Rejoin the line</button>
          </p>
        </>
      )}
      {r.status === "cancelled" && <p role="status">Cancelled. The seats and tickets are back on sale.</p>}
      {expired && <p className="error" role="alert">This hold has expired and its seats went back on sale.</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <p><Link to={`/events/${r.eventId}`}>Back to the event</Link></p>
    </main>
  );
}
