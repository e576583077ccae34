import { useSocket } from "../hooks/useSocket";

const LABELS = { connected: "Live", reconnecting: "Reconnecting…", offline: "Offline" } as const;

/** On every screen: is what I see live? Text, not only colour. */
export function ConnectionIndicator() {
  const { state } = useSocket();
  return (
    <span className={`conn conn-${state}`} role="status" aria-live="polite" data-testid="connection" data-state={state}>
      <span className="conn-dot" aria-hidden="true" />
      {LABELS[state]}
    </span>
  );
}
