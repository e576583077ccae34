// One event's operator page: live controls (pause and resume, waiting room mode, capacity and
// admission rate mid-sale, each a PATCH) and the live dashboard fed by `admin:stats` every
// second, counted over every instance, with ten-minute charts and the seat map by status.

import { useCallback, useEffect, useRef, useState } from "react";
import { api, ApiError, money } from "../../api";
import { SeatMap } from "../../components/SeatMap";
import { TimeChart, type Line } from "../../components/TimeChart";
import { useAdminStats, type AdminStats } from "../../hooks/useAdminStats";
import { useEventUpdates } from "../../hooks/useEventUpdates";
import { useSeatMap } from "../../hooks/useSeatMap";
import { useTicketUpdates } from "../../hooks/useTicketUpdates";
import { fieldErrorsOf, type AdminEvent, type FieldError, type WaitingRoomMode } from "../../lib/admin";
import { Link } from "../../router";
import { SaleState, when } from "./AdminEvents";
import { OrdersCsvLink } from "./OrdersCsvLink";

const NO_SEATS: ReadonlySet<string> = new Set();
const ignore = () => undefined;

export function AdminEventPage({ eventId }: { eventId: string }) {
  const [event, setEvent] = useState<AdminEvent | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.adminEvent(eventId).then(setEvent).catch((e) => setError(e instanceof ApiError ? e.message : "Could not load the event."));
  }, [eventId]);
  // Changes made elsewhere (another operator, another tab) arrive here too.
  useEventUpdates(eventId, setEvent);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!event) return <p aria-busy="true">Loading…</p>;
  return (
    <main data-testid="admin-event">
      <p><Link to="/admin">← Operator console</Link></p>
      <div className="admin-head">
        <div className="admin-title">
          <h1>{event.name}</h1>
          <span data-testid="sale-badge"><SaleState event={event} /></span>
        </div>
        <div className="admin-actions">
          <Link to={`/admin/events/${event.id}/edit`}>Edit event</Link>
          <OrdersCsvLink eventId={event.id} label="Download orders (CSV)" />
        </div>
      </div>
      <p className="muted">{event.venue} · starts {when(event.startsAt)} · capacity {event.capacity} · admission {event.admitRatePerSec}/s · holds {Math.round(event.holdSeconds / 60)} min</p>
      <Controls event={event} onEvent={setEvent} />
      <Dashboard event={event} />
    </main>
  );
}

const MODES: { value: WaitingRoomMode; label: string; hint: string }[] = [
  { value: "auto", label: "Auto", hint: "straight in while there is room and nobody waits; otherwise the line" },
  { value: "on", label: "On", hint: "everyone goes through the line, let in at the admission rate" },
  { value: "off", label: "Off", hint: "no line: everyone straight in, whatever the capacity" },
];

