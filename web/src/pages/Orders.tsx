import { useEffect, useState } from "react";
import { api, ApiError, money, type Reservation } from "../api";
import { Link } from "../router";

export function Orders() {
  const [rs, setRs] = useState<Reservation[] | null>(null);
  const [events, setEvents] = useState<Map<string, string>>(new Map());
  /** The paid order whose refund waits for a second click ("Confirm refund"). */
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Cancelling a hold or refunding an order (DELETE /api/reservations/:id) gives its seats and
  // tickets back: to the first person on the event's waitlist, if anyone waits.
  const giveBack = async (r: Reservation) => {
    setBusy(true);
    setError(null);
    try {
      const { reservation } = await api.cancel(r.id);
      setRs((old) => old?.map((x) => (x.id === reservation.id ? reservation : x)) ?? null);
      setConfirming(null);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : "Could not reach the box office. Try again.");
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    api.reservations().then(setRs).catch(() => setRs([]));
    api.events().then((es) => setEvents(new Map(es.map((e) => [e.id, e.name])))).catch(() => undefined);
  }, []);
  if (!rs) return <p aria-busy="true">Loading…</p>;
  return (
    <main data-testid="orders">
      <h1>My orders</h1>
      {rs.length === 0 && <p>No orders yet.</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <table className="orders">
        <thead><tr><th>Event</th><th>When</th><th>Items</th><th>Total</th><th>Status</th></tr></thead>
        <tbody>
          {rs.map((r) => (
            <tr key={r.id} data-testid="order" data-status={r.status}>
              <td><Link to={`/events/${r.eventId}`}>{events.get(r.eventId) ?? "Event"}</Link></td>
              <td>{new Date(r.createdAt).toLocaleString()}</td>
              <td>{r.items.reduce((n, i) => n + i.quantity, 0)} ticket(s)</td>
              <td>{money(r.total)}</td>
              <td>
                <span className={`badge badge-${r.status}`}>{r.status}</span>
                {r.status === "pending" && <> · <Link to={`/checkout/${r.id}`}>Check out</Link></>}
                {r.status === "pending" && (
                  <> · <button type="button" className="secondary" data-testid="order-cancel" disabled={busy} onClick={() => giveBack(r)}>Cancel hold</button></>
                )}
                {r.status === "paid" && confirming !== r.id && (
                  <> · <button type="button" className="secondary" data-testid="order-refund" disabled={busy} onClick={() => setConfirming(r.id)}>Refund</button></>
                )}
                {r.status === "paid" && confirming === r.id && (
                  <> · <button type="button" className="primary" data-testid="order-refund-confirm" disabled={busy} onClick={() => giveBack(r)}>Confirm refund of {money(r.total)}</button>
                    {" "}<button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(null)}>Keep</button></>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
