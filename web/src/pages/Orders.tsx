import { useEffect, useState } from "react";
import { api, money, type Reservation } from "../api";
import { Link } from "../router";

export function Orders() {
  const [rs, setRs] = useState<Reservation[] | null>(null);
  const [events, setEvents] = useState<Map<string, string>>(new Map());
  useEffect(() => {
    api.reservations().then(setRs).catch(() => setRs([]));
    api.events().then((es) => setEvents(new Map(es.map((e) => [e.id, e.name])))).catch(() => undefined);
  }, []);
  if (!rs) return <p aria-busy="true">Loading…</p>;
  return (
    <main data-testid="orders">
      <h1>My orders</h1>
      {rs.length === 0 && <p>No orders yet.</p>}
      <table className="orders">
        <thead><tr><th>Event</th><th>When</th><th>Items</th><th>Total</th><th>Status</th></tr></thead>
        <tbody>
          {rs.map((r) => (
            <tr key={r.id}>
              <td><Link to={`/events/${r.eventId}`}>{events.get(r.eventId) ?? "Event"}</Link></td>
              <td>{new Date(r.createdAt).toLocaleString()}</td>
              <td>{r.items.reduce((n, i) => n + i.quantity, 0)} ticket(s)</td>
              <td>{money(r.total)}</td>
              <td>
                <span className={`badge badge-${r.status}`}>{r.status}</span>
                {r.status === "pending" && <> · <Link to={`/checkout/${r.id}`}>Check out</Link></>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
