import { useEffect, useState } from "react";
import { api, type EventInfo } from "../api";
import { BotCheck } from "../components/BotCheck";
import { useEventUpdates } from "../hooks/useEventUpdates";
import { useQueueUpdates } from "../hooks/useQueueUpdates";
import { navigate } from "../router";
import { PausedNotice } from "./EventPage";

function duration(s: number) {
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.round(s / 60);
  if (m < 60) return `about ${m} minute${m === 1 ? "" : "s"}`;
  return `about ${Math.round(m / 60)} h`;
}

/** m:ss (or h:mm:ss) for a countdown. */
function clock(s: number) {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export function WaitingRoom({ eventId }: { eventId: string }) {
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
        <h1>One moment before the line</h1>
        {q.botCheck <= 3 ? (
          <BotCheck key={q.botCheck} why="This on-sale asks every browser for a quick automatic check that it is not a bot. It takes a second or two." onSolved={(p) => q.join(p)} />
        ) : (
          <p className="error" role="alert">The check did not go through. Reload the page to try again.</p>
        )}
      </main>
    );
  }

  const progress = q.firstPlace && q.place ? Math.round(((q.firstPlace - q.place) / Math.max(1, q.firstPlace)) * 100) : 0;
  const toOpen = Math.max(0, Math.ceil((opensAt - now) / 1000));
  return (
    <main className="card waiting" data-testid="waiting-room">
      <h1>{event ? event.name : "The waiting room"}</h1>
      {event && <p className="muted" data-testid="venue">{event.venue}</p>}
      {/* Always present, so assistive technology announces the notice when it appears. */}
      <div role="status" aria-live="polite" data-testid="line-status">
        {q.recovering && (
          <p className="notice" data-testid="recovering">
            {/* A newcomer during the restoring has a place but no number yet: behind everyone restored. */}
            {q.number != null || beforeSale
              ? "The line is being restored after a server hiccup. Your place is kept."
              : "The line is being restored after a server hiccup. Everyone who was already waiting keeps their place, and yours is right behind them."}
          </p>
        )}
      </div>
      <PausedNotice paused={event?.salesPaused === true} text="Your place in line is kept; the line moves again when sales resume." />
      {beforeSale ? (
        <>
          <p className="countdown" data-testid="opens-in" role="timer" aria-live="off">Sale opens in <strong>{clock(toOpen)}</strong></p>
          <p data-testid="place">You are in the waiting room. When the sale opens, everyone who is here gets a place in a random order, ahead of anyone who comes later: arriving early does not help, and keeping this page open is all you need to do.</p>
        </>
      ) : (
        <p>{paused ? "You are in the waiting room." : "You are in the waiting room: it is busy right now."} Keep this page open; you will go to the event by yourself when it is your turn.</p>
      )}
      {!beforeSale && q.place == null && <p data-testid="place">The sale has opened: your place is being given out now.</p>}
      {!beforeSale && q.place != null && (
        <>
          <p className="place" data-testid="place">Your place in line: <strong>{q.place}</strong></p>
          <p data-testid="ahead">{q.place - 1 === 0 ? "You are next." : `${q.place - 1} ${q.place - 1 === 1 ? "person" : "people"} ahead of you.`}</p>
          <p data-testid="estimate">{paused ? "Estimated wait: the line moves again when sales resume." : `Estimated wait: ${duration(q.estimatedWait)}`}</p>
          <div className="bar" role="progressbar" aria-label="Progress through the line" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress}>
            <div style={{ width: `${Math.max(3, progress)}%` }} />
          </div>
        </>
      )}
      <p className="muted" data-testid="total-waiting">{q.totalWaiting} {q.totalWaiting === 1 ? "person" : "people"} waiting in all{beforeSale ? ", you included" : ""}.</p>
      <button type="button" className="secondary" onClick={() => api.leaveQueue(eventId).finally(() => navigate("/"))}>Leave the line</button>
    </main>
  );
}
