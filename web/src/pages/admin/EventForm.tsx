// Create an event (POST /api/admin/events) or change one (PATCH /api/admin/events/:id, only
// the fields that changed). Every field has its <label>; the server's validation errors come
// back by body path (`capacity`, `ticketTypes[0].price`, `seatMap.sections[1].rows`) and are
// shown next to their field (aria-invalid, aria-describedby) and in a summary above the form.

import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError, currencyOf, errorText, money } from "../../api";
import { SeatMap, type SeatLook } from "../../components/SeatMap";
import { useSeatMap } from "../../hooks/useSeatMap";
import { useSeatMapPreview } from "../../hooks/useSeatMapPreview";
import { i18n, language, locale } from "../../i18n";
import { browserZone, currencySymbol, isTimeZone } from "../../i18n/format";
import {
  buildCreateBody, buildPatch, buildSeatMap, COMMON_CURRENCIES, draftFromEvent, emptyDraft, fieldErrorsOf, gaPath, morePrice, newKey, parseLocalInput,
  rowLabel, sectionPath, seatedPath, STAGE_FIELDS, toMinor, zoneName, type AdminEvent, type EventDraft, type FieldError, type StageDraft,
} from "../../lib/admin";
import { Link, navigate } from "../../router";

const NO_SEATS: ReadonlySet<string> = new Set();
const ignore = () => undefined;
/** A new event's seats are all available: the preview's legend says only that. */
const PREVIEW_LEGEND: SeatLook[] = ["available"];

const idOf = (path: string) => `f-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;

interface InputProps {
  id: string;
  "aria-invalid"?: true;
  "aria-describedby"?: string;
}

/** One labelled field, its hint and its error (kept outside the form so inputs keep focus). */
function Field({ path, label, hint, errors, children, className }: {
  path: string;
  label: ReactNode;
  hint?: ReactNode;
  errors: FieldError[];
  children: (p: InputProps) => ReactNode;
  className?: string;
}) {
  const id = idOf(path);
  const error = errors.find((e) => e.field === path);
  const described = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return (
    <div className={`field${error ? " field-invalid" : ""}${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(error ? { "aria-invalid": true as const } : {}), ...(described ? { "aria-describedby": described } : {}) })}
      {hint && <span id={`${id}-hint`} className="hint">{hint}</span>}
      {error && <span id={`${id}-error`} className="field-error" data-testid={`error-${path}`}>{error.message}</span>}
    </div>
  );
}

/** A new event's currency: won for a Korean reader, else US dollars (the server's default). */
const defaultCurrency = () => (language() === "ko" ? "KRW" : "USD");

