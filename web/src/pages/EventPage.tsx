import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, ApiError, money, type Allowance, type EventInfo, type Reservation, type Seat, type WaitlistEntry } from "../api";
import { SeatMap } from "../components/SeatMap";
import { useEventUpdates } from "../hooks/useEventUpdates";
import { useSeatUpdates } from "../hooks/useSeatUpdates";
import { useTicketUpdates } from "../hooks/useTicketUpdates";
import { useWaitlist } from "../hooks/useWaitlist";
import { clock, describeBlock, liveOffer, noAdjacentMessage, placeText, quantityChoices, sectionsOf } from "../lib/shopping";
import { Link, navigate } from "../router";

/** Keeps the admission alive (and the token fresh) while the page is open. */
const KEEPALIVE_MS = 20_000;
/** How long the seats "Best available" found stay ringed on the map before checkout opens. */
const FOUND_MS = 1500;

export function EventPage({ eventId }: { eventId: string }) {
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
      else setError(e instanceof ApiError ? e.message : "Could not open this event.");
    });
    api.event(eventId).then((e) => live && setEvent(e)).catch(() => live && setError("Could not load this event."));
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
  const { layout, states } = useSeatUpdates(eventId, !!event?.hasSeatMap);
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

  const seatById = useMemo(() => new Map(layout.map((s) => [s.id, s])), [layout]);
  const seatName = useCallback((id: string) => {
    const s = seatById.get(id);
    return s ? `${s.section} row ${s.row} seat ${s.number}` : "a seat you picked";
  }, [seatById]);

  // A seat someone else just took leaves my selection, and I am told so.
  useEffect(() => {
    const gone = [...selected].filter((id) => (states.get(id)?.status ?? "available") !== "available");
    if (gone.length === 0) return;
    setSelected((sel) => new Set([...sel].filter((id) => !gone.includes(id))));
    setError(`Sorry — ${gone.map(seatName).join(", ")} ${gone.length === 1 ? "was" : "were"} just taken by someone else.`);
  }, [states, selected, seatName]);

  const toggle = useCallback((id: string) => {
    if ((states.get(id)?.status ?? "available") !== "available") {
      setError("That seat is not available.");
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
  }, [states, selected, allowance]);

  const explain = (e: unknown) => {
    if (e instanceof ApiError && e.code === "seat_unavailable") {
      const taken = (e.details.seatIds as string[] | undefined) ?? [];
      const names = taken.length ? taken.map(seatName).join(", ") : "a seat you picked";
      return `Sorry — ${names} ${taken.length > 1 ? "were" : "was"} just taken by someone else. Pick another seat.`;
    }
    if (e instanceof ApiError && e.code === "sold_out") return "Sorry — not enough tickets of that type are left.";
    if (e instanceof ApiError && e.code === "customer_limit") {
      return limitReached(Number(e.details.limit ?? allowance?.limit ?? 0), Number(e.details.remaining ?? 0));
    }
    if (e instanceof ApiError && e.code === "sales_paused") return SALES_PAUSED_HOLD;
    if (e instanceof ApiError && e.code === "not_admitted") return "Your turn to shop has ended. Rejoin the waiting room to continue.";
    if (e instanceof ApiError) return e.message;
    return "Could not reach the box office. Try again.";
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
      setFoundText(`Found ${describeBlock(ids, seatById)}. Taking you to checkout…`);
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
      if (e instanceof ApiError && e.code === "not_sold_out") setError("Tickets of this type are on sale again — buy them now instead.");
      else setError(explain(e));
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

  if (!event) return error ? <p className="error" role="alert">{error}</p> : <p aria-busy="true">Loading…</p>;
  const typeName = new Map(event.ticketTypes.map((t) => [t.id, t]));
  const offers = [...waitlist.values()].filter((w) => liveOffer(w.offer, Date.now()));
  const sections = sectionsOf(layout);
  const selectedTotal = [...selected].reduce((n, id) => n + (typeName.get(seatById.get(id)?.ticketTypeId ?? "")?.price ?? 0), 0);

  return (
    <main data-testid="event-page" data-admitted={admitted}>
      <h1>{event.name}</h1>
      <p className="muted">{event.venue} · {new Date(event.startsAt).toLocaleString()} · holds last {Math.round(event.holdSeconds / 60)} min</p>
      <PausedNotice paused={event.salesPaused === true} text="You can keep looking; holding seats and tickets works again when sales resume." />
      {error && <p className="error" role="alert" data-testid="error">{error}</p>}
      {admitted && turnEndsAt != null && (lineWaiting || event.queue?.active) && <TurnClock endsAt={turnEndsAt} now={now} eventId={eventId} />}
      {offers.map((w) => (
        <WaitlistOfferPanel
          key={w.offer!.id}
          offer={w.offer!}
          typeName={typeName.get(w.ticketTypeId)?.name ?? "ticket"}
          seatById={seatById}
          onPaid={(r) => { setPaidOffer(r); setWaitlistEntry(w.ticketTypeId, null); refreshWaitlist(); refreshMine(); }}
        />
      ))}
      {paidOffer && (
        <section className="offer" data-testid="waitlist-offer" data-status="paid" aria-label="Waitlist offer paid">
          <p className="ok" role="status">Paid — the tickets from the waitlist are yours. Enjoy the show! <Link to="/orders">My orders</Link></p>
        </section>
      )}
      {allowance && (
        <p className="allowance" data-testid="allowance" aria-live="polite">
          {allowance.remaining > 0
            ? `You may take ${allowance.remaining} more ${allowance.remaining === 1 ? "ticket" : "tickets"} for this event (limit ${allowance.limit} per customer).`
            : `You have reached this event's limit of ${allowance.limit} tickets per customer.`}
        </p>
      )}
      <section aria-labelledby="tickets-h">
        <h2 id="tickets-h">Tickets</h2>
        <table className="tickets">
          <thead><tr><th>Type</th><th>Price</th><th>Left</th><th /></tr></thead>
          <tbody>
            {event.ticketTypes.map((t) => {
              const left = stock.get(t.id)?.remainingQuantity ?? t.remainingQuantity;
              const entry = waitlist.get(t.id);
              if (left === 0 || entry) {
                return (
                  <tr key={t.id} data-testid={`type-${t.name}`}>
                    <td>{t.name}</td>
                    <td>{money(t.price)}</td>
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
                  <td>{money(t.price)}</td>
                  <td data-testid="remaining" aria-live="polite">{left}</td>
                  <td>
                    {t.seated ? (
                      <span className="muted">Pick seats below</span>
                    ) : (
                      <form className="buy" onSubmit={(e) => { e.preventDefault(); hold(() => api.holdTickets(eventId, t.id, quantity[t.id] ?? 1)); }}>
                        <label className="sr-only" htmlFor={`q-${t.id}`}>Quantity of {t.name}</label>
                        <select id={`q-${t.id}`} value={quantity[t.id] ?? 1} onChange={(e) => setQuantity({ ...quantity, [t.id]: Number(e.target.value) })}>
                          {Array.from({ length: Math.min(allowance?.perOrder ?? 10, Math.max(1, left), Math.max(1, allowance?.remaining ?? 10)) }, (_, i) => i + 1).map((n) => <option key={n}>{n}</option>)}
                        </select>
                        <button type="submit" className="primary" disabled={busy || left === 0 || !admitted || allowance?.remaining === 0}>{left === 0 ? "Sold out" : "Buy"}</button>
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
          <h2 id="seats-h">Seats</h2>
          <BestAvailable
            sections={sections}
            choices={quantityChoices(allowance?.perOrder, allowance?.remaining)}
            disabled={busy || !admitted || allowance?.remaining === 0 || foundText != null}
            foundText={foundText}
            error={bestError}
            onFind={best}
          />
          <SeatMap layout={layout} states={states} selected={selected} mine={mineWithOffers} onToggle={toggle} found={found} />
          <div className="hold-bar">
            <span>{selected.size === 0 ? "No seats selected" : `${selected.size} seat${selected.size > 1 ? "s" : ""} · ${money(selectedTotal)}`}</span>
            <button type="button" className="primary" data-testid="hold" disabled={busy || selected.size === 0 || !admitted} onClick={() => hold(() => api.holdSeats(eventId, [...selected]))}>
              Hold seats
            </button>
          </div>
        </section>
      )}
    </main>
  );
}

/** What a shopper reads when a hold is refused because the operator paused the sale. */
export const SALES_PAUSED_HOLD = "Sales are paused — your place is kept; try again when sales resume.";

/** "Sales are paused", in a live region that is always there so its news is announced. */
export function PausedNotice({ paused, text }: { paused: boolean; text: string }) {
  return (
    <div role="status" aria-live="polite" data-testid="paused-status">
      {paused && <p className="notice paused" data-testid="sales-paused"><strong>Sales are paused.</strong> {text}</p>}
    </div>
  );
}

/**
 * How long the shopper's turn lasts while the event has a line: it ends when they pay, leave,
 * idle or this runs out; cancelling a hold to pick again does not end it.
 */
function TurnClock({ endsAt, now, eventId }: { endsAt: number; now: number; eventId: string }) {
  const left = Math.max(0, Math.floor((endsAt - now) / 1000));
  const clock = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  if (left === 0) {
    return (
      <div className="turn over" data-testid="turn" role="alert">
        Your turn to shop has ended. <button type="button" className="secondary" data-testid="rejoin" onClick={() => navigate(`/events/${eventId}/queue`)}>Rejoin the line</button>
      </div>
    );
  }
  return (
    <div className={left <= 60 ? "turn warning" : "turn"} data-testid="turn">
      <p role="timer" aria-live="off">Your turn ends in <strong>{clock}</strong>. Cancelling a hold to pick again keeps your turn.</p>
      {left <= 60 && <p role="alert" data-testid="turn-warning">Less than a minute left in your turn: finish your purchase now.</p>}
    </div>
  );
}

/** What a shopper reads when a hold would take them past the event's per-customer limit. */
function limitReached(limit: number, remaining: number): string {
  if (remaining <= 0) return `You have reached this event's limit of ${limit} tickets per customer, counting the ones you hold and have bought.`;
  return `This event allows ${limit} tickets per customer, counting the ones you hold and have bought. You can take ${remaining} more.`;
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
  const q = Math.min(quantity, choices[choices.length - 1] ?? 1);
  return (
    <form className="best" data-testid="best" aria-labelledby="best-h" onSubmit={(e) => { e.preventDefault(); if (!disabled) onFind(q, section); }}>
      <h3 id="best-h">Best available</h3>
      <label>
        Seats together
        <select data-testid="best-quantity" value={q} onChange={(e) => setQuantity(Number(e.target.value))}>
          {choices.map((n) => <option key={n} value={n}>{n}</option>)}
        </select>
      </label>
      {sections.length > 1 && (
        <label>
          Section
          <select data-testid="best-section" value={section} onChange={(e) => setSection(e.target.value)}>
            <option value="">Any section</option>
            {sections.map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
      )}
      <button type="submit" className="primary" data-testid="best-find" aria-disabled={disabled}>Find best seats</button>
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
  const q = Math.min(quantity, choices[choices.length - 1] ?? 1);
  if (entry) {
    const offered = liveOffer(entry.offer, Date.now());
    return (
      <div className="waitlist" data-testid="waitlist" data-position={entry.position}>
        <p className="waitlist-place" role="status" data-testid="waitlist-place">
          {offered ? "Held for you — pay above." : <>{placeText(entry.position)} <span className="muted">Waiting for {entry.quantity}.</span></>}
        </p>
        {!offered && (
          <button type="button" className="secondary" data-testid="waitlist-leave" disabled={busy} onClick={onLeave}>
            Leave the waitlist<span className="sr-only"> for {typeName}</span>
          </button>
        )}
      </div>
    );
  }
  if (!soldOut) return null;
  return (
    <form className="waitlist" data-testid="waitlist" onSubmit={(e) => { e.preventDefault(); onJoin(q); }}>
      <span className="muted">Sold out.</span>
      <label className="sr-only" htmlFor={`wq-${typeId}`}>Tickets of {typeName} wanted</label>
      <select id={`wq-${typeId}`} data-testid="waitlist-quantity" value={q} onChange={(e) => setQuantity(Number(e.target.value))}>
        {choices.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
      <button type="submit" className="primary" data-testid="waitlist-join" disabled={busy}>Join the waitlist</button>
    </form>
  );
}

/** Tickets that came back, held for this user from the waitlist: what, until when, and Pay. */
function WaitlistOfferPanel({ offer, typeName, seatById, onPaid }: {
  offer: Reservation;
  typeName: string;
  seatById: ReadonlyMap<string, Seat>;
  onPaid: (r: Reservation) => void;
}) {
  const [now, setNow] = useState(Date.now());
  const [state, setState] = useState<"open" | "paying">("open");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const { seconds, text } = clock(Date.parse(offer.expiresAt), now);
  const seatIds = offer.items.map((i) => i.seatId).filter((id): id is string => !!id);
  const what = seatIds.length ? describeBlock(seatIds, seatById) : `${offer.items.reduce((n, i) => n + i.quantity, 0)} × ${typeName}`;
  const pay = async () => {
    setState("paying");
    setError(null);
    try {
      onPaid((await api.pay(offer.id)).reservation);
    } catch (e) {
      setState("open");
      setError(e instanceof ApiError && e.code === "hold_expired" ? "This offer has lapsed; the tickets went to the next person waiting." : e instanceof ApiError ? e.message : "Could not reach the box office. Try again.");
    }
  };
  return (
    <section className="offer" data-testid="waitlist-offer" data-status={state} aria-labelledby={`offer-${offer.id}`}>
      <h2 id={`offer-${offer.id}`} role="alert">From the waitlist: {what} held for you</h2>
      {seconds === 0 ? (
        <p className="error" role="alert">This offer has lapsed; the tickets went to the next person waiting.</p>
      ) : (
        <>
          <p role="timer" aria-live="off" data-testid="offer-countdown">Yours to buy for <strong>{text}</strong> — then they go to the next person waiting.</p>
          <div className="actions">
            <button type="button" className="primary" data-testid="offer-pay" disabled={state === "paying"} onClick={pay}>Pay {money(offer.total)}</button>
            <Link to={`/checkout/${offer.id}`}>Open in checkout</Link>
          </div>
        </>
      )}
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}
