import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, timeZoneOf, type EventInfo } from "../api";
import { fmt } from "../i18n";
import { Link } from "../router";

export function Events() {
  const { t } = useTranslation();
  const [events, setEvents] = useState<EventInfo[] | null>(null);
  const [error, setError] = useState(false);
  useEffect(() => {
    api.events().then(setEvents).catch(() => setError(true));
  }, []);
  if (error) return <p className="error" role="alert">{t("events.loadError")}</p>;
  if (!events) return <p aria-busy="true">{t("events.loading")}</p>;
  return (
    <main data-testid="events">
      <h1>{t("events.title")}</h1>
      {events.length === 0 && <p>{t("events.none")}</p>}
      <ul className="event-list">
        {events.map((e) => {
          const left = e.ticketTypes.reduce((n, t) => n + t.remainingQuantity, 0);
          return (
            <li key={e.id} className="card">
              <h2><Link to={`/events/${e.id}`}>{e.name}</Link></h2>
              <p className="muted" data-testid="event-when">{e.venue} · {fmt.eventTime(e.startsAt, timeZoneOf(e))}</p>
              <p>{left > 0 ? t("events.left", { count: left }) : t("events.soldOut")}{e.hasSeatMap ? ` · ${t("events.reserved")}` : ""}</p>
            </li>
          );
        })}
      </ul>
    </main>
  );
}
