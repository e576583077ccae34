import { useEffect, useState } from "react";
import { api, type EventInfo } from "../api";
import { Link } from "../router";

export function Events() {
  const [events, setEvents] = useState<EventInfo[] | null>(null);
  const [error, setError] = useState(false);
  useEffect(() => {
    api.events().then(setEvents).catch(() => setError(true));
  }, []);
  if (error) return <p className="error" role="alert">Could not load events. Check your connection and reload.</p>;
  if (!events) return <p aria-busy="true">Loading events…</p>;
  return (
    <main data-testid="events">
      <h1>On sale</h1>
      {events.length === 0 && <p>No events yet.</p>}
      <ul className="event-list">
        {events.map((e) => {
          const left = e.ticketTypes.reduce((n, t) => n + t.remainingQuantity, 0);
          return (
            <li key={e.id} className="card">
              <h2><Link to={`/events/${e.id}`}>{e.name}</Link></h2>
              <p className="muted">{e.venue} · {new Date(e.startsAt).toLocaleString()}</p>
              <p>{left > 0 ? `${left} tickets left` : "Sold out"}{e.hasSeatMap ? " · reserved seating" : ""}</p>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
