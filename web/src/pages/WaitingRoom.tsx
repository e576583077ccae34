import { useEffect } from "react";
import { api } from "../api";
import { BotCheck } from "../components/BotCheck";
import { useQueueUpdates } from "../hooks/useQueueUpdates";
import { navigate } from "../router";

function duration(s: number) {
  if (s < 60) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.round(s / 60);
  if (m < 60) return `about ${m} minute${m === 1 ? "" : "s"}`;
  return `about ${Math.round(m / 60)} h`;
}

export function WaitingRoom({ eventId }: { eventId: string }) {
  const q = useQueueUpdates(eventId);

  // Admitted: on to the event, by itself.
  useEffect(() => {
    if (q.admitted) navigate(`/events/${eventId}`, true);
  }, [q.admitted, eventId]);

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
  return (
    <main className="card waiting" data-testid="waiting-room">
      <h1>You are in the waiting room</h1>
      <p>This on-sale is busy. Keep this page open: you will go to the event by yourself when it is your turn.</p>
      {q.place == null ? (
        <p data-testid="place">The sale has not opened yet: when it does, everyone who is here gets a place in a random order.</p>
      ) : (
        <>
          <p className="place" data-testid="place">Your place in line: <strong>{q.place}</strong></p>
          <p data-testid="ahead">{q.place - 1 === 0 ? "You are next." : `${q.place - 1} ${q.place - 1 === 1 ? "person" : "people"} ahead of you.`}</p>
          <p data-testid="estimate">Estimated wait: {duration(q.estimatedWait)}</p>
          <div className="bar" role="progressbar" aria-label="Progress through the line" aria-valuemin={0} aria-valuemax={100} aria-valuenow={progress}>
            <div style={{ width: `${Math.max(3, progress)}%` }} />
          </div>
        </>
      )}
      <p className="muted">{q.totalWaiting} waiting in all.</p>
      <button type="button" className="secondary" onClick={() => api.leaveQueue(eventId).finally(() => navigate("/"))}>Leave the line</button>
    </main>
  );
}
