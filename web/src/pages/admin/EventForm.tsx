// Create an event (POST /api/admin/events) or change one (PATCH /api/admin/events/:id, only
// the fields that changed). Every field has its <label>; the server's validation errors come
// back by body path (`capacity`, `ticketTypes[0].price`, `seatMap.sections[1].rows`) and are
// shown next to their field (aria-invalid, aria-describedby) and in a summary above the form.

import { useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { api, ApiError, money } from "../../api";
import { SeatMap, type SeatLook } from "../../components/SeatMap";
import { useSeatMap } from "../../hooks/useSeatMap";
import { useSeatMapPreview } from "../../hooks/useSeatMapPreview";
import {
  buildCreateBody, buildPatch, buildSeatMap, draftFromEvent, emptyDraft, fieldErrorsOf, gaPath, newKey, parseLocalInput,
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

export function EventForm({ eventId }: { eventId?: string }) {
  const editing = eventId !== undefined;
  const [original, setOriginal] = useState<AdminEvent | null>(null);
  const [draft, setDraft] = useState<EventDraft>(() => emptyDraft());
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
    }).catch((e) => setLoadError(e instanceof ApiError ? e.message : "Could not load the event."));
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
      name: "Name", venue: "Venue", startsAt: "Start", saleOpensAt: "Sale opens", holdSeconds: "Hold time",
      capacity: "Capacity", admitRatePerSec: "Admission rate", maxTicketsPerCustomer: "Tickets per customer",
      botCheck: "Bot check", ticketTypes: "Ticket types", "seatMap.sections": "Seat map", seatMap: "Seat map",
      "seatMap.stage": "Stage", "seatMap.stage.x": "Stage x", "seatMap.stage.y": "Stage y",
      "seatMap.stage.width": "Stage width", "seatMap.stage.height": "Stage height", "seatMap.stage.label": "Stage label",
    };
    if (fixed[path]) return fixed[path];
    const t = /^ticketTypes\[(\d+)\](?:\.(\w+))?$/.exec(path);
    if (t) {
      const i = Number(t[1]);
      const which = i < draft.ga.length ? `General admission type ${i + 1}` : `Seated type ${i - draft.ga.length + 1}`;
      return t[2] ? `${which}, ${t[2]}` : which;
    }
    const s = /^seatMap\.sections\[(\d+)\](?:\.(\w+))?$/.exec(path);
    if (s) return `Section ${Number(s[1]) + 1}${s[2] ? `, ${PLACE_WORDS[s[2]] ?? s[2]}` : ""}`;
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
    if (built.errors.length) return fail(built.errors, "Some fields need a look before the event can be saved.");
    if (editing && Object.keys(built.body).length === 0) {
      setErrors([]);
      setProblem(null);
      setSaved("Nothing changed.");
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
        setSaved(`Saved: ${Object.keys(built.body).map(labelOf).join(", ")}.`);
      } else {
        const e = await api.createEvent(built.body);
        navigate(`/admin/events/${e.id}`);
      }
    } catch (e) {
      if (e instanceof ApiError) {
        const list = fieldErrorsOf(e.details);
        fail(list, list.length ? "The box office did not accept the event." : `The box office did not accept the event: ${e.message}`);
      } else fail([], "Could not reach the box office. Try again.");
    } finally {
      setBusy(false);
    }
  };

  if (loadError) return <p className="error" role="alert">{loadError}</p>;
  if (editing && !original) return <p aria-busy="true">Loading…</p>;

  const zoneAt = (v: string) => zoneName(parseLocalInput(v) ?? new Date());
  const seatedName = (key: string) => draft.seated.find((t) => t.key === key);
  const listErrors = errors.filter((e) => e.field === "ticketTypes" || e.field === "seatMap" || e.field === "seatMap.sections");

  return (
    <main data-testid="event-form" className="admin-form">
      <p><Link to="/admin">← Operator console</Link></p>
      <h1>{editing ? `Edit ${original?.name}` : "New event"}</h1>
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
          <legend>The event</legend>
          <div className="grid2">
            <Field path="name" label="Name" errors={errors}>
              {(p) => <input {...p} value={draft.name} maxLength={200} autoComplete="off" onChange={(e) => set("name", e.target.value)} />}
            </Field>
            <Field path="venue" label="Venue" errors={errors}>
              {(p) => <input {...p} value={draft.venue} maxLength={200} autoComplete="off" onChange={(e) => set("venue", e.target.value)} />}
            </Field>
            <Field path="startsAt" label="Start" hint={`Your time zone: ${zoneAt(draft.startsAt)}`} errors={errors}>
              {(p) => <input {...p} type="datetime-local" value={draft.startsAt} onChange={(e) => set("startsAt", e.target.value)} />}
            </Field>
            <Field path="saleOpensAt" label="Sale opens" hint={`${draft.saleOpensAt ? "" : "Empty: on sale now. "}Your time zone: ${zoneAt(draft.saleOpensAt)}`} errors={errors}>
              {(p) => <input {...p} type="datetime-local" value={draft.saleOpensAt} onChange={(e) => set("saleOpensAt", e.target.value)} />}
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>The sale</legend>
          <div className="grid2">
            <Field path="holdSeconds" label="Hold time (seconds)" hint="How long a hold waits for payment (5-86400)." errors={errors}>
              {(p) => <input {...p} type="number" inputMode="numeric" value={draft.holdSeconds} onChange={(e) => set("holdSeconds", e.target.value)} />}
            </Field>
            <Field path="capacity" label="Capacity" hint="Shoppers let in at once; the rest wait in line." errors={errors}>
              {(p) => <input {...p} type="number" inputMode="numeric" value={draft.capacity} onChange={(e) => set("capacity", e.target.value)} />}
            </Field>
            <Field path="admitRatePerSec" label="Admission rate (per second)" hint="How fast the line lets people in." errors={errors}>
              {(p) => <input {...p} type="number" inputMode="decimal" step="any" value={draft.admitRatePerSec} onChange={(e) => set("admitRatePerSec", e.target.value)} />}
            </Field>
            <Field path="maxTicketsPerCustomer" label="Tickets per customer" hint="Held and bought together, across orders." errors={errors}>
              {(p) => <input {...p} type="number" inputMode="numeric" value={draft.maxTicketsPerCustomer} onChange={(e) => set("maxTicketsPerCustomer", e.target.value)} />}
            </Field>
          </div>
          <Field path="botCheck" label="Bot check: joining the line needs a proof of work" errors={errors} className="check">
            {(p) => <input {...p} type="checkbox" checked={draft.botCheck} onChange={(e) => set("botCheck", e.target.checked)} />}
          </Field>
        </fieldset>

        {editing ? (
          <ReadOnlyStock event={original!} />
        ) : (
          <>
            <fieldset data-testid="ga-types">
              <legend>General admission</legend>
              {draft.ga.length === 0 && <p className="muted">No general-admission tickets.</p>}
              {draft.ga.map((t, i) => (
                <fieldset key={t.key} className="row-set" data-testid={`ga-${i}`}>
                  <legend>Ticket type {i + 1}</legend>
                  <Field path={`${gaPath(i)}.name`} label="Name" errors={errors}>
                    {(p) => <input {...p} value={t.name} maxLength={100} onChange={(e) => setRow("ga", t.key, { name: e.target.value })} />}
                  </Field>
                  <Field path={`${gaPath(i)}.price`} label="Price ($)" errors={errors}>
                    {(p) => <input {...p} inputMode="decimal" value={t.price} onChange={(e) => setRow("ga", t.key, { price: e.target.value })} />}
                  </Field>
                  <Field path={`${gaPath(i)}.quantity`} label="Quantity" errors={errors}>
                    {(p) => <input {...p} type="number" inputMode="numeric" value={t.quantity} onChange={(e) => setRow("ga", t.key, { quantity: e.target.value })} />}
                  </Field>
                  <button type="button" className="secondary" onClick={() => set("ga", draft.ga.filter((r) => r.key !== t.key))}>
                    Remove<span className="sr-only"> ticket type {t.name || i + 1}</span>
                  </button>
                </fieldset>
              ))}
              <button type="button" className="secondary" onClick={() => set("ga", [...draft.ga, { key: newKey(), name: "", price: "", quantity: "100" }])}>
                Add a general-admission type
              </button>
            </fieldset>

            <fieldset data-testid="seat-builder">
              <legend>Seat map</legend>
              <h3 className="sub">Seated ticket types</h3>
              {draft.seated.length === 0 && <p className="muted">No seated types: add one before adding sections.</p>}
              {draft.seated.map((t, j) => (
                <fieldset key={t.key} className="row-set" data-testid={`seated-${j}`}>
                  <legend>Seated type {j + 1}</legend>
                  <Field path={`${seatedPath(draft, j)}.name`} label="Name" errors={errors}>
                    {(p) => <input {...p} value={t.name} maxLength={100} onChange={(e) => setRow("seated", t.key, { name: e.target.value })} />}
                  </Field>
                  <Field path={`${seatedPath(draft, j)}.price`} label="Price ($)" errors={errors}>
                    {(p) => <input {...p} inputMode="decimal" value={t.price} onChange={(e) => setRow("seated", t.key, { price: e.target.value })} />}
                  </Field>
                  <button type="button" className="secondary" onClick={() => set("seated", draft.seated.filter((r) => r.key !== t.key))}>
                    Remove<span className="sr-only"> seated type {t.name || j + 1}</span>
                  </button>
                </fieldset>
              ))}
              <button type="button" className="secondary" onClick={() => set("seated", [...draft.seated, { key: newKey(), name: `Seated ${draft.seated.length + 1}`, price: "50.00" }])}>
                Add a seated type
              </button>

              <h3 className="sub">Sections</h3>
              {draft.sections.length === 0 && <p className="muted">No sections: the event has no seat map.</p>}
              {draft.sections.map((s, k) => (
                <fieldset key={s.key} className="row-set" data-testid={`section-${k}`}>
                  <legend>Section {k + 1}</legend>
                  <Field path={`${sectionPath(k)}.name`} label="Name" errors={errors}>
                    {(p) => <input {...p} value={s.name} maxLength={50} onChange={(e) => setRow("sections", s.key, { name: e.target.value })} />}
                  </Field>
                  <Field path={`${sectionPath(k)}.rows`} label="Rows" errors={errors}>
                    {(p) => <input {...p} type="number" inputMode="numeric" value={s.rows} onChange={(e) => setRow("sections", s.key, { rows: e.target.value })} />}
                  </Field>
                  <Field path={`${sectionPath(k)}.seatsPerRow`} label="Seats per row" errors={errors}>
                    {(p) => <input {...p} type="number" inputMode="numeric" value={s.seatsPerRow} onChange={(e) => setRow("sections", s.key, { seatsPerRow: e.target.value })} />}
                  </Field>
                  <Field path={`${sectionPath(k)}.ticketTypeIndex`} label="Ticket type" errors={errors}>
                    {(p) => (
                      <select {...p} value={s.type} onChange={(e) => setRow("sections", s.key, { type: e.target.value })}>
                        {!seatedName(s.type) && <option value="">Choose…</option>}
                        {draft.seated.map((t) => {
                          const c = toMinor(t.price);
                          return <option key={t.key} value={t.key}>{t.name || "(unnamed)"}{c != null ? ` · ${money(c)}` : ""}</option>;
                        })}
                      </select>
                    )}
                  </Field>
                  <div className="placement">
                    {(["x", "y", "rotation", "curve"] as const).map((f) => (
                      <Field key={f} path={`${sectionPath(k)}.${f}`} label={PLACE_LABELS[f]} errors={errors}>
                        {(p) => <input {...p} inputMode="decimal" placeholder="auto" value={s[f] ?? ""} onChange={(e) => setRow("sections", s.key, { [f]: e.target.value })} />}
                      </Field>
                    ))}
                  </div>
                  <button type="button" className="secondary" onClick={() => set("sections", draft.sections.filter((r) => r.key !== s.key))}>
                    Remove<span className="sr-only"> section {s.name || k + 1}</span>
                  </button>
                </fieldset>
              ))}
              <button
                type="button"
                className="secondary"
                onClick={() => set("sections", [...draft.sections, { key: newKey(), name: nextSectionName(draft), rows: "4", seatsPerRow: "12", type: draft.seated[0]?.key ?? "" }])}
              >
                Add a section
              </button>
              {listErrors.map((e) => <p key={e.message} className="field-error">{e.message}</p>)}
              <p className="hint">
                Placement is optional: leave it empty and the sections are arranged around a stage. Otherwise give every
                section the centre of its front row (x, y; 24 units a seat, y grows towards the back), a rotation in degrees
                clockwise and a curve (degrees of arc a row spans, 0 straight).
              </p>
              <fieldset className="row-set" data-testid="stage">
                <legend>Stage (optional)</legend>
                <div className="placement">
                  {STAGE_FIELDS.map((f) => (
                    <Field key={f} path={`seatMap.stage.${f}`} label={STAGE_LABELS[f]} errors={errors}>
                      {(p) => <input {...p} inputMode="decimal" value={draft.stage?.[f] ?? ""} onChange={(e) => setStage({ [f]: e.target.value })} />}
                    </Field>
                  ))}
                  <Field path="seatMap.stage.label" label="Stage label" errors={errors}>
                    {(p) => <input {...p} maxLength={50} value={draft.stage?.label ?? ""} onChange={(e) => setStage({ label: e.target.value })} />}
                  </Field>
                </div>
              </fieldset>

              <section className="preview" aria-labelledby="preview-h" data-testid="seat-preview">
                <h3 id="preview-h" className="sub">Preview: the seat map shoppers will see</h3>
                {draft.sections.length === 0 ? (
                  <p className="muted">Add a section with rows and seats to see it.</p>
                ) : (
                  <>
                    <ul className="preview-words" data-testid="preview-words">
                      {draft.sections.map((s, k) => {
                        const n = Number(s.rows) * Number(s.seatsPerRow);
                        const t = seatedName(s.type);
                        const c = t ? toMinor(t.price) : null;
                        if (!Number.isInteger(n) || n <= 0) return <li key={s.key}>Section {k + 1}: not drawn yet (rows and seats per row).</li>;
                        return (
                          <li key={s.key}>
                            {s.name || `Section ${k + 1}`}: rows A–{rowLabel(Number(s.rows) - 1)} × {s.seatsPerRow} seats = {n} seats
                            {t ? `, ${t.name}${c != null ? ` at ${money(c)}` : ""}` : ", no ticket type chosen"}
                          </li>
                        );
                      })}
                      {preview.geometry && <li><strong>{preview.geometry.count} seats in all</strong></li>}
                    </ul>
                    <p className="muted" role="status" data-testid="preview-status">
                      {preview.loading ? "Updating the preview…" : preview.problem ? `No preview: ${preview.problem}` : preview.errors.length ? "No preview until the marked fields are fixed." : ""}
                    </p>
                    {preview.errors.map((e) => <p key={e.field + e.message} className="field-error">{labelOf(e.field)}: {e.message}</p>)}
                    {preview.geometry && (
                      <SeatMap geometry={preview.geometry} store={preview.store} changes={0} selected={NO_SEATS} mine={NO_SEATS} onToggle={ignore} readOnly label="Preview of the seat map" legend={PREVIEW_LEGEND} />
                    )}
                  </>
                )}
              </section>
            </fieldset>
          </>
        )}
        <div className="actions">
          <button type="submit" className="primary" aria-disabled={busy || undefined} data-testid="save">{editing ? "Save changes" : "Create event"}</button>
          <button type="button" className="secondary" onClick={() => navigate(editing ? `/admin/events/${eventId}` : "/admin")}>Cancel</button>
        </div>
      </form>
    </main>
  );
}

