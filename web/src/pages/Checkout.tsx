import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, currencyOf, errorText, money, type Reservation } from "../api";
import { i18n } from "../i18n";
import { clockText } from "../i18n/format";
import { Link, navigate } from "../router";

interface ItemNames {
  types: Map<string, string>;
  seats: Map<string, { section: string; row: string; number: number }>;
  currency: string | null;
}

/** What each item is called (ticket type names and seats), and the event's currency. */
function useItemNames(eventId: string | undefined): ItemNames {
  const [names, setNames] = useState<ItemNames>({ types: new Map(), seats: new Map(), currency: null });
  useEffect(() => {
    if (!eventId) return;
    Promise.all([api.event(eventId), api.seats(eventId).catch(() => ({ seats: [] }))])
      .then(([e, { seats }]) =>
        setNames({
          types: new Map(e.ticketTypes.map((t) => [t.id, t.name])),
          seats: new Map(seats.map((s) => [s.id, s])),
          currency: currencyOf(e),
        }),
      )
      .catch(() => undefined);
  }, [eventId]);
  return names;
}

export function Checkout({ reservationId }: { reservationId: string }) {
  const { t } = useTranslation();
  const [r, setR] = useState<Reservation | null>(null);
  const [now, setNow] = useState(Date.now());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const names = useItemNames(r?.eventId);

  useEffect(() => {
    api.reservations().then((rs) => setR(rs.find((x) => x.id === reservationId) ?? null)).catch(() => setError(i18n.t("checkout.loadError")));
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [reservationId]);

  if (!r) return error ? <p className="error" role="alert">{error}</p> : <p aria-busy="true">{t("app.loading")}</p>;
  const left = Math.max(0, Math.floor((Date.parse(r.expiresAt) - now) / 1000));
  const expired = r.status === "expired" || (r.status === "pending" && left === 0);
  // The order says its currency (the event's, from a server from before orders carried one).
  const currency = r.currency ? currencyOf(r) : names.currency ?? currencyOf(null);
  const price = (minor: number) => money(minor, currency);

  const act = async (f: () => Promise<{ reservation: Reservation }>, then?: (r: Reservation) => void) => {
    setBusy(true);
    setError(null);
    try {
      const done = (await f()).reservation;
      setR(done);
      then?.(done);
    } catch (e) {
      setError(e instanceof ApiError && e.code === "hold_expired" ? t("checkout.expired") : errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="card checkout" data-testid="checkout" data-status={r.status} data-currency={currency}>
      <h1>{t("checkout.title")}</h1>
      <ul className="items">
        {r.items.map((i, n) => {
          const seat = i.seatId ? names.seats.get(i.seatId) : undefined;
          return (
            <li key={n}>
              {i.seatId
                ? seat ? t("seat.name", { section: seat.section, row: seat.row, number: seat.number }) : t("checkout.seat")
                : t("checkout.typeItem", { count: i.quantity, type: names.types.get(i.ticketTypeId) ?? t("checkout.ticket") })}
              {" — "}
              {price(i.price * i.quantity)}
            </li>
          );
        })}
      </ul>
      <p className="total">{t("checkout.total")} <strong data-testid="total">{price(r.total)}</strong></p>
      {r.status === "pending" && !expired && (
        <>
          <p className="countdown" data-testid="countdown" role="timer" aria-live="off">
            {t("checkout.heldFor", { clock: clockText(left) })}
          </p>
          <div className="actions">
            <button type="button" className="primary" data-testid="pay" disabled={busy} onClick={() => act(() => api.pay(r.id))}>{t("checkout.pay", { amount: price(r.total) })}</button>
            <button type="button" className="secondary" data-testid="cancel" disabled={busy} onClick={() => act(() => api.cancel(r.id), (c) => navigate(`/events/${c.eventId}`))}>{t("checkout.cancel")}</button>
          </div>
          <p className="muted">{t("checkout.simulated")}</p>
        </>
      )}
      {r.status === "paid" && (
        <>
          <p className="ok" role="status">{t("checkout.paid")} <Link to="/orders">{t("app.orders")}</Link></p>
          <p data-testid="turn-over">{t("checkout.turnOver")}{" "}
            <button type="button" className="secondary" data-testid="rejoin" onClick={() => navigate(`/events/${r.eventId}`)}>{t("checkout.rejoin")}</button>
          </p>
        </>
      )}
      {r.status === "cancelled" && <p role="status">{t("checkout.cancelled")}</p>}
      {expired && <p className="error" role="alert">{t("checkout.expired")}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      <p><Link to={`/events/${r.eventId}`}>{t("checkout.back")}</Link></p>
    </main>
  );
}
