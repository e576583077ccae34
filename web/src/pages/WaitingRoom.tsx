import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, timeZoneOf, type EventInfo } from "../api";
import { BotCheck } from "../components/BotCheck";
import { useEventUpdates } from "../hooks/useEventUpdates";
import { useQueueUpdates } from "../hooks/useQueueUpdates";
import { fmt } from "../i18n";
import { clockText as clock } from "../i18n/format";
import { navigate } from "../router";
import { PausedNotice } from "./EventPage";

export function WaitingRoom({ eventId }: { eventId: string }) {
  const { t } = useTranslation();
  const q = useQueueUpdates(eventId);
  const [event, setEvent] = useState<EventInfo | null>(null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    api.event(eventId).then(setEvent).catch(() => undefined);
  }, [eventId]);
  // Sales paused or resumed by the operator: the line room brings the event as it changes.
  useEventUpdates(eventId, setEvent);
  /** While sales are paused nobody is let in: no estimate means anything then. */
  const paused = event?.salesPaused === true;
  const opensAt = event ? Date.parse(event.saleOpensAt) : 0;
  const beforeSale = opensAt > now;
  // The countdown to the opening ticks once a second until the sale opens.
  useEffect(() => {
    if (!beforeSale) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [beforeSale]);

  // Admitted: on to the event, by itself.
  useEffect(() => {
    if (q.admitted) navigate(`/events/${eventId}`, true);
  }, [q.admitted, eventId]);

  // The sale has opened but this page has no place yet: ask until it has one.
  const { refresh } = q;
  const placeless = !beforeSale && event != null && q.place == null && q.botCheck === 0 && !q.admitted;
  useEffect(() => {
    if (!placeless) return;
    refresh();
    const t = setInterval(refresh, 2000);
    return () => clearInterval(t);
  }, [placeless, refresh]);

  // Each refused join gets a fresh widget (and challenge), a bounded number of times.
  if (q.botCheck > 0) {
    return (
      <main className="card waiting" data-testid="waiting-room">
        <h1>{t("waiting.botCheckTitle")}</h1>
        {q.botCheck <= 3 ? (
          <BotCheck key={q.botCheck} why={t("botcheck.line")} onSolved={(p) => q.join(p)} />
        ) : (
          <p className="error" role="alert">{t("botcheck.gaveUp")}</p>
        )}
      </main>
    );
  }

  const progress = q.firstPlace && q.place ? Math.round(((q.firstPlace - q.place) / Math.max(1, q.firstPlace)) * 100) : 0;
  const toOpen = Math.max(0, Math.ceil((opensAt - now) / 1000));
  return (
    <main className="card waiting" data-testid="waiting-room">
      <h1>{event ? event.name : t("waiting.title")}</h1>
      {event && <p className="muted" data-testid="venue">{event.venue}</p>}
      {/* Always present, so assistive technology announces the notice when it appears. */}
      <div role="status" aria-live="polite" data-testid="line-status">
        {q.recovering && (
          <p className="notice" data-testid="recovering">
            {/* A newcomer during the restoring has a place but no number yet: behind everyone restored. */}
            {q.number != null || beforeSale
              ? t("waiting.recovering")
              : t("waiting.recoveringNewcomer")}
          </p>
        )}
      </div>
      <PausedNotice paused={event?.salesPaused === true} text={t("waiting.pausedText")} />
      {beforeSale ? (
        <>
          <p className="countdown" data-testid="opens-in" role="timer" aria-live="off">{t("waiting.opensIn")} <strong>{clock(toOpen)}</strong></p>
          {event && <p className="muted" data-testid="opens-at">{t("waiting.opensAt", { when: fmt.eventTime(event.saleOpensAt, timeZoneOf(event)) })}</p>}
          <p data-testid="place">{t("waiting.preSale")}</p>
        </>
      ) : (
        <p>{paused ? t("waiting.inRoom") : t("waiting.inRoomBusy")} {t("waiting.keepOpen")}</p>
      )}
      {!beforeSale && q.place == null && <p data-testid="place">{t("waiting.givingOut")}</p>}
      {!beforeSale && q.place != null && (
        <>
          <p className="place" data-testid="place">{t("waiting.place")} <strong>{fmt.number(q.place)}</strong></p>
          <p data-testid="ahead">{q.place - 1 === 0 ? t("waiting.next") : t("waiting.ahead", { count: q.place - 1 })}</p>
          <p data-testid="estimate">{paused ? t("waiting.estimatePaused") : t("waiting.estimate", { wait: fmt.wait(q.estimatedWait) })}</p>
          <div className="bar" role="progressbar" aria-label={t("waiting.progress")} aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress}>
            <div style={{ width: `${Math.max(3, progress)}%` }} />
          </div>
        </>
      )}
      <p className="muted" data-testid="total-waiting">{beforeSale ? t("waiting.totalWithYou", { count: q.totalWaiting }) : t("waiting.total", { count: q.totalWaiting })}</p>
      <button type="button" className="secondary" onClick={() => api.leaveQueue(eventId).finally(() => navigate("/"))}>{t("waiting.leave")}</button>
    </main>
  );
}
