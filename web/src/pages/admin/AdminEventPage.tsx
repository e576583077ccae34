// One event's operator page: live controls (pause and resume, waiting room mode, capacity and
// admission rate mid-sale, each a PATCH) and the live dashboard fed by `admin:stats` every
// second, counted over every instance, with ten-minute charts and the seat map by status.

import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, currencyOf, errorText, money, timeZoneOf } from "../../api";
import { fmt, i18n, language } from "../../i18n";
import { SeatMap } from "../../components/SeatMap";
import { TimeChart, type Line } from "../../components/TimeChart";
import { useAdminStats, type AdminStats } from "../../hooks/useAdminStats";
import { useEventUpdates } from "../../hooks/useEventUpdates";
import { useSeatMap } from "../../hooks/useSeatMap";
import { useTicketUpdates } from "../../hooks/useTicketUpdates";
import { fieldErrorsOf, type AdminEvent, type FieldError, type WaitingRoomMode } from "../../lib/admin";
import { Link } from "../../router";
import { SaleState } from "./AdminEvents";
import { OrdersCsvLink } from "./OrdersCsvLink";

const NO_SEATS: ReadonlySet<string> = new Set();
const ignore = () => undefined;

export function AdminEventPage({ eventId }: { eventId: string }) {
  const { t } = useTranslation();
  const [event, setEvent] = useState<AdminEvent | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.adminEvent(eventId).then(setEvent).catch((e) => setError(e instanceof ApiError ? errorText(e) : i18n.t("admin.loadEventError")));
  }, [eventId]);
  // Changes made elsewhere (another operator, another tab) arrive here too.
  useEventUpdates(eventId, setEvent);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!event) return <p aria-busy="true">{t("app.loading")}</p>;
  return (
    <main data-testid="admin-event">
      <p><Link to="/admin">← {t("admin.console")}</Link></p>
      <div className="admin-head">
        <div className="admin-title">
          <h1>{event.name}</h1>
          <span data-testid="sale-badge"><SaleState event={event} /></span>
        </div>
        <div className="admin-actions">
          <Link to={`/admin/events/${event.id}/edit`}>{t("admin.event.edit")}</Link>
          <OrdersCsvLink eventId={event.id} label={t("admin.event.downloadCsv")} />
        </div>
      </div>
      <p className="muted" data-testid="admin-event-facts">{t("admin.event.facts", { venue: event.venue, starts: fmt.eventTime(event.startsAt, timeZoneOf(event)), capacity: event.capacity, rate: event.admitRatePerSec, holds: Math.round(event.holdSeconds / 60) })} · {currencyOf(event)}</p>
      <Controls event={event} onEvent={setEvent} />
      <Dashboard event={event} />
    </main>
  );
}

const MODES: WaitingRoomMode[] = ["auto", "on", "off"];