function Controls({ event, onEvent }: { event: AdminEvent; onEvent: (e: AdminEvent) => void }) {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [capacity, setCapacity] = useState(String(event.capacity));
  const [rate, setRate] = useState(String(event.admitRatePerSec));
  useEffect(() => setCapacity(String(event.capacity)), [event.capacity]);
  useEffect(() => setRate(String(event.admitRatePerSec)), [event.admitRatePerSec]);
  const paused = event.salesPaused === true;
  // The mode just chosen shows at once; it settles to the server's answer (or back, on failure).
  const [choice, setChoice] = useState<WaitingRoomMode | null>(null);
  const mode = choice ?? event.waitingRoom ?? "auto";

  // Controls stay enabled (and focused) while a change runs, so a keyboard user keeps their
  // place; a second change waits for the first to answer.
  const running = useRef(false);
  const patch = useCallback(async (body: Record<string, unknown>, done: (e: AdminEvent) => string) => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setErrors([]);
    try {
      const e = await api.patchEvent(event.id, body);
      onEvent(e);
      setResult({ ok: true, text: `${done(e)} (${new Date().toLocaleTimeString()})` });
    } catch (e) {
      if (e instanceof ApiError) {
        setErrors(fieldErrorsOf(e.details));
        setResult({ ok: false, text: `Not changed: ${e.message}` });
      } else setResult({ ok: false, text: "Not changed: could not reach the box office." });
    } finally {
      running.current = false;
      setBusy(false);
    }
  }, [event.id, onEvent]);

  const apply = () => {
    const body: Record<string, unknown> = {};
    const local: FieldError[] = [];
    const c = Number(capacity);
    const r = Number(rate);
    if (capacity.trim() === "" || !Number.isInteger(c)) local.push({ field: "capacity", message: "Enter a whole number." });
    else if (c !== event.capacity) body.capacity = c;
    if (rate.trim() === "" || !Number.isFinite(r)) local.push({ field: "admitRatePerSec", message: "Enter a number." });
    else if (r !== event.admitRatePerSec) body.admitRatePerSec = r;
    if (local.length) {
      setErrors(local);
      setResult({ ok: false, text: "Not changed: check the figures." });
      return;
    }
    if (Object.keys(body).length === 0) {
      setResult({ ok: true, text: "Nothing to change." });
      return;
    }
    void patch(body, (e) => `Capacity ${e.capacity}, admission rate ${e.admitRatePerSec} per second`);
  };

  const err = (f: string) => errors.find((e) => e.field === f);
  return (
    <section className="card controls" aria-labelledby="controls-h" data-testid="controls">
      <h2 id="controls-h">Live controls</h2>
      <div className="control-row">
        <p className={paused ? "sale-state paused" : "sale-state"} data-testid="sale-state">{paused ? "Sales are paused: holds are refused; the line keeps everyone's place." : "Sales are on."}</p>
        <button
          type="button"
          className={paused ? "primary" : "danger"}
          aria-disabled={busy || undefined}
          data-testid="pause"
          onClick={() => void patch({ salesPaused: !paused }, (e) => (e.salesPaused ? "Sales paused" : "Sales resumed"))}
        >
          {paused ? "Resume sales" : "Pause sales"}
        </button>
      </div>
      <fieldset className="modes" aria-busy={busy || undefined}>
        <legend>Waiting room</legend>
        {MODES.map((m) => (
          <label key={m.value} className="mode">
            <input
              type="radio"
              name={`waiting-room-${event.id}`}
              value={m.value}
              checked={mode === m.value}
              onChange={() => {
                if (running.current) return;
                setChoice(m.value);
                void patch({ waitingRoom: m.value }, (e) => `Waiting room ${e.waitingRoom ?? m.value}`).finally(() => setChoice(null));
              }}
            />
            <strong>{m.label}</strong> <span className="muted">— {m.hint}</span>
          </label>
        ))}
      </fieldset>
      <form className="control-row" noValidate onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <div className={`field${err("capacity") ? " field-invalid" : ""}`}>
          <label htmlFor="c-capacity">Capacity</label>
          <input id="c-capacity" type="number" inputMode="numeric" value={capacity} onChange={(e) => setCapacity(e.target.value)}
            aria-invalid={err("capacity") ? true : undefined} aria-describedby={err("capacity") ? "c-capacity-error" : undefined} />
          {err("capacity") && <span id="c-capacity-error" className="field-error">{err("capacity")!.message}</span>}
        </div>
        <div className={`field${err("admitRatePerSec") ? " field-invalid" : ""}`}>
          <label htmlFor="c-rate">Admission rate (per second)</label>
          <input id="c-rate" type="number" inputMode="decimal" step="any" value={rate} onChange={(e) => setRate(e.target.value)}
            aria-invalid={err("admitRatePerSec") ? true : undefined} aria-describedby={err("admitRatePerSec") ? "c-rate-error" : undefined} />
          {err("admitRatePerSec") && <span id="c-rate-error" className="field-error">{err("admitRatePerSec")!.message}</span>}
        </div>
        <button type="submit" className="secondary" aria-disabled={busy || undefined}>Apply</button>
      </form>
      <p role="status" aria-live="polite" data-testid="control-result" className={result ? (result.ok ? "ok" : "error") : undefined}>{result?.text}</p>
    </section>
  );
}

const fmtMoney = (v: number) => money(Math.round(v));
const CHARTS: { title: string; testId: string; lines: Line[] }[] = [
  { title: "Line and shoppers", testId: "chart-people", lines: [
    { key: "waiting", label: "Waiting", color: "#b45309", whole: true },
    { key: "active", label: "Active shoppers", color: "#1d4ed8", whole: true },
  ] },
  { title: "Per second", testId: "chart-rates", lines: [
    { key: "admittedPerSec", label: "Admitted/s", color: "#15803d" },
    { key: "holdsPerSec", label: "Holds/s", color: "#7c3aed" },
  ] },
  { title: "Sales", testId: "chart-sales", lines: [
    { key: "sold", label: "Sold", color: "#1d2b53", whole: true },
    { key: "revenue", label: "Revenue", color: "#be185d", format: fmtMoney, right: true },
  ] },
];