export function EventForm({ eventId }: { eventId?: string }) {
  const { t } = useTranslation();
  const editing = eventId !== undefined;
  const [original, setOriginal] = useState<AdminEvent | null>(null);
  const [draft, setDraft] = useState<EventDraft>(() => emptyDraft(new Date(), { currency: defaultCurrency(), timeZone: browserZone() }));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const summary = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!eventId) return;
    api.adminEvent(eventId).then((e) => {
      setOriginal(e);
      setDraft(draftFromEvent(e));
    }).catch((e) => setLoadError(e instanceof ApiError ? errorText(e) : i18n.t("admin.loadEventError")));
  }, [eventId]);

  const set = <K extends keyof EventDraft>(k: K, v: EventDraft[K]) => setDraft((d) => ({ ...d, [k]: v }));
  const setRow = <K extends "ga" | "seated" | "sections">(k: K, key: string, change: Partial<EventDraft[K][number]>) =>
    setDraft((d) => ({ ...d, [k]: (d[k] as EventDraft[K][number][]).map((r) => (r.key === key ? { ...r, ...change } : r)) }));

  // The preview: the server lays the seats out as it will on create; the shoppers' map draws them.
  const previewBody = useMemo(
    () => (editing || draft.sections.length === 0 ? null : buildSeatMap({ ...draft, sections: draft.sections, stage: draft.stage })),
    [editing, draft],
  );
  const preview = useSeatMapPreview(previewBody);
  const setStage = (change: Partial<StageDraft>) =>
    setDraft((d) => ({ ...d, stage: { ...(d.stage ?? { x: "", y: "", width: "", height: "", label: "" }), ...change } }));

  const labelOf = (path: string): string => {
    const fixed: Record<string, string> = {
      name: t("admin.form.name"), venue: t("admin.form.venue"), currency: t("admin.form.currency"), timeZone: t("admin.form.timeZone"),
      startsAt: t("admin.form.start"), saleOpensAt: t("admin.form.saleOpens"), holdSeconds: t("admin.form.holdTime"),
      capacity: t("admin.form.capacity"), admitRatePerSec: t("admin.form.admissionRate"), maxTicketsPerCustomer: t("admin.form.perCustomer"),
      botCheck: t("admin.form.botCheckShort"), ticketTypes: t("admin.form.ticketTypes"), "seatMap.sections": t("admin.form.seatMap"), seatMap: t("admin.form.seatMap"),
      "seatMap.stage": t("admin.form.stage.name"), "seatMap.stage.x": t("admin.form.stage.x"), "seatMap.stage.y": t("admin.form.stage.y"),
      "seatMap.stage.width": t("admin.form.stage.width"), "seatMap.stage.height": t("admin.form.stage.height"), "seatMap.stage.label": t("admin.form.stage.label"),
    };
    if (fixed[path]) return fixed[path];
    const field = (f: string) => (f === "ticketTypeIndex" ? t("admin.form.ticketType") : f === "seatsPerRow" ? t("admin.form.seatsPerRow") : f === "rows" ? t("admin.form.rows") : f === "name" ? t("admin.form.name") : f === "price" ? t("admin.form.price") : f === "quantity" ? t("admin.form.quantity") : f === "x" || f === "y" || f === "rotation" || f === "curve" ? t(`admin.form.place.${f}`) : f);
    const m = /^ticketTypes\[(\d+)\](?:\.(\w+))?$/.exec(path);
    if (m) {
      const i = Number(m[1]);
      const which = i < draft.ga.length ? t("admin.form.gaTypeN", { n: i + 1 }) : t("admin.form.seatedTypeN", { n: i - draft.ga.length + 1 });
      return m[2] ? `${which}, ${field(m[2])}` : which;
    }
    const s = /^seatMap\.sections\[(\d+)\](?:\.(\w+))?$/.exec(path);
    if (s) return `${t("admin.form.sectionN", { n: Number(s[1]) + 1 })}${s[2] ? `, ${field(s[2])}` : ""}`;
    return path;
  };

  const fail = (list: FieldError[], message: string) => {
    setErrors(list);
    setProblem(message);
    setSaved(null);
    setTimeout(() => summary.current?.focus());
  };

  const submit = async () => {
    if (busy) return;
    const built = editing && original ? buildPatch(original, draft) : buildCreateBody(draft);
    if (built.errors.length) return fail(built.errors, t("admin.form.needLook"));
    if (editing && Object.keys(built.body).length === 0) {
      setErrors([]);
      setProblem(null);
      setSaved(t("admin.form.nothingChanged"));
      return;
    }
    setBusy(true);
    try {
      if (editing && original) {
        const e = await api.patchEvent(original.id, built.body);
        setOriginal(e);
        setDraft((d) => ({ ...draftFromEvent(e), ga: d.ga, seated: d.seated }));
        setErrors([]);
        setProblem(null);
        setSaved(t("admin.form.saved", { fields: Object.keys(built.body).map(labelOf).join(", ") }));
      } else {
        const e = await api.createEvent(built.body);
        navigate(`/admin/events/${e.id}`);
      }
    } catch (e) {
      if (e instanceof ApiError) {
        const list = fieldErrorsOf(e.details);
        fail(list, list.length ? t("admin.form.refused") : t("admin.form.refusedWhy", { why: errorText(e) }));
      } else fail([], t("errors.network"));
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <p className="error" role="alert">{loadError}</p>;
  if (editing && !original) return <p aria-busy="true">{t("app.loading")}</p>;

  // The times are the venue's: typed and named in the event's zone (the browser's until one is given).
  const zone = isTimeZone(draft.timeZone.trim()) ? draft.timeZone.trim() : browserZone();
  const zoneAt = (v: string) => t("admin.form.inZone", { zone: zoneName(parseLocalInput(v, zone) ?? new Date(), zone) });
  const currency = draft.currency.trim().toUpperCase() || currencyOf(original);
  const price = (minor: number) => money(minor, currency);
  const priceLabel = t("admin.form.priceIn", { symbol: currencySymbol(currency, locale()) });
  const seatedName = (key: string) => draft.seated.find((ty) => ty.key === key);
  const listErrors = errors.filter((e) => e.field === "ticketTypes" || e.field === "seatMap" || e.field === "seatMap.sections");

  return (
    <main data-testid="event-form" className="admin-form">
      <p><Link to="/admin">← {t("admin.console")}</Link></p>
      <h1>{editing ? t("admin.form.editTitle", { name: original?.name }) : t("admin.form.newTitle")}</h1>
      <div ref={summary} tabIndex={-1} role="alert" className={problem ? "form-summary" : undefined} data-testid="form-summary">
        {problem && (
          <>
            <p><strong>{problem}</strong></p>
            {errors.length > 0 && (
              <ul>
                {errors.map((e) => (
                  <li key={`${e.field}:${e.message}`}>
                    <a
                      href={`#${idOf(e.field)}`}
                      onClick={(ev) => {
                        ev.preventDefault();
                        document.getElementById(idOf(e.field))?.focus();
                      }}
                    >
                      {labelOf(e.field)}
                    </a>
                    : {e.message}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </div>
      <p role="status" className="ok" data-testid="form-saved">{saved}</p>
      <form noValidate onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <fieldset>
          <legend>{t("admin.form.theEvent")}</legend>
          <div className="grid2">
            <Field path="name" label={t("admin.form.name")} errors={errors}>
              {(p) => <input {...p} value={draft.name} maxLength={200} autoComplete="off" onChange={(e) => set("name", e.target.value)} />}
            </Field>
            <Field path="venue" label={t("admin.form.venue")} errors={errors}>
              {(p) => <input {...p} value={draft.venue} maxLength={200} autoComplete="off" onChange={(e) => set("venue", e.target.value)} />}
            </Field>
            <Field path="currency" label={t("admin.form.currency")} hint={t("admin.form.currencyHint")} errors={errors}>
              {(p) => (
                <select {...p} value={draft.currency} onChange={(e) => set("currency", e.target.value)}>
                  {[...new Set([...COMMON_CURRENCIES, draft.currency])].map((c) => <option key={c} value={c}>{c} ({currencySymbol(c, locale())})</option>)}
                </select>
              )}
            </Field>
            <Field path="timeZone" label={t("admin.form.timeZone")} hint={t("admin.form.timeZoneHint", { zone: browserZone() })} errors={errors}>
              {(p) => <input {...p} value={draft.timeZone} maxLength={64} autoComplete="off" spellCheck={false} list="zones" onChange={(e) => set("timeZone", e.target.value)} />}
            </Field>
            <datalist id="zones">{ZONES.map((z) => <option key={z} value={z} />)}</datalist>
            <Field path="startsAt" label={t("admin.form.start")} hint={zoneAt(draft.startsAt)} errors={errors}>
              {(p) => <input {...p} type="datetime-local" value={draft.startsAt} onChange={(e) => set("startsAt", e.target.value)} />}
            </Field>
            <Field path="saleOpensAt" label={t("admin.form.saleOpens")} hint={`${draft.saleOpensAt ? "" : `${t("admin.form.emptyNow")} `}${zoneAt(draft.saleOpensAt)}`} errors={errors}>
              {(p) => <input {...p} type="datetime-local" value={draft.saleOpensAt} onChange={(e) => set("saleOpensAt", e.target.value)} />}
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>{t("admin.form.theSale")}</legend>
          <div className="grid2">
            <Field path="holdSeconds" label={t("admin.form.holdSeconds")} hint={t("admin.form.holdHint")} errors={errors}>
              {(p) => <input {...p} type="number" inputMode="numeric" value={draft.holdSeconds} onChange={(e) => set("holdSeconds", e.target.value)} />}
            </Field>
            <Field path="capacity" label={t("admin.form.capacity")} hint={t("admin.form.capacityHint")} errors={errors}>
              {(p) => <input {...p} type="number" inputMode="numeric" value={draft.capacity} onChange={(e) => set("capacity", e.target.value)} />}
            </Field>
            <Field path="admitRatePerSec" label={t("admin.form.admissionRatePerSec")} hint={t("admin.form.rateHint")} errors={errors}>
              {(p) => <input {...p} type="number" inputMode="decimal" step="any" value={draft.admitRatePerSec} onChange={(e) => set("admitRatePerSec", e.target.value)} />}
            </Field>
            <Field path="maxTicketsPerCustomer" label={t("admin.form.perCustomer")} hint={t("admin.form.perCustomerHint")} errors={errors}>
              {(p) => <input {...p} type="number" inputMode="numeric" value={draft.maxTicketsPerCustomer} onChange={(e) => set("maxTicketsPerCustomer", e.target.value)} />}
            </Field>
          </div>
          <Field path="botCheck" label={t("admin.form.botCheck")} errors={errors} className="check">
            {(p) => <input {...p} type="checkbox" checked={draft.botCheck} onChange={(e) => set("botCheck", e.target.checked)} />}
          </Field>
        </fieldset>

        {editing ? (
          <ReadOnlyStock event={original!} currency={currency} />
        ) : (
          <>
            <fieldset data-testid="ga-types">
              <legend>{t("admin.form.ga")}</legend>
              {draft.ga.length === 0 && <p className="muted">{t("admin.form.noGa")}</p>}
              {draft.ga.map((ty, i) => (
                <fieldset key={ty.key} className="row-set" data-testid={`ga-${i}`}>
                  <legend>{t("admin.form.ticketTypeN", { n: i + 1 })}</legend>
                  <Field path={`${gaPath(i)}.name`} label={t("admin.form.name")} errors={errors}>
                    {(p) => <input {...p} value={ty.name} maxLength={100} onChange={(e) => setRow("ga", ty.key, { name: e.target.value })} />}
                  </Field>
                  <Field path={`${gaPath(i)}.price`} label={priceLabel} errors={errors}>
                    {(p) => <input {...p} inputMode="decimal" value={ty.price} onChange={(e) => setRow("ga", ty.key, { price: e.target.value })} />}
                  </Field>
                  <Field path={`${gaPath(i)}.quantity`} label={t("admin.form.quantity")} errors={errors}>
                    {(p) => <input {...p} type="number" inputMode="numeric" value={ty.quantity} onChange={(e) => setRow("ga", ty.key, { quantity: e.target.value })} />}
                  </Field>
                  <button type="button" className="secondary" onClick={() => set("ga", draft.ga.filter((r) => r.key !== ty.key))}>
                    {t("admin.form.remove")}<span className="sr-only"> {t("admin.form.removeType", { name: ty.name || i + 1 })}</span>
                  </button>
                </fieldset>
              ))}
              <button type="button" className="secondary" onClick={() => set("ga", [...draft.ga, { key: newKey(), name: "", price: "", quantity: "100" }])}>
                {t("admin.form.addGa")}
              </button>
            </fieldset>

            <fieldset data-testid="seat-builder">
              <legend>{t("admin.form.seatMap")}</legend>
              <h3 className="sub">{t("admin.form.seatedTypes")}</h3>
              {draft.seated.length === 0 && <p className="muted">{t("admin.form.noSeated")}</p>}
              {draft.seated.map((ty, j) => (
                <fieldset key={ty.key} className="row-set" data-testid={`seated-${j}`}>
                  <legend>{t("admin.form.seatedTypeN", { n: j + 1 })}</legend>
                  <Field path={`${seatedPath(draft, j)}.name`} label={t("admin.form.name")} errors={errors}>
                    {(p) => <input {...p} value={ty.name} maxLength={100} onChange={(e) => setRow("seated", ty.key, { name: e.target.value })} />}
                  </Field>
                  <Field path={`${seatedPath(draft, j)}.price`} label={priceLabel} errors={errors}>
                    {(p) => <input {...p} inputMode="decimal" value={ty.price} onChange={(e) => setRow("seated", ty.key, { price: e.target.value })} />}
                  </Field>
                  <button type="button" className="secondary" onClick={() => set("seated", draft.seated.filter((r) => r.key !== ty.key))}>
                    {t("admin.form.remove")}<span className="sr-only"> {t("admin.form.removeSeated", { name: ty.name || j + 1 })}</span>
                  </button>
                </fieldset>
              ))}
              <button type="button" className="secondary" onClick={() => set("seated", [...draft.seated, { key: newKey(), name: t("admin.form.seatedN", { n: draft.seated.length + 1 }), price: morePrice(currency) }])}>
                {t("admin.form.addSeated")}
              </button>

              <h3 className="sub">{t("admin.form.sections")}</h3>
              {draft.sections.length === 0 && <p className="muted">{t("admin.form.noSections")}</p>}
              {draft.sections.map((s, k) => (
                <fieldset key={s.key} className="row-set" data-testid={`section-${k}`}>
                  <legend>{t("admin.form.sectionN", { n: k + 1 })}</legend>
                  <Field path={`${sectionPath(k)}.name`} label={t("admin.form.name")} errors={errors}>
                    {(p) => <input {...p} value={s.name} maxLength={50} onChange={(e) => setRow("sections", s.key, { name: e.target.value })} />}
                  </Field>
                  <Field path={`${sectionPath(k)}.rows`} label={t("admin.form.rows")} errors={errors}>
                    {(p) => <input {...p} type="number" inputMode="numeric" value={s.rows} onChange={(e) => setRow("sections", s.key, { rows: e.target.value })} />}
                  </Field>
                  <Field path={`${sectionPath(k)}.seatsPerRow`} label={t("admin.form.seatsPerRow")} errors={errors}>
                    {(p) => <input {...p} type="number" inputMode="numeric" value={s.seatsPerRow} onChange={(e) => setRow("sections", s.key, { seatsPerRow: e.target.value })} />}
                  </Field>
                  <Field path={`${sectionPath(k)}.ticketTypeIndex`} label={t("admin.form.ticketType")} errors={errors}>
                    {(p) => (
                      <select {...p} value={s.type} onChange={(e) => setRow("sections", s.key, { type: e.target.value })}>
                        {!seatedName(s.type) && <option value="">{t("admin.form.choose")}</option>}
                        {draft.seated.map((ty) => {
                          const c = toMinor(ty.price, currency);
                          return <option key={ty.key} value={ty.key}>{ty.name || t("admin.form.unnamed")}{c != null ? ` · ${price(c)}` : ""}</option>;
                        })}
                      </select>
                    )}
                  </Field>
                  <div className="placement">
                    {(["x", "y", "rotation", "curve"] as const).map((f) => (
                      <Field key={f} path={`${sectionPath(k)}.${f}`} label={t(`admin.form.place.${f}`)} errors={errors}>
                        {(p) => <input {...p} inputMode="decimal" placeholder={t("admin.form.auto")} value={s[f] ?? ""} onChange={(e) => setRow("sections", s.key, { [f]: e.target.value })} />}
                      </Field>
                    ))}
                  </div>
                  <button type="button" className="secondary" onClick={() => set("sections", draft.sections.filter((r) => r.key !== s.key))}>
                    {t("admin.form.remove")}<span className="sr-only"> {t("admin.form.removeSection", { name: s.name || k + 1 })}</span>
                  </button>
                </fieldset>
              ))}
              <button
                type="button"
                className="secondary"
                onClick={() => set("sections", [...draft.sections, { key: newKey(), name: nextSectionName(draft), rows: "4", seatsPerRow: "12", type: draft.seated[0]?.key ?? "" }])}
              >
                {t("admin.form.addSection")}
              </button>
              {listErrors.map((e) => <p key={e.message} className="field-error">{e.message}</p>)}
              <p className="hint">{t("admin.form.placementHint")}</p>
              <fieldset className="row-set" data-testid="stage">
                <legend>{t("admin.form.stageOptional")}</legend>
                <div className="placement">
                  {STAGE_FIELDS.map((f) => (
                    <Field key={f} path={`seatMap.stage.${f}`} label={t(`admin.form.stage.${f}`)} errors={errors}>
                      {(p) => <input {...p} inputMode="decimal" value={draft.stage?.[f] ?? ""} onChange={(e) => setStage({ [f]: e.target.value })} />}
                    </Field>
                  ))}
                  <Field path="seatMap.stage.label" label={t("admin.form.stage.label")} errors={errors}>
                    {(p) => <input {...p} maxLength={50} value={draft.stage?.label ?? ""} onChange={(e) => setStage({ label: e.target.value })} />}
                  </Field>
                </div>
              </fieldset>

              <section className="preview" aria-labelledby="preview-h" data-testid="seat-preview">
                <h3 id="preview-h" className="sub">{t("admin.form.previewTitle")}</h3>
                {draft.sections.length === 0 ? (
                  <p className="muted">{t("admin.form.previewEmpty")}</p>
                ) : (
                  <>
                    <ul className="preview-words" data-testid="preview-words">
                      {draft.sections.map((s, k) => {
                        const n = Number(s.rows) * Number(s.seatsPerRow);
                        const type = seatedName(s.type);
                        const c = type ? toMinor(type.price, currency) : null;
                        if (!Number.isInteger(n) || n <= 0) return <li key={s.key}>{t("admin.form.previewNotYet", { n: k + 1 })}</li>;
                        return (
                          <li key={s.key}>
                            {t("admin.form.previewSection", { name: s.name || t("admin.form.sectionN", { n: k + 1 }), last: rowLabel(Number(s.rows) - 1), perRow: s.seatsPerRow, count: n })}
                            {type ? (c != null ? t("admin.form.previewTypeAt", { type: type.name, price: price(c) }) : t("admin.form.previewType", { type: type.name })) : t("admin.form.previewNoType")}
                          </li>
                        );
                      })}
                      {preview.geometry && <li><strong>{t("admin.form.previewTotal", { count: preview.geometry.count })}</strong></li>}
                    </ul>
                    <p className="muted" role="status" data-testid="preview-status">
                      {preview.loading ? t("admin.form.previewUpdating") : preview.problem ? t("admin.form.previewProblem", { why: preview.problem }) : preview.errors.length ? t("admin.form.previewFix") : ""}
                    </p>
                    {preview.errors.map((e) => <p key={e.field + e.message} className="field-error">{labelOf(e.field)}: {e.message}</p>)}
                    {preview.geometry && (
                      <SeatMap geometry={preview.geometry} store={preview.store} changes={0} selected={NO_SEATS} mine={NO_SEATS} onToggle={ignore} readOnly label={t("admin.form.previewLabel")} legend={PREVIEW_LEGEND} />
                    )}
                  </>
                )}
              </section>
            </fieldset>
          </>
        )}
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={busy || undefined} data-testid="save">{editing ? t("admin.form.save") : t("admin.form.create")}</button>
          <button type="button" className="secondary" onClick={() => navigate(editing ? `/admin/events/${eventId}` : "/admin")}>{t("admin.form.cancel")}</button>
        </div>
      </form>
    </main>
  );
}

function nextSectionName(d: EventDraft) {
  const taken = new Set(d.sections.map((s) => s.name.trim()));
  for (let i = d.sections.length + 1; ; i++) {
    const name = i18n.t("admin.form.sectionN", { n: i });
    if (!taken.has(name)) return name;
  }
}

/** Zones offered as the time-zone field is typed (any IANA name may be typed). */
const ZONES = [
  "Asia/Seoul", "Asia/Tokyo", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Taipei", "Australia/Sydney",
  "Europe/London", "Europe/Berlin", "Europe/Paris", "America/New_York", "America/Chicago", "America/Denver",
  "America/Los_Angeles", "UTC",
];

/** Ticket types and the seat map of an existing event: PATCH does not change them. */
function ReadOnlyStock({ event, currency }: { event: AdminEvent; currency: string }) {
  const { t } = useTranslation();
  const seatMap = useSeatMap(event.id, event.hasSeatMap);
  return (
    <fieldset>
      <legend>{t("admin.form.fixed")}</legend>
      <table className="admin-table">
        <thead><tr><th scope="col">{t("admin.form.ticketType")}</th><th scope="col">{t("admin.form.price")}</th><th scope="col">{t("admin.form.stock")}</th><th scope="col">{t("admin.form.kind")}</th></tr></thead>
        <tbody>
          {event.ticketTypes.map((tt) => (
            <tr key={tt.id}><th scope="row">{tt.name}</th><td>{money(tt.price, currency)}</td><td>{tt.total}</td><td>{tt.seated ? t("admin.form.seated") : t("admin.form.ga")}</td></tr>
          ))}
        </tbody>
      </table>
      {seatMap.geometry && seatMap.geometry.count > 0 && <SeatMap geometry={seatMap.geometry} store={seatMap.store} changes={seatMap.changes} selected={NO_SEATS} mine={NO_SEATS} onToggle={ignore} readOnly label={t("admin.form.eventSeatMap")} />}
    </fieldset>
  );
}