function Controls({ event, onEvent }: { event: AdminEvent; onEvent: (e: AdminEvent) => void }) {
  const { t } = useTranslation();
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
      setResult({ ok: true, text: `${done(e)} (${fmt.time(Date.now(), undefined, true)})` });
    } catch (e) {
      if (e instanceof ApiError) setErrors(fieldErrorsOf(e.details));
      setResult({ ok: false, text: i18n.t("admin.controls.notChanged", { why: errorText(e) }) });
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
    if (capacity.trim() === "" || !Number.isInteger(c)) local.push({ field: "capacity", message: t("admin.form.wholeNumber") });
    else if (c !== event.capacity) body.capacity = c;
    if (rate.trim() === "" || !Number.isFinite(r)) local.push({ field: "admitRatePerSec", message: t("admin.form.number") });
    else if (r !== event.admitRatePerSec) body.admitRatePerSec = r;
    if (local.length) {
      setErrors(local);
      setResult({ ok: false, text: t("admin.controls.checkFigures") });
      return;
    }
    if (Object.keys(body).length === 0) {
      setResult({ ok: true, text: t("admin.controls.nothing") });
      return;
    }
    void patch(body, (e) => i18n.t("admin.controls.applied", { capacity: e.capacity, rate: e.admitRatePerSec }));
  };

  const err = (f: string) => errors.find((e) => e.field === f);
  return (
    <section className="card controls" aria-labelledby="controls-h" data-testid="controls">
      <h2 id="controls-h">{t("admin.controls.title")}</h2>
      <div className="control-row">
        <p className={paused ? "sale-state paused" : "sale-state"} data-testid="sale-state">{paused ? t("admin.controls.pausedState") : t("admin.controls.onState")}</p>
        <button
          type="button"
          className={paused ? "primary" : "danger"}
          aria-disabled={busy || undefined}
          data-testid="pause"
          onClick={() => void patch({ salesPaused: !paused }, (e) => (e.salesPaused ? i18n.t("admin.controls.paused") : i18n.t("admin.controls.resumed")))}
        >
          {paused ? t("admin.controls.resume") : t("admin.controls.pause")}
        </button>
      </div>
      <fieldset className="modes" aria-busy={busy || undefined}>
        <legend>{t("admin.controls.waitingRoom")}</legend>
        {MODES.map((m) => (
          <label key={m} className="mode">
            <input
              type="radio"
              name={`waiting-room-${event.id}`}
              value={m}
              checked={mode === m}
              onChange={() => {
                if (running.current) return;
                setChoice(m);
                void patch({ waitingRoom: m }, (e) => i18n.t(`admin.controls.modeSet.${e.waitingRoom ?? m}`)).finally(() => setChoice(null));
              }}
            />
            <strong>{t(`admin.controls.mode.${m}`)}</strong> <span className="muted">— {t(`admin.controls.modeHint.${m}`)}</span>
          </label>
        ))}
      </fieldset>
      <form className="control-row" noValidate onSubmit={(e) => { e.preventDefault(); apply(); }}>
        <div className={`field${err("capacity") ? " field-invalid" : ""}`}>
          <label htmlFor="c-capacity">{t("admin.form.capacity")}</label>
          <input id="c-capacity" type="number" inputMode="numeric" value={capacity} onChange={(e) => setCapacity(e.target.value)}
            aria-invalid={err("capacity") ? true : undefined} aria-describedby={err("capacity") ? "c-capacity-error" : undefined} />
          {err("capacity") && <span id="c-capacity-error" className="field-error">{err("capacity")!.message}</span>}
        </div>
        <div className={`field${err("admitRatePerSec") ? " field-invalid" : ""}`}>
          <label htmlFor="c-rate">{t("admin.form.admissionRatePerSec")}</label>
          <input id="c-rate" type="number" inputMode="decimal" step="any" value={rate} onChange={(e) => setRate(e.target.value)}
            aria-invalid={err("admitRatePerSec") ? true : undefined} aria-describedby={err("admitRatePerSec") ? "c-rate-error" : undefined} />
          {err("admitRatePerSec") && <span id="c-rate-error" className="field-error">{err("admitRatePerSec")!.message}</span>}
        </div>
        <button type="submit" className="secondary" aria-disabled={busy || undefined}>{t("admin.controls.apply")}</button>
      </form>
      <p role="status" aria-live="polite" data-testid="control-result" className={result ? (result.ok ? "ok" : "error") : undefined}>{result?.text}</p>
    </section>
  );
}

/** The dashboard's charts, labelled in the current language and priced in `currency`. */
function charts(currency: string): { title: string; testId: string; lines: Line[] }[] {
  const fmtMoney = (v: number) => money(Math.round(v), currency);
  return [
    { title: i18n.t("admin.dash.chartPeople"), testId: "chart-people", lines: [
      { key: "waiting", label: i18n.t("admin.dash.waiting"), color: "#b45309", whole: true },
      { key: "active", label: i18n.t("admin.dash.active"), color: "#1d4ed8", whole: true },
    ] },
    { title: i18n.t("admin.dash.chartRates"), testId: "chart-rates", lines: [
      { key: "admittedPerSec", label: i18n.t("admin.dash.admittedPerS"), color: "#15803d" },
      { key: "holdsPerSec", label: i18n.t("admin.dash.holdsPerS"), color: "#7c3aed" },
    ] },
    { title: i18n.t("admin.dash.chartSales"), testId: "chart-sales", lines: [
      { key: "sold", label: i18n.t("admin.dash.sold"), color: "#1d2b53", whole: true },
      { key: "revenue", label: i18n.t("admin.dash.revenue"), color: "#be185d", format: fmtMoney, right: true },
    ] },
  ];
}