const PLACE_LABELS = { x: "Front row centre x", y: "Front row centre y", rotation: "Rotation (°)", curve: "Curve (°)" } as const;
const STAGE_LABELS = { x: "Stage x", y: "Stage y", width: "Stage width", height: "Stage height" } as const;
const PLACE_WORDS: Record<string, string> = {
  ticketTypeIndex: "ticket type", seatsPerRow: "seats per row", x: "front row centre x", y: "front row centre y", rotation: "rotation", curve: "curve",
};

function nextSectionName(d: EventDraft) {
  const taken = new Set(d.sections.map((s) => s.name.trim()));
  for (let i = d.sections.length + 1; ; i++) if (!taken.has(`Section ${i}`)) return `Section ${i}`;
}

/** Ticket types and the seat map of an existing event: PATCH does not change them. */
function ReadOnlyStock({ event }: { event: AdminEvent }) {
  const seatMap = useSeatMap(event.id, event.hasSeatMap);
  return (
    <fieldset>
      <legend>Tickets and seats (fixed once created)</legend>
      <table className="admin-table">
        <thead><tr><th scope="col">Ticket type</th><th scope="col">Price</th><th scope="col">Stock</th><th scope="col">Kind</th></tr></thead>
        <tbody>
          {event.ticketTypes.map((t) => (
            <tr key={t.id}><th scope="row">{t.name}</th><td>{money(t.price)}</td><td>{t.total}</td><td>{t.seated ? "Seated" : "General admission"}</td></tr>
          ))}
        </tbody>
      </table>
      {seatMap.geometry && seatMap.geometry.count > 0 && <SeatMap geometry={seatMap.geometry} store={seatMap.store} changes={seatMap.changes} selected={NO_SEATS} mine={NO_SEATS} onToggle={ignore} readOnly label="The event's seat map" />}
    </fieldset>
  );
}
