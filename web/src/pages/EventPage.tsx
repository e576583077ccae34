import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, currencyOf, errorText, money, timeZoneOf, type Allowance, type EventInfo, type Reservation, type Seat, type WaitlistEntry } from "../api";
import { fmt, i18n } from "../i18n";
import { SeatMap } from "../components/SeatMap";
import { useEventUpdates } from "../hooks/useEventUpdates";
import { useSeatMap } from "../hooks/useSeatMap";
import { useTicketUpdates } from "../hooks/useTicketUpdates";
import { useWaitlist } from "../hooks/useWaitlist";
import { clock, describeBlock, liveOffer, noAdjacentMessage, placeText, quantityChoices } from "../lib/shopping";
import { Link, navigate } from "../router";

/** Keeps the admission alive (and the token fresh) while the page is open. */
const KEEPALIVE_MS = 20_000;
/** How long the seats "Best available" found stay ringed on the map before checkout opens. */
const FOUND_MS = 1500;

export function EventPage({ eventId }: { eventId: string }) {
  const { t } = useTranslation();
  const [event, setEvent] = useState<EventInfo | null>(null);
  const [admitted, setAdmitted] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [mine, setMine] = useState<ReadonlySet<string>>(new Set());
  const [quantity, setQuantity] = useState<Record<string, number>>({});
  const [busy, setBusy] = useState(false);
  const [allowance, setAllowance] = useState<Allowance | null>(null);
  const [turnEndsAt, setTurnEndsAt] = useState<number | null>(null);
  /** Others are waiting in line (as of the last join or status answer). */
  const [lineWaiting, setLineWaiting] = useState(false);
  const [now, setNow] = useState(Date.now());
  /** Seats "Best available" just found, ringed on the map until checkout opens. */
  const [found, setFound] = useState<ReadonlySet<string>>(new Set());
  const [foundText, setFoundText] = useState<string | null>(null);
  /** Why "Best available" found nothing, said next to its button. */
  const [bestError, setBestError] = useState<string | null>(null);
  const [paidOffer, setPaidOffer] = useState<Reservation | null>(null);
  const toCheckout = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => { if (toCheckout.current) clearTimeout(toCheckout.current); }, []);

  // Entering the event means joining its waiting room: straight in while there is room,
  // otherwise to the line.
  useEffect(() => {
    let live = true;
    api.joinQueue(eventId).then((a) => {
      if (!live) return;
      if (a.admitted) {
        setAdmitted(true);
        if (a.turnEndsAt) setTurnEndsAt(Date.parse(a.turnEndsAt));
        setLineWaiting(a.totalWaiting > 0);
      } else navigate(`/events/${eventId}/queue`, true);
    }).catch((e) => {
      if (!live) return;
      // botCheck events: the waiting room solves the check, then joins.
      if (e instanceof ApiError && e.code === "bot_check_required") navigate(`/events/${eventId}/queue`, true);
      else setError(e instanceof ApiError ? errorText(e) : i18n.t("event.openError"));
    });
    api.event(eventId).then((e) => live && setEvent(e)).catch(() => live && setError(i18n.t("event.loadError")));
    const keepalive = setInterval(() => {
      api.queueStatus(eventId).then((s) => {
        if (!live) return;
        if (s.admitted && s.turnEndsAt) setTurnEndsAt(Date.parse(s.turnEndsAt));
        setLineWaiting(s.totalWaiting > 0);
        if (!s.admitted) setAdmitted(false);
      }).catch(() => undefined);
    }, KEEPALIVE_MS);
    return () => {
      live = false;
      clearInterval(keepalive);
    };
  }, [eventId]);

  // The turn's countdown ticks once a second while there is one.
  useEffect(() => {
    if (turnEndsAt == null) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [turnEndsAt]);

  const refreshMine = useCallback(() => {
    api.reservations().then((rs) => {
      const ids = rs.filter((r) => r.status === "pending" && r.eventId === eventId).flatMap((r) => r.items.map((i) => i.seatId).filter(Boolean) as string[]);
      setMine(new Set(ids));
    }).catch(() => undefined);
    api.allowance(eventId).then(setAllowance).catch(() => undefined);
  }, [eventId]);
  useEffect(refreshMine, [refreshMine]);

  // An operator's change (sales paused or resumed, say) arrives live; the line summary stays.
  useEventUpdates(eventId, useCallback((e: EventInfo) => setEvent((old) => ({ ...e, queue: old?.queue ?? e.queue })), []));
  const stock = useTicketUpdates(eventId, event?.ticketTypes);
  const seatMap = useSeatMap(eventId, !!event?.hasSeatMap);
  const { statusOf, seatOf } = seatMap;
  const { waitlist, refresh: refreshWaitlist, set: setWaitlistEntry } = useWaitlist(eventId);
  // An offer is a hold of mine: the allowance shown must count it as soon as it arrives.
  const offerIds = [...waitlist.values()].map((w) => w.offer?.id ?? "").filter(Boolean).join(",");
  useEffect(() => {
    if (offerIds) api.allowance(eventId).then(setAllowance).catch(() => undefined);
  }, [offerIds, eventId]);
  // Seats a waitlist offer holds for me are mine on the map as soon as the offer arrives.
  const mineWithOffers = useMemo(() => {
    const offered = [...waitlist.values()].flatMap((w) => (w.offer?.status === "pending" ? w.offer.items.map((i) => i.seatId) : []));
    return offered.length ? new Set([...mine, ...offered.filter((id): id is string => !!id)]) : mine;
  }, [mine, waitlist]);

  /** The named seats as v1 seats (the map keeps no object per seat: these are made on demand). */
  const seatsById = useCallback((ids: readonly (string | null | undefined)[]): ReadonlyMap<string, Seat> => {
    const out = new Map<string, Seat>();
    for (const id of ids) {
      const s = id ? seatOf(id) : undefined;
      if (s) out.set(s.id, { ...s, status: statusOf(s.id), version: 0 });
    }
    return out;
  }, [seatOf, statusOf]);
  const seatName = useCallback((id: string) => {
    const s = seatOf(id);
    return s ? i18n.t("seat.short", { section: s.section, row: s.row, number: s.number }) : i18n.t("seat.aSeatYouPicked");
  }, [seatOf]);

  // A seat someone else just took leaves my selection, and I am told so.
  useEffect(() => {
    const gone = [...selected].filter((id) => statusOf(id) !== "available");
    if (gone.length === 0) return;
    setSelected((sel) => new Set([...sel].filter((id) => !gone.includes(id))));
    setError(i18n.t("event.justTaken", { count: gone.length, seats: listOf(gone.map(seatName)) }));
  }, [statusOf, selected, seatName]);

  const toggle = useCallback((id: string) => {
    if (statusOf(id) !== "available") {
      setError(i18n.t("event.seatNotAvailable"));
      return;
    }
    if (!selected.has(id) && allowance && selected.size >= allowance.remaining) {
      setError(limitReached(allowance.limit, allowance.remaining));
      return;
    }
    setError(null);
    setSelected((sel) => {
      const next = new Set(sel);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, [statusOf, selected, allowance]);

  const explain = (e: unknown) => {
    if (e instanceof ApiError && e.code === "seat_unavailable") {
      const taken = (e.details.seatIds as string[] | undefined) ?? [];
      const names = taken.length ? listOf(taken.map(seatName)) : i18n.t("seat.aSeatYouPicked");
      return i18n.t("event.takenPickAnother", { count: Math.max(1, taken.length), seats: names });
    }
    if (e instanceof ApiError && e.code === "customer_limit") {
      return limitReached(Number(e.details.limit ?? allowance?.limit ?? 0), Number(e.details.remaining ?? 0));
    }
    return errorText(e);
  };

  const hold = async (f: () => Promise<{ reservation: { id: string } }>) => {
    setBusy(true);
    setError(null);
    try {
      const { reservation } = await f();
      navigate(`/checkout/${reservation.id}`);
    } catch (e) {
      setError(explain(e));
      if (e instanceof ApiError && e.code === "not_admitted") navigate(`/events/${eventId}/queue`);
      refreshMine();
    } finally {
      setBusy(false);
    }
  };

  /** Best available: the server picks the block; it is ringed on the map, then checkout opens. */
  const best = async (quantity: number, section: string) => {
    setBusy(true);
    setError(null);
    setBestError(null);
    setFoundText(null);
    try {
      const { reservation } = await api.bestSeats(eventId, quantity, section ? { section } : {});
      const ids = reservation.items.map((i) => i.seatId).filter((id): id is string => !!id);
      setSelected(new Set());
      setMine((m) => new Set([...m, ...ids]));
      setFound(new Set(ids));
      setFoundText(i18n.t("best.found", { block: describeBlock(ids, seatsById(ids)) }));
      api.allowance(eventId).then(setAllowance).catch(() => undefined);
      toCheckout.current = setTimeout(() => navigate(`/checkout/${reservation.id}`), FOUND_MS);
    } catch (e) {
      setBestError(e instanceof ApiError && e.code === "no_adjacent_seats" ? noAdjacentMessage(Number(e.details.quantity ?? quantity), section || undefined) : explain(e));
      if (e instanceof ApiError && e.code === "not_admitted") navigate(`/events/${eventId}/queue`);
      refreshMine();
    } finally {
      setBusy(false);
    }
  };

  const joinWaitlist = async (ticketTypeId: string, n: number) => {
    setBusy(true);
    setError(null);
    try {
      setWaitlistEntry(ticketTypeId, await api.joinWaitlist(eventId, ticketTypeId, n));
    } catch (e) {
      setError(explain(e));
      refreshWaitlist();
    } finally {
      setBusy(false);
    }
  };
  const leaveWaitlist = async (ticketTypeId: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.leaveWaitlist(eventId, ticketTypeId);
      setWaitlistEntry(ticketTypeId, null);
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  };

  if (!event) return error ? <p className="error" role="alert">{error}</p> : <p aria-busy="true">{t("app.loading")}</p>;
  const currency = currencyOf(event);
  const price = (minor: number) => money(minor, currency);
  const typeName = new Map(event.ticketTypes.map((t) => [t.id, t]));
  const offers = [...waitlist.values()].filter((w) => liveOffer(w.offer, Date.now()));
  const sections = seatMap.sections;
  const selectedTotal = [...selected].reduce((n, id) => n + (typeName.get(seatOf(id)?.ticketTypeId ?? "")?.price ?? 0), 0);

  return (
    <main data-testid="event-page" data-admitted={admitted}>
      <h1>{event.name}</h1>
      <p className="muted" data-testid="event-when">{event.venue} · {fmt.eventTime(event.startsAt, timeZoneOf(event))} · {t("event.holdsLast", { count: Math.round(event.holdSeconds / 60) })}</p>
      <PausedNotice paused={event.salesPaused === true} text={t("event.pausedText")} />
      {error && <p className="error" role="alert" data-testid="error">{error}</p>}
      {admitted && turnEndsAt != null && (lineWaiting || event.queue?.active) && <TurnClock endsAt={turnEndsAt} now={now} eventId={eventId} />}
      {offers.map((w) => (
        <WaitlistOfferPanel
          key={w.offer!.id}
          offer={w.offer!}
          typeName={typeName.get(w.ticketTypeId)?.name ?? t("checkout.ticket")}
          currency={currency}
          seatById={seatsById(w.offer!.items.map((i) => i.seatId))}
          onPaid={(r) => { setPaidOffer(r); setWaitlistEntry(w.ticketTypeId, null); refreshWaitlist(); refreshMine(); }}
        />
      ))}
      {paidOffer && (
        <section className="offer" data-testid="waitlist-offer" data-status="paid" aria-label={t("offer.paidLabel")}>
          <p className="ok" role="status">{t("offer.paid")} <Link to="/orders">{t("app.orders")}</Link></p>
        </section>
      )}
      {allowance && (
        <p className="allowance" data-testid="allowance" aria-live="polite">
          {allowance.remaining > 0
            ? t("event.allowance", { count: allowance.remaining, limit: allowance.limit })
            : t("event.allowanceReached", { count: allowance.limit })}
        </p>
      )}
      <section aria-labelledby="tickets-h">
        <h2 id="tickets-h">{t("event.tickets")}</h2>
        <table className="tickets">
          <thead><tr><th>{t("event.type")}</th><th>{t("event.price")}</th><th>{t("event.left")}</th><th /></tr></thead>
          <tbody>
            {event.ticketTypes.map((t) => {
              const left = stock.get(t.id)?.remainingQuantity ?? t.remainingQuantity;
              const entry = waitlist.get(t.id);
              if (left === 0 || entry) {
                return (
                  <tr key={t.id} data-testid={`type-${t.name}`}>
                    <td>{t.name}</td>
                    <td>{price(t.price)}</td>
                    <td data-testid="remaining" aria-live="polite">{left}</td>
                    <td>
                      <WaitlistCell
                        typeId={t.id}
                        typeName={t.name}
                        soldOut={left === 0}
                        entry={entry}
                        choices={quantityChoices(allowance?.perOrder, allowance?.remaining)}
                        busy={busy}
                        onJoin={(n) => joinWaitlist(t.id, n)}
                        onLeave={() => leaveWaitlist(t.id)}
                      />
                    </td>
                  </tr>
                );
              }
              return (
                <tr key={t.id} data-testid={`type-${t.name}`}>
                  <td>{t.name}</td>
                  <td>{price(t.price)}</td>
                  <td data-testid="remaining" aria-live="polite">{left}</td>
                  <td>
                    {t.seated ? (
                      <span className="muted">{i18n.t("event.pickSeats")}</span>
                    ) : (
                      <form className="buy" onSubmit={(e) => { e.preventDefault(); hold(() => api.holdTickets(eventId, t.id, quantity[t.id] ?? 1)); }}>
                        <label className="sr-only" htmlFor={`q-${t.id}`}>{i18n.t("event.quantityOf", { type: t.name })}</label>
                        <select id={`q-${t.id}`} value={quantity[t.id] ?? 1} onChange={(e) => setQuantity({ ...quantity, [t.id]: Number(e.target.value) })}>
                          {Array.from({ length: Math.min(allowance?.perOrder ?? 10, Math.max(1, left), Math.max(1, allowance?.remaining ?? 10)) }, (_, i) => i + 1).map((n) => <option key={n}>{n}</option>)}
                        </select>
                        <button type="submit" className="primary" disabled={busy || left === 0 || !admitted || allowance?.remaining === 0}>{left === 0 ? i18n.t("event.soldOut") : i18n.t("event.buy")}</button>
                      </form>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      {event.hasSeatMap && (
        <section aria-labelledby="seats-h">
          <h2 id="seats-h">{t("event.seats")}</h2>
          <BestAvailable
            sections={sections}
            choices={quantityChoices(allowance?.perOrder, allowance?.remaining)}
            disabled={busy || !admitted || allowance?.remaining === 0 || foundText != null}
            foundText={foundText}
            error={bestError}
            onFind={best}
          />
          <SeatMap geometry={seatMap.geometry} store={seatMap.store} changes={seatMap.changes} selected={selected} mine={mineWithOffers} onToggle={toggle} found={found} />
          <div className="hold-bar">
            <span>{selected.size === 0 ? t("event.noSeats") : t("event.selectedSeats", { count: selected.size, amount: price(selectedTotal) })}</span>
            <button type="button" className="primary" data-testid="hold" disabled={busy || selected.size === 0 || !admitted} onClick={() => hold(() => api.holdSeats(eventId, [...selected]))}>
              {t("event.hold")}
            </button>
          </div>
        </section>
      )}
    </main>
  );
}

/** "A, B and C" in the reader's language. */
function listOf(items: string[]): string {
  return new Intl.ListFormat(i18n.language, { style: "long", type: "conjunction" }).format(items);
}

/** "Sales are paused", in a live region that is always there so its news is announced. */
export function PausedNotice({ paused, text }: { paused: boolean; text: string }) {
  const { t } = useTranslation();
  return (
    <div role="status" aria-live="polite" data-testid="paused-status">
      {paused && <p className="notice paused" data-testid="sales-paused"><strong>{t("event.paused")}</strong> {text}</p>}
    </div>
  );
}

/**
 * How long the shopper's turn lasts while the event has a line: it ends when they pay, leave,
 * idle or this runs out; cancelling a hold to pick again does not end it.
 */
function TurnClock({ endsAt, now, eventId }: { endsAt: number; now: number; eventId: string }) {
  const { t } = useTranslation();
  const left = Math.max(0, Math.floor((endsAt - now) / 1000));
  const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  if (left === 0) {
    return (
      <div className="turn over" data-testid="turn" role="alert">
        {t("turn.ended")} <button type="button" className="secondary" data-testid="rejoin" onClick={() => navigate(`/events/${eventId}/queue`)}>{t("checkout.rejoin")}</button>
      </div>
    );
  }
  return (
    <div className={left <= 60 ? "turn warning" : "turn"} data-testid="turn">
      <p role="timer" aria-live="off">{t("turn.endsIn")} <strong>{clock}</strong>. {t("turn.keep")}</p>
      {left <= 60 && <p role="alert" data-testid="turn-warning">{t("turn.warning")}</p>}
    </div>
  );
}

/** What a shopper reads when a hold would take them past the event's per-customer limit. */
function limitReached(limit: number, remaining: number): string {
  if (remaining <= 0) return i18n.t("event.limitReached", { count: limit });
  return i18n.t("event.limitLeft", { count: limit, remaining });
}

/**
 * "Best available": how many seats and (optionally) which section; the server finds the best
 * block of adjacent seats in one row and holds it. A plain form: Tab reaches every control,
 * Enter submits.
 */
function BestAvailable({ sections, choices, disabled, foundText, error, onFind }: {
  sections: string[];
  choices: number[];
  disabled: boolean;
  foundText: string | null;
  error: string | null;
  onFind: (quantity: number, section: string) => void;
}) {
  const [quantity, setQuantity] = useState(2);
  const [section, setSection] = useState("");
  const { t } = useTranslation();
  const q = Math.min(quantity, choices[choices.length - 1] ?? 1);
  return (
    <form className="best" data-testid="best" aria-labelledby="best-h" onSubmit={(e) => { e.preventDefault(); if (!disabled) onFind(q, section); }}>
      <h3 id="best-h">{t("best.title")}</h3>
      <label>
        {t("best.together")}
        <select data-testid="best-quantity" value={q} onChange={(e) => setQuantity(Number(e.target.value))}>
          {choices.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      {sections.length > 1 && (
        <label>
          {t("best.section")}
          <select data-testid="best-section" value={section} onChange={(e) => setSection(e.target.value)}>
            <option value="">{t("best.anySection")}</option>
            {sections.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      )}
      <button type="submit" className="primary" data-testid="best-find" aria-disabled={disabled}>{t("best.find")}</button>
      <p className="found" role="status" aria-live="polite" data-testid="best-found">{foundText}</p>
      {error && <p className="error" role="alert" data-testid="best-error">{error}</p>}
    </form>
  );
}

/** A sold-out type's last column: join the waitlist, or the user's place and a Leave button. */
function WaitlistCell({ typeId, typeName, soldOut, entry, choices, busy, onJoin, onLeave }: {
  typeId: string;
  typeName: string;
  soldOut: boolean;
  entry: WaitlistEntry | undefined;
  choices: number[];
  busy: boolean;
  onJoin: (quantity: number) => void;
  onLeave: () => void;
}) {
  const [quantity, setQuantity] = useState(1);
  const { t } = useTranslation();
  const q = Math.min(quantity, choices[choices.length - 1] ?? 1);
  if (entry) {
    const offered = liveOffer(entry.offer, Date.now());
    return (
      <div className="waitlist" data-testid="waitlist" data-position={entry.position}>
        <p className="waitlist-place" role="status" data-testid="waitlist-place">
          {offered ? t("waitlist.heldAbove") : <>{placeText(entry.position)} <span className="muted">{t("waitlist.waitingFor", { count: entry.quantity })}</span></>}
        </p>
        {!offered && (
          <button type="button" className="secondary" data-testid="waitlist-leave" disabled={busy} onClick={onLeave}>
            {t("waitlist.leave")}<span className="sr-only"> {t("waitlist.leaveFor", { type: typeName })}</span>
          </button>
        )}
      </div>
    );
  }
  if (!soldOut) return null;
  return (
    <form className="waitlist" data-testid="waitlist" onSubmit={(e) => { e.preventDefault(); onJoin(q); }}>
      <span className="muted">{t("waitlist.soldOut")}</span>
      <label className="sr-only" htmlFor={`wq-${typeId}`}>{t("waitlist.wanted", { type: typeName })}</label>
      <select id={`wq-${typeId}`} data-testid="waitlist-quantity" value={q} onChange={(e) => setQuantity(Number(e.target.value))}>
        {choices.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
      <button type="submit" className="primary" data-testid="waitlist-join" disabled={busy}>{t("waitlist.join")}</button>
    </form>
  );
}

/** Tickets that came back, held for this user from the waitlist: what, until when, and Pay. */
function WaitlistOfferPanel({ offer, typeName, currency, seatById, onPaid }: {
  offer: Reservation;
  typeName: string;
  currency: string;
  seatById: ReadonlyMap<string, Seat>;
  onPaid: (r: Reservation) => void;
}) {
  const { t } = useTranslation();
  const [now, setNow] = useState(Date.now());
  const [state, setState] = useState<"open" | "paying">("open");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const { seconds, text } = clock(Date.parse(offer.expiresAt), now);
  const seatIds = offer.items.map((i) => i.seatId).filter((id): id is string => !!id);
  const what = seatIds.length ? describeBlock(seatIds, seatById) : t("checkout.typeItem", { count: offer.items.reduce((n, i) => n + i.quantity, 0), type: typeName });
  const pay = async () => {
    setState("paying");
    setError(null);
    try {
      onPaid((await api.pay(offer.id)).reservation);
    } catch (e) {
      setState("open");
      setError(e instanceof ApiError && e.code === "hold_expired" ? t("offer.lapsed") : errorText(e));
    }
  };
  return (
    <section className="offer" data-testid="waitlist-offer" data-status={state} aria-labelledby={`offer-${offer.id}`}>
      <h2 id={`offer-${offer.id}`} role="alert">{t("offer.title", { what })}</h2>
      {seconds === 0 ? (
        <p className="error" role="alert">{t("offer.lapsed")}</p>
      ) : (
        <>
          <p role="timer" aria-live="off" data-testid="offer-countdown">{t("offer.yoursFor")} <strong>{text}</strong> {t("offer.thenNext")}</p>
          <div className="actions">
            <button type="button" className="primary" data-testid="offer-pay" disabled={state === "paying"} onClick={pay}>{t("checkout.pay", { amount: money(offer.total, offer.currency ? currencyOf(offer) : currency) })}</button>
            <Link to={`/checkout/${offer.id}`}>{t("offer.openCheckout")}</Link>
          </div>
        </>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}