function Dashboard({ event }: { event: AdminEvent }) {
  const { t } = useTranslation();
  const lang = language();
  const currency = currencyOf(event);
  // New labels when the language changes (charts() reads it).
  const CHARTS = useMemo(() => charts(currency), [currency, lang]);
  const { stats, history, error } = useAdminStats(event.id);
  // The seat map by status: the event's room (join:event) brings the seat pushes.
  useTicketUpdates(event.id, event.ticketTypes);
  const seatMap = useSeatMap(event.id, event.hasSeatMap);

  return (
    <section aria-labelledby="dash-h" data-testid="dashboard">
      <h2 id="dash-h">{t("admin.dash.title")}</h2>
      {error && <p className="error" role="alert">{error}</p>}
      {!stats && !error && <p aria-busy="true">{t("admin.dash.waitingFirst")}</p>}
      {stats && (
        <>
          <p className="muted small" data-testid="stats-at">
            {t("admin.dash.countedOver", { count: stats.instances, at: fmt.time(stats.at, undefined, true) })}
          </p>
          <Figures stats={stats} currency={currency} />
          <TypeTable event={event} stats={stats} currency={currency} />
        </>
      )}
      <div className="charts">
        {CHARTS.map((c) => <TimeChart key={`${c.testId}-${lang}`} title={c.title} lines={c.lines} history={history} testId={c.testId} />)}
      </div>
      {event.hasSeatMap && (
        <section aria-labelledby="seats-h">
          <h3 id="seats-h">{t("admin.dash.seatsByStatus")}</h3>
          {stats?.seats && (
            <p data-testid="seat-counts">{t("admin.dash.seatCounts", { available: stats.seats.available, held: stats.seats.held, sold: stats.seats.sold })}</p>
          )}
          <SeatMap geometry={seatMap.geometry} store={seatMap.store} changes={seatMap.changes} selected={NO_SEATS} mine={NO_SEATS} onToggle={ignore} readOnly label={t("admin.dash.seatMapLabel")} />
        </section>
      )}
    </section>
  );
}

function Figures({ stats, currency }: { stats: AdminStats; currency: string }) {
  const { t } = useTranslation();
  const items: [string, string, string][] = [
    ["waiting", t("admin.dash.waiting"), String(stats.waiting)],
    ["active", stats.capacity != null ? t("admin.dash.activeOf", { capacity: stats.capacity }) : t("admin.dash.active"), String(stats.activeShoppers)],
    ["admitted", t("admin.dash.admittedPerSecond"), stats.admittedPerSec.toFixed(1)],
    ["holds", t("admin.dash.holdsPerSecond"), stats.holdsPerSec.toFixed(1)],
    ["sold", t("admin.dash.sold"), String(stats.sold)],
    ["revenue", t("admin.dash.revenue"), money(stats.revenue, currency)],
    ["connections", t("admin.dash.connections"), String(stats.connections)],
    ["instances", t("admin.dash.instances"), String(stats.instances)],
    ["drops", t("admin.dash.drops"), String(stats.pushDrops ?? 0)],
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

function TypeTable({ event, stats, currency }: { event: AdminEvent; stats: AdminStats; currency: string }) {
  const { t } = useTranslation();
  const left = new Map(stats.remaining.map((r) => [r.ticketTypeId, r.remainingQuantity]));
  const rows = stats.ticketTypes ?? event.ticketTypes.map((tt) => ({
    ticketTypeId: tt.id, name: tt.name, price: tt.price, total: tt.total, sold: NaN, held: NaN,
    remainingQuantity: left.get(tt.id) ?? tt.remainingQuantity, revenue: NaN,
  }));
  const n = (v: number) => (Number.isNaN(v) ? "–" : String(v));
  return (
    <table className="admin-table" data-testid="type-stats">
      <caption>{t("admin.dash.typeCaption")}</caption>
      <thead>
        <tr><th scope="col">{t("admin.form.ticketType")}</th><th scope="col">{t("admin.form.price")}</th><th scope="col">{t("admin.dash.sold")}</th><th scope="col">{t("admin.dash.held")}</th><th scope="col">{t("admin.dash.remaining")}</th><th scope="col">{t("admin.dash.of")}</th><th scope="col">{t("admin.dash.revenue")}</th></tr>
      </thead>
      <tbody>
        {rows.map((tt) => (
          <tr key={tt.ticketTypeId} data-testid={`type-stats-${tt.name}`}>
            <th scope="row">{tt.name}</th>
            <td>{money(tt.price, currency)}</td>
            <td data-testid="sold">{n(tt.sold)}</td>
            <td>{n(tt.held)}</td>
            <td data-testid="remaining">{n(tt.remainingQuantity)}</td>
            <td>{tt.total}</td>
            <td>{Number.isNaN(tt.revenue) ? "–" : money(tt.revenue, currency)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