function Dashboard({ event }: { event: AdminEvent }) {
  const { stats, history, error } = useAdminStats(event.id);
  // The seat map by status: the event's room (join:event) brings the seat pushes.
  useTicketUpdates(event.id, event.ticketTypes);
  const seatMap = useSeatMap(event.id, event.hasSeatMap);

  return (
    <section aria-labelledby="dash-h" data-testid="dashboard">
      <h2 id="dash-h">Live dashboard</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {!stats && !error && <p aria-busy="true">Waiting for the first figures…</p>}
      {stats && (
        <>
          <p className="muted small" data-testid="stats-at">
            Counted over {stats.instances} {stats.instances === 1 ? "instance" : "instances"} at {new Date(stats.at).toLocaleTimeString()}; every second.
          </p>
          <Figures stats={stats} />
          <TypeTable event={event} stats={stats} />
        </>
      )}
      <div className="charts">
        {CHARTS.map((c) => <TimeChart key={c.testId} title={c.title} lines={c.lines} history={history} testId={c.testId} />)}
      </div>
      {event.hasSeatMap && (
        <section aria-labelledby="seats-h">
          <h3 id="seats-h">Seats by status</h3>
          {stats?.seats && (
            <p data-testid="seat-counts">{stats.seats.available} available · {stats.seats.held} held · {stats.seats.sold} sold</p>
          )}
          <SeatMap geometry={seatMap.geometry} store={seatMap.store} changes={seatMap.changes} selected={NO_SEATS} mine={NO_SEATS} onToggle={ignore} readOnly label="Seat map by status" />
        </section>
      )}
    </section>
  );
}

function Figures({ stats }: { stats: AdminStats }) {
  const items: [string, string, string][] = [
    ["waiting", "Waiting", String(stats.waiting)],
    ["active", stats.capacity != null ? `Active shoppers (of ${stats.capacity})` : "Active shoppers", String(stats.activeShoppers)],
    ["admitted", "Admitted per second", stats.admittedPerSec.toFixed(1)],
    ["holds", "Holds per second", stats.holdsPerSec.toFixed(1)],
    ["sold", "Sold", String(stats.sold)],
    ["revenue", "Revenue", money(stats.revenue)],
    ["connections", "Connections", String(stats.connections)],
    ["instances", "Instances", String(stats.instances)],
    ["drops", "Push drops", String(stats.pushDrops ?? 0)],
  ];
  return (
    <dl className="figures">
      {items.map(([id, label, value]) => (
        <div key={id} className="figure">
          <dt>{label}</dt>
          <dd data-testid={`stat-${id}`}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function TypeTable({ event, stats }: { event: AdminEvent; stats: AdminStats }) {
  const left = new Map(stats.remaining.map((r) => [r.ticketTypeId, r.remainingQuantity]));
  const rows = stats.ticketTypes ?? event.ticketTypes.map((t) => ({
    ticketTypeId: t.id, name: t.name, price: t.price, total: t.total, sold: NaN, held: NaN,
    remainingQuantity: left.get(t.id) ?? t.remainingQuantity, revenue: NaN,
  }));
  const n = (v: number) => (Number.isNaN(v) ? "–" : String(v));
  return (
    <table className="admin-table" data-testid="type-stats">
      <caption>Sold and remaining per ticket type</caption>
      <thead>
        <tr><th scope="col">Ticket type</th><th scope="col">Price</th><th scope="col">Sold</th><th scope="col">Held</th><th scope="col">Remaining</th><th scope="col">Of</th><th scope="col">Revenue</th></tr>
      </thead>
      <tbody>
        {rows.map((t) => (
          <tr key={t.ticketTypeId} data-testid={`type-stats-${t.name}`}>
            <th scope="row">{t.name}</th>
            <td>{money(t.price)}</td>
            <td data-testid="sold">{n(t.sold)}</td>
            <td>{n(t.held)}</td>
            <td data-testid="remaining">{n(t.remainingQuantity)}</td>
            <td>{t.total}</td>
            <td>{Number.isNaN(t.revenue) ? "–" : money(t.revenue)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
