import { useTranslation } from "react-i18next";
import { useSocket } from "../hooks/useSocket";

/** On every screen: is what I see live? Text, not only colour. */
export function ConnectionIndicator() {
  const { t } = useTranslation();
  const { state } = useSocket();
  return (
    <span className={`conn conn-${state}`} role="status" aria-live="polite" data-testid="connection" data-state={state}>
      <span className="conn-dot" aria-hidden="true" />
      {t(`connection.${state}`)}
    </span>
  );
}
