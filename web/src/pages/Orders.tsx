import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, currencyOf, errorText, money, type EventInfo, type Reservation } from "../api";
import { fmt } from "../i18n";
import { Link } from "../router";

export function Orders() {
  const { t } = useTranslation();
  const [rs, setRs] = useState<Reservation[] | null>(null);
  const [events, setEvents] = useState<Map<string, EventInfo>>(new Map());
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
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    api.reservations().then(setRs).catch(() => setRs([]));
    api.events().then((es) => setEvents(new Map(es.map((e) => [e.id, e])))).catch(() => undefined);
  }, []);
  if (!rs) return <p aria-busy="true">{t("app.loading")}</p>;
  // The order's own currency; an order from before orders carried one is in its event's.
  const cur = (r: Reservation) => currencyOf(r.currency ? r : events.get(r.eventId));
  return (
    <main data-testid="orders">
      <h1>{t("orders.title")}</h1>
      {rs.length === 0 && <p>{t("orders.none")}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <table className="orders">
        <thead><tr><th>{t("orders.event")}</th><th>{t("orders.when")}</th><th>{t("orders.items")}</th><th>{t("orders.total")}</th><th>{t("orders.status")}</th></tr></thead>
        <tbody>
          {rs.map((r) => (
            <tr key={r.id} data-testid="order" data-status={r.status}>
              <td><Link to={`/events/${r.eventId}`}>{events.get(r.eventId)?.name ?? t("orders.someEvent")}</Link></td>
              <td>{fmt.dateTime(r.createdAt)}</td>
              <td>{t("orders.tickets", { count: r.items.reduce((n, i) => n + i.quantity, 0) })}</td>
              <td>{money(r.total, cur(r))}</td>
              <td>
                <span className={`badge badge-${r.status}`}>{t(`status.${r.status}`)}</span>
                {r.status === "pending" && <> · <Link to={`/checkout/${r.id}`}>{t("orders.checkOut")}</Link></>}
                {r.status === "pending" && (
                  <> · <button type="button" className="secondary" data-testid="order-cancel" disabled={busy} onClick={() => giveBack(r)}>{t("orders.cancelHold")}</button></>
                )}
                {r.status === "paid" && confirming !== r.id && (
                  <> · <button type="button" className="secondary" data-testid="order-refund" disabled={busy} onClick={() => setConfirming(r.id)}>{t("orders.refund")}</button></>
                )}
                {r.status === "paid" && confirming === r.id && (
                  <> · <button type="button" className="primary" data-testid="order-refund-confirm" disabled={busy} onClick={() => giveBack(r)}>{t("orders.confirmRefund", { amount: money(r.total, cur(r)) })}</button>
                    {" "}<button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(null)}>{t("orders.keep")}</button></>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
