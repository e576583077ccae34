import { useEffect } from "react";
import { api } from "../api";
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
