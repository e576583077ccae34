import { useEffect, useState } from "react";
import { api, ApiError, money } from "../../api";
import type { AdminEvent } from "../../lib/admin";
import { Link, navigate } from "../../router";
import { OrdersCsvLink } from "./OrdersCsvLink";

/** The operator console's front page: every event, with its pages and its orders. */
export function AdminEvents() {
  const [events, setEvents] = useState<AdminEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.adminEvents().then(setEvents).catch((e) => setError(e instanceof ApiError ? e.message : "Could not load events."));
  }, []);
  return (
    <main data-testid="admin-events">
      <div className="admin-head">
        <h1>Operator console</h1>
        <button type="button" className="primary" onClick={() => navigate("/admin/events/new")}>New event</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {!events && !error && <p aria-busy="true">Loading events…</p>}
      {events && events.length === 0 && <p>No events yet. Create the first one with “New event”.</p>}
      {events && events.length > 0 && (
        <table className="admin-table">
          <caption className="sr-only">Events</caption>
          <thead>
            <tr><th scope="col">Event</th><th scope="col">Starts</th><th scope="col">Sale</th><th scope="col">Tickets left</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const left = e.ticketTypes.reduce((n, t) => n + t.remainingQuantity, 0);
              const total = e.ticketTypes.reduce((n, t) => n + t.total, 0);
              const from = Math.min(...e.ticketTypes.map((t) => t.price));
              return (
                <tr key={e.id} data-testid={`admin-event-${e.name}`}>
                  <th scope="row">
                    {e.name}
                    <div className="muted small">{e.venue}{e.hasSeatMap ? " · seat map" : ""} · from {money(from)}</div>
                  </th>
                  <td>{when(e.startsAt)}</td>
                  <td><SaleState event={e} /></td>
                  <td className="nowrap">{left} of {total}</td>
                  <td>
                    <div className="admin-actions">
                      <Link to={`/admin/events/${e.id}/edit`}>Edit<span className="sr-only"> {e.name}</span></Link>
                      <Link to={`/admin/events/${e.id}`}>Dashboard<span className="sr-only"> of {e.name}</span></Link>
                      <OrdersCsvLink eventId={e.id} label={<>Orders CSV<span className="sr-only"> of {e.name}</span></>} />
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}

/** "Mar 14, 2030, 8:00 PM" in the browser's zone. */
export const when = (rfc3339: string) => new Date(rfc3339).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function SaleState({ event }: { event: AdminEvent }) {
  if (event.salesPaused) return <span className="badge badge-paused">Paused</span>;
  if (Date.parse(event.saleOpensAt) > Date.now()) {
    return <><span className="badge badge-pending">Not open yet</span> <span className="muted small">opens {when(event.saleOpensAt)}</span></>;
  }
  return <span className="badge badge-paid">On sale</span>;
}
