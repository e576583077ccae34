import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, currencyOf, errorText, money, timeZoneOf } from "../../api";
import { fmt, i18n } from "../../i18n";
import type { AdminEvent } from "../../lib/admin";
import { Link, navigate } from "../../router";
import { OrdersCsvLink } from "./OrdersCsvLink";

/** The operator console's front page: every event, with its pages and its orders. */
export function AdminEvents() {
  const { t } = useTranslation();
  const [events, setEvents] = useState<AdminEvent[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.adminEvents().then(setEvents).catch((e) => setError(e instanceof ApiError ? errorText(e) : i18n.t("admin.list.loadError")));
  }, []);
  return (
    <main data-testid="admin-events">
      <div className="admin-head">
        <h1>{t("admin.console")}</h1>
        <button type="button" className="primary" onClick={() => navigate("/admin/events/new")}>{t("admin.list.new")}</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {!events && !error && <p aria-busy="true">{t("events.loading")}</p>}
      {events && events.length === 0 && <p>{t("admin.list.none")}</p>}
      {events && events.length > 0 && (
        <table className="admin-table">
          <caption className="sr-only">{t("app.events")}</caption>
          <thead>
            <tr><th scope="col">{t("orders.event")}</th><th scope="col">{t("admin.list.starts")}</th><th scope="col">{t("admin.list.sale")}</th><th scope="col">{t("admin.list.left")}</th><th scope="col">{t("admin.list.actions")}</th></tr>
          </thead>
          <tbody>
            {events.map((e) => {
              const left = e.ticketTypes.reduce((n, t) => n + t.remainingQuantity, 0);
              const total = e.ticketTypes.reduce((n, t) => n + t.total, 0);
              const from = Math.min(...e.ticketTypes.map((tt) => tt.price));
              return (
                <tr key={e.id} data-testid={`admin-event-${e.name}`}>
                  <th scope="row">
                    {e.name}
                    <div className="muted small">{e.venue}{e.hasSeatMap ? ` · ${t("admin.list.seatMap")}` : ""} · {t("admin.list.from", { price: money(from, currencyOf(e)) })}</div>
                  </th>
                  <td>{when(e.startsAt, timeZoneOf(e))}</td>
                  <td><SaleState event={e} /></td>
                  <td className="nowrap">{t("admin.list.leftOf", { left, total })}</td>
                  <td>
                    <div className="admin-actions">
                      <Link to={`/admin/events/${e.id}/edit`}>{t("admin.list.edit")}<span className="sr-only"> {e.name}</span></Link>
                      <Link to={`/admin/events/${e.id}`}>{t("admin.list.dashboard")}<span className="sr-only"> {t("admin.list.of", { name: e.name })}</span></Link>
                      <OrdersCsvLink eventId={e.id} label={<>{t("admin.list.ordersCsv")}<span className="sr-only"> {t("admin.list.of", { name: e.name })}</span></>} />
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

/** "Sat, Mar 14, 2030, 8:00 PM (Asia/Seoul)": in the venue's zone, named. */
export const when = (rfc3339: string, zone: string) => i18n.t("time.inZone", { time: fmt.dateTime(rfc3339, zone), zone });

export function SaleState({ event }: { event: AdminEvent }) {
  const { t } = useTranslation();
  if (event.salesPaused) return <span className="badge badge-paused">{t("admin.list.paused")}</span>;
  if (Date.parse(event.saleOpensAt) > Date.now()) {
    return <><span className="badge badge-pending">{t("admin.list.notOpen")}</span> <span className="muted small">{t("admin.list.opens", { when: when(event.saleOpensAt, timeZoneOf(event)) })}</span></>;
  }
  return <span className="badge badge-paid">{t("admin.list.onSale")}</span>;
}
